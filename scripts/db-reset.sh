#!/usr/bin/env bash
# `make db/reset`: drops and recreates the development database (DATABASE_URL, else the one
# `make run` uses), migrates it, and drops databases left behind by interrupted test runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${DATABASE_URL:-}" ]; then
  base=$("$root/scripts/postgres.sh")
  DATABASE_URL="$base/datanika?sslmode=disable"
fi
server_url=$(echo "$DATABASE_URL" | sed -E 's#^(postgres(ql)?://[^/?]+).*#\1#')
name=$(echo "$DATABASE_URL" | sed -E 's#^postgres(ql)?://[^/?]+/([^?]*).*#\2#')
command -v psql >/dev/null || { echo "db/reset needs psql (apt-get install postgresql-client)" >&2; exit 1; }
psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
for leftover in $(psql "$server_url/postgres?sslmode=disable" -qAtc "SELECT datname FROM pg_database WHERE datname ~ '^dnk_(test|e2e)_'"); do
  psql "$server_url/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS \"$leftover\" WITH (FORCE)"
done
DATABASE_URL=$DATABASE_URL bin/datanika migrate --create-database
