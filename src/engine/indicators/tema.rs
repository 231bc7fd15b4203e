//! TEMA, triple exponential moving average (TA-Lib `TEMA`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn tema_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn tema(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
