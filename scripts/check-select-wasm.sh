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
        Err((name, _)) => -(["max0", "max", "min", "lead_or_zero", "select_gt", "share_pct", "share_pct2"].iter().position(|&h| h == name).unwrap_or(7) as i32) - 1,
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
  const names = ["max0", "max", "min", "lead_or_zero", "select_gt", "share_pct", "share_pct2"];
  if (n < 0) { console.error(`select.rs (simd128): ${names[-n - 1] ?? "?"} differs from its plain expression`); process.exit(1); }
  console.log(`select.rs (simd128): ${n} cases bit-identical to the plain expressions`);
});' "$dir/check.wasm"

# lanes.rs: the simd128 lanes (what both wasm builds run for the EMA family,
# the running sums, CCI, MOM and TRANGE) against the [f64; 4] form, bit for
# bit (NaN against NaN, whatever its payload): the two EMA steps on random
# series and weights, and every other lane operation on the series and on
# the awkward values (±0, subnormals, the extremes, infinities, NaN).
cat > "$dir/lanes.rs" <<RS
#![no_std]
#[path = "$root/src/engine/indicators/lanes.rs"]
#[allow(dead_code)]
mod lanes;
use lanes::{prefix_sum, EmaStep, Lanes, Portable, Simd128};
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
const N: usize = 512;
/// What one group of four gives: the EMA steps, then every other operation.
const OUTS: usize = 13;
const AWKWARD: [f64; 17] = [0.0, -0.0, 5e-324, -5e-324, f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 1e-300, 1.0, -1.0, 1.5, -1.5, 123.456, f64::MAX, -f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
fn flag<L: Lanes>(l: L, b: bool) -> L::V { l.splat(if b { 1.0 } else { 0.0 }) }
/// Every operation but the EMA steps on \`x\` and \`y\`, into \`o\`.
fn ops<L: Lanes>(l: L, x: &[f64; 4], y: &[f64; 4], o: &mut [[f64; 4]]) {
    let (a, b) = (l.load(x), l.load(y));
    l.store(prefix_sum(l, a), &mut o[0]);
    l.store(l.div(a, b), &mut o[1]);
    l.store(l.abs(l.sub(a, b)), &mut o[2]);
    l.store(l.max(a, b), &mut o[3]);
    l.store(l.select_le(a, b, l.shift1(a), l.shift2(b)), &mut o[4]);
    l.store(l.add(flag(l, l.any_lt(a, b)), l.mul(flag(l, l.any_le(a, b)), l.splat(2.0))), &mut o[5]);
    l.store(l.gather(x[3], y[2], x[1], y[0]), &mut o[6]);
    l.store(l.splat_last(l.add(a, b)), &mut o[7]);
    l.store(l.add(l.min(a, b), l.pair_shift(b, a)), &mut o[8]);
    l.store(l.half_spread(a, b), &mut o[9]);
}
/// The EMA steps (\`step\` with the caller's splat, \`step_short\`) and
/// \`ops\`, for \`N\` groups of four.
fn run<L: Lanes>(l: L, xs: &[[f64; 4]; N], k: f64, beta: f64, out: &mut [[[f64; 4]; OUTS]; N]) {
    let step = EmaStep::new(l, k, beta);
    let mut before = l.splat(xs[0][0]);
    let mut short = before;
    for (i, (x, o)) in xs.iter().zip(out.iter_mut()).enumerate() {
        let v = step.step(l, l.load(x), before);
        before = l.splat_last(v);
        l.store(v, &mut o[0]);
        l.store(step.step_short(l, l.load(x), &mut short), &mut o[1]);
        let awkward = core::array::from_fn(|j| AWKWARD[(i * 4 + j) % AWKWARD.len()]);
        let other = core::array::from_fn(|j| AWKWARD[(i * 3 + j * 5) % AWKWARD.len()]);
        if i % 2 == 0 {
            ops(l, x, &xs[i.saturating_sub(1)], &mut o[2..]);
        } else {
            ops(l, &awkward, &other, &mut o[2..]);
        }
        l.store(l.array(awkward), &mut o[12]);
    }
}
/// The number of values compared, or -1 - (the output at the first difference).
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
        let (mut a, mut b) = ([[[0.0; 4]; OUTS]; N], [[[0.0; 4]; OUTS]; N]);
        run(Portable, &xs, k, beta, &mut a);
        run(Simd128, &xs, k, beta, &mut b);
        for (ga, gb) in a.iter().zip(b.iter()) {
            for (j, (p, q)) in ga.iter().zip(gb.iter()).enumerate() {
                for (p, q) in p.iter().zip(q.iter()) {
                    let same = if p.is_nan() { q.is_nan() } else { p.to_bits() == q.to_bits() };
                    if !same { return -1 - j as i32; }
                    checked += 1;
                }
            }
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
  const outs = ["step", "step_short", "prefix_sum", "div", "abs/sub", "max", "select_le/shift1/shift2", "any_lt/any_le", "gather", "splat_last", "min/pair_shift", "half_spread", "array"];
  if (n < 0) { console.error(`lanes.rs (simd128): ${outs[-n - 1] ?? "?"} differs from the [f64; 4] form`); process.exit(1); }
  console.log(`lanes.rs (simd128): ${n} values bit-identical to the [f64; 4] form (${outs.join(", ")})`);
});' "$dir/lanes.wasm"

