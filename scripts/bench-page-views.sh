#!/usr/bin/env bash
# The request every page view of every customer site makes: GET /api/v1/sites/{key}/config,
# measured with wrk against a release build on loopback beside /healthz and /w.js in the same
# run, on SQLite and PostgreSQL. Target: config at >= 50 % of /healthz's requests/s. Each run
# also checks that every answer was a 200.
# Usage: scripts/bench-page-views.sh   (BENCH_SECONDS=10 BENCH_CONNECTIONS=64)
set -euo pipefail
cd "$(dirname "$0")/.."
load=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p server --bin farewell
bin=target/release/farewell
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/pg/PG_VERSION" ]; then $as_pg pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
pgbin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as_pg=""
if [ "$(id -u)" = 0 ]; then as_pg="setpriv --reuid=postgres --regid=postgres --init-groups env PATH=$pgbin:$PATH"; chmod 755 "$work"; fi
export PATH="$pgbin:$PATH"

run_wrk() { # base-url path -> RESULT line
  # Two seconds first, not counted: the measured run is the steady state, not the first
  # requests of a fresh cache (64 at once rendering the same configuration).
  PATH_TO_GET=$2 LOAD_SECONDS=2 wrk -t2 -c"$conns" -d3s --timeout 10s -s scripts/bench/page_view.lua "$1" >/dev/null
  PATH_TO_GET=$2 LOAD_SECONDS=$load wrk -t2 -c"$conns" -d"$((load + 2))s" --timeout 10s -s scripts/bench/page_view.lua "$1" | grep '^RESULT'
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

printf '%-9s %-30s %9s %8s %8s %9s\n' backend endpoint req/s "p50 ms" "p99 ms" "non-200"
for backend in sqlite postgres; do
  if [ $backend = sqlite ]; then
    url="sqlite://$work/bench.db"
  else
    pg_port=$(free_port)
    mkdir -p "$work/pg" && chown -R postgres "$work/pg" 2>/dev/null || true
    $as_pg initdb -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
    $as_pg pg_ctl -D "$work/pg" -l "$work/pg/log" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    url="postgres://postgres@127.0.0.1:$pg_port/postgres"
  fi
  site=$(DATABASE_URL=$url $bin demo --json --password "benchmark password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
  port=$(free_port)
  DATABASE_URL=$url RUST_LOG=warn $bin --addr "127.0.0.1:$port" serve & pids+=($!)
  wait_port "$port"
  declare -A rps=()
  for endpoint in /healthz /w.js "/api/v1/sites/$site/config?lang=en"; do
    line=$(run_wrk "http://127.0.0.1:$port" "$endpoint")
    name=${endpoint/$site/\{key\}}
    rps[$name]=$(field rps "$line")
    printf '%-9s %-30s %9s %8s %8s %9s\n' $backend "$name" "$(field rps "$line")" "$(field p50 "$line")" "$(field p99 "$line")" "$(field other "$line")"
  done
  config_rps=${rps["/api/v1/sites/{key}/config?lang=en"]}
  printf '%-9s config/healthz %13s%%   (target >= 50 %%)\n' $backend "$(( 100 * config_rps / ${rps[/healthz]} ))"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done
