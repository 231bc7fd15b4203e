//! ROC, rate of change in percent (TA-Lib `ROC`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn roc_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn roc(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
