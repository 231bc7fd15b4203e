#!/usr/bin/env bash
# The single-threaded fallback build (trunk post_build hook): the same app
# without atomics or shared memory, for pages that are not cross-origin
# isolated. Written to <dist>/st/ and picked by www/boot.js.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
OUT="${TRUNK_STAGING_DIR:-dist}/st"
PROFILE_DIR=release
# RUSTFLAGS replaces the thread flags of .cargo/config.toml; std is not rebuilt.
env -u CARGO_UNSTABLE_BUILD_STD RUSTFLAGS="-C target-feature=+bulk-memory,+mutable-globals,+simd128" \
  cargo build --release --locked --offline --target wasm32-unknown-unknown --bin technic-web --target-dir target/st
mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --out-dir "$OUT" --out-name technic-web \
  "target/st/wasm32-unknown-unknown/$PROFILE_DIR/technic-web.wasm"
wasm-opt -O3 --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-simd "$OUT/technic-web_bg.wasm" -o "$OUT/technic-web_bg.wasm"
