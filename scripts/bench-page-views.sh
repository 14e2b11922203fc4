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
source scripts/bench/common.sh

run_wrk() { # base-url path -> RESULT line
  # Two seconds first, not counted: the measured run is the steady state, not the first
  # requests of a fresh cache (64 at once rendering the same configuration).
  PATH_TO_GET=$2 LOAD_SECONDS=2 wrk -t2 -c"$conns" -d3s --timeout 10s -s scripts/bench/page_view.lua "$1" >/dev/null
  PATH_TO_GET=$2 LOAD_SECONDS=$load wrk -t2 -c"$conns" -d"$((load + 2))s" --timeout 10s -s scripts/bench/page_view.lua "$1" | grep '^RESULT'
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

printf '%-9s %-30s %9s %8s %8s %9s\n' backend endpoint req/s "p50 ms" "p99 ms" "non-200"
for backend in sqlite postgres; do
  url=$(database_url $backend)
  site=$(DATABASE_URL=$url $bin demo --json --password "benchmark password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
  port=$(free_port)
  DATABASE_URL=$url RUST_LOG=warn $bin serve --addr "127.0.0.1:$port" & pids+=($!)
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
