//! EMA, exponential moving average (TA-Lib `EMA`, default compatibility).
//!
//! Formula: `k = 2 / (n + 1)`; seed = SMA of the first `n` inputs, placed at
//! index `n - 1`; then `ema[i] = (src[i] - ema[i-1]) * k + ema[i-1]`.
//! Warm-up: `n - 1` bars. The value depends on how much history was loaded
//! (the seed moves with the first bar). Range: `n` in 2..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;

pub fn ema_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

pub fn ema(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(2..=100_000).contains(&period) || out.len() != src.len() {
        return;
    }
    ema_with_k(src, period, 2.0 / (period as f64 + 1.0), period - 1, out);
}

/// TA-Lib's `TA_INT_EMA`: the first output sits at `first` (≥ `period - 1`),
/// seeded with the SMA of the `period` inputs that end there. MACD uses this to
/// align its fast EMA with the slow one. Writes only `out[first..]`.
pub(crate) fn ema_with_k(src: &[f64], period: usize, k: f64, first: usize, out: &mut [f64]) {
    if period == 0 || first + 1 < period || src.len() <= first {
        return;
    }
    let seed_start = first + 1 - period;
    let mut prev = src[seed_start..=first].iter().sum::<f64>() / period as f64;
    out[first] = prev;
    for i in first + 1..src.len() {
        prev = (src[i] - prev) * k + prev;
        out[i] = prev;
    }
}
