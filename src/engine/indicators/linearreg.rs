//! Linear regression end value and slope (TA-Lib `LINEARREG`, `LINEARREG_SLOPE`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn linearreg_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn linearreg(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}

pub fn linearreg_slope_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn linearreg_slope(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
