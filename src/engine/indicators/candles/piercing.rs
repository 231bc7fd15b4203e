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

use std::hint::select_unpredictable;

use super::settings::{verdict, Candles, PeriodTotal, RecentRanges, BODY_LONG};

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
        // TA-Lib's port fuses this multiply-add; halving is exact, so the
        // unfused sum rounds the same.
        let level = b.close(i - 1) + b.real_body(i - 1) * 0.5;
        let (prev_t, this_t) = (long_prev.approx(&b, i), long_this.approx(&b, i));
        let (prev_rb, rb) = (b.real_body(i - 1), b.real_body(i));
        let fired = b.is_black(i - 1)
            & (prev_rb > prev_t.mid)
            & b.is_white(i)
            & (rb > this_t.mid)
            & (b.open(i) < b.low(i - 1))
            & (b.close(i) < b.open(i - 1))
            & (b.close(i) > level);
        let unsure = prev_t.unsure(prev_rb) | this_t.unsure(rb);
        *slot = verdict!(select_unpredictable(fired, 100.0, 0.0), unsure, {
            let fired = b.is_black(i - 1)
                && b.real_body(i - 1) > long_prev.threshold(&b, i)
                && b.is_white(i)
                && b.real_body(i) > long_this.threshold(&b, i)
                && b.open(i) < b.low(i - 1)
                && b.close(i) < b.open(i - 1)
                && b.close(i) > level;
            if fired {
                100.0
            } else {
                0.0
            }
        });
        long_prev.roll_recent(&recent, &b, i);
        long_this.roll_recent(&recent, &b, i);
    }
}
