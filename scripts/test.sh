#!/usr/bin/env bash
# `make test`: Go tests against the real PostgreSQL (TEST_DATABASE_URL, else found or started
# like `make run`) and MariaDB (TEST_MYSQL_URL, else the local server), then the SPA's unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  base=$("$root/scripts/postgres.sh")
  export TEST_DATABASE_URL="$base/postgres?sslmode=disable"
fi

mysql_note=""
if [ -z "${TEST_MYSQL_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
  mysql_note="!!! NO MARIADB/MYSQL on 127.0.0.1:3306 and TEST_MYSQL_URL is unset: connector tests were SKIPPED !!!"
  echo "$mysql_note" >&2
fi

go test -count=1 ./...
npm --prefix frontend test

if [ -n "$mysql_note" ]; then
  echo "$mysql_note" >&2
fi
