//! ATR, average true range, and NATR, ATR as a percent of close (TA-Lib `ATR`,
//! `NATR`), Wilder smoothing.
//!
//! Formula: seed = mean of the true ranges of bars 1..=n, placed at bar `n`;
//! then `atr = (atr·(n-1) + tr) / n`. NATR = `100·atr / close` (0 when close
//! is zero by TA-Lib's 1e-8 test). With `n == 1` both are the plain true range.
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 1..=100000. Complexity: O(len), no allocation.

use super::trange::true_range;
use super::{fill_nan, is_zero};

pub fn atr_lookback(period: usize) -> usize {
    period
}

pub fn natr_lookback(period: usize) -> usize {
    period
}

pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    wilder_true_range(high, low, close, period, out, |atr, _| atr);
}

pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    wilder_true_range(high, low, close, period, out, |atr, close| {
        if is_zero(close) {
            0.0
        } else {
            (atr / close) * 100.0
        }
    });
}

#[inline(always)]
fn wilder_true_range(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
    finish: impl Fn(f64, f64) -> f64,
) {
    fill_nan(out);
    let len = out.len();
    if !(1..=100_000).contains(&period)
        || len <= period
        || high.len() != len
        || low.len() != len
        || close.len() != len
    {
        return;
    }
    let n = period as f64;
    let mut prev = 0.0;
    for i in 1..=period {
        prev += true_range(high[i], low[i], close[i - 1]);
    }
    prev /= n;
    out[period] = finish(prev, close[period]);
    for i in period + 1..len {
        prev *= n - 1.0;
        prev += true_range(high[i], low[i], close[i - 1]);
        prev /= n;
        out[i] = finish(prev, close[i]);
    }
}
