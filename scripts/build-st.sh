#!/usr/bin/env bash
# The single-threaded fallback build (trunk post_build hook): the same app
# without atomics or shared memory, for pages that are not cross-origin
# isolated. Written to <dist>/st/ under versioned names (a hash of their
# content, like Trunk's own files, so a long-lived cache never serves an old
# one), which it writes into index.html's #technic-boot block for www/boot.js.
#   TECHNIC_ST_TIME_FILE=F  write this step's duration in seconds to F (test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
start=$(date +%s)
STAGE="${TRUNK_STAGING_DIR:-dist}"
OUT="$STAGE/st"
# The target directory the threaded build used: the host tools (build scripts,
# proc-macros) are shared; RUSTFLAGS replaces the thread flags of
# .cargo/config.toml for wasm32 only, so std and the crates are built again
# without atomics, beside (not over) the threaded ones.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
#
# No LTO and more codegen units: this build compiles every crate again in
# each CI run, and so it takes about half the time; wasm-opt -O3 below still
# optimises the whole module (scan speed side by side: node
# scripts/bench-browser.mjs --only scan). Set through the environment rather
# than a profile of its own, so the host tools stay shared (a named profile
# builds them again in its own directory).
RUSTFLAGS="-C target-feature=+bulk-memory,+mutable-globals,+simd128" \
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo build --release --locked --offline --target wasm32-unknown-unknown --bin technic-web
WASM="$TARGET_DIR/wasm32-unknown-unknown/release/technic-web.wasm"
rm -rf "$OUT"
mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --out-dir "$OUT" --out-name technic-web "$WASM"
wasm-opt -O3 --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-simd "$OUT/technic-web_bg.wasm" -o "$OUT/technic-web_bg.wasm"

hash=$(cat "$OUT/technic-web.js" "$OUT/technic-web_bg.wasm" | sha256sum | cut -c1-16)
mv "$OUT/technic-web.js" "$OUT/technic-web-$hash.js"
mv "$OUT/technic-web_bg.wasm" "$OUT/technic-web-${hash}_bg.wasm"
html="$STAGE/index.html"
grep -q '"stJs": "st/technic-web.js"' "$html" || {
  echo "build-st.sh: $html has no #technic-boot block to complete (see Trunk.toml pattern_script)" >&2
  exit 1
}
sed -i -e "s|\"stJs\": \"st/technic-web.js\"|\"stJs\": \"st/technic-web-$hash.js\"|" \
  -e "s|\"stWasm\": \"st/technic-web_bg.wasm\"|\"stWasm\": \"st/technic-web-${hash}_bg.wasm\"|" "$html"
echo "single-threaded build: $OUT/technic-web-$hash.js ($(($(date +%s) - start)) s)"
if [ -n "${TECHNIC_ST_TIME_FILE:-}" ]; then
  echo "$(($(date +%s) - start))" > "$TECHNIC_ST_TIME_FILE"
fi
