#!/usr/bin/env bash
# REST API source benchmark of issue #19 (results and the exact command in docs/benchmarks.md): a
# local REST server (bench/rest `serve`, its own process) serves N records in pages of 100 (offset
# pagination, bearer token, one nested object per record); `bench/rest load` loads them through
# the load engine into PostgreSQL as a pipeline over a rest_api connection does (replace, types
# inferred, verify=count). For each N: records per second (wall time of the load, which includes
# its HTTP reads) and the load process's peak RSS (/usr/bin/time "Maximum resident set size").
# Goal: both flat from 50,000 to 200,000 records. Every run is checked (row count in PostgreSQL).
#
# Environment: SIZES ("50000 100000 200000"), RUNS (3, the median is reported), TEST_DATABASE_URL
# (the PostgreSQL admin URL).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="${SIZES:-50000 100000 200000}"
RUNS="${RUNS:-3}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
WORK="$(mktemp -d)"
DB="dnk_test_restbench_$$"
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  psql "$ADMIN_URL" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench-rest: $*" >&2; exit 1; }
for c in psql /usr/bin/time; do command -v "$c" >/dev/null || die "needs $c"; done

go build -o "$WORK/rest" ./bench/rest
psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
URL="${ADMIN_URL%/*}/$DB?sslmode=disable"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-10s %10s %12s %12s\n' records seconds records/s peak_RSS_MB
for n in $SIZES; do
  "$WORK/rest" serve -records "$n" >"$WORK/url" &
  SERVER=$!
  for _ in $(seq 300); do [ -s "$WORK/url" ] && break; sleep 0.1; done
  API="$(head -1 "$WORK/url")"
  [ -n "$API" ] || die "the REST server did not start"
  : >"$WORK/secs"; : >"$WORK/rss"
  for _ in $(seq "$RUNS"); do
    out="$(/usr/bin/time -f '%M' -o "$WORK/time" "$WORK/rest" load -api "$API" -destination "$URL" -records "$n")"
    got="$(psql "$URL" -XAtqc "select count(*) from bench_rest.records")"
    [ "$got" = "$n" ] || die "PostgreSQL holds $got records, want $n"
    echo "$out" | awk '{print $4}' >>"$WORK/secs"
    tail -1 "$WORK/time" >>"$WORK/rss"
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  secs="$(median <"$WORK/secs")"
  rss="$(median <"$WORK/rss")"
  printf '%-10s %10s %12.0f %12.1f\n' "$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
