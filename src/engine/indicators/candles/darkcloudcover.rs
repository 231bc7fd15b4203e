//! CDLDARKCLOUDCOVER, dark cloud cover (TA-Lib `CDLDARKCLOUDCOVER`).
//!
//! Formula: `−100` when bar `i−1` is white and long (`> BodyLong`, the mean
//! body of the 10 bars before it), bar `i` is black, opens above bar `i−1`'s
//! high and closes inside its body, at least `penetration` of the way down
//! (`prev open < close < prev close − penetration × prev body`); else 0.
//! Penetration: TA-Lib's default 0.5, accepted range `0..=3e37` (otherwise
//! all `NaN`). Warm-up: 11 bars, whatever the penetration. Complexity:
//! O(len), no allocation.

use std::hint::select_unpredictable;

use super::settings::{verdict, Candles, PeriodTotal, RecentRanges, BODY_LONG};
use super::valid_penetration;

pub fn cdl_darkcloudcover_lookback() -> usize {
    BODY_LONG.period + 1
}

pub fn cdl_darkcloudcover(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    penetration: f64,
    out: &mut [f64],
) {
    let first = cdl_darkcloudcover_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    if !valid_penetration(penetration) {
        super::fill_nan(out);
        return;
    }
    let mut long = PeriodTotal::new(BODY_LONG, 1, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        let (long_t, prev_rb) = (long.approx(&b, i), b.real_body(i - 1));
        let fired = b.is_white(i - 1)
            & (prev_rb > long_t.mid)
            & b.is_black(i)
            & (b.open(i) > b.high(i - 1))
            & (b.close(i) > b.open(i - 1))
            & (b.close(i) < b.close(i - 1) - prev_rb * penetration);
        *slot = verdict!(
            select_unpredictable(fired, -100.0, 0.0),
            long_t.unsure(prev_rb),
            {
                let fired = b.is_white(i - 1)
                    && b.real_body(i - 1) > long.threshold(&b, i)
                    && b.is_black(i)
                    && b.open(i) > b.high(i - 1)
                    && b.close(i) > b.open(i - 1)
                    && b.close(i) < b.close(i - 1) - b.real_body(i - 1) * penetration;
                if fired {
                    -100.0
                } else {
                    0.0
                }
            }
        );
        long.roll_recent(&recent, &b, i);
    }
}
