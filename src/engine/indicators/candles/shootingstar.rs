//! CDLSHOOTINGSTAR, the shooting star (TA-Lib `CDLSHOOTINGSTAR`).
//!
//! Formula: `−100` when bar `i`'s real body gaps up over the previous body,
//! is short (`< BodyShort`, the mean body of the 10 bars before), has a long
//! upper shadow (`> ShadowLong`, i.e. longer than its own body) and a very
//! short lower shadow (`< ShadowVeryShort`, 0.1 × the mean high−low range of
//! the 10 bars before); else 0. Warm-up: 11 bars. Complexity: O(len), no
//! allocation.

use super::settings::{
    judged_exactly, longest_period, All, Candles, PeriodTotal, RecentRanges, BODY_SHORT,
    SHADOW_LONG, SHADOW_VERY_SHORT,
};

pub fn cdl_shootingstar_lookback() -> usize {
    longest_period(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT]) + 1
}

pub fn cdl_shootingstar(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_shootingstar_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut body = PeriodTotal::new(BODY_SHORT, 0, &b, first);
    let mut long_shadow = PeriodTotal::new(SHADOW_LONG, 0, &b, first);
    let mut short_shadow = PeriodTotal::new(SHADOW_VERY_SHORT, 0, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        // The gap and the long upper shadow (ShadowLong is the bar's own
        // body: no average) and the averages' bracket ends (necessary, see
        // `Approx`) in one fold (see `All`); the exact averages only on the
        // few bars that pass.
        let (rb, lower) = (b.real_body(i), b.lower_shadow(i));
        let candidate = All::new()
            .lt(b.body_top(i - 1), b.body_bottom(i))
            .lt(long_shadow.threshold(&b, i), b.upper_shadow(i))
            .lt(rb, body.approx(&b, i).hi)
            .lt(lower, short_shadow.approx(&b, i).hi);
        *slot = if candidate.hold() {
            judged_exactly(move || {
                if rb < body.threshold(&b, i) && lower < short_shadow.threshold(&b, i) {
                    -100.0
                } else {
                    0.0
                }
            })
        } else {
            0.0
        };
        body.roll_recent(&recent, &b, i);
        long_shadow.roll_recent(&recent, &b, i);
        short_shadow.roll_recent(&recent, &b, i);
    }
}
