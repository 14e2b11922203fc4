#!/usr/bin/env bash
# Ingest load benchmark with wrk (Debian) against a release build, on loopback, bounded in time.
# For SQLite and PostgreSQL it prints requests/s and p50/p99 latency of POST /api/v1/responses
# beside a bare axum JSON endpoint (server/examples/bare_json.rs) measured in the same run, and
# the answers acknowledged (201) beside the answers found in the database, which must be equal.
# It also prints the machine's busy CPU time per request (server, wrk and PostgreSQL together)
# and the request rate that CPU time allows when every core is busy.
# Usage: scripts/bench-ingest.sh   (BENCH_SECONDS=10 BENCH_CONNECTIONS=64; FAREWELL_BIN=path to
# measure another build, e.g. a copy made before a change, against the same bare endpoint)
set -euo pipefail
cd "$(dirname "$0")/.."
load=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p server --bin farewell --example bare_json
bin=${FAREWELL_BIN:-target/release/farewell}
source scripts/bench/common.sh

# Busy CPU time of the whole machine (server, wrk, PostgreSQL), in microseconds.
busy_us() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print ($2+$3+$4+$7+$8) * 1e6 / hz}' /proc/stat; }

run_wrk() { # url site -> RESULT line, plus cpu=<busy µs of the machine per request>
  local before after line
  before=$(busy_us)
  line=$(SITE_KEY=$2 LOAD_SECONDS=$load wrk -t2 -c"$conns" -d"$((load + 3))s" --timeout 10s -s scripts/bench/ingest.lua "$1" | grep '^RESULT')
  after=$(busy_us)
  python3 -c 'import re,sys; l=sys.argv[1]; n=sum(int(re.search(k+r"=(\d+)", l).group(1)) for k in ("created","repeated","other")); print(l, "cpu=%.0f" % ((float(sys.argv[3])-float(sys.argv[2]))/max(n,1)))' "$line" "$before" "$after"
}

bare_port=$(free_port)
target/release/examples/bare_json "127.0.0.1:$bare_port" & pids+=($!)
wait_port "$bare_port"

printf '%-9s %-15s %9s %8s %8s %9s %9s %11s\n' backend endpoint req/s "p50 ms" "p99 ms" acked stored "cpu µs/req"
for backend in sqlite postgres; do
  url=$(database_url $backend)
  site=$(DATABASE_URL=$url $bin demo --json --password "benchmark password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
  port=$(free_port)
  DATABASE_URL=$url RUST_LOG=warn FAREWELL_SITE_RATE=1e9 FAREWELL_CLIENT_RATE=1e9 FAREWELL_CLIENT_BURST=1e9 \
    $bin serve --addr "127.0.0.1:$port" & pids+=($!)
  wait_port "$port"

  bare=$(run_wrk "http://127.0.0.1:$bare_port" "$site")
  ingest=$(run_wrk "http://127.0.0.1:$port" "$site")
  if [ $backend = sqlite ]; then
    stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from responses').fetchone()[0])" "$work/bench.db")
  else
    stored=$(psql "$url" -tAc 'select count(*) from responses')
  fi
  field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
  printf '%-9s %-15s %9s %8s %8s %9s %9s %11s\n' $backend "bare axum JSON" "$(field rps "$bare")" "$(field p50 "$bare")" "$(field p99 "$bare")" - - "$(field cpu "$bare")"
  printf '%-9s %-15s %9s %8s %8s %9s %9s %11s\n' $backend ingest "$(field rps "$ingest")" "$(field p50 "$ingest")" "$(field p99 "$ingest")" "$(field created "$ingest")" "$stored" "$(field cpu "$ingest")"
  ratio=$(( 100 * $(field rps "$ingest") / $(field rps "$bare") ))
  verdict=$([ "$(field created "$ingest")" = "$stored" ] && [ "$(field other "$ingest")" = 0 ] && echo yes || echo NO)
  printf '%-9s ingest/bare     %8s%%   acked == stored, no errors: %s\n' $backend "$ratio" "$verdict"
  # Even with no waiting anywhere, the machine cannot serve more than its cores' time allows.
  ceiling=$(( $(nproc) * 1000000 / $(field cpu "$ingest") ))
  printf '%-9s cpu ceiling     %8s req/s (%s%% of bare): all %s cores busy at the cpu per request above\n' \
    $backend "$ceiling" "$(( 100 * ceiling / $(field rps "$bare") ))" "$(nproc)"
done
