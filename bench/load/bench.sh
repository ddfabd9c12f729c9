#!/usr/bin/env bash
# Load engine benchmark (a) (docs/architecture.md, "Load engine"): PostgreSQL → PostgreSQL,
# ROWS rows of (id bigint primary key, name text, amount numeric(12,2), updated_at timestamptz,
# flag bool), write_disposition replace, against the floor of
#   psql COPY … TO STDOUT (FORMAT binary) | psql COPY … FROM STDIN (FORMAT binary) + ADD PRIMARY KEY.
# Prints seconds (median of RUNS), the ratio, and the loader's peak RSS.
# Usage: bench/load/bench.sh [rows] [runs] [postgres admin URL]   (default 2000000 rows, 3 runs, local server)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-2000000}"
RUNS="${2:-3}"
ADMIN_URL="${3:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}"
WORK="$(mktemp -d)"
DB="dnk_test_loadbench_$$"
cleanup() { psql "$ADMIN_URL" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$WORK/datanika" ./cmd/datanika
psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
URL="${ADMIN_URL%/*}/$DB?sslmode=disable"
psql "$URL" -q <<SQL
create schema src;
create table src.t (id bigint primary key, name text, amount numeric(12,2), updated_at timestamptz, flag bool);
insert into src.t select g, 'customer ' || (g % 1000), (g % 100000) / 100.0, timestamptz '2024-01-01Z' + g * interval '1 second', g % 2 = 0
from generate_series(1, $ROWS) g;
vacuum analyze src.t;
SQL

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

echo "rows: $ROWS, runs: $RUNS (interleaved, so both see the same machine)"
for _ in $(seq "$RUNS"); do
  psql "$URL" -qc "drop schema if exists base cascade" -c "drop schema if exists raw cascade" -c "create schema base" \
    -c "create table base.t (id bigint, name text, amount numeric(12,2), updated_at timestamptz, flag bool)" -c "checkpoint" >/dev/null 2>&1
  start=$(now)
  psql "$URL" -qc "copy src.t to stdout (format binary)" | psql "$URL" -qc "copy base.t from stdin (format binary)"
  psql "$URL" -qc "alter table base.t add primary key (id)"
  end=$(now)
  floor=$(echo "$end - $start" | bc)
  echo "$floor" >> "$WORK/floor.txt"
  psql "$URL" -qc "checkpoint" >/dev/null
  start=$(now)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$WORK/datanika" load --source "$URL" --destination "$URL" --name bench \
    --destination-schema raw --config '{"mode": "single_table", "table": "src.t", "write_disposition": "replace", "verify": "none"}' >/dev/null
  end=$(now)
  loader=$(echo "$end - $start" | bc)
  echo "$loader $(cat "$WORK/rss")" >> "$WORK/load.txt"
  echo "  psql copy binary + primary key: $floor s; datanika load (replace): $loader s, peak RSS $(( $(cat "$WORK/rss") / 1024 )) MB"
done

floor=$(cut -d' ' -f1 "$WORK/floor.txt" | median)
loader=$(cut -d' ' -f1 "$WORK/load.txt" | median)
echo "median: floor $floor s, datanika load $loader s, ratio $(echo "scale=2; $loader / $floor" | bc)"
