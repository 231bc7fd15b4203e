//! CDLMARUBOZU, the marubozu (TA-Lib `CDLMARUBOZU`).
//!
//! Formula: a long real body (`> BodyLong`, the mean body of the 10 bars
//! before) with both shadows very short (`< ShadowVeryShort`, 0.1 × the mean
//! high−low range of the 10 bars before). Output: `±100` by the bar's colour,
//! else 0. Warm-up: 10 bars. Complexity: O(len), no allocation.

use std::hint::select_unpredictable;

use super::settings::{
    longest_period, verdict, Candles, PeriodTotal, RecentRanges, BODY_LONG, SHADOW_VERY_SHORT,
};

pub fn cdl_marubozu_lookback() -> usize {
    longest_period(&[BODY_LONG, SHADOW_VERY_SHORT])
}

pub fn cdl_marubozu(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_marubozu_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut long = PeriodTotal::new(BODY_LONG, 0, &b, first);
    let mut shadow = PeriodTotal::new(SHADOW_VERY_SHORT, 0, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        let (long_t, short_t) = (long.approx(&b, i), shadow.approx(&b, i));
        let (rb, upper, lower) = (b.real_body(i), b.upper_shadow(i), b.lower_shadow(i));
        let fired = (rb > long_t.mid) & (upper < short_t.mid) & (lower < short_t.mid);
        let unsure = long_t.unsure(rb) | short_t.unsure(upper) | short_t.unsure(lower);
        *slot = verdict!(
            select_unpredictable(fired, b.color(i) * 100.0, 0.0),
            unsure,
            {
                let very_short = shadow.threshold(&b, i);
                let fired = b.real_body(i) > long.threshold(&b, i)
                    && b.upper_shadow(i) < very_short
                    && b.lower_shadow(i) < very_short;
                if fired {
                    b.color(i) * 100.0
                } else {
                    0.0
                }
            }
        );
        long.roll_recent(&recent, &b, i);
        shadow.roll_recent(&recent, &b, i);
    }
}
