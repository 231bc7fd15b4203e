#!/usr/bin/env bash
# Installs whatever is missing, then runs every test: formatting, lints, the
# native unit and integration tests (indicator oracles against ta-lib, golden
# Technic values, scan language, CSV input, scan run, CLI).
# Usage: scripts/test.sh        (CI: .ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs) and rerun" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo --version

step "sample data (www/data, from the bokeh-sampledata PyPI package)"
if [ ! -f www/data/AAPL.csv ] || [ ! -f www/data/universe.json ]; then
  python3 scripts/fetch-sample-data.py
fi

step "golden fixture"
SHARED="${TECHNIC_SHARED:-../shared}"
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

echo
echo "all tests passed"
