//! CDLPIERCING, the piercing pattern (TA-Lib `CDLPIERCING`).
//!
//! Formula: `+100` when bar `i−1` is black and long, bar `i` is white and
//! long (each `> BodyLong`, the mean body of the 10 bars before that bar),
//! bar `i` opens below bar `i−1`'s low and closes inside its body, above its
//! midpoint (`prev close + 0.5 × prev body < close < prev open`); else 0.
//! Warm-up: 11 bars. Complexity: O(len), no allocation.
//!
//! The two long-body averages are separate running totals, one per candle,
//! as in TA-Lib (they cover the same bars one step apart but round apart).

use super::settings::{judged_exactly, All, Candles, PeriodTotal, RecentRanges, BODY_LONG};

pub fn cdl_piercing_lookback() -> usize {
    BODY_LONG.period + 1
}

pub fn cdl_piercing(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_piercing_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut long_prev = PeriodTotal::new(BODY_LONG, 1, &b, first);
    let mut long_this = PeriodTotal::new(BODY_LONG, 0, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        let (prev_rb, rb) = (b.real_body(i - 1), b.real_body(i));
        // TA-Lib's port fuses this multiply-add; halving is exact, so the
        // unfused sum rounds the same.
        let level = b.close(i - 1) + prev_rb * 0.5;
        // Every test in one fold (see `All`), the long-body averages by
        // their brackets' low ends (see `Approx`); the exact averages only on
        // the few bars that pass.
        let candidate = All::new()
            .lt(b.close(i - 1), b.open(i - 1))
            .le(b.open(i), b.close(i))
            .lt(b.open(i), b.low(i - 1))
            .lt(b.close(i), b.open(i - 1))
            .lt(level, b.close(i))
            .lt(long_prev.approx(&b, i).lo, prev_rb)
            .lt(long_this.approx(&b, i).lo, rb);
        *slot = if candidate.hold() {
            judged_exactly(move || {
                if prev_rb > long_prev.threshold(&b, i) && rb > long_this.threshold(&b, i) {
                    100.0
                } else {
                    0.0
                }
            })
        } else {
            0.0
        };
        long_prev.roll_recent(&recent, &b, i);
        long_this.roll_recent(&recent, &b, i);
    }
}
