#!/usr/bin/env bash
# Installs whatever is missing, then runs every test: formatting, wasm lints,
# the wasm-bindgen tests in headless Chromium (IndexedDB store, worker pool),
# the Trunk build, the end-to-end tests against dist/, and, in the background
# from the start (beside the tools' install and the wasm steps), the native
# lints and the native unit and integration tests (indicator oracles against ta-lib, golden
# Technic values, scan language, CSV input, scan run, CLI).
# Prints how long each step took at the end, also when a step fails.
# Usage: scripts/test.sh [--native-only]   (CI: .ci/run calls exactly this)
#
# Build sharing (why the steps are shaped this way): every wasm step uses the
# release profile, the flags of .cargo/config.toml and one target directory
# (CARGO_TARGET_DIR, default target/), so the wasm-bindgen tests and Trunk's
# threaded build compile std and the dependencies once between them. The
# single-threaded build (scripts/build-st.sh) needs other target features, so
# it compiles every crate again (same release profile, its own target features)
# but not std: it links the prebuilt one. The native builds and the st build
# run without .cargo/config.toml (cargo_outside in scripts/env.sh), whose
# build-std would otherwise compile std for them too. Leptos's dev-tooling
# crates (hot reload's parser, its config loader: syn, regex, toml…) are built
# at opt-level 0 in release (Cargo.toml says why and what that costs).
#
# Clippy rides on the builds the tests need anyway: clippy-driver is a rustc
# driver, and set as cargo's workspace wrapper (what `cargo clippy` itself does
# before running `cargo check`) it lints this package's crates while compiling
# them for real. The same lints and `-D warnings` as `cargo clippy`, without a
# second check build of every dependency in another profile (that was 91 s
# native and 142 s wasm on 2 cores: docs/ci-timings.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

STEP_NAMES=()
STEP_SECS=()
STEP_STATUS=()
current=""
started=0
t0=$(date +%s)

finish_step() { # $1 = status of the step that is ending
  if [ -n "$current" ]; then
    STEP_NAMES+=("$current")
    STEP_SECS+=($(($(date +%s) - started)))
    STEP_STATUS+=("$1")
    current=""
  fi
}

step() {
  finish_step ok
  current="$1"
  started=$(date +%s)
  printf '\n==> %s\n' "$1"
}

# The end-to-end tests' output is also kept here, so that a failure's report
# (error, location) is printed again after the step table: CI shows the end of
# the log and only a part of the middle, and a report the excerpt left out
# cannot be diagnosed (CI on d289d45 lost offline.test.mjs's).
e2e_log="$(mktemp)"

failed_e2e_reports() {
  grep -q '^not ok ' "$e2e_log" 2>/dev/null || return 0
  printf '\nfailed end-to-end tests (their reports, repeated from above; node:internal frames left out):\n'
  awk '/^not ok /{p=1; n=0} p && n < 40 {print; n++} /^  \.\.\.$/{p=0}' "$e2e_log" \
    | grep -v -E '^ +(async )?Test\.|\(node:(internal|async_hooks)' | head -300
}

summary() { # [$1 = exit status, when the trap had to run something first]
  local rc=${1:-$?}
  finish_step "$([ "$rc" = 0 ] && echo ok || echo FAILED)"
  failed_e2e_reports
  rm -f "$e2e_log"
  local total=$(($(date +%s) - t0))
  printf '\n%-58s %8s  %s\n' "step" "seconds" "result"
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf '%-58s %8d  %s\n' "${STEP_NAMES[$i]}" "${STEP_SECS[$i]}" "${STEP_STATUS[$i]}"
  done
  printf '%-58s %8d  %s\n' "total ($(nproc) cores)" "$total" "$([ "$rc" = 0 ] && echo 'all tests passed' || echo "FAILED (exit $rc)")"
  exit "$rc"
}
trap summary EXIT

step "toolchain (the nightly pinned in rust-toolchain.toml)"
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

step "cargo fmt --check"
cargo fmt --all -- --check

# `cargo clippy -- -D warnings`, as a wrapper around any cargo build.
with_lints() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
  CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

# Native builds run without .cargo/config.toml (cargo_outside, scripts/env.sh):
# its build-std, there for the threaded wasm build, would compile std again.
native_build() {
  with_lints cargo_outside test --locked --all-targets --no-run
}
native_test() {
  with_lints cargo_outside test --locked
}

if [ "${1:-}" = "--native-only" ]; then
  step "native: build every target with clippy's lints (-D warnings)"
  native_build
  step "native: cargo test (unit, integration, CLI, doc)"
  native_test
  echo "native tests passed (browser tests not run: --native-only)"
  exit 0
fi

