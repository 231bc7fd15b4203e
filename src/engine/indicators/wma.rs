//! WMA, weighted moving average (TA-Lib `WMA`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn wma_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn wma(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
