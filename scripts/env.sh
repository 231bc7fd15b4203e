# Sourced by build.sh, build-st.sh, serve.sh and test.sh: the tools setup.sh
# installed on PATH, and no version check over the network (Trunk.toml is
# offline). The wasm32 flags and build-std come from .cargo/config.toml, so
# plain `trunk build` works too.
TECHNIC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export PATH="$HOME/.cargo/bin:$TECHNIC_ROOT/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# A relative CARGO_TARGET_DIR means the repository's (the scripts run from its
# root); made absolute so that cargo_outside below, run elsewhere, uses it too.
if [ -n "${CARGO_TARGET_DIR:-}" ] && [ "${CARGO_TARGET_DIR#/}" = "$CARGO_TARGET_DIR" ]; then
  export CARGO_TARGET_DIR="$TECHNIC_ROOT/$CARGO_TARGET_DIR"
fi

# The single-threaded wasm build's flags (no atomics: the prebuilt wasm32 std),
# for build-st.sh and for bench-browser.mjs's build of examples/engine_wasm.rs,
# which shares that build's compiled crates only while the flags are the same.
TECHNIC_ST_RUSTFLAGS="-C target-feature=+bulk-memory,+mutable-globals,+simd128 --cfg erase_components"

# `cargo_outside <subcommand> [args…]`: cargo on this package without
# .cargo/config.toml, for the builds that need none of it (native ones, and the
# single-threaded wasm build, which sets its own RUSTFLAGS). Its build-std has
# no per-target form: it made every native build compile std again (~45 s of
# CPU per fresh target directory), and the st build too, where the prebuilt
# wasm32 std (no atomics) is exactly what it needs. Cargo reads config from the
# directory it runs in and that directory's parents, not from the manifest's,
# so this runs from an empty temporary directory with --manifest-path; the
# target directory stays the package's (target/ or CARGO_TARGET_DIR), and test
# binaries still run in the package root. rustup, too, finds
# rust-toolchain.toml from the working directory: the toolchain is named.
cargo_outside() {
  local sub="$1" toolchain dir rc=0
  shift
  toolchain="$(cd "$TECHNIC_ROOT" && rustup show active-toolchain | cut -d' ' -f1)"
  dir="$(mktemp -d)"
  (cd "$dir" && RUSTUP_TOOLCHAIN="$toolchain" cargo "$sub" --manifest-path "$TECHNIC_ROOT/Cargo.toml" "$@") || rc=$?
  rmdir "$dir"
  return "$rc"
}
