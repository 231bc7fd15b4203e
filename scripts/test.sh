#!/usr/bin/env bash
# Installs whatever is missing, then runs every test: formatting, lints, the
# native unit and integration tests (indicator oracles against ta-lib, golden
# Technic values, scan language, CSV input, scan run, CLI), then the browser
# side: wasm lints, the wasm-bindgen tests in headless Chromium (IndexedDB
# store, worker pool), the Trunk build, and the end-to-end tests against dist/.
# Usage: scripts/test.sh [--native-only]   (CI: .ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain (the nightly pinned in rust-toolchain.toml; rustup does not auto-install here)"
if ! command -v rustup >/dev/null 2>&1; then
  echo "rustup not found: install Rust with rustup (https://rustup.rs) and rerun" >&2
  exit 1
fi
scripts/setup.sh --rust-only
cargo --version

step "sample data (www/data, from the bokeh-sampledata PyPI package)"
if [ ! -f www/data/AAPL.csv ] || [ ! -f www/data/universe.json ]; then
  python3 scripts/fetch-sample-data.py
fi

step "golden fixture"
# ../shared beside the repository (CI), else $TECHNIC_SHARED, else /work/shared
# (the same order the golden test uses; a clone in a temporary folder has no ../shared).
SHARED="${TECHNIC_SHARED:-../shared}"
[ -f "$SHARED/fixtures/technic-golden.json" ] || SHARED=/work/shared
if [ ! -f "$SHARED/fixtures/technic-golden.json" ]; then
  echo "missing $SHARED/fixtures/technic-golden.json (the shared/ folder beside the repo, or set TECHNIC_SHARED)" >&2
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test (unit, integration, CLI, doc)"
cargo test --locked

if [ "${1:-}" = "--native-only" ]; then
  echo
  echo "native tests passed (browser tests skipped: --native-only)"
  exit 0
fi

step "browser toolchain (scripts/setup.sh: installs only what is missing)"
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
cargo fetch --locked

step "cargo clippy for wasm32 (threaded build) -D warnings"
CARGO_UNSTABLE_BUILD_STD=panic_abort,std \
  cargo clippy --locked --target wasm32-unknown-unknown --lib --bins -- -D warnings

step "wasm-bindgen tests in headless Chromium (tests/web_store.rs, tests/web_pool.rs)"
wasm_tests=()
for t in web_store web_pool; do
  [ -f "tests/$t.rs" ] && wasm_tests+=(--test "$t")
done
if [ "${#wasm_tests[@]}" -gt 0 ]; then
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_UNSTABLE_BUILD_STD=panic_abort,std \
  WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
    cargo test --locked --target wasm32-unknown-unknown "${wasm_tests[@]}"
else
  echo "no tests/web_*.rs yet" >&2
  exit 1
fi

step "trunk build (dist/ and the single-threaded dist/st/)"
TECHNIC_SKIP_SETUP=1 scripts/build.sh

step "end-to-end tests in headless Chromium (tests/e2e/)"
node --test --test-concurrency=1 tests/e2e/*.test.mjs

echo
echo "all tests passed"
