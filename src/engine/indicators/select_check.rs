//! The cases that check `select.rs`'s helpers against their plain expressions,
//! bit for bit: a unit test natively, and compiled standalone to wasm with
//! simd128 by `scripts/check-select-wasm.sh`. Imports only the helpers.

use super::*;
use core::hint::black_box;

/// Signed zeros, subnormals, the smallest normal, ordinary values, the
/// largest finite, infinities and NaN; every helper sees every pair, so equal
/// operands (`±0` against `±0` included) are covered.
const VALUES: [f64; 17] = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    1e-300,
    1.0,
    -1.0,
    1.5,
    -1.5,
    123.456,
    f64::MAX,
    -f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

/// Bit-for-bit equality (tells `0.0` from `-0.0`; a NaN equals the same NaN).
pub(crate) fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// The number of comparisons made when every helper matched, or the first
/// helper (by name) that did not and its arguments.
pub(crate) fn first_mismatch() -> Result<usize, (&'static str, [f64; 4])> {
    let mut checked = 0;
    let mut expect = |name, args: [f64; 4], got: f64, want: f64| {
        checked += 1;
        if same(got, want) {
            Ok(())
        } else {
            Err((name, args))
        }
    };
    for &x in &VALUES {
        let x = black_box(x);
        let want = if x > 0.0 { x } else { 0.0 };
        expect("max0", [x, 0.0, 0.0, 0.0], max0(x), want)?;
        for &y in &VALUES {
            let y = black_box(y);
            let args = [x, y, 0.0, 0.0];
            let want = if y > x { y } else { x };
            expect("max", args, max(x, y), want)?;
            let want = if y < x { y } else { x };
            expect("min", args, min(x, y), want)?;
            let want = if x > y && x > 0.0 { x } else { 0.0 };
            expect("lead_or_zero", args, lead_or_zero(x, y), want)?;
            // The share against the plain expression: x, y as (part, rest)
            // in both lanes, swapped in the second.
            for fallback in [50.0, -0.0, f64::NAN] {
                let fallback = black_box(fallback);
                let want = |p: f64, r: f64| {
                    if p + r > 0.0 {
                        100.0 * (p / (p + r))
                    } else {
                        fallback
                    }
                };
                let args = [x, y, fallback, 0.0];
                expect("share_pct", args, share_pct(x, y, fallback), want(x, y))?;
                let [a, b] = share_pct2([x, y], [y, x], fallback);
                expect("share_pct2", args, a, want(x, y))?;
                expect("share_pct2", args, b, want(y, x))?;
            }
            for (then, otherwise) in [(7.0, 50.0), (-0.0, 0.0), (0.0, -0.0), (f64::NAN, 1.0)] {
                let (then, otherwise) = (black_box(then), black_box(otherwise));
                let want = if x > y { then } else { otherwise };
                let got = select_gt(x, y, then, otherwise);
                expect("select_gt", [x, y, then, otherwise], got, want)?;
            }
        }
    }
    Ok(checked)
}
