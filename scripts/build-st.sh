#!/usr/bin/env bash
# The single-threaded fallback build (trunk post_build hook): the same app
# without atomics or shared memory, for pages that are not cross-origin
# isolated. Written to <dist>/st/ under versioned names (a hash of their
# content, like Trunk's own files, so a long-lived cache never serves an old
# one), which it writes into index.html's #technic-boot block for www/boot.js.
# Then writes the service worker's precache list again (scripts/precache.mjs),
# so that it names the st/ files too.
#   TECHNIC_ST_TIME_FILE=F  write this step's duration in seconds to F (test.sh)
#   TECHNIC_ST_SITE=DIR     complete the site in DIR instead of dist/ (test.sh
#                           builds into a copy while tests serve dist/)
#   TECHNIC_ST=later        do nothing now (as Trunk's hook): test.sh runs this
#                           script itself afterwards, on dist/, beside the tests
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TECHNIC_ST:-}" = later ] && [ -n "${TRUNK_STAGING_DIR:-}" ]; then
  echo "single-threaded build: later (TECHNIC_ST=later)"
  exit 0
fi
source scripts/env.sh
start=$(date +%s)
STAGE="${TRUNK_STAGING_DIR:-${TECHNIC_ST_SITE:-dist}}"
OUT="$STAGE/st"
# The target directory the threaded build used: the host tools (build scripts,
# proc-macros) are shared. The crates are built again without atomics, beside
# (not over) the threaded ones: RUSTFLAGS carries this build's target features,
# and cargo_outside (scripts/env.sh) leaves .cargo/config.toml out, so neither
# its thread flags nor its build-std apply: this build links the prebuilt
# wasm32 std, which has no atomics, as a single-threaded module wants (before,
# std was compiled again here too: ~50 s of CPU).
TARGET_DIR="${CARGO_TARGET_DIR:-$TECHNIC_ROOT/target}"
#
# Same profile as the threaded build (release: no LTO, 4 codegen units).
# Cheaper code generation was measured and dropped: 16 codegen units and
# opt-level 2 (as RUSTFLAGS) saved about 100 s of CI but made the page's
# scan 1.7x slower (compute 321 vs 185 ms, synthetic-5000, same run);
# CARGO_PROFILE_* variables also rebuilt every host tool.
# Without clippy's wrapper (test.sh lints the threaded build, the same code):
# this build shares nothing with the others, so linting it again only costs.
(
  unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
  RUSTFLAGS="$TECHNIC_ST_RUSTFLAGS" \
    cargo_outside build --release --locked --offline --target wasm32-unknown-unknown --bin technic-web
)
WASM="$TARGET_DIR/wasm32-unknown-unknown/release/technic-web.wasm"
rm -rf "$OUT"
mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --out-dir "$OUT" --out-name technic-web "$WASM"
# -O1, as www/index.html asks Trunk for the threaded build: it does most of
# -O3's shrinking (6.5 → 3.0 MB; -O3 2.86 MB) in 18 s instead of 69 s, and
# the page's scan and backtest were no slower beyond the machine's noise
# (docs/ci-timings.md, 2026-12-02).
wasm-opt -O1 --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
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
node scripts/precache.mjs "$STAGE"
echo "single-threaded build: $OUT/technic-web-$hash.js ($(($(date +%s) - start)) s)"
if [ -n "${TECHNIC_ST_TIME_FILE:-}" ]; then
  echo "$(($(date +%s) - start))" > "$TECHNIC_ST_TIME_FILE"
fi
