#!/usr/bin/env bash
# Transform engine benchmarks (docs/benchmarks.md, "Transform engine"):
#   1. `datanika transform compile` of generated projects of MODELS and SMALL models (RUNS runs
#      each): CPU seconds (user+sys) and peak RSS, median of the runs, via /usr/bin/time;
#   2. re-parse of a 1,000-model project after one model is edited (the IDE's case), with the
#      parse cache: BenchmarkReparse_1000Models, CPU ms per re-parse;
#   3. with BUILD=1, `datanika transform build` of 100 small views with --threads 1 and 4.
# Env: MODELS=10000 SMALL=1000 (0 skips) RUNS=3 REPARSE=20 (iterations; 0 skips) GOALS=1 (0: report
#      without judging) BASE_REV=<git rev> (also measure that revision's binary, interleaved)
#      BIN=<binary> (skip the build).
# Usage: bench/transform/bench.sh [postgres admin URL]   (default: the local server as postgres)
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}"
MODELS="${MODELS:-10000}"
SMALL="${SMALL:-1000}"
RUNS="${RUNS:-3}"
REPARSE="${REPARSE:-20}"
GOALS="${GOALS:-1}"
BUILD="${BUILD:-0}"
BASE_REV="${BASE_REV:-}"
WORK="$(mktemp -d)"
DB="dnk_test_bench_$$"
cleanup() {
  if [ "$BUILD" = 1 ]; then psql "$ADMIN_URL" -qc "drop database if exists $DB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x /usr/bin/time ]; then
  echo "bench-transform needs GNU time at /usr/bin/time (apt-get install time)" >&2
  exit 1
fi

BIN="${BIN:-}"
if [ -z "$BIN" ]; then
  BIN="$WORK/datanika"
  go build -o "$BIN" ./cmd/datanika
fi
bins=("ours=$BIN")
if [ -n "$BASE_REV" ]; then
  mkdir -p "$WORK/base"
  git archive "$BASE_REV" | tar -x -C "$WORK/base"
  (cd "$WORK/base" && go build -o "$WORK/datanika-base" ./cmd/datanika)
  bins=("base=$WORK/datanika-base" "${bins[@]}")
fi

# Compile needs a target URL for the dialect and schema; the generated project has no
# incremental model, so compile never queries it.
TARGET="${ADMIN_URL%%\?*}?sslmode=disable&search_path=bench"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

results=()
measure() { # measure N: compile the N-model project RUNS times with each binary, interleaved
  local n=$1 dir="$WORK/p$1"
  go run ./bench/transform/gen -models "$n" -out "$dir"
  for run in $(seq 1 "$RUNS"); do
    for b in "${bins[@]}"; do
      local name=${b%%=*} bin=${b#*=}
      /usr/bin/time -o "$WORK/time" -f "%U %S %M" "$bin" transform compile --project "$dir" --target "$TARGET" --output json >"$WORK/out.json"
      read -r user sys kb <"$WORK/time"
      jq -e '.status == "success"' "$WORK/out.json" >/dev/null || { echo "compile of $n models failed with $name" >&2; exit 1; }
      cpu=$(echo "$user + $sys" | bc)
      printf '%-5s %6d models  run %d: CPU %5.2f s (user %s + sys %s), peak RSS %4d MB\n' "$name" "$n" "$run" "$cpu" "$user" "$sys" $((kb / 1024))
      echo "$cpu" >>"$WORK/$name-$n.cpu"
      echo $((kb / 1024)) >>"$WORK/$name-$n.mb"
    done
  done
  for b in "${bins[@]}"; do
    local name=${b%%=*}
    results+=("$name $n $(median <"$WORK/$name-$n.cpu") $(median <"$WORK/$name-$n.mb")")
  done
}

echo "== compile (datanika transform compile --output json), $RUNS run(s) each"
measure "$MODELS"
if [ "$SMALL" -gt 0 ]; then measure "$SMALL"; fi

reparse=""
reparse_rendered=""
if [ "$REPARSE" -gt 0 ]; then
  echo "== re-parse of 1,000 models after one edit, with the parse cache ($REPARSE iterations)"
  out=$(go test -run '^$' -bench 'Reparse_1000Models' -benchtime "${REPARSE}x" ./internal/transform/)
  echo "$out"
  # static: the generated models' calls are read without a render (as the IDE's edits are);
  # rendered: every model renders at parse and the cache spares all but the edited one.
  reparse=$(echo "$out" | awk '/BenchmarkReparse_1000Models\/static/ {for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ms/op") print $i}')
  reparse_rendered=$(echo "$out" | awk '/BenchmarkReparse_1000Models\/rendered/ {for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ms/op") print $i}')
fi

echo
echo "== summary (medians)"
printf '%-5s %7s %10s %10s\n' binary models "CPU s" "peak MB"
for r in "${results[@]}"; do
  read -r name n cpu mb <<<"$r"
  printf '%-5s %7d %10.2f %10d\n' "$name" "$n" "$cpu" "$mb"
done
[ -n "$reparse" ] && echo "re-parse, 1,000 models, one model edited: $reparse CPU ms (every model rendered at parse: $reparse_rendered CPU ms)"

status=0
if [ "$GOALS" = 1 ]; then
  echo
  echo "== goals (issue #16): 10,000 models compile in <= 3 s CPU and <= 300 MB peak; re-parse <= 50 ms"
  judge() { if [ "$(echo "$2" | bc)" = 1 ]; then echo "PASS  $1"; else echo "FAIL  $1"; status=1; fi; }
  for r in "${results[@]}"; do
    read -r name n cpu mb <<<"$r"
    if [ "$name" = ours ] && [ "$n" = 10000 ]; then
      judge "10,000 models: CPU $cpu s <= 3" "$cpu <= 3"
      judge "10,000 models: peak $mb MB <= 300" "$mb <= 300"
    fi
  done
  [ -n "$reparse" ] && judge "re-parse: $reparse ms <= 50" "$reparse <= 50"
fi

if [ "$BUILD" = 1 ]; then
  go run ./bench/transform/gen -models 100 -out "$WORK/p100"
  psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
  BUILD_TARGET="${ADMIN_URL%/*}/$DB?sslmode=disable&search_path=bench"
  run_seconds() { # prints wall seconds of one command
    local start end
    start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
    echo "$end - $start" | bc
  }
  for threads in 1 4; do
    echo "build, 100 view models, --threads $threads (3 runs):"
    for _ in 1 2 3; do
      run_seconds "$BIN" transform build --project "$WORK/p100" --target "$BUILD_TARGET" --threads "$threads" --output json
    done | tee "$WORK/build$threads.txt"
    echo "median: $(median <"$WORK/build$threads.txt") s"
  done
fi
exit $status
