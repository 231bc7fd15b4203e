//! Branch-free float selects for the hot kernels: each helper equals, bit for
//! bit (sign of zero and NaN operands included), the plain Rust expression in
//! its doc. Imports nothing but `core::arch::wasm32`.
//!
//! Why: in wasm, V8 compiles an f64 `if c > 0.0 { c } else { 0.0 }` into a
//! compare and a jump, and on random price moves that jump mispredicts about
//! every other bar; natively LLVM emits `maxsd`/`cmov` and nothing jumps. With
//! simd128, one lane of `f64x2.pmax`/`pmin` (`pmax(a, b) = a < b ? b : a`) and
//! `v128.bitselect` over `f64x2.gt` masks are the same selects without a
//! jump. On any other target (and wasm without simd128) the plain
//! expression is compiled, so native code is unchanged.
//!
//! Measured with the kernels compiled standalone to wasm (before and after
//! in one module, 5000 symbols × 300 bars, best of 40 rounds in Chromium,
//! native the same code built by rustc -O): RSI(14) 10.6 -> 4.7 ms (native
//! 3.1), ADX(14) 15.5 -> 9.5 (7.2), STOCHRSI(14,5,3) 32.8 -> 14.0 (11.0),
//! STOCH(5,3,3) 27.6 -> 12.5 (~9.5), WILLR(14) 21.7 -> 8.6 (~5.5); ATR and
//! TRANGE alone showed no change beyond these short kernels' noise.
//!
//! The simd128 intrinsics are safe functions here: the whole crate is built
//! with `+simd128` (the `cfg` below), so no `unsafe` is needed.
//!
//! Checked natively by the unit tests (the plain form), and in wasm (the
//! simd128 form) by the same cases, `select_check.rs`, compiled standalone
//! and run by node: `scripts/check-select-wasm.sh`.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use core::arch::wasm32::{
    f64x2, f64x2_add, f64x2_div, f64x2_extract_lane, f64x2_gt, f64x2_mul, f64x2_pmax, f64x2_pmin,
    f64x2_splat, v128, v128_and, v128_bitselect,
};

/// Lane 0 of a vector whose lanes are equal.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn lane(v: v128) -> f64 {
    f64x2_extract_lane::<0>(v)
}

/// `if x > 0.0 { x } else { 0.0 }`: `+0.0` for `-0.0`, `0.0` and NaN.
#[inline(always)]
pub(crate) fn max0(x: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        // 0 first: pmax(0, x) = 0 < x ? x : 0.
        lane(f64x2_pmax(f64x2_splat(0.0), f64x2_splat(x)))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if x > 0.0 {
            x
        } else {
            0.0
        }
    }
}

/// `if b > a { b } else { a }`: `a` on a tie (`±0`) or a NaN operand.
#[inline(always)]
pub(crate) fn max(a: f64, b: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        lane(f64x2_pmax(f64x2_splat(a), f64x2_splat(b)))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if b > a {
            b
        } else {
            a
        }
    }
}

/// `if b < a { b } else { a }`: `a` on a tie (`±0`) or a NaN operand.
#[inline(always)]
pub(crate) fn min(a: f64, b: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        lane(f64x2_pmin(f64x2_splat(a), f64x2_splat(b)))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if b < a {
            b
        } else {
            a
        }
    }
}

/// `if x > y { then } else { otherwise }`. Both values are computed first
/// (a select, not a branch), so `then` must be cheap and harmless to compute
/// when unused (a division by zero gives an unused NaN, which is fine).
#[inline(always)]
pub(crate) fn select_gt(x: f64, y: f64, then: f64, otherwise: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let mask = f64x2_gt(f64x2_splat(x), f64x2_splat(y));
        lane(v128_bitselect(
            f64x2_splat(then),
            f64x2_splat(otherwise),
            mask,
        ))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if x > y {
            then
        } else {
            otherwise
        }
    }
}

/// `if x > other && x > 0.0 { x } else { 0.0 }`: a directional movement
/// that counts only when it is positive and beats the opposite one.
#[inline(always)]
pub(crate) fn lead_or_zero(x: f64, other: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let v = f64x2_splat(x);
        let beats = f64x2_gt(v, f64x2_splat(other));
        let positive = f64x2_gt(v, f64x2_splat(0.0));
        // All-zero bits where either test fails: +0.0.
        lane(v128_and(v128_and(beats, positive), v))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        if x > other && x > 0.0 {
            x
        } else {
            0.0
        }
    }
}

/// `if part + rest > 0.0 { 100.0 * (part / (part + rest)) } else { fallback }`:
/// the percent share of `part` (RSI's gains, MFI's positive flow) with a
/// neutral `fallback` when nothing moved.
#[inline(always)]
pub(crate) fn share_pct(part: f64, rest: f64, fallback: f64) -> f64 {
    let total = part + rest;
    // The unused quotient of a zero total is a NaN that is never kept.
    select_gt(total, 0.0, 100.0 * (part / total), fallback)
}

/// [`share_pct`] of two pairs at once. In wasm one `f64x2.div` does both
/// divisions (each lane rounds as the scalar one): RSI's four ratios per
/// step cost two divides instead of four, RSI(14) 6.9 -> 4.1 ms per 5000
/// symbols × 300 bars in node (native 2.8).
#[inline(always)]
pub(crate) fn share_pct2(part: [f64; 2], rest: [f64; 2], fallback: f64) -> [f64; 2] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let (p, r) = (f64x2(part[0], part[1]), f64x2(rest[0], rest[1]));
        let total = f64x2_add(p, r);
        let share = f64x2_mul(f64x2_splat(100.0), f64x2_div(p, total));
        let mask = f64x2_gt(total, f64x2_splat(0.0));
        let v = v128_bitselect(share, f64x2_splat(fallback), mask);
        [f64x2_extract_lane::<0>(v), f64x2_extract_lane::<1>(v)]
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        [
            share_pct(part[0], rest[0], fallback),
            share_pct(part[1], rest[1], fallback),
        ]
    }
}

#[cfg(test)]
#[path = "select_check.rs"]
mod check;

#[cfg(test)]
mod tests {
    #[test]
    fn every_helper_equals_its_plain_expression_bit_for_bit_on_adversarial_values() {
        match super::check::first_mismatch() {
            // 17 values: max0 on each; per pair 3 helpers, 4 select_gt cases and
            // 3 fallbacks × 3 shares.
            Ok(checked) => assert_eq!(checked, 17 + 17 * 17 * (7 + 3 * 3)),
            Err((name, args)) => panic!("{name}{args:?} differs from its plain expression"),
        }
    }

    #[test]
    fn the_check_itself_catches_a_wrong_sign_of_zero() {
        // f64::max(-0.0, 0.0) may return either zero; `max` must return `a`.
        assert!(super::check::same(super::max(-0.0, 0.0), -0.0));
        assert!(!super::check::same(0.0, -0.0));
        assert!(super::check::same(f64::NAN, f64::NAN));
    }
}
