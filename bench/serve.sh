# Sourced by the bench scripts: start `datanika serve` for them.
#
# serve_datanika NAME BIN WORK SERVER [ENV=VALUE ...] starts BIN serve on a free loopback port
# with its data under WORK, its log in WORK/log, and the egress policy opened to the host of
# SERVER (the local PostgreSQL's URL, whose databases the pipelines read and write: the metadata
# database's server is closed to connections unless EGRESS_ALLOWLIST names it), plus the extra
# environment given; it waits until /readyz answers and sets pid and url. NAME prefixes errors.
serve_datanika() {
  local name=$1 bin=$2 work=$3 server=$4
  shift 4
  local db_host
  db_host=$(echo "$server" | sed -E 's#^postgres(ql)?://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\3#')
  env "$@" EGRESS_ALLOWLIST="${db_host:-127.0.0.1}" EGRESS_ALLOW_PRIVATE=true DATA_DIR="$work/data" \
    HTTP_ADDR=127.0.0.1:0 LOG_FORMAT=text LOG_LEVEL=info "$bin" serve >"$work/log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(sed -nE 's/.*msg="datanika is up" url=(http:\/\/[^ ]+).*/\1/p' "$work/log" | head -n 1)
    if [ -n "$url" ] && curl -fsS "$url/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; echo "$name: the server exited" >&2; exit 1; }
    sleep 0.1
  done
  cat "$work/log" >&2
  echo "$name: the server did not become ready" >&2
  exit 1
}
