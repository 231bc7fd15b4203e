//! Candlestick patterns (TA-Lib `CDL*`), returning +100 (bullish), −100
//! (bearish) or 0 as `f64`, with TA-Lib's default candle settings (body and
//! shadow thresholds averaged over each setting's period).
//!
//! TODO(engine issue): implement the 12 patterns of SPEC §2.2 to TA-Lib.

use super::fill_nan;

macro_rules! stub_pattern {
    ($($name:ident),*) => {$(
        pub fn $name(_open: &[f64], _high: &[f64], _low: &[f64], _close: &[f64], out: &mut [f64]) {
            fill_nan(out);
        }
    )*};
}
stub_pattern!(
    cdl_engulfing,
    cdl_hammer,
    cdl_doji,
    cdl_shootingstar,
    cdl_harami,
    cdl_3whitesoldiers,
    cdl_3blackcrows,
    cdl_piercing,
    cdl_marubozu
);

pub fn cdl_morningstar(
    _open: &[f64],
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _penetration: f64,
    out: &mut [f64],
) {
    fill_nan(out);
}
pub fn cdl_eveningstar(
    _open: &[f64],
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _penetration: f64,
    out: &mut [f64],
) {
    fill_nan(out);
}
pub fn cdl_darkcloudcover(
    _open: &[f64],
    _high: &[f64],
    _low: &[f64],
    _close: &[f64],
    _penetration: f64,
    out: &mut [f64],
) {
    fill_nan(out);
}
