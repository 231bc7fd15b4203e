//! CDLHARAMI, the harami (TA-Lib `CDLHARAMI`).
//!
//! Formula: bar `i−1` has a long real body (`> BodyLong`, the mean body of the
//! 10 bars before it) and bar `i` a short one (`≤ BodyShort`, the mean body of
//! the 10 bars before `i`). Output, signed against bar `i−1`'s colour: `±100`
//! when bar `i`'s body lies strictly inside the previous body, `±80` when it
//! lies inside with one end touching (TA-Lib 0.6's weaker variant), else 0.
//! Bar `i`'s colour does not matter. Warm-up: 11 bars. Complexity: O(len), no
//! allocation.

use super::settings::{
    judged_exactly, longest_period, All, Candles, PeriodTotal, RecentRanges, BODY_LONG, BODY_SHORT,
};

pub fn cdl_harami_lookback() -> usize {
    longest_period(&[BODY_SHORT, BODY_LONG]) + 1
}

pub fn cdl_harami(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_harami_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut long = PeriodTotal::new(BODY_LONG, 1, &b, first);
    let mut short = PeriodTotal::new(BODY_SHORT, 0, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        let (top, bottom) = (b.body_top(i), b.body_bottom(i));
        let (prev_top, prev_bottom) = (b.body_top(i - 1), b.body_bottom(i - 1));
        let (prev_rb, rb) = (b.real_body(i - 1), b.real_body(i));
        // The loose containment (necessary for either strength) and the
        // brackets' far ends in one fold (see `All`, `Approx`); TA-Lib's
        // exact tests only on the bars that pass.
        let candidate = All::new()
            .le(top, prev_top)
            .le(prev_bottom, bottom)
            .lt(long.approx(&b, i).lo, prev_rb)
            .le(rb, short.approx(&b, i).hi);
        *slot = if candidate.hold() {
            judged_exactly(move || {
                if prev_rb > long.threshold(&b, i) && rb <= short.threshold(&b, i) {
                    let strong = (top < prev_top) & (bottom > prev_bottom);
                    -b.color(i - 1) * if strong { 100.0 } else { 80.0 }
                } else {
                    0.0
                }
            })
        } else {
            0.0
        };
        long.roll_recent(&recent, &b, i);
        short.roll_recent(&recent, &b, i);
    }
}
