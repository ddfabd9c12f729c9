#!/usr/bin/env bash
# `make run`: finds (or starts) PostgreSQL, creates the datanika database, and runs the server
# in the foreground. Everything can be overridden with the environment (see README).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${DATABASE_URL:-}" ]; then
  base=$("$root/scripts/postgres.sh")
  export DATABASE_URL="$base/datanika?sslmode=disable"
fi
# The managed warehouse (one database per org) lives on the same server by default.
if [ -z "${WAREHOUSE_ADMIN_URL:-}" ]; then
  WAREHOUSE_ADMIN_URL=$(echo "$DATABASE_URL" | sed -E 's#^(postgres(ql)?://[^/?]+)(/[^?]*)?#\1/postgres#')
  export WAREHOUSE_ADMIN_URL
fi
# Local use: connections to databases on this machine and private networks are allowed.
export EGRESS_ALLOW_PRIVATE=${EGRESS_ALLOW_PRIVATE:-true}

LOG_LEVEL=warn bin/datanika migrate --create-database >/dev/null
addr=${HTTP_ADDR:-:8080}
echo "Datanika starts at http://localhost:${addr##*:} (database: ${DATABASE_URL%%\?*}); Ctrl-C stops it." >&2
exec bin/datanika serve "$@"
