//! ADOSC, Chaikin A/D oscillator (TA-Lib `ADOSC`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn adosc_lookback(_fast: usize, _slow: usize) -> usize {
    usize::MAX
}

pub fn adosc(
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _volume: &[f64],
    _fast: usize,
    _slow: usize,
    out: &mut [f64],
) {
    fill_nan(out);
}
