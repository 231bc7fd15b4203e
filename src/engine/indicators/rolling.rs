//! Rolling highest, lowest and sum of any series (TA-Lib `MAX`, `MIN`, `SUM`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn highest_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn highest(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}

pub fn lowest_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn lowest(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}

pub fn sum_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn sum(_src: &[f64], _period: usize, out: &mut [f64]) {
    fill_nan(out);
}
