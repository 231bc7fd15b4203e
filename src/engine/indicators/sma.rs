//! SMA, simple moving average (TA-Lib `SMA`).
//!
//! Formula: `out[i] = (src[i-n+1] + … + src[i]) / n`, a running sum.
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000. Complexity: O(len), no allocation.

use super::fill_nan;

pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

pub fn sma(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(2..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        return;
    }
    let mut total: f64 = src[..period - 1].iter().sum();
    let n = period as f64;
    for i in period - 1..src.len() {
        total += src[i];
        out[i] = total / n;
        total -= src[i + 1 - period];
    }
}
