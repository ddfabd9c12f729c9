#!/usr/bin/env bash
# Run benchmarks of issue #6 (results and exact commands in docs/benchmarks.md "Runs"):
#   1. trigger-to-running latency: 100 runs of a tiny pipeline, one after the other, each from the
#      API's 202 answer to the run being `running` in the database (its started_at). Goals: p50 ≤
#      200 ms, p99 ≤ 1 s.
#   2. 20 tiny pipelines across 4 orgs triggered at once: all succeed, no org ever has more runs
#      running than ORG_MAX_CONCURRENT_RUNS (set to 3 here so the limit bites), no run is started
#      twice (each River job worked once).
# It builds the binary (or takes BIN), starts `datanika serve` on a fresh metadata database and a
# free port, with a source and a destination database on the local PostgreSQL, runs
# bench/runs (Go), then stops the server and drops the databases.
# Environment: RUNS (100), TEST_DATABASE_URL (admin URL of the local PostgreSQL), BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/serve.sh
RUNS="${RUNS:-100}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
SERVER="$(echo "$ADMIN_URL" | sed -E 's#^(postgres(ql)?://[^/?]+).*#\1#')"
WORK="$(mktemp -d)"
META="dnk_test_runsbench_meta_$$"
SRC="dnk_test_runsbench_src_$$"
DST="dnk_test_runsbench_dst_$$"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  for d in "$META" "$SRC" "$DST"; do psql "$ADMIN_URL" -qc "drop database if exists $d with (force)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "${BIN:-}" ]; then cp "$BIN" "$WORK/datanika"; else go build -tags minicore_disabled -o "$WORK/datanika" ./cmd/datanika; fi
for d in "$SRC" "$DST"; do psql "$ADMIN_URL" -qc "create database $d" >/dev/null; done
psql "$SERVER/$SRC?sslmode=disable" -qc "create table public.tiny (id int primary key, name text); insert into public.tiny select g, 'row ' || g from generate_series(1, 10) g" >/dev/null

export DATABASE_URL="$SERVER/$META?sslmode=disable"
"$WORK/datanika" migrate --create-database >/dev/null
serve_datanika bench-runs "$WORK/datanika" "$WORK" "$SERVER" ORG_MAX_CONCURRENT_RUNS=3
echo "bench-runs: $url, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
go run ./bench/runs -api "$url" -meta "$DATABASE_URL" -source "$SERVER/$SRC" -destination "$SERVER/$DST" -runs "$RUNS" -limit 3