# In the full run the native build and tests run in the background from the
# start (below): nothing in the browser steps needs them but the backtest
# tests at the end (the CLI). Their own target directory, so that cargo's lock on target/ never makes the
# two background builds wait for each other (the native build shares nothing
# with the wasm ones anyway).
NATIVE_TARGET="${CARGO_TARGET_DIR:-$PWD/target}/native"
case "$NATIVE_TARGET" in /*) ;; *) NATIVE_TARGET="$PWD/$NATIVE_TARGET" ;; esac

# Background builds. The native build and tests need nothing but the Rust
# toolchain, so they start here and run beside everything up to the end-to-end
# tests (on a fresh machine beside the tools' compile, which leaves a core idle
# for long stretches). The single-threaded build compiles the world again (its
# own target features: ~220 s of both cores), while the end-to-end tests
# mostly wait on Chromium and loopback servers (load ~0.5): so it is built in
# the background while the tests that use only the threaded build run.
#
# `in_background NAME COMMAND…`: runs COMMAND with its output, exit status and
# duration kept under $bg/NAME; `wait_background NAME WHAT` waits for it, shows
# its output, fails the run if it failed, and adds its own time to the table.
bg="$(mktemp -d)"
bg_pids=()
in_background() {
  local name="$1"
  shift
  (
    start=$(date +%s)
    rc=0
    "$@" >"$bg/$name.log" 2>&1 || rc=$?
    echo $(($(date +%s) - start)) >"$bg/$name.time"
    echo "$rc" >"$bg/$name.rc"
  ) &
  bg_pids+=($!)
}
wait_background() { # $1 = name, $2 = what it is, for the table
  while [ ! -f "$bg/$1.rc" ]; do sleep 1; done
  cat "$bg/$1.log"
  if [ "$(cat "$bg/$1.rc")" != 0 ]; then
    echo "$2 failed (log above)" >&2
    exit 1
  fi
  finish_step ok
  STEP_NAMES+=("  of which $2's own time")
  STEP_SECS+=("$(cat "$bg/$1.time")")
  STEP_STATUS+=(ok)
}
native_all() { # chained: errexit does not apply inside `cmd || rc=$?`
  export CARGO_TARGET_DIR="$NATIVE_TARGET"
  echo "==> native: build every target with clippy's lints (-D warnings)" &&
    native_build &&
    echo "==> native: cargo test (unit, integration, CLI, doc)" &&
    native_test
}
in_background native native_all
trap 'rc=$?; kill "${bg_pids[@]}" 2>/dev/null || true; rm -rf "$bg"; summary "$rc"' EXIT

step "browser tools (scripts/setup.sh: installs only what is missing)"
scripts/setup.sh
# --target: also the crates std's build-std compiles for wasm32 (dlmalloc, …),
# which Trunk's offline cargo build needs (see scripts/build.sh).
cargo fetch --locked --target wasm32-unknown-unknown

step "wasm: the app and its browser tests built with clippy's lints (--release)"
# Release, like Trunk's build below, which runs under the same wrapper and so
# reuses all of it, the app's own crate included.
with_lints cargo build --locked --release --target wasm32-unknown-unknown --lib --bin technic-web
with_lints cargo test --locked --release --target wasm32-unknown-unknown --test web_store --test web_pool --no-run

step "wasm: wasm-bindgen tests in headless Chromium"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CHROMEDRIVER=/usr/bin/chromedriver \
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
  with_lints cargo test --locked --release --target wasm32-unknown-unknown --test web_store --test web_pool

step "wasm: the kernels' simd128 forms against their plain forms, bit for bit (scripts/check-select-wasm.sh)"
scripts/check-select-wasm.sh

step "wasm: the synthetic market's simd128 form against its pinned fingerprint and single symbols (scripts/check-synthetic-wasm.sh)"
scripts/check-synthetic-wasm.sh

step "trunk build: threaded dist/ (dist/st/ next, beside the first end-to-end tests)"
# With clippy's wrapper, as the wasm step built the app: the same flags, so
# Trunk's cargo build finds it fresh instead of compiling the crate again.
TECHNIC_SKIP_SETUP=1 TECHNIC_ST=later with_lints scripts/build.sh

# Into a copy of dist/, published once the first end-to-end tests are over:
# finishing under them, the build rewrote index.html and the service worker's
# precache list of the site they were serving, a new deploy in the middle of
# a test (the page then offers "new version — reload"). A CI run on c0e153c
# failed a page test's click on Run at about the time the build ended.
st_site="$bg/site"
cp -r dist "$st_site"
in_background st env TECHNIC_ST_SITE="$st_site" scripts/build-st.sh

# The backtest tests compare the page with the CLI the native step built.
export TECHNIC_CLI="$NATIVE_TARGET/debug/technic"
step "end-to-end tests of the threaded build (data, inert, storm, learn, page, a11y, offline, live and its server), dist/st/ building beside them"
node --test --test-concurrency=1 tests/e2e/data.test.mjs tests/e2e/inert.test.mjs tests/e2e/storm.test.mjs tests/e2e/learn.test.mjs tests/e2e/page.test.mjs tests/e2e/a11y.test.mjs tests/e2e/offline.test.mjs tests/e2e/live-server.test.mjs tests/e2e/live.test.mjs 2>&1 | tee -a "$e2e_log"

step "native: every target built with clippy's lints, then cargo test (in the background since the start, waited for)"
wait_background native "the native build and tests"

step "single-threaded dist/st/ (scripts/build-st.sh, waited for, then published into dist/)"
wait_background st "scripts/build-st.sh"
rm -rf dist/st
cp -r "$st_site/st" dist/st
cp "$st_site/index.html" "$st_site/coi-sw.js" dist/

step "end-to-end tests of both builds (app, backtest, detail)"
node --test --test-concurrency=1 tests/e2e/app.test.mjs tests/e2e/backtest.test.mjs tests/e2e/detail.test.mjs 2>&1 | tee -a "$e2e_log"
