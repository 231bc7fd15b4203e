//! CCI, commodity channel index (TA-Lib `CCI`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn cci_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn cci(_high: &[f64], _low: &[f64], _close: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
