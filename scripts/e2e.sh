#!/usr/bin/env bash
# `make test/e2e`: browser tests of the real binary. Installs Debian's Chromium when missing,
# starts bin/datanika on a free port against a fresh database, runs the Playwright tests in
# frontend/e2e (playwright-core driving the system Chromium), then stops the server and drops
# the database. Screenshots land in frontend/test-results/. Arguments go to Playwright
# (scripts/e2e.sh e2e/file-pipeline.spec.ts runs one spec).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

chromium=${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e: installing Debian's chromium" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium=$(command -v chromium)
  else
    echo "e2e: Chromium is required: sudo apt-get install chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
export CHROMIUM_PATH=$chromium

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  base=$("$root/scripts/postgres.sh")
  TEST_DATABASE_URL="$base/postgres?sslmode=disable"
fi
server_url=$(echo "$TEST_DATABASE_URL" | sed -E 's#^(postgres(ql)?://[^/?]+).*#\1#')
db="dnk_e2e_$(date +%s)_$$"
# A small database for the connections spec to connect to, browse and query.
source_db="dnk_e2e_source_$(date +%s)_$$"
# An empty database the pipelines spec loads into.
dest_db="dnk_e2e_dest_$(date +%s)_$$"
# Chinook, loaded from ../shared/datasets when it is there.
chinook_db="dnk_e2e_chinook_$(date +%s)_$$"
work=$(mktemp -d)
log="$work/datanika.log"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if command -v psql >/dev/null; then
    psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$source_db\" WITH (FORCE)" >/dev/null 2>&1 || true
    psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$dest_db\" WITH (FORCE)" >/dev/null 2>&1 || true
    psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$chinook_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="$server_url/$db?sslmode=disable"
bin/datanika migrate --create-database >/dev/null

if command -v psql >/dev/null; then
  psql "$server_url/postgres?sslmode=disable" -qc "CREATE DATABASE \"$source_db\"" >/dev/null
  psql "$server_url/$source_db?sslmode=disable" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE public.customers (id bigint PRIMARY KEY, email text NOT NULL, country text);
INSERT INTO public.customers VALUES (1, 'ada@example.com', 'GB'), (2, 'grace@example.com', 'US'), (3, 'edsger@example.com', 'NL');
SQL
  # A table big enough (3,000,000 rows) that its load is still running when the pipelines spec
  # cancels it from the run page.
  psql "$server_url/$source_db?sslmode=disable" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE public.big_events (id bigint PRIMARY KEY, kind text NOT NULL, payload text NOT NULL, at timestamptz NOT NULL);
INSERT INTO public.big_events
SELECT g, 'kind_' || (g % 17), md5(g::text) || md5((g * 7)::text), timestamptz '2024-01-01' + g * interval '1 second'
FROM generate_series(1, 3000000) AS g;
ANALYZE public.big_events;
SQL
  psql "$server_url/postgres?sslmode=disable" -qc "CREATE DATABASE \"$dest_db\"" >/dev/null
  export E2E_SOURCE_URL="$server_url/$source_db"
  export E2E_DEST_URL="$server_url/$dest_db"
  # Chinook, for the spec that tries the product as a new user would: read in place from the
  # shared datasets (never copied into the repository), its own DROP/CREATE DATABASE lines cut.
  chinook_sql=${CHINOOK_SQL:-}
  for candidate in "$root/../shared/datasets/chinook/Chinook_PostgreSql.sql" /work/shared/datasets/chinook/Chinook_PostgreSql.sql; do
    if [ -z "$chinook_sql" ] && [ -f "$candidate" ]; then chinook_sql=$candidate; fi
  done
  if [ -n "$chinook_sql" ]; then
    psql "$server_url/postgres?sslmode=disable" -qc "CREATE DATABASE \"$chinook_db\"" >/dev/null
    sed '1,/^\\c chinook;/d' "$chinook_sql" | psql "$server_url/$chinook_db?sslmode=disable" -q -v ON_ERROR_STOP=1 >/dev/null
    export E2E_CHINOOK_URL="$server_url/$chinook_db"
  else
    echo "e2e: no Chinook_PostgreSql.sql found (set CHINOOK_SQL): the Chinook spec will skip" >&2
  fi
else
  echo "e2e: psql is missing: the connections spec will skip its database steps" >&2
fi

# The connections and pipelines specs connect to databases on the local PostgreSQL: the egress
# policy refuses private addresses unless allowed, and the metadata database's server (this one)
# unless EGRESS_ALLOWLIST names it, which only a trial on one's own machine should do. Uploads go
# to the temporary directory.
db_host=$(echo "$server_url" | sed -E 's#^postgres(ql)?://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\3#')
EGRESS_ALLOWLIST="${db_host:-127.0.0.1}" EGRESS_ALLOW_PRIVATE=true DATA_DIR="$work/data" HTTP_ADDR=127.0.0.1:0 LOG_FORMAT=text bin/datanika serve >"$log" 2>&1 &
pid=$!

url=""
for _ in $(seq 1 300); do
  url=$(sed -nE 's/.*msg="datanika is up" url=(http:\/\/[^ ]+).*/\1/p' "$log" | head -n 1)
  if [ -n "$url" ] && curl -fsS "$url/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "e2e: the server exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "e2e: the server did not become ready in 30 s:" >&2
  cat "$log" >&2
  exit 1
fi
echo "e2e: testing $url with $CHROMIUM_PATH" >&2

status=0
E2E_BASE_URL=$url npm --prefix frontend run test:e2e -- "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: server log:" >&2
  tail -n 50 "$log" >&2
fi
exit "$status"
