#!/usr/bin/env bash
# Builds and runs Farewell on http://127.0.0.1:3000 with an embedded SQLite file (farewell.db),
# and a two-page demo shop that embeds it on http://localhost:8080 (the origin the demo site
# allows). The first run also creates the demo organisation and prints how to sign in.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh build
scripts/build.sh

export DATABASE_URL=${DATABASE_URL:-sqlite://farewell.db}
export LEPTOS_SITE_ROOT=target/site
bin=target/debug/farewell
if [ "$DATABASE_URL" = sqlite://farewell.db ] && [ ! -f farewell.db ]; then
  "$bin" demo --password "${FAREWELL_DEMO_PASSWORD:-farewell-demo}" --responses 20000 > target/demo.txt
fi
site_key=$(sed -n 's|^  Survey: */s/||p' target/demo.txt 2>/dev/null || true)
shop=
if [ -n "$site_key" ]; then
  FAREWELL_URL=http://127.0.0.1:3000 FAREWELL_SITE_KEY=$site_key node scripts/demo-shop/serve.mjs 8080 &
  shop=$!
  trap 'kill $shop 2>/dev/null' EXIT
fi
cat <<MSG

  Farewell is starting on http://127.0.0.1:3000

  Dashboard:  http://127.0.0.1:3000/dashboard
$(sed -n 's/^  Sign in: */  Sign in:    /p; s/^  Survey: *\(.*\)/  Survey:     http:\/\/127.0.0.1:3000\1/p; s/^  API token: */  API token:  /p' target/demo.txt 2>/dev/null)
${shop:+  Demo shop:  http://localhost:8080/  (arm the survey, leave, answer; then see it on the dashboard)}

MSG
"$bin" serve
