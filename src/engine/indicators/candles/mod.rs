//! Candlestick patterns (TA-Lib `CDL*`), returning +100 (bullish), −100
//! (bearish) or 0 as `f64` (±80 for TA-Lib's weaker engulfing and harami
//! variants), with TA-Lib's default candle settings (body and shadow
//! thresholds averaged over each setting's period, see `settings`).
//!
//! Every pattern: one file, `cdl_<name>(open, high, low, close[, penetration],
//! out)` plus `cdl_<name>_lookback()`, equal to TA-Lib's `TA_CDL*` and
//! `TA_CDL*_Lookback` with default settings. Columns of unequal length, or a
//! penetration outside TA-Lib's `0..=3e37`, leave `out` all `NaN`.

use super::fill_nan;

mod settings;

pub mod darkcloudcover;
pub mod doji;
pub mod engulfing;
pub mod eveningstar;
pub mod hammer;
pub mod harami;
pub mod marubozu;
pub mod morningstar;
pub mod piercing;
pub mod shootingstar;
pub mod threeblackcrows;
pub mod threewhitesoldiers;

pub use darkcloudcover::{cdl_darkcloudcover, cdl_darkcloudcover_lookback};
pub use doji::{cdl_doji, cdl_doji_lookback};
pub use engulfing::{cdl_engulfing, cdl_engulfing_lookback};
pub use eveningstar::{cdl_eveningstar, cdl_eveningstar_lookback};
pub use hammer::{cdl_hammer, cdl_hammer_lookback};
pub use harami::{cdl_harami, cdl_harami_lookback};
pub use marubozu::{cdl_marubozu, cdl_marubozu_lookback};
pub use morningstar::{cdl_morningstar, cdl_morningstar_lookback};
pub use piercing::{cdl_piercing, cdl_piercing_lookback};
pub use shootingstar::{cdl_shootingstar, cdl_shootingstar_lookback};
pub use threeblackcrows::{cdl_3blackcrows, cdl_3blackcrows_lookback};
pub use threewhitesoldiers::{cdl_3whitesoldiers, cdl_3whitesoldiers_lookback};

/// The penetration range TA-Lib accepts (`0..=TA_REAL_MAX`); `NaN` is outside.
fn valid_penetration(penetration: f64) -> bool {
    (0.0..=3e37).contains(&penetration)
}

/// +100 or −100 by sign, as TA-Lib writes `sign * 100`.
#[inline(always)]
fn signal(sign: f64, fired: bool) -> f64 {
    if fired {
        sign * 100.0
    } else {
        0.0
    }
}
