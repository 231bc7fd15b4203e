//! TRANGE, true range (TA-Lib `TRANGE`).
//!
//! Formula: the largest of `high - low`, `|prev close - high|`,
//! `|prev close - low|`. Warm-up: 1 bar. Complexity: O(len), no allocation.

use super::fill_nan;

pub fn trange_lookback() -> usize {
    1
}

pub fn trange(high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    fill_nan(out);
    let n = out.len();
    if n < 2 || high.len() != n || low.len() != n || close.len() != n {
        return;
    }
    for i in 1..n {
        out[i] = true_range(high[i], low[i], close[i - 1]);
    }
}

/// One bar's true range, in TA-Lib's order of comparisons.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let v2 = (prev_close - high).abs();
    if v2 > greatest {
        greatest = v2;
    }
    let v3 = (prev_close - low).abs();
    if v3 > greatest {
        greatest = v3;
    }
    greatest
}
