#!/usr/bin/env bash
# Finds a PostgreSQL server for development and tests, starting a private one when needed, and
# prints its base URL (postgres://user@host:port, no database) on stdout. Messages go to stderr.
#
#   1. a server on 127.0.0.1:5432 that lets user postgres in;
#   2. else the private cluster under .data/postgres on port 54329 (started if stopped),
#      created with initdb when PostgreSQL server binaries are installed (on PATH or in Debian's
#      /usr/lib/postgresql/<version>/bin); as root, initdb/pg_ctl run as user postgres;
#   3. else it says what to install, and exits 1.
#
# DATANIKA_PG_SKIP_LOCAL=1 skips step 1 (to exercise step 2). DATANIKA_PG_PORT and
# DATANIKA_PG_DIR move the private cluster.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
private_port=${DATANIKA_PG_PORT:-54329}
data_dir=${DATANIKA_PG_DIR:-$root/.data/postgres}

say() { echo "postgres.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

accepts_postgres_user() {
  # Without psql we cannot log in to check; an open port is the best we know.
  command -v psql >/dev/null || return 0
  psql "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable&connect_timeout=5" -qAtc 'SELECT 1' >/dev/null 2>&1
}

find_pg_bin() {
  local name=$1 found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then found=$(command -v "$name" || true); fi
  echo "$found"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${DATANIKA_PG_SKIP_LOCAL:-}" != 1 ] && port_open 5432; then
  if accepts_postgres_user 5432; then
    echo "postgres://postgres@127.0.0.1:5432"
    exit 0
  fi
  say "a server answers on 127.0.0.1:5432 but does not let user postgres in without a password;"
  say "set DATABASE_URL (and TEST_DATABASE_URL for tests) to a URL with credentials, or use a private cluster."
fi

if port_open "$private_port"; then
  echo "postgres://postgres@127.0.0.1:$private_port"
  exit 0
fi

initdb=$(find_pg_bin initdb)
pg_ctl=$(find_pg_bin pg_ctl)
if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
  cat >&2 <<'MSG'
postgres.sh: no PostgreSQL found. Datanika needs PostgreSQL 15 or newer. Either:
  - install it:        sudo apt-get install postgresql        (Debian/Ubuntu)
                       brew install postgresql@16              (macOS)
    then run `make run` again (a private cluster is created under .data/postgres), or
  - point Datanika at a server:  export DATABASE_URL=postgres://user:password@host:5432/datanika
  - or start everything with Docker:  docker compose up
MSG
  exit 1
fi

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  say "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; create one (useradd -r postgres) or set DATABASE_URL."
  exit 1
fi

mkdir -p "$data_dir"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$data_dir"
  if ! runuser -u postgres -- test -w "$data_dir"; then
    say "user postgres cannot reach $data_dir (a parent folder is private); set DATANIKA_PG_DIR to a folder it can use."
    exit 1
  fi
fi
chmod 700 "$data_dir"

if [ ! -f "$data_dir/PG_VERSION" ]; then
  say "creating a private PostgreSQL cluster in $data_dir"
  as_postgres "$initdb" -D "$data_dir" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
fi

say "starting the private PostgreSQL cluster on 127.0.0.1:$private_port (log: $data_dir/server.log)"
as_postgres "$pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t 60 \
  -o "-p $private_port -c listen_addresses=127.0.0.1 -k $data_dir" start >/dev/null
echo "postgres://postgres@127.0.0.1:$private_port"
