#!/usr/bin/env bash
# The operator's drill of issue #15: restart the metadata PostgreSQL twice during a busy schedule
# of incremental appends, then check that every destination table holds each source row exactly
# once and that every run's status and row count match what its destination's record
# (<schema>._dnk_loads) says it published.
#
# The metadata database runs on a PostgreSQL cluster of its own that this script creates
# (initdb, a free port, under a temporary directory) so it can be restarted without touching the
# machine's server; the sources and the destination are databases of the local PostgreSQL
# (TEST_DATABASE_URL), another server, as in the probe that found the fault. The Go side
# (bench/drill/main.go) drives `datanika serve` through its API: PIPELINES pipelines, each
# triggered every INTERVAL while rows keep arriving in its source table, for DURATION; a
# `pg_ctl -m fast restart` at a third of it and a stop of OUTAGE seconds at two thirds.
# Environment: PIPELINES (6), DURATION (90s), INTERVAL (2s), OUTAGE (15), TEST_DATABASE_URL, BIN,
# PG_BIN (the directory of initdb and pg_ctl; found under /usr/lib/postgresql when unset).
# Must run as root or as a user initdb accepts (as root, the cluster runs as user postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/serve.sh
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
SERVER="$(echo "$ADMIN_URL" | sed -E 's#^(postgres(ql)?://[^/?]+).*#\1#')"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PG_BIN/initdb" ] || { echo "drill: no initdb (set PG_BIN)" >&2; exit 1; }
WORK="$(mktemp -d)"
chmod 755 "$WORK"
SRC="dnk_drill_src_$$"
DST="dnk_drill_dst_$$"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55439)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGOPTS="-p $PORT -k $WORK -c listen_addresses=127.0.0.1"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/meta" -m immediate stop >/dev/null 2>&1 || true
  for d in "$SRC" "$DST"; do psql "$ADMIN_URL" -qc "drop database if exists $d with (force)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; fi
as_pg "$PG_BIN/initdb" -D "$WORK/meta" -A trust -U postgres >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/meta" -o "$PGOPTS" -l "$WORK/meta.log" -w start >/dev/null
if [ -n "${BIN:-}" ]; then cp "$BIN" "$WORK/datanika"; else go build -tags minicore_disabled -o "$WORK/datanika" ./cmd/datanika; fi
for d in "$SRC" "$DST"; do psql "$ADMIN_URL" -qc "create database $d" >/dev/null; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/datanika?sslmode=disable"
"$WORK/datanika" migrate --create-database >/dev/null
serve_datanika drill "$WORK/datanika" "$WORK" "$SERVER"
echo "drill: $url, metadata PostgreSQL on port $PORT, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
PGCTL="$PG_BIN/pg_ctl -D $WORK/meta -l $WORK/meta.log -w"
if [ "$(id -u)" = 0 ]; then PGCTL="runuser -u postgres -- $PGCTL"; fi
status=0
go run ./bench/drill -api "$url" -source "$SERVER/$SRC" -destination "$SERVER/$DST" \
  -pipelines "${PIPELINES:-6}" -duration "${DURATION:-90s}" -interval "${INTERVAL:-2s}" -outage "${OUTAGE:-15}s" \
  -restart "$PGCTL -m fast restart -o '$PGOPTS'" -stop "$PGCTL -m fast stop" -start "$PGCTL start -o '$PGOPTS'" || status=$?
if [ "$status" != 0 ]; then echo "drill: server log (last 40 lines):" >&2; tail -n 40 "$WORK/log" >&2; fi
exit "$status"
