#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests, integration tests on SQLite and on a
# PostgreSQL cluster the harness starts itself, and browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/bootstrap.sh test
scripts/build.sh --no-server

echo "test: unit, property and integration tests (SQLite and PostgreSQL)"
# Bounded: a hung test fails the run (cargo also names tests running for over 60 s).
timeout 1200 cargo test --workspace --exclude frontend

echo "test: browser tests (Chromium), on the server binary cargo test built"
(cd end2end && timeout 900 node --test --test-concurrency=1 --test-timeout=240000 tests/)

echo "test: all passed in $(( $(date +%s) - started )) s"
