#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests, integration tests on SQLite and on a
# PostgreSQL cluster the harness starts itself, and browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/bootstrap.sh test
scripts/build.sh

echo "test: unit, property and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --exclude frontend

echo "test: browser tests (Chromium)"
(cd end2end && node --test --test-concurrency=1 tests/)

echo "test: all passed in $(( $(date +%s) - started )) s"
