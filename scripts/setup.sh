#!/usr/bin/env bash
# Installs whatever is missing for building and testing the browser app, and
# skips what is already there at the right version. Every tool comes from a
# package registry (rustup, crates.io, npm, Debian apt): nothing else is
# downloaded. Cold install times: docs/ci-timings.md.
# Usage: scripts/setup.sh [--no-browser | --rust-only]   (called by serve.sh, build.sh, test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

NIGHTLY=nightly-2026-05-20
TRUNK_VERSION=0.22.1
BINDGEN_VERSION=0.2.130
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

say() { printf '==> %s\n' "$*"; }

if ! command -v rustup >/dev/null 2>&1; then
  echo "rustup not found: install Rust with rustup first" >&2
  exit 1
fi

if ! rustup toolchain list | grep -q "^$NIGHTLY"; then
  say "installing Rust $NIGHTLY (rust-src, wasm32-unknown-unknown)"
  rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src -c rustfmt -c clippy -t wasm32-unknown-unknown
fi
rustup component add --toolchain "$NIGHTLY" rust-src rustfmt clippy >/dev/null 2>&1 || true
rustup target add --toolchain "$NIGHTLY" wasm32-unknown-unknown >/dev/null 2>&1 || true
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if [ "${1:-}" = "--rust-only" ]; then
  exit 0
fi

# Trunk and wasm-bindgen-cli are compiled from crates.io when missing, both
# at once: each cargo build leaves a core idle for long stretches (one large
# crate, then linking), so side by side they take little more than Trunk alone.
installs=()
install_log="$(mktemp -d)"
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  # Unoptimised (opt-level 0, no LTO): 3 min 11 s to build instead of 9 min 28 s
  # (opt-level 1: 8 min 4 s), and the dist/ it builds is byte for byte the same in
  # the same time (17 vs 19 s: its work is cargo's, wasm-bindgen's and wasm-opt's;
  # docs/ci-timings.md, 2026-12-02).
  say "building trunk $TRUNK_VERSION (about 3 minutes, unoptimised: see above)"
  (CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$NIGHTLY" install --locked trunk --version "$TRUNK_VERSION" >"$install_log/trunk" 2>&1) &
  installs+=("$!:trunk")
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $BINDGEN_VERSION (not --locked: its lockfile wants a crate version the registry does not serve)"
  (cargo "+$NIGHTLY" install wasm-bindgen-cli --version "$BINDGEN_VERSION" >"$install_log/wasm-bindgen" 2>&1) &
  installs+=("$!:wasm-bindgen")
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
  || [ ! -f node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js ]; then
  say "npm ci (binaryen's wasm-opt, playwright-core, the chart library lightweight-charts)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" != "--no-browser" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing Debian's chromium and chromium-driver"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

failed=""
for job in "${installs[@]}"; do
  if ! wait "${job%%:*}"; then
    cat "$install_log/${job#*:}" >&2
    failed="$failed ${job#*:}"
  else
    tail -n 3 "$install_log/${job#*:}"
  fi
done
rm -rf "$install_log"
if [ -n "$failed" ]; then
  echo "cargo install failed:$failed (output above)" >&2
  exit 1
fi

if [ ! -f www/data/AAPL.csv ] || [ ! -f www/data/universe.json ]; then
  say "sample data"
  python3 scripts/fetch-sample-data.py
fi
