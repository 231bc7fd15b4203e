//! OBV, on-balance volume (TA-Lib `OBV`, on close).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn obv_lookback() -> usize {
    usize::MAX
}

pub fn obv(_src: &[f64], _volume: &[f64], out: &mut [f64]) {
    fill_nan(out);
}
