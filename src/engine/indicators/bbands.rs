//! Bollinger bands with an SMA middle and population std (TA-Lib `BBANDS`, MA type SMA).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn bbands_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn bbands(
    _src: &[f64],
    _period: usize,
    _nbdev_up: f64,
    _nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) {
    fill_nan(upper);
    fill_nan(middle);
    fill_nan(lower);
}
