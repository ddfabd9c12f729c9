#!/usr/bin/env bash
# Load engine benchmarks of issue #5 (docs/architecture.md "Load engine"; results and exact commands
# in docs/benchmarks.md). Each is timed against a baseline in the same run, on the same machine,
# baseline and ours interleaved run by run:
#   a) PostgreSQL → PostgreSQL, ROWS rows of (id bigint primary key, name text, amount numeric(12,2),
#      updated_at timestamptz, flag bool), replace; baseline
#      psql COPY … TO STDOUT (FORMAT binary) | psql COPY … FROM STDIN (FORMAT binary) + ADD PRIMARY KEY.
#      Goal ≤ 1.1×.
#   b) MariaDB → PostgreSQL, same shape, replace; baseline
#      mariadb --quick --batch -N -e "SELECT …" | psql COPY … FROM STDIN + ADD PRIMARY KEY. Goal ≤ 1.1×.
#   c) merge of ROWS rows (10 % changed, 5 % new) into the table (a) loaded. Goal ≤ 2 × ours of (a).
#   d) peak RSS of the load process (/usr/bin/time "Maximum resident set size"): ≤ 200 MB at ROWS,
#      and, with BIG_ROWS set (10000000 in the full run), within 20 % of that at BIG_ROWS.
#   e) CPU-seconds (user+sys) per million rows, ours and the baselines: the client processes as
#      /usr/bin/time counts them, and the database servers' CPU in the same window (read from /proc;
#      it includes whatever else the shared servers did meanwhile).
# Every result is checked (row counts and an aggregate fingerprint against the source), and the script
# fails when a check fails. Goals print PASS/FAIL; with GOALS=0 (the small CI run) they print "-".
#
# Environment: ROWS (2000000), RUNS (3), BIG_ROWS (0 = skip d at the large scale), BIG_MERGE (1: the
# merge too at BIG_ROWS, the slowest step; 0 measures only a and b there), GOALS (1),
# VERIFY (the config's verify, default "count" as a pipeline gets it), TEST_DATABASE_URL (the
# PostgreSQL admin URL), MYSQL_HOST/MYSQL_PORT/MYSQL_USER (127.0.0.1/3306/root), BIN (a prebuilt
# datanika binary; default: go build). Old form still works: bench.sh [rows] [runs] [admin URL].
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-${ROWS:-2000000}}"
RUNS="${2:-${RUNS:-3}}"
ADMIN_URL="${3:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}"
BIG_ROWS="${BIG_ROWS:-0}"
BIG_MERGE="${BIG_MERGE:-1}"
GOALS="${GOALS:-1}"
VERIFY="${VERIFY:-count}"
MY_HOST="${MYSQL_HOST:-127.0.0.1}" MY_PORT="${MYSQL_PORT:-3306}" MY_USER="${MYSQL_USER:-root}"
export PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
WORK="$(mktemp -d)"
DB="dnk_test_loadbench_$$"
MYDB="dnk_loadbench_$$"
MY=(mariadb -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER")
cleanup() {
  psql "$ADMIN_URL" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  "${MY[@]}" -e "drop database if exists $MYDB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench-load: $*" >&2; exit 1; }
for c in psql mariadb bc pgrep /usr/bin/time; do
  command -v "$c" >/dev/null || die "needs $c (Debian: postgresql-client, mariadb-client, bc, procps, time)"
done

if [ -n "${BIN:-}" ]; then cp "$BIN" "$WORK/datanika"; else go build -o "$WORK/datanika" ./cmd/datanika; fi
psql "$ADMIN_URL" -qc "create database $DB" >/dev/null
URL="${ADMIN_URL%/*}/$DB?sslmode=disable"
MYURL="mysql://$MY_USER@$MY_HOST:$MY_PORT/$MYDB"
"${MY[@]}" -e "create database $MYDB"
MYQ=("${MY[@]}" --init-command="set time_zone = '+00:00'" "$MYDB")
q() { psql "$URL" -XAtqc "$1"; }

# make_sources N: src.t (PostgreSQL) and t (MariaDB) with the same N rows, src2.t the merge input
# (N rows: ids N/20+1 … N+N/20, so 5 % are new; about 10 % of the others changed).
make_sources() {
  local n=$1 new=$(( $1 / 20 ))
  psql "$URL" -Xq <<SQL >/dev/null
drop schema if exists src cascade; drop schema if exists src2 cascade;
create schema src; create schema src2;
create table src.t (id bigint primary key, name text, amount numeric(12,2), updated_at timestamptz, flag bool);
insert into src.t select g, 'customer ' || (g % 1000), (g % 100000) / 100.0, timestamptz '2024-01-01Z' + g * interval '1 second', g % 2 = 0
from generate_series(1, $n) g;
create table src2.t (like src.t including all);
insert into src2.t select g, 'customer ' || (g % 1000) || case when changed then ' v2' else '' end,
  (g % 100000) / 100.0 + case when changed then 1 else 0 end,
  timestamptz '2024-01-01Z' + g * interval '1 second' + case when changed then interval '1 day' else interval '0' end,
  (g % 2 = 0) <> changed
from generate_series($new + 1, $n + $new) g, lateral (select g <= $n and (g % 10 = 0 or g % 200 = 1) as changed) c;
vacuum analyze src.t; vacuum analyze src2.t;
SQL
  "${MYQ[@]}" -e "drop table if exists t;
create table t (id bigint primary key, name text, amount decimal(12,2), updated_at timestamp null, flag tinyint(1)) character set utf8mb4;
insert into t select seq, concat('customer ', seq % 1000), (seq % 100000) / 100, timestamp '2024-01-01 00:00:00' + interval seq second, seq % 2 = 0
from seq_1_to_$n;
analyze table t;" >/dev/null
}

# fingerprint RELATION: what must match between a source and what was loaded.
fingerprint() {
  q "select count(*), sum(id), sum(amount), sum(length(name)), count(*) filter (where flag), min(updated_at), max(updated_at),
     count(*) filter (where name like '% v2') from $1"
}
has_pk() { [ "$(q "select count(*) from pg_constraint where conrelid = '$1'::regclass and contype = 'p'")" = 1 ] || die "$1 has no primary key"; }
check() { # check WHAT GOT WANT
  [ "$2" = "$3" ] || die "$1: loaded data differs from the source: got [$2], want [$3]"
}

# Server CPU (ticks): every postgres process's utime+stime plus the postmaster's reaped children
# (backends that ended), and mariadbd's. Exact for work done in the window, but it includes other
# clients of the same servers.
CLK=$(getconf CLK_TCK)
server_ticks() {
  local total=0 pm pid
  pm=$(pgrep -o -x postgres || true)
  for pid in $(pgrep -x postgres) $(pgrep -x mariadbd) $(pgrep -x mysqld); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(( total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
  done
  if [ -n "$pm" ] && [ -r "/proc/$pm/stat" ]; then
    total=$(( total + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$pm/stat") ))
  fi
  echo "$total"
}

# timed NAME CMD…: runs CMD under /usr/bin/time, appends "wall user+sys rssKB serverCPU" to NAME.txt.
timed() {
  local name=$1; shift
  local before after
  q "checkpoint" >/dev/null
  before=$(server_ticks)
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/out" "$WORK/err" >&2; die "$name failed"; }
  after=$(server_ticks)
  read -r wall usr sys rss <"$WORK/time"
  echo "$wall $(echo "$usr + $sys" | bc) $rss $(echo "scale=2; ($after - $before) / $CLK" | bc)" >>"$WORK/$name.txt"
  printf "    %-28s %7.2f s wall, %6.2f s CPU, server %6.2f s CPU, peak RSS %4d MB\n" "$name" "$wall" \
    "$(echo "$usr + $sys" | bc)" "$(echo "scale=2; ($after - $before) / $CLK" | bc)" $(( rss / 1024 ))
}

LOAD=("$WORK/datanika" load --destination "$URL")
CFG_A='{"mode": "single_table", "table": "src.t", "write_disposition": "replace", "verify": "'$VERIFY'"}'
CFG_B='{"mode": "single_table", "table": "t", "write_disposition": "replace", "verify": "'$VERIFY'"}'
CFG_C='{"mode": "single_table", "table": "src2.t", "write_disposition": "merge", "primary_key": ["id"], "verify": "'$VERIFY'"}'
SELECT_B="select id, name, amount, updated_at, flag from t"
# The baselines, as scripts so that /usr/bin/time counts every process of the pipeline.
cat >"$WORK/base_a.sh" <<SH
psql "$URL" -Xqc "copy src.t to stdout (format binary)" | psql "$URL" -Xqc "copy base.t from stdin (format binary)"
psql "$URL" -Xqc "alter table base.t add primary key (id)"
SH
cat >"$WORK/base_b.sh" <<SH
mariadb -h $MY_HOST -P $MY_PORT -u $MY_USER --init-command="set time_zone = '+00:00'" $MYDB --quick --batch -N -e "$SELECT_B" |
  psql "$URL" -Xqc "copy base_my.t from stdin"
psql "$URL" -Xqc "alter table base_my.t add primary key (id)"
SH
fresh_baselines() {
  psql "$URL" -Xq -c "drop schema if exists base cascade" -c "drop schema if exists base_my cascade" \
    -c "create schema base" -c "create schema base_my" \
    -c "create table base.t (id bigint, name text, amount numeric(12,2), updated_at timestamptz, flag bool)" \
    -c "create table base_my.t (like base.t)" >/dev/null
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load engine benchmarks: $ROWS rows, $RUNS runs (baseline and ours interleaved), verify=$VERIFY, $(nproc) cores, load average $(loadavg)"
echo "  generating the sources…"
make_sources "$ROWS"
WANT_SRC=$(fingerprint src.t)
WANT_MERGE=$(fingerprint "(select * from src.t s where not exists (select from src2.t n where n.id = s.id) union all select * from src2.t) m")
echo "  merge input: $(q "select count(*) filter (where id > $ROWS), count(*) filter (where name like '% v2') from src2.t" | tr '|' ' ' |
  awk '{printf "%d new, %d changed", $1, $2}') of $ROWS rows"

for run in $(seq "$RUNS"); do
  echo "  run $run (load average $(loadavg))"
  fresh_baselines
  timed a_baseline bash -eo pipefail "$WORK/base_a.sh"
  check "a baseline" "$(fingerprint base.t)" "$WANT_SRC"
  timed a_datanika "${LOAD[@]}" --name bench --source "$URL" --destination-schema raw --config "$CFG_A"
  check "a (replace)" "$(fingerprint raw.t)" "$WANT_SRC"; has_pk raw.t
  timed c_datanika "${LOAD[@]}" --name bench_merge --source "$URL" --destination-schema raw --config "$CFG_C"
  check "c (merge)" "$(fingerprint raw.t)" "$WANT_MERGE"; has_pk raw.t
  timed b_baseline bash -eo pipefail "$WORK/base_b.sh"
  check "b baseline" "$(fingerprint base_my.t)" "$WANT_SRC"
  timed b_datanika "${LOAD[@]}" --name bench_mariadb --source "$MYURL" --destination-schema raw_my --config "$CFG_B"
  check "b (MariaDB replace)" "$(fingerprint raw_my.t)" "$WANT_SRC"; has_pk raw_my.t
done
LOAD_END=$(loadavg)

if [ "$BIG_ROWS" -gt 0 ]; then
  echo "  d at $BIG_ROWS rows: generating the sources… (load average $(loadavg))"
  make_sources "$BIG_ROWS"
  WANT_BIG=$(fingerprint src.t)
  timed a_big "${LOAD[@]}" --name bench --source "$URL" --destination-schema raw --config "$CFG_A"
  check "a at $BIG_ROWS" "$(fingerprint raw.t)" "$WANT_BIG"
  timed b_big "${LOAD[@]}" --name bench_mariadb --source "$MYURL" --destination-schema raw_my --config "$CFG_B"
  check "b at $BIG_ROWS" "$(fingerprint raw_my.t)" "$WANT_BIG"
  if [ "$BIG_MERGE" = 1 ]; then
    timed c_big "${LOAD[@]}" --name bench_merge --source "$URL" --destination-schema raw --config "$CFG_C"
  fi
fi

# stats FILE FIELD: "median min max" of a column.
stats() { cut -d' ' -f"$2" "$WORK/$1.txt" | sort -n | awk '{a[NR]=$1} END {printf "%s %s %s", a[int((NR+1)/2)], a[1], a[NR]}'; }
med() { stats "$1" "$2" | cut -d' ' -f1; }
verdict() { # verdict VALUE LIMIT
  if [ "$GOALS" != 1 ]; then echo "-"; elif [ "$(echo "$1 <= $2" | bc)" = 1 ]; then echo "PASS"; else echo "FAIL"; fi
}
ratio() { echo "scale=3; $1 / $2" | bc | awk '{printf "%.2f", $1}'; }
permrow() { echo "scale=3; $1 * 1000000 / $ROWS" | bc | awk '{printf "%.2f", $1}'; }

echo
echo "results: $ROWS rows, median of $RUNS (min-max), load average at the end $LOAD_END"
printf "%-34s %-22s %-12s %-12s %-9s\n" "measure" "wall s (min-max)" "CPU s/M rows" "server s/M" "peak RSS"
for n in a_baseline a_datanika b_baseline b_datanika c_datanika; do
  read -r m lo hi <<<"$(stats $n 1)"
  printf "%-34s %-22s %-12s %-12s %4d MB\n" "$n" "$m ($lo-$hi)" "$(permrow "$(med $n 2)")" "$(permrow "$(med $n 4)")" $(( $(med $n 3) / 1024 ))
done
ra=$(ratio "$(med a_datanika 1)" "$(med a_baseline 1)")
rb=$(ratio "$(med b_datanika 1)" "$(med b_baseline 1)")
rc=$(ratio "$(med c_datanika 1)" "$(med a_datanika 1)")
rss=$(for n in a_datanika b_datanika c_datanika; do med $n 3; done | sort -n | tail -1)
echo
printf "%-60s %-8s %s\n" "goal" "figure" "verdict"
printf "%-60s %-8s %s\n" "a) PG->PG replace vs psql binary COPY + PK, goal <= 1.1x" "${ra}x" "$(verdict "$ra" 1.1)"
printf "%-60s %-8s %s\n" "b) MariaDB->PG replace vs mariadb | psql COPY + PK, goal <= 1.1x" "${rb}x" "$(verdict "$rb" 1.1)"
printf "%-60s %-8s %s\n" "c) merge (10 % changed, 5 % new) vs ours of (a), goal <= 2x" "${rc}x" "$(verdict "$rc" 2)"
printf "%-60s %-8s %s\n" "d) peak RSS of the load process at $ROWS rows, goal <= 200 MB" "$(( rss / 1024 )) MB" "$(verdict $(( rss / 1024 )) 200)"
if [ "$BIG_ROWS" -gt 0 ]; then
  bigs=(a_big b_big); [ "$BIG_MERGE" = 1 ] && bigs+=(c_big)
  big=$(for n in "${bigs[@]}"; do cut -d' ' -f3 "$WORK/$n.txt"; done | sort -n | tail -1)
  printf "    %-30s %s\n" "at $BIG_ROWS rows (one run):" "$(for n in "${bigs[@]}"; do printf "%s %s s %d MB; " "${n%_big}" "$(cut -d' ' -f1 "$WORK/$n.txt")" $(( $(cut -d' ' -f3 "$WORK/$n.txt") / 1024 )); done)"
  rr=$(ratio "$big" "$rss")
  printf "%-60s %-8s %s\n" "d) peak RSS at $BIG_ROWS rows within 20 % of $ROWS rows" "${rr}x" "$(verdict "$rr" 1.2)"
fi
echo "e) CPU-seconds per million rows: the columns above (client = /usr/bin/time user+sys; server = PostgreSQL + MariaDB)"
echo "load average at the end: $(loadavg)"
