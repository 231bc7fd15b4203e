//! CDLHAMMER, the hammer (TA-Lib `CDLHAMMER`).
//!
//! Formula: `+100` when bar `i` has a short real body (`< BodyShort`, the mean
//! body of the 10 bars before), a long lower shadow (`> ShadowLong`, i.e.
//! longer than its own body), a very short upper shadow (`< ShadowVeryShort`,
//! 0.1 × the mean high−low range of the 10 bars before), and its body bottom
//! at or below the previous low plus `Near` (0.2 × the mean high−low range of
//! the 5 bars before the previous bar); else 0. Warm-up: 11 bars.
//! Complexity: O(len), no allocation.

use super::settings::{
    judged_exactly, longest_period, All, Candles, PeriodTotal, RecentRanges, BODY_SHORT, NEAR,
    SHADOW_LONG, SHADOW_VERY_SHORT,
};

pub fn cdl_hammer_lookback() -> usize {
    longest_period(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR]) + 1
}

pub fn cdl_hammer(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_hammer_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut body = PeriodTotal::new(BODY_SHORT, 0, &b, first);
    let mut long_shadow = PeriodTotal::new(SHADOW_LONG, 0, &b, first);
    let mut short_shadow = PeriodTotal::new(SHADOW_VERY_SHORT, 0, &b, first);
    let mut near = PeriodTotal::new(NEAR, 1, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        // Every test in one fold (see `All`), the averaged thresholds by
        // their brackets' far ends (necessary conditions, see `Approx`);
        // TA-Lib's exact tests only on the few bars that pass.
        let (rb, lower, upper) = (b.real_body(i), b.lower_shadow(i), b.upper_shadow(i));
        let near_t = near.approx(&b, i).plus(b.low(i - 1));
        let candidate = All::new()
            .lt(rb, body.approx(&b, i).hi)
            .lt(long_shadow.threshold(&b, i), lower)
            .lt(upper, short_shadow.approx(&b, i).hi)
            .le(b.body_bottom(i), near_t.hi);
        *slot = if candidate.hold() {
            judged_exactly(move || {
                if rb < body.threshold(&b, i)
                    && upper < short_shadow.threshold(&b, i)
                    && b.body_bottom(i) <= b.low(i - 1) + near.threshold(&b, i)
                {
                    100.0
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
        near.roll_recent(&recent, &b, i);
    }
}
