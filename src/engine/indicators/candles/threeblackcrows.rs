//! CDL3BLACKCROWS, three black crows (TA-Lib `CDL3BLACKCROWS`).
//!
//! Formula: `−100` when bar `i−3` is white and bars `i−2`, `i−1`, `i` are
//! black with falling closes, bar `i−2` closes below bar `i−3`'s high, each of
//! the last two opens strictly inside the previous black body, and all three
//! have very short lower shadows (`< ShadowVeryShort`, 0.1 × the mean high−low
//! range of the 10 bars before each of them); else 0. Warm-up: 13 bars.
//! Complexity: O(len), no allocation.

use super::settings::{verdict, Candles, PeriodTotal, SHADOW_VERY_SHORT};

pub fn cdl_3blackcrows_lookback() -> usize {
    SHADOW_VERY_SHORT.period + 3
}

pub fn cdl_3blackcrows(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_3blackcrows_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    // One total per crow, oldest first.
    let mut shadow = [2, 1, 0].map(|lag| PeriodTotal::new(SHADOW_VERY_SHORT, lag, &b, first));
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        let (c1, c2, c3) = (i - 2, i - 1, i);
        let shadow_t = [0, 1, 2].map(|k| shadow[k].approx(&b, i));
        let lower = [c1, c2, c3].map(|k| b.lower_shadow(k));
        let fired = b.is_white(i - 3)
            & b.is_black(c1)
            & b.is_black(c2)
            & b.is_black(c3)
            & (b.open(c2) < b.open(c1))
            & (b.open(c2) > b.close(c1))
            & (b.open(c3) < b.open(c2))
            & (b.open(c3) > b.close(c2))
            & (b.high(i - 3) > b.close(c1))
            & (b.close(c1) > b.close(c2))
            & (b.close(c2) > b.close(c3))
            & (lower[0] < shadow_t[0].mid)
            & (lower[1] < shadow_t[1].mid)
            & (lower[2] < shadow_t[2].mid);
        let unsure = shadow_t[0].unsure(lower[0])
            | shadow_t[1].unsure(lower[1])
            | shadow_t[2].unsure(lower[2]);
        *slot = verdict!(if fired { -100.0 } else { 0.0 }, unsure, {
            let fired = b.is_white(i - 3)
                && b.is_black(c1)
                && b.is_black(c2)
                && b.is_black(c3)
                && b.open(c2) < b.open(c1)
                && b.open(c2) > b.close(c1)
                && b.open(c3) < b.open(c2)
                && b.open(c3) > b.close(c2)
                && b.high(i - 3) > b.close(c1)
                && b.close(c1) > b.close(c2)
                && b.close(c2) > b.close(c3)
                && b.lower_shadow(c1) < shadow[0].threshold(&b, i)
                && b.lower_shadow(c2) < shadow[1].threshold(&b, i)
                && b.lower_shadow(c3) < shadow[2].threshold(&b, i);
            if fired {
                -100.0
            } else {
                0.0
            }
        });
        for total in &mut shadow {
            total.roll(&b, i);
        }
    }
}
