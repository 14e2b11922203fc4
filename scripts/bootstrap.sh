#!/usr/bin/env bash
# Installs what building and testing Farewell needs on a fresh Debian 12 machine, and nothing
# when it is all there already. Usage: scripts/bootstrap.sh [build|test]
#   build: the wasm target, wasm-bindgen-cli (the exact version in Cargo.lock), wasm-opt
#   test:  all of build, plus Chromium, playwright-core and a PostgreSQL server
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}

say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. The wasm32 target. rustup's is preferred; without it, Debian's rustc-web builds std itself.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  :
elif command -v rustup >/dev/null && rustup target add wasm32-unknown-unknown; then
  :
else
  say "rustup could not add wasm32; using Debian's rustc-web with -Zbuild-std"
  apt_install rustc-web cargo-web rust-web-src lld-22
  touch target/.wasm-via-debian 2>/dev/null || { mkdir -p target && touch target/.wasm-via-debian; }
fi

# 2. wasm-bindgen-cli must match the wasm-bindgen crate exactly.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (about 3 minutes)"
  cargo install --quiet wasm-bindgen-cli --version "$want" --locked \
    || cargo install --quiet wasm-bindgen-cli --version "$want"
fi

# 3. npm packages: wasm-opt (binaryen 132: Debian's v108 breaks hydration), terser (the glue
#    script minified) and playwright-core.
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -x end2end/node_modules/.bin/terser ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

[ "$what" = build ] && exit 0

# 4. Test-only: a browser and a PostgreSQL server for the harness to start.
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium"
  apt_install chromium
fi
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing postgresql"
  apt_install postgresql
fi
