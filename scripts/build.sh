#!/usr/bin/env bash
# Builds the static site into dist/ (threaded app, plus the single-threaded
# fallback in dist/st/ through Trunk's post_build hook) and the service
# worker's precache list (scripts/precache.mjs, after both; build-st.sh writes
# it again when it runs later), installing whatever is missing first. dist/ is
# what a static host serves; see README for headers.
# Usage: scripts/build.sh [trunk build options…]
#   TECHNIC_SKIP_SETUP=1  skip scripts/setup.sh (test.sh has just run it)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${TECHNIC_SKIP_SETUP:-0}" != 1 ]; then
  scripts/setup.sh --no-browser
fi

source scripts/env.sh

# --target: with it, cargo fetch also downloads the crates std's build-std
# compiles for wasm32 (dlmalloc, …), which Trunk's offline cargo build needs;
# without it a fresh machine's first build fails "failed to download dlmalloc".
printf '==> %s\n' "cargo fetch --locked --target wasm32-unknown-unknown"
cargo fetch --locked --target wasm32-unknown-unknown
printf '==> %s\n' "trunk build (dist/, then dist/st/)"
trunk build "$@"
if [ "${TECHNIC_ST:-}" = later ]; then
  # test.sh builds dist/st/ itself (scripts/build-st.sh), beside its tests.
  test -f dist/index.html || { echo "trunk build finished without dist/index.html" >&2; exit 1; }
else
  test -f dist/index.html && compgen -G 'dist/st/technic-web-*.js' >/dev/null || {
    echo "trunk build finished without dist/index.html or dist/st/technic-web-<hash>.js" >&2
    exit 1
  }
fi
printf '==> %s\n' "precache list (dist/coi-sw.js)"
node scripts/precache.mjs dist
echo "built dist/ ($(du -sh dist | cut -f1))"