# ema.rs: the chained EMAs (EMA, DEMA, TEMA: one \`EmaStep\` chain, or
# \`Linear\`'s map of several) on simd128 against the [f64; 4] form, bit for
# bit, on random walks with a NaN or an infinity in some, over every tail
# length. A copy of ema.rs with the comparison appended, so it reaches the
# module's own \`Chain\`.
cp "$root/src/engine/indicators/ema.rs" "$dir/ema.rs"
cat >> "$dir/ema.rs" <<'RS'

/// The number of values compared, or -1 at the first difference.
pub fn check_all() -> i32 {
    fn compare<const N: usize>(src: &[f64], period: usize, value: [f64; N], combine: impl Combine<N>) -> Option<usize> {
        let (k, beta) = smoothing(period);
        let (mut a, mut b) = (vec![0.0; src.len()], vec![0.0; src.len()]);
        run_lanes(Chain { src, out: &mut a, k, beta, value, combine });
        Chain { src, out: &mut b, k, beta, value, combine }.run(Portable);
        let same = a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
        same.then_some(src.len())
    }
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; (seed >> 11) as f64 / (1u64 << 53) as f64 };
    let mut checked = 0;
    for len in [1, 2, 3, 4, 5, 6, 7, 8, 9, 97, 1000] {
        for bad in [None, Some(f64::NAN), Some(f64::INFINITY)] {
            let mut level = 100.0;
            let mut src: Vec<f64> = (0..len).map(|_| { level *= 1.0 + (next() - 0.5) * 0.05; level }).collect();
            if let Some(v) = bad { src[len / 2] = v; }
            for period in [2, 3, 14, 30, 200] {
                let (a, b) = (src[0], level);
                let runs = [
                    compare(&src, period, [a], Last),
                    compare(&src, period, [a, b], super::dema::Dema),
                    compare(&src, period, [a, b, 50.0], super::tema::Tema),
                ];
                for n in runs {
                    match n { Some(n) => checked += n as i32, None => return -1 }
                }
            }
        }
    }
    checked
}
RS
cat > "$dir/chain.rs" <<RS
#[path = "$root/src/engine/indicators/lanes.rs"]
#[allow(dead_code)]
mod lanes;
#[allow(dead_code)]
mod ema;
#[path = "$root/src/engine/indicators/dema.rs"]
#[allow(dead_code)]
mod dema;
#[path = "$root/src/engine/indicators/tema.rs"]
#[allow(dead_code)]
mod tema;
fn fill_nan(out: &mut [f64]) {
    out.fill(f64::NAN);
}
#[no_mangle]
pub extern "C" fn run_chain() -> i32 {
    ema::check_all()
}
RS
rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
  -C opt-level=3 -C target-feature=+simd128 -o "$dir/chain.wasm" "$dir/chain.rs"
node -e '
const fs = require("fs");
WebAssembly.instantiate(fs.readFileSync(process.argv[1]), {}).then(({ instance }) => {
  const n = instance.exports.run_chain();
  if (n < 0) { console.error("ema.rs (simd128): the chained EMAs differ from the [f64; 4] form"); process.exit(1); }
  console.log(`ema.rs (simd128): ${n} values of EMA, DEMA and TEMA bit-identical to the [f64; 4] form`);
});' "$dir/chain.wasm"
