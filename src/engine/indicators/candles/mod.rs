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

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve plain white candles (body 1, range 2) and then `pattern`'s bars
    /// as (open, high, low, close).
    fn after_background(pattern: &[(f64, f64, f64, f64)]) -> [Vec<f64>; 4] {
        let mut cols: [Vec<f64>; 4] = Default::default();
        let background = std::iter::repeat_n((100.0, 101.5, 99.5, 101.0), 12);
        for (o, h, l, c) in background.chain(pattern.iter().copied()) {
            cols[0].push(o);
            cols[1].push(h);
            cols[2].push(l);
            cols[3].push(c);
        }
        cols
    }

    type Pattern = fn(&[f64], &[f64], &[f64], &[f64], &mut [f64]);

    fn last(f: Pattern, bars: &[Vec<f64>; 4]) -> f64 {
        let mut out = vec![0.0; bars[0].len()];
        f(&bars[0], &bars[1], &bars[2], &bars[3], &mut out);
        out[out.len() - 1]
    }

    #[test]
    fn an_engulfing_body_scores_100_and_one_touching_end_scores_80() {
        let black = (101.0, 101.2, 99.8, 100.0);
        let strict = after_background(&[black, (99.5, 101.7, 99.4, 101.5)]);
        assert_eq!(last(cdl_engulfing, &strict), 100.0);
        let touching = after_background(&[black, (100.0, 101.7, 99.9, 101.5)]);
        assert_eq!(last(cdl_engulfing, &touching), 80.0);
        let inside = after_background(&[black, (100.2, 101.0, 100.1, 100.8)]);
        assert_eq!(last(cdl_engulfing, &inside), 0.0);
    }

    #[test]
    fn a_small_body_on_a_long_lower_shadow_near_the_prior_low_is_a_hammer() {
        let hammer = after_background(&[(99.6, 99.8, 98.5, 99.8)]);
        assert_eq!(last(cdl_hammer, &hammer), 100.0);
        let upper_wick = after_background(&[(99.6, 100.3, 98.5, 99.8)]);
        assert_eq!(last(cdl_hammer, &upper_wick), 0.0);
    }

    #[test]
    fn a_morning_star_needs_the_third_close_past_the_penetration_level() {
        // Long black, a small star gapping below it, a white close at 101:
        // the first body spans 100..103, so 101 clears 0.3 (100.9), not 0.5.
        let bars = after_background(&[
            (103.0, 103.1, 99.9, 100.0),
            (99.0, 99.1, 98.6, 98.8),
            (99.0, 101.1, 98.9, 101.0),
        ]);
        let star = |penetration: f64| {
            let mut out = vec![0.0; bars[0].len()];
            cdl_morningstar(
                &bars[0],
                &bars[1],
                &bars[2],
                &bars[3],
                penetration,
                &mut out,
            );
            assert!(out[..cdl_morningstar_lookback()].iter().all(|v| v.is_nan()));
            out[out.len() - 1]
        };
        assert_eq!(star(0.3), 100.0);
        assert_eq!(star(0.5), 0.0);
        assert!(star(-1.0).is_nan());
    }
}
