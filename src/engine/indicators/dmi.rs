//! Directional movement: ADX, +DI, −DI (TA-Lib `ADX`, `PLUS_DI`, `MINUS_DI`), Wilder smoothing.
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn adx_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn adx(_high: &[f64], _low: &[f64], _close: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}

pub fn plus_di_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn plus_di(_high: &[f64], _low: &[f64], _close: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}

pub fn minus_di_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn minus_di(_high: &[f64], _low: &[f64], _close: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
