//! SAR, parabolic stop and reverse (TA-Lib `SAR`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn sar_lookback(_accel: f64, _max: f64) -> usize {
    usize::MAX
}

pub fn sar(_high: &[f64], _low: &[f64], _accel: f64, _max: f64, out: &mut [f64]) {
    fill_nan(out);
}
