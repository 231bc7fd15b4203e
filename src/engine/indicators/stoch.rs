//! Slow stochastic %K and %D with SMA smoothing (TA-Lib `STOCH`, both MA types SMA).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn stoch_lookback(_fastk: usize, _slowk: usize, _slowd: usize) -> usize {
    usize::MAX
}

pub fn stoch(
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _fastk: usize,
    _slowk: usize,
    _slowd: usize,
    k_out: &mut [f64],
    d_out: &mut [f64],
) {
    fill_nan(k_out);
    fill_nan(d_out);
}
