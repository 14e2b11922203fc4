#!/usr/bin/env bash
# Builds the server binary and the browser bundle into target/site, the way cargo-leptos would,
# with tools that install in minutes (see README: "Why a script and not cargo-leptos").
# Usage: scripts/build.sh [--release] [--no-server]
#   --no-server: only the browser bundles and the site. scripts/test.sh uses it: `cargo test`
#   builds the server itself, with the test build's features, so a separate build here would
#   compile a second copy of every dependency whose features differ (time and gigabytes).
set -euo pipefail
cd "$(dirname "$0")/.."
profile_flag= build_server=1
for arg in "$@"; do
  case $arg in
    --release) profile_flag=--release ;;
    --no-server) build_server= ;;
    *) echo "build: unknown option $arg" >&2; exit 2 ;;
  esac
done

site=target/site
pkg=$site/pkg
wasm_out=target/wasm32-unknown-unknown/wasm-release/frontend.wasm

if [ -n "$build_server" ]; then
  echo "build: server"
  cargo build --quiet -p server $profile_flag
fi

site_root_files() {
  mkdir -p "$pkg"
  # Comments and layout whitespace dropped (cargo-leptos minifies too): every member's first
  # visit carries this file. No rule holds a string with these characters in it.
  perl -0pe 's{/\*.*?\*/}{}gs; s/^\s+//mg; s/\s*([{};,>])\s*/$1/g' style/main.css > "$pkg/farewell.css"
  if [ -d public ]; then cp -r public/. "$site/"; fi
}

bin_dir=target/debug
[ -n "$profile_flag" ] && bin_dir=target/release
mkdir -p "$bin_dir"
hash_of() { sha256sum "$1" | cut -c1-16; }
mkdir -p "$pkg"
rm -f "$pkg"/farewell*.js "$pkg"/farewell*.wasm "$pkg"/farewell*.css "$pkg"/*.br "$pkg"/*.gz

# One members' bundle in two (app/src/bundles.rs): `farewell` hydrates sign-in, overview and
# site dashboard; `farewell-admin` the administration pages. Each is named by its content
# hash, cargo-leptos's `hash-files` convention (farewell.<hash>.js and .wasm), and listed in its
# hash file beside the server binary, where Leptos reads it: browsers may keep these files for a
# year, since a new build is a new name.
bundle() { # output name, frontend feature, hash file
  local name=$1 feature=$2 hash_file=$3
  echo "build: browser bundle $name (wasm)"
  if [ -f target/.wasm-via-debian ]; then
    RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build --quiet -p frontend --lib --features "$feature" \
      --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort
  else
    cargo build --quiet -p frontend --lib --features "$feature" --target wasm32-unknown-unknown --profile wasm-release
  fi
  # wasm-bindgen and wasm-opt take minutes; when the compiled wasm is the one optimised last
  # time (only CSS or server code changed), the optimised files are reused.
  local cache=target/wasm-opt-cache/$name source_hash
  source_hash=$(sha256sum "$wasm_out" | cut -c1-32)
  if [ -f "$cache/$source_hash.wasm" ] && [ -f "$cache/$source_hash.js" ]; then
    echo "build: $name unchanged, reusing its optimised bundle"
    cp "$cache/$source_hash.wasm" "$pkg/${name}_bg.wasm"
    cp "$cache/$source_hash.js" "$pkg/$name.js"
  else
    wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$name" "$wasm_out"
    # --converge repeats the passes while they still shrink the file, and the two merges fold
    # look-alike functions (Leptos's views are many): 2 KB less brotli on the members' bundle,
    # for about half a minute more.
    end2end/node_modules/.bin/wasm-opt -Oz --converge --merge-similar-functions \
      --duplicate-function-elimination \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$pkg/${name}_bg.wasm" -o "$pkg/${name}_bg.wasm"
    # The glue script minified, as cargo-leptos does in release: 1.7 KB less brotli on every
    # member's first visit. Its exports and the wasm's import names are kept (property names).
    end2end/node_modules/.bin/terser "$pkg/$name.js" --module --compress --mangle \
      --output "$pkg/$name.min.js"
    mv "$pkg/$name.min.js" "$pkg/$name.js"
    rm -rf "$cache" && mkdir -p "$cache"
    cp "$pkg/${name}_bg.wasm" "$cache/$source_hash.wasm"
    cp "$pkg/$name.js" "$cache/$source_hash.js"
  fi
  local js_hash wasm_hash
  js_hash=$(hash_of "$pkg/$name.js")
  wasm_hash=$(hash_of "$pkg/${name}_bg.wasm")
  mv "$pkg/$name.js" "$pkg/$name.$js_hash.js"
  mv "$pkg/${name}_bg.wasm" "$pkg/$name.$wasm_hash.wasm"
  printf 'js: %s\nwasm: %s\n' "$js_hash" "$wasm_hash" > "$bin_dir/$hash_file"
  echo "build: $name: wasm $(stat -c %s "$pkg/$name.$wasm_hash.wasm") bytes"
}
bundle farewell-admin admin-bundle hash-admin.txt
bundle farewell members-bundle hash.txt
cp "$bin_dir/hash-admin.txt" "$pkg/hash-admin.txt"

site_root_files
css_hash=$(hash_of "$pkg/farewell.css")
mv "$pkg/farewell.css" "$pkg/farewell.$css_hash.css"
printf 'css: %s\n' "$css_hash" >> "$bin_dir/hash.txt"
cp "$bin_dir/hash.txt" "$pkg/hash.txt"
wasm_hash=$(sed -n 's/^wasm: //p' "$bin_dir/hash.txt")

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
