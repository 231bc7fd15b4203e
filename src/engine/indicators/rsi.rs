//! RSI, relative strength index (TA-Lib `RSI`), Wilder smoothing.
//!
//! Formula: average gain `g` and loss `l` are the means of the first `n`
//! changes, then `g = (g·(n-1) + gain) · (1/n)` (same for `l`);
//! `rsi = 100·g / (g + l)`.
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 2..=100000. Complexity: O(len), no allocation.
//!
//! Definitional trap: the zero test is exact, not TA-Lib C's old 1e-8 band.
//! When `g + l == 0` (no change at all since the seed, e.g. a flat start) the
//! answer is the neutral 50, not 0; a tiny but non-zero total (sub-cent quotes)
//! still divides. This is what the `ta-lib` oracle does (its issues #253, #480).

use super::fill_nan;

pub fn rsi_lookback(period: usize) -> usize {
    period
}

pub fn rsi(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(2..=100_000).contains(&period) || src.len() <= period || out.len() != src.len() {
        return;
    }
    // Multiplying by a hoisted 1/n (rather than dividing) is TA-Lib's rounding.
    let inv = 1.0 / period as f64;
    let n1 = (period - 1) as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=period {
        let (up, down) = split(src[i] - src[i - 1]);
        gain += up;
        loss += down;
    }
    gain *= inv;
    loss *= inv;
    out[period] = ratio(gain, loss);
    for i in period + 1..src.len() {
        let (up, down) = split(src[i] - src[i - 1]);
        gain = (gain * n1 + up) * inv;
        loss = (loss * n1 + down) * inv;
        out[i] = ratio(gain, loss);
    }
}

/// A change as (gain, loss), both non-negative.
#[inline(always)]
fn split(change: f64) -> (f64, f64) {
    if change > 0.0 {
        (change, 0.0)
    } else {
        (0.0, -change)
    }
}

#[inline(always)]
fn ratio(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if total > 0.0 {
        100.0 * (gain / total)
    } else {
        50.0
    }
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
