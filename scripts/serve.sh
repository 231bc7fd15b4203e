#!/usr/bin/env bash
# The first command on a fresh machine: installs whatever is missing, then
# serves the app with the bundled sample at http://127.0.0.1:8080 (COOP/COEP
# headers from Trunk.toml, so the scan runs on every core). Rebuilds on change.
# Usage: scripts/serve.sh [trunk serve options…]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --no-browser

source scripts/env.sh

# --target: with it, cargo fetch also downloads the crates std's build-std
# compiles for wasm32 (dlmalloc, …), which Trunk's offline cargo build needs;
# without it a fresh machine's first build fails "failed to download dlmalloc".
printf '==> %s\n' "cargo fetch --locked --target wasm32-unknown-unknown"
cargo fetch --locked --target wasm32-unknown-unknown
printf '==> %s\n' "trunk serve on http://127.0.0.1:8080 (first build takes a few minutes)"
exec trunk serve "$@"
