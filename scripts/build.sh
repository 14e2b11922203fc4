#!/usr/bin/env bash
# Builds the server binary and the browser bundle into target/site, the way cargo-leptos would,
# with tools that install in minutes (see README: "Why a script and not cargo-leptos").
# Usage: scripts/build.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile_flag=
[ "${1:-}" = "--release" ] && profile_flag=--release

site=target/site
pkg=$site/pkg
wasm_out=target/wasm32-unknown-unknown/wasm-release/frontend.wasm

echo "build: server"
cargo build --quiet -p server $profile_flag

echo "build: browser bundle (wasm)"
if [ -f target/.wasm-via-debian ]; then
  RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build --quiet -p frontend --lib \
    --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort
else
  cargo build --quiet -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
fi

mkdir -p "$pkg"
# wasm-bindgen and wasm-opt take minutes; when the compiled wasm is the one optimised last time
# (only CSS or server code changed), the optimised files are reused.
cache=target/wasm-opt-cache
source_hash=$(sha256sum "$wasm_out" | cut -c1-32)
if [ -f "$cache/$source_hash.wasm" ] && [ -f "$cache/$source_hash.js" ]; then
  echo "build: wasm unchanged, reusing its optimised bundle"
  cp "$cache/$source_hash.wasm" "$pkg/farewell_bg.wasm"
  cp "$cache/$source_hash.js" "$pkg/farewell.js"
else
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name farewell "$wasm_out"
  end2end/node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$pkg/farewell_bg.wasm" -o "$pkg/farewell_bg.wasm"
  rm -rf "$cache" && mkdir -p "$cache"
  cp "$pkg/farewell_bg.wasm" "$cache/$source_hash.wasm"
  cp "$pkg/farewell.js" "$cache/$source_hash.js"
fi
cp style/main.css "$pkg/farewell.css"
if [ -d public ]; then cp -r public/. "$site/"; fi

# Content-hashed names, cargo-leptos's `hash-files` convention: farewell.<hash>.js, .wasm and
# .css, listed in hash.txt beside the server binary (where Leptos reads it). Browsers may then
# keep these files for a year: a new build is a new name.
rm -f "$pkg"/farewell.*.js "$pkg"/farewell.*.wasm "$pkg"/farewell.*.css "$pkg"/*.br "$pkg"/*.gz
hash_of() { sha256sum "$1" | cut -c1-16; }
js_hash=$(hash_of "$pkg/farewell.js")
wasm_hash=$(hash_of "$pkg/farewell_bg.wasm")
css_hash=$(hash_of "$pkg/farewell.css")
mv "$pkg/farewell.js" "$pkg/farewell.$js_hash.js"
mv "$pkg/farewell_bg.wasm" "$pkg/farewell.$wasm_hash.wasm"
mv "$pkg/farewell.css" "$pkg/farewell.$css_hash.css"
bin_dir=target/debug
[ -n "$profile_flag" ] && bin_dir=target/release
printf 'js: %s\nwasm: %s\ncss: %s\n' "$js_hash" "$wasm_hash" "$css_hash" | tee "$bin_dir/hash.txt" > "$pkg/hash.txt"

raw=$(stat -c %s "$pkg/farewell.$wasm_hash.wasm")
gz=$(gzip -9 -c "$pkg/farewell.$wasm_hash.wasm" | wc -c)
echo "build: done; wasm ${raw} bytes, ${gz} gzipped"

# Compress every text and wasm file of the site once, here, so the server only picks the
# encoding a browser asks for (brotli at its best, gzip at -9; node's zlib has both).
node -e '
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
for (const f of walk(process.argv[1])) {
  if (!/\.(js|wasm|css|svg|html|json|txt)$/.test(f)) continue;
  const raw = fs.readFileSync(f);
  fs.writeFileSync(f + ".br", zlib.brotliCompressSync(raw, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
  fs.writeFileSync(f + ".gz", zlib.gzipSync(raw, { level: 9 }));
}' "$site"
br=$(stat -c %s "$pkg/farewell.$wasm_hash.wasm.br")
echo "build: compressed; wasm ${br} bytes as brotli"
