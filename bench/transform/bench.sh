#!/usr/bin/env bash
# Transform engine benchmarks (docs/benchmarks.md, "Transform engine"):
#   1. compile a generated 1,000-model project, 7 runs, median;
#   2. build 100 small view models with --threads 1 and --threads 4 on PostgreSQL.
# Usage: bench/transform/bench.sh [postgres admin URL]   (default: the local server as postgres)
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}"
WORK="$(mktemp -d)"
DB="dnk_test_bench_$$"
cleanup() { psql "$ADMIN_URL" -qc "drop database if exists $DB" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$WORK/datanika" ./cmd/datanika
go run ./bench/transform/gen -models 1000 -out "$WORK/p1000"
go run ./bench/transform/gen -models 100 -out "$WORK/p100"
psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
TARGET="${ADMIN_URL%/*}/$DB?sslmode=disable&search_path=bench"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_seconds() { # prints wall seconds of one command
  local start end
  start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
  echo "$end - $start" | bc
}

echo "compile, 1,000 models (7 runs):"
for _ in 1 2 3 4 5 6 7; do
  run_seconds "$WORK/datanika" transform compile --project "$WORK/p1000" --target "$TARGET" --output json
done | tee "$WORK/compile.txt"
echo "median: $(median < "$WORK/compile.txt") s"

for threads in 1 4; do
  echo "build, 100 view models, --threads $threads (3 runs):"
  for _ in 1 2 3; do
    run_seconds "$WORK/datanika" transform build --project "$WORK/p100" --target "$TARGET" --threads "$threads" --output json
  done | tee "$WORK/build$threads.txt"
  echo "median: $(median < "$WORK/build$threads.txt") s"
done
