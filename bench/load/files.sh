#!/usr/bin/env bash
# File source benchmarks of issue #19 (docs/benchmarks.md, "Load engine: file sources"). ROWS rows
# of the load benchmark's shape (id, name, amount, updated_at, flag; bench/load/filegen), as a CSV
# file and as a parquet file, loaded into PostgreSQL by `datanika load --source file://…` with
# write_disposition replace and primary_key id (the column types inferred from the CSV, taken
# from the parquet schema), against the baseline
#   psql -c "\copy base.t from FILE CSV HEADER" into a pre-created table of the right types,
#   then alter table base.t add primary key (id)
# baseline and ours interleaved run by run. Goals: CSV ≤ 1.25× the baseline's wall time, peak RSS
# ≤ 200 MB, parquet faster than the CSV. Every load is checked (count and an aggregate fingerprint
# equal to the baseline's, the primary key, the inferred types).
#
# Environment: ROWS (2000000), RUNS (3), GOALS (1; 0 prints "-" instead of PASS/FAIL),
# TEST_DATABASE_URL (the PostgreSQL admin URL), BIN (a prebuilt datanika binary; default: go build).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${ROWS:-2000000}"
RUNS="${RUNS:-3}"
GOALS="${GOALS:-1}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
WORK="$(mktemp -d)"
DB="dnk_test_filebench_$$"
cleanup() {
  psql "$ADMIN_URL" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench-load-files: $*" >&2; exit 1; }
for c in psql bc pgrep /usr/bin/time; do
  command -v "$c" >/dev/null || die "needs $c (Debian: postgresql-client, bc, procps, time)"
done

if [ -n "${BIN:-}" ]; then cp "$BIN" "$WORK/datanika"; else go build -o "$WORK/datanika" ./cmd/datanika; fi
go run ./bench/load/filegen -rows "$ROWS" -csv "$WORK/t.csv" -parquet "$WORK/t.parquet"
psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
URL="${ADMIN_URL%/*}/$DB?sslmode=disable"
q() { psql "$URL" -XAtqc "$1"; }

fingerprint() {
  q "select count(*), sum(id), sum(amount), sum(length(name)), count(*) filter (where flag), min(updated_at), max(updated_at) from $1"
}
has_pk() { [ "$(q "select count(*) from pg_constraint where conrelid = '$1'::regclass and contype = 'p'")" = 1 ] || die "$1 has no primary key"; }
check() { [ "$2" = "$3" ] || die "$1: loaded data differs from the baseline's: got [$2], want [$3]"; }
types() { q "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) from information_schema.columns
  where table_schema = '$1' and table_name = 't' and column_name not like '\_dnk\_%'"; }

# Server CPU (ticks) of every postgres process plus the postmaster's reaped children (as
# bench/load/bench.sh counts it; it includes other clients of the same server).
CLK=$(getconf CLK_TCK)
server_ticks() {
  local total=0 pm pid
  pm=$(pgrep -o -x postgres || true)
  for pid in $(pgrep -x postgres); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(( total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  if [ -n "$pm" ] && [ -r "/proc/$pm/stat" ]; then
    total=$(( total + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$pm/stat") ))
  fi
  echo "$total"
}

timed() { # timed NAME CMD…: appends "wall user+sys rssKB serverCPU" to NAME.txt
  local name=$1; shift
  local before after server
  q "checkpoint" >/dev/null
  before=$(server_ticks)
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/out" "$WORK/err" >&2; die "$name failed"; }
  after=$(server_ticks)
  server=$(echo "scale=2; ($after - $before) / $CLK" | bc)
  read -r wall usr sys rss <"$WORK/time"
  echo "$wall $(echo "$usr + $sys" | bc) $rss $server" >>"$WORK/$name.txt"
  printf "    %-18s %7.2f s wall, %6.2f s CPU, server %6.2f s CPU, peak RSS %4d MB\n" "$name" "$wall" "$(echo "$usr + $sys" | bc)" "$server" $(( rss / 1024 ))
}

cat >"$WORK/base.sh" <<SH
psql "$URL" -Xqc "\\\\copy base.t from '$WORK/t.csv' CSV HEADER"
psql "$URL" -Xqc "alter table base.t add primary key (id)"
SH
CFG='{"mode": "single_table", "table": "t", "write_disposition": "replace", "primary_key": "id"}'
LOAD=("$WORK/datanika" load --destination "$URL" --config "$CFG")

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "file source benchmarks: $ROWS rows ($(du -m "$WORK/t.csv" | cut -f1) MB CSV, $(du -m "$WORK/t.parquet" | cut -f1) MB parquet), $RUNS runs, $(nproc) cores, load average $(loadavg)"
for run in $(seq "$RUNS"); do
  echo "  run $run (load average $(loadavg))"
  psql "$URL" -Xq -c "drop schema if exists base cascade" -c "create schema base" \
    -c "create table base.t (id bigint, name text, amount numeric(12,2), updated_at timestamptz, flag bool)" >/dev/null
  timed csv_baseline bash -eo pipefail "$WORK/base.sh"
  WANT=$(fingerprint base.t)
  [ "$(q "select count(*) from base.t")" = "$ROWS" ] || die "the baseline loaded $(q "select count(*) from base.t") rows"
  timed csv_datanika "${LOAD[@]}" --name bench_csv --source "file://$WORK/t.csv" --destination-schema raw_csv
  check "csv" "$(fingerprint raw_csv.t)" "$WANT"; has_pk raw_csv.t
  timed parquet_datanika "${LOAD[@]}" --name bench_parquet --source "file://$WORK/t.parquet" --destination-schema raw_parquet
  check "parquet" "$(fingerprint raw_parquet.t)" "$WANT"; has_pk raw_parquet.t
done
LOAD_END=$(loadavg)
echo "  types inferred from the CSV: $(types raw_csv)"
echo "  types from the parquet file: $(types raw_parquet)"

stats() { cut -d' ' -f"$2" "$WORK/$1.txt" | sort -n | awk '{a[NR]=$1} END {printf "%s %s %s", a[int((NR+1)/2)], a[1], a[NR]}'; }
med() { stats "$1" "$2" | cut -d' ' -f1; }
verdict() { if [ "$GOALS" != 1 ]; then echo "-"; elif [ "$(echo "$1 <= $2" | bc)" = 1 ]; then echo "PASS"; else echo "FAIL"; fi; }
ratio() { echo "scale=3; $1 / $2" | bc | awk '{printf "%.2f", $1}'; }

echo
echo "results: $ROWS rows, median of $RUNS (min-max), load average at the end $LOAD_END"
printf "%-20s %-22s %-14s %-14s %-9s\n" "measure" "wall s (min-max)" "client CPU s" "server CPU s" "peak RSS"
for n in csv_baseline csv_datanika parquet_datanika; do
  read -r m lo hi <<<"$(stats $n 1)"
  printf "%-20s %-22s %-14s %-14s %4d MB\n" "$n" "$m ($lo-$hi)" "$(med $n 2)" "$(med $n 4)" $(( $(med $n 3) / 1024 ))
done
R_CSV=$(ratio "$(med csv_datanika 1)" "$(med csv_baseline 1)")
R_PQ=$(ratio "$(med parquet_datanika 1)" "$(med csv_datanika 1)")
RSS=$(( $(sort -n <(cut -d' ' -f3 "$WORK/csv_datanika.txt" "$WORK/parquet_datanika.txt") | tail -1) / 1024 ))
echo
printf "%-62s %8s  %s\n" "CSV load / psql \\copy + primary key (goal <= 1.25x)" "${R_CSV}x" "$(verdict "$R_CSV" 1.25)"
printf "%-62s %8s  %s\n" "parquet load / CSV load (goal < 1x)" "${R_PQ}x" "$(verdict "$R_PQ" 0.999)"
printf "%-62s %5s MB  %s\n" "peak RSS of datanika load, CSV and parquet (goal <= 200 MB)" "$RSS" "$(verdict "$RSS" 200)"
