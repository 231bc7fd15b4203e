//! RSI, relative strength index (TA-Lib `RSI`), Wilder smoothing.
//!
//! Formula: average gain `g` and loss `l` are the means of the first `n`
//! changes, then `g = (g·(n-1) + gain) / n` (same for `l`);
//! `rsi = 100·g / (g + l)`, or 0 when `g + l` is zero by TA-Lib's 1e-8 test.
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 2..=100000. Complexity: O(len), no allocation.

use super::{fill_nan, is_zero};

pub fn rsi_lookback(period: usize) -> usize {
    period
}

pub fn rsi(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(2..=100_000).contains(&period) || src.len() <= period || out.len() != src.len() {
        return;
    }
    let n = period as f64;
    let n1 = n - 1.0;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=period {
        let d = src[i] - src[i - 1];
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
    }
    gain /= n;
    loss /= n;
    out[period] = ratio(gain, loss);
    for i in period + 1..src.len() {
        let d = src[i] - src[i - 1];
        gain *= n1;
        loss *= n1;
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
        gain /= n;
        loss /= n;
        out[i] = ratio(gain, loss);
    }
}

#[inline(always)]
fn ratio(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if is_zero(total) {
        0.0
    } else {
        100.0 * (gain / total)
    }
}
