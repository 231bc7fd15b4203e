#!/usr/bin/env bash
# Checks src/engine/indicators/select.rs (and lanes.rs, below)'s simd128 form (what the wasm builds
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

# lanes.rs: the simd128 lanes (what both wasm builds run for the EMA family)
# against the [f64; 4] form, bit for bit, on random series and weights.
cat > "$dir/lanes.rs" <<RS
#![no_std]
#[path = "$root/src/engine/indicators/lanes.rs"]
#[allow(dead_code)]
mod lanes;
use lanes::{EmaStep, Lanes, Portable, Simd128};
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
const N: usize = 512;
/// Every lane operation through an EMA step and a difference, for \`N\` groups of four.
fn run<L: Lanes>(l: L, xs: &[[f64; 4]; N], k: f64, beta: f64, out: &mut [[f64; 4]; N]) {
    let step = EmaStep::new(l, k, beta);
    let mut before = l.splat(xs[0][0]);
    for (x, o) in xs.iter().zip(out.iter_mut()) {
        let v = step.step(l, l.load(x), before);
        l.store(l.sub(v, l.array(*x)), o);
        before = l.splat_last(v);
    }
}
/// The number of values compared, or -1 at the first difference.
#[no_mangle]
pub extern "C" fn run_lanes() -> i32 {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; (seed >> 11) as f64 / (1u64 << 53) as f64 };
    let mut checked = 0;
    for period in [2.0f64, 3.0, 9.0, 12.0, 14.0, 26.0, 200.0] {
        let mut xs = [[0.0; 4]; N];
        let mut level = 100.0;
        for x in xs.iter_mut().flatten() { level *= 1.0 + (next() - 0.5) * 0.05; *x = level; }
        let beta = (period - 1.0) / (period + 1.0);
        let k = 1.0 - beta;
        let (mut a, mut b) = ([[0.0; 4]; N], [[0.0; 4]; N]);
        run(Portable, &xs, k, beta, &mut a);
        run(Simd128, &xs, k, beta, &mut b);
        for (p, q) in a.iter().flatten().zip(b.iter().flatten()) {
            if p.to_bits() != q.to_bits() { return -1; }
            checked += 1;
        }
    }
    checked
}
RS
rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
  -C opt-level=3 -C target-feature=+simd128 -o "$dir/lanes.wasm" "$dir/lanes.rs"
node -e '
const fs = require("fs");
WebAssembly.instantiate(fs.readFileSync(process.argv[1]), {}).then(({ instance }) => {
  const n = instance.exports.run_lanes();
  if (n < 0) { console.error("lanes.rs (simd128): differs from the [f64; 4] form"); process.exit(1); }
  console.log(`lanes.rs (simd128): ${n} values bit-identical to the [f64; 4] form`);
});' "$dir/lanes.wasm"
