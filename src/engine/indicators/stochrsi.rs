//! Stochastic RSI %K and %D (TA-Lib `STOCHRSI`, fast-D MA type SMA).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn stochrsi_lookback(_period: usize, _fastk: usize, _fastd: usize) -> usize {
    usize::MAX
}

pub fn stochrsi(
    _src: &[f64],
    _period: usize,
    _fastk: usize,
    _fastd: usize,
    k_out: &mut [f64],
    d_out: &mut [f64],
) {
    fill_nan(k_out);
    fill_nan(d_out);
}
