//! STDDEV, population standard deviation times `nbdev` (TA-Lib `STDDEV`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn stddev_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn stddev(_src: &[f64], _period: usize, _nbdev: f64, out: &mut [f64]) {
    fill_nan(out);
}
