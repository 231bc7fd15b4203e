//! MFI, money flow index (TA-Lib `MFI`).
//!
//! TODO(engine issue): implement to TA-Lib; doc layout: formula, warm-up, complexity.

use super::fill_nan;

pub fn mfi_lookback(_period: usize) -> usize {
    usize::MAX
}

pub fn mfi(
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _volume: &[f64],
    _period: usize,
    out: &mut [f64],
) {
    fill_nan(out);
}
