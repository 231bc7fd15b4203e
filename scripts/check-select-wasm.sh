#!/usr/bin/env bash
# Checks src/engine/indicators/select.rs's simd128 form (what the wasm builds
# compile) against the plain expressions, bit for bit: the cases of
# select_check.rs compiled standalone to wasm32 with +simd128 (as both wasm
# builds are) and run by node. Native tests cover only the plain form.
# Usage: scripts/check-select-wasm.sh   (needs rustc's wasm32 target and node)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cd "$root"  # the pinned nightly of rust-toolchain.toml
cat > "$dir/harness.rs" <<RS
#![no_std]
#[path = "$root/src/engine/indicators/select.rs"]
#[allow(dead_code)]
mod select;
use select::*;
#[path = "$root/src/engine/indicators/select_check.rs"]
mod check;
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
/// The number of cases checked, or minus one plus minus the index of the failing helper.
#[no_mangle]
pub extern "C" fn run() -> i32 {
    match check::first_mismatch() {
        Ok(n) => n as i32,
        Err((name, _)) => -(["max0", "max", "min", "lead_or_zero", "select_gt", "share_pct", "share_pct2", "pct2", "max0_2"].iter().position(|&h| h == name).unwrap_or(9) as i32) - 1,
    }
}
RS
rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
  -C opt-level=3 -C target-feature=+simd128 -o "$dir/check.wasm" "$dir/harness.rs"
node -e '
const fs = require("fs");
const bytes = fs.readFileSync(process.argv[1]);
// Refuse to pass unless the simd128 form was compiled in: f64x2.pmax is 0xfd 0xf7 0x01.
if (!bytes.toString("hex").match(/fdf701/)) { console.error("no f64x2.pmax in the module: simd128 form not compiled"); process.exit(1); }
WebAssembly.instantiate(bytes, {}).then(({ instance }) => {
  const n = instance.exports.run();
  const names = ["max0", "max", "min", "lead_or_zero", "select_gt", "share_pct", "share_pct2", "pct2", "max0_2"];
  if (n < 0) { console.error(`select.rs (simd128): ${names[-n - 1] ?? "?"} differs from its plain expression`); process.exit(1); }
  console.log(`select.rs (simd128): ${n} cases bit-identical to the plain expressions`);
});' "$dir/check.wasm"
