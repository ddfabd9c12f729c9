#!/usr/bin/env bash
# Run once by the postgres image when its data directory is first created (mounted into
# /docker-entrypoint-initdb.d by docker-compose.yml), as POSTGRES_USER:
# - closes the metadata database to every role but its owner (Datanika's migrations do it too),
# - makes the managed warehouse's admin a role of its own: it creates and drops each org's
#   database and login role (CREATEDB, CREATEROLE) and cannot connect to the metadata database.
#   On PostgreSQL 16 and later a CREATEROLE role administers only the roles it created, so it
#   cannot take over the metadata database's owner either.
set -euo pipefail
: "${WAREHOUSE_ADMIN_PASSWORD:?set WAREHOUSE_ADMIN_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v wh_password="$WAREHOUSE_ADMIN_PASSWORD" -v metadata_db="$POSTGRES_DB" <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE :"metadata_db" FROM PUBLIC;
CREATE ROLE datanika_warehouse LOGIN CREATEDB CREATEROLE NOSUPERUSER NOREPLICATION PASSWORD :'wh_password';
SQL
