//! RSI, relative strength index (TA-Lib `RSI`), Wilder smoothing.
//!
//! Formula: average gain `g` and loss `l` are the means of the first `n`
//! changes, then `g = (g·(n-1) + gain) · (1/n)` (same for `l`; computed four
//! bars per step as `β·g + α·gain`, within 1e-9 of TA-Lib's rounding);
//! `rsi = 100·g / (g + l)`.
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 2..=100000. Complexity: O(len), no allocation.
//!
//! Definitional trap: the zero test is exact, not TA-Lib C's old 1e-8 band.
//! When `g + l == 0` (no change at all since the seed, e.g. a flat start) the
//! answer is the neutral 50, not 0; a tiny but non-zero total (sub-cent quotes)
//! still divides. This is what the `ta-lib` oracle does (its issues #253, #480).

use super::fill_nan;
use super::select::{max0, max0_2, share_pct, share_pct2};
use super::smoothing::Smoothing4;

pub fn rsi_lookback(period: usize) -> usize {
    period
}

pub fn rsi(src: &[f64], period: usize, out: &mut [f64]) {
    wilder_rsi::<true>(src, period, out);
}

/// RSI with TA-Lib's own rounding of every step, `(g·(n−1) + x)·(1/n)`: for
/// STOCHRSI, whose stochastic of the RSI over a narrow range magnifies the
/// last bits of the four-bar form past 1e-9 (STOCHRSI(100,50,5) on a violent
/// series was off by 2e-9 relative).
pub(crate) fn rsi_stepwise(src: &[f64], period: usize, out: &mut [f64]) {
    wilder_rsi::<false>(src, period, out);
}

#[inline(always)]
fn wilder_rsi<const FOUR: bool>(src: &[f64], period: usize, out: &mut [f64]) {
    if !(2..=100_000).contains(&period) || src.len() <= period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    // Multiplying by a hoisted 1/n (rather than dividing) is TA-Lib's rounding.
    let inv = 1.0 / period as f64;
    let n1 = (period - 1) as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in src[..=period].windows(2) {
        let (up, down) = split(w[1] - w[0]);
        gain += up;
        loss += down;
    }
    gain *= inv;
    loss *= inv;
    out[period] = ratio(gain, loss);
    // Four bars per step (`Smoothing4`, β = (n−1)/n, α = 1/n: a different
    // rounding of TA-Lib's `(g·(n−1) + x)·(1/n)`, within 1e-9): the chain
    // waits for one multiply and one add per four bars instead of two
    // multiplies and an add per bar. Iterators over equal-length slices (no
    // bounds checks), and only the warm-up marked undefined, not the whole
    // column first. RSI(14) 2.85 -> 1.8 ns/bar, TA-Lib 2.6 (`cargo bench
    // --bench indicators`).
    let step = Smoothing4::new(n1 * inv, inv);
    let outs = &mut out[period + 1..];
    let changes = &src[period..];
    if !FOUR {
        // Two bars per ratio call: in wasm one two-lane divide for both.
        let pairs = outs.len() / 2 * 2;
        let (out2, out1) = outs.split_at_mut(pairs);
        for (o, w) in out2.chunks_exact_mut(2).zip(changes.windows(3).step_by(2)) {
            let (u0, d0) = split(w[1] - w[0]);
            let (u1, d1) = split(w[2] - w[1]);
            let (g0, l0) = ((gain * n1 + u0) * inv, (loss * n1 + d0) * inv);
            (gain, loss) = ((g0 * n1 + u1) * inv, (l0 * n1 + d1) * inv);
            o.copy_from_slice(&share_pct2([g0, gain], [l0, loss], 50.0));
        }
        for (o, w) in out1.iter_mut().zip(changes[pairs..].windows(2)) {
            let (up, down) = split(w[1] - w[0]);
            gain = (gain * n1 + up) * inv;
            loss = (loss * n1 + down) * inv;
            *o = ratio(gain, loss);
        }
        return;
    }
    let whole = outs.len() / 4 * 4;
    let (out4, out1) = outs.split_at_mut(whole);
    for (o, w) in out4.chunks_exact_mut(4).zip(changes.windows(5).step_by(4)) {
        let c = [w[1] - w[0], w[2] - w[1], w[3] - w[2], w[4] - w[3]];
        let [u0, u1] = max0_2([c[0], c[1]]);
        let [u2, u3] = max0_2([c[2], c[3]]);
        let (d0, d1, d2, d3) = (u0 - c[0], u1 - c[1], u2 - c[2], u3 - c[3]);
        let gains = step.four(gain, [u0, u1, u2, u3]);
        let losses = step.four(loss, [d0, d1, d2, d3]);
        // In pairs: in wasm one two-lane divide per pair (`share_pct2`).
        let [r0, r1] = share_pct2([gains[0], gains[1]], [losses[0], losses[1]], 50.0);
        let [r2, r3] = share_pct2([gains[2], gains[3]], [losses[2], losses[3]], 50.0);
        o.copy_from_slice(&[r0, r1, r2, r3]);
        (gain, loss) = (gains[3], losses[3]);
    }
    for (o, w) in out1.iter_mut().zip(changes[whole..].windows(2)) {
        let (up, down) = split(w[1] - w[0]);
        gain = step.one(gain, up);
        loss = step.one(loss, down);
        *o = ratio(gain, loss);
    }
}

/// A change as (gain, loss), both non-negative.
#[inline(always)]
fn split(change: f64) -> (f64, f64) {
    // TA-Lib's form: the loss as `gain − change` is exact (one of the two is
    // the change, the other 0) and needs no second test.
    // Branch-free in wasm too (`select`): the sign of a price move is a coin
    // toss that a jump mispredicts.
    let up = max0(change);
    (up, up - change)
}

#[inline(always)]
fn ratio(gain: f64, loss: f64) -> f64 {
    share_pct(gain, loss, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_the_share_of_gains_in_the_first_period() {
        // Changes +2, -1, +3: gains 5, losses 1 → 100·5/6.
        let src = [10.0, 12.0, 11.0, 14.0];
        let mut out = [0.0; 4];
        rsi(&src, 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert!((out[3] - 500.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn later_values_follow_wilder_smoothing() {
        let src = [10.0, 12.0, 11.0, 14.0, 13.0];
        let mut out = [0.0; 5];
        rsi(&src, 3, &mut out);
        let (g, l) = ((5.0 / 3.0) * 2.0 / 3.0, ((1.0 / 3.0) * 2.0 + 1.0) / 3.0);
        assert!((out[4] - 100.0 * g / (g + l)).abs() < 1e-12);
    }

    #[test]
    fn flat_series_is_neutral_and_tiny_quotes_still_divide() {
        let mut out = [0.0; 6];
        rsi(&[5.0; 6], 2, &mut out);
        assert_eq!(out[2..], [50.0; 4]);
        rsi(&[1e-9, 2e-9, 1.5e-9, 3e-9, 3e-9, 2e-9], 2, &mut out);
        assert!((out[2] - 100.0 / 1.5).abs() < 1e-9);
    }

    #[test]
    fn bad_period_or_short_input_gives_all_nan() {
        let mut out = [0.0; 4];
        for period in [0, 1, 4, 100_001] {
            rsi(&[1.0, 2.0, 3.0, 4.0], period, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "period {period}");
        }
    }
}
