//! DEMA, double exponential moving average (TA-Lib `DEMA`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn dema_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn dema(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
