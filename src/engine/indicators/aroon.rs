//! Aroon up/down and the Aroon oscillator (TA-Lib `AROON`, `AROONOSC`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn aroon_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn aroon(_high: &[f64], _low: &[f64], _period: usize, down: &mut [f64], up: &mut [f64]) {
    fill_nan(down);
    fill_nan(up);
}

pub fn aroonosc_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn aroonosc(_high: &[f64], _low: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
