#!/usr/bin/env bash
# The first command on a fresh machine: installs whatever is missing, then
# serves the app with the bundled sample at http://127.0.0.1:8080 (COOP/COEP
# headers from Trunk.toml, so the scan runs on every core). Rebuilds on change.
# Usage: scripts/serve.sh [trunk serve options…]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --no-browser

source scripts/env.sh

printf '==> %s\n' "cargo fetch --locked"
cargo fetch --locked
printf '==> %s\n' "trunk serve on http://127.0.0.1:8080 (first build takes a few minutes)"
exec trunk serve "$@"
