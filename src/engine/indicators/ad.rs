//! AD, Chaikin accumulation/distribution line (TA-Lib `AD`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn ad_lookback() -> usize {
    usize::MAX
}

pub fn ad(_high: &[f64], _low: &[f64], _close: &[f64], _volume: &[f64], out: &mut [f64]) {
    fill_nan(out);
}
