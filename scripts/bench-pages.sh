#!/usr/bin/env bash
# Page benchmark: bytes over the wire and time to usable for the hosted survey, login,
# overview, site dashboard and admin, cold and warm, on a slow mobile link (150 ms, 1.6 Mbps)
# and unthrottled, in Debian's Chromium driven over CDP. Prints figures; asserts nothing.
# Usage: scripts/bench-pages.sh   (builds the release server and bundle first)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --release
FAREWELL_BIN=target/release/farewell node end2end/bench/pages.mjs
