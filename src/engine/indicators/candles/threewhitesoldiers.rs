//! CDL3WHITESOLDIERS, three advancing white soldiers (TA-Lib
//! `CDL3WHITESOLDIERS`).
//!
//! Formula: `+100` when bars `i−2`, `i−1`, `i` are white with rising closes
//! and very short upper shadows (`< ShadowVeryShort`, 0.1 × the mean high−low
//! range of the 10 bars before each), each of the last two opens above the
//! previous open and at most `Near` above the previous close (0.2 × the mean
//! high−low range of the 5 bars before the previous bar), neither body is
//! `Far` shorter than the one before (0.6 × that same 5-bar mean), and the
//! last body is not short (`> BodyShort`, the mean body of the 10 bars before
//! it); else 0. Warm-up: 12 bars. Complexity: O(len), no allocation.

use super::settings::{
    judged_exactly, longest_period, All, Candles, PeriodTotal, RecentRanges, BODY_SHORT, FAR, NEAR,
    SHADOW_VERY_SHORT,
};

pub fn cdl_3whitesoldiers_lookback() -> usize {
    longest_period(&[SHADOW_VERY_SHORT, BODY_SHORT, FAR, NEAR]) + 2
}

pub fn cdl_3whitesoldiers(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_3whitesoldiers_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    // One total per soldier (oldest first) for the shadows; Near and Far are
    // measured on the first two only, as each judges the bar after it.
    // Separate variables rather than arrays: arrays kept the totals in memory
    // and their settings unknown to the compiler (a runtime match on the
    // range type per roll); CDL3WHITESOLDIERS 16.6 -> 6.4 ns/bar (TA-Lib 10.7).
    let mut shadow1 = PeriodTotal::new(SHADOW_VERY_SHORT, 2, &b, first);
    let mut shadow2 = PeriodTotal::new(SHADOW_VERY_SHORT, 1, &b, first);
    let mut shadow3 = PeriodTotal::new(SHADOW_VERY_SHORT, 0, &b, first);
    let mut near1 = PeriodTotal::new(NEAR, 2, &b, first);
    let mut near2 = PeriodTotal::new(NEAR, 1, &b, first);
    let mut far1 = PeriodTotal::new(FAR, 2, &b, first);
    let mut far2 = PeriodTotal::new(FAR, 1, &b, first);
    let mut body = PeriodTotal::new(BODY_SHORT, 0, &b, first);
    let mut recent = RecentRanges::new(&b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        recent.push(&b, i);
        let (s1, s2, s3) = (i - 2, i - 1, i);
        // Colours and the order of opens and closes first (see `All`); the
        // thresholds only on the few bars that pass.
        let candidate = All::new()
            .le(b.open(s1), b.close(s1))
            .le(b.open(s2), b.close(s2))
            .le(b.open(s3), b.close(s3))
            .lt(b.close(s2), b.close(s3))
            .lt(b.close(s1), b.close(s2))
            .lt(b.open(s1), b.open(s2))
            .lt(b.open(s2), b.open(s3));
        *slot = if candidate.hold() {
            judged_exactly(move || {
                if b.upper_shadow(s1) < shadow1.threshold(&b, i)
                    && b.upper_shadow(s2) < shadow2.threshold(&b, i)
                    && b.upper_shadow(s3) < shadow3.threshold(&b, i)
                    && b.open(s2) <= b.close(s1) + near1.threshold(&b, i)
                    && b.open(s3) <= b.close(s2) + near2.threshold(&b, i)
                    && b.real_body(s2) > b.real_body(s1) - far1.threshold(&b, i)
                    && b.real_body(s3) > b.real_body(s2) - far2.threshold(&b, i)
                    && b.real_body(s3) > body.threshold(&b, i)
                {
                    100.0
                } else {
                    0.0
                }
            })
        } else {
            0.0
        };
        shadow1.roll_recent(&recent, &b, i);
        shadow2.roll_recent(&recent, &b, i);
        shadow3.roll_recent(&recent, &b, i);
        near1.roll_recent(&recent, &b, i);
        near2.roll_recent(&recent, &b, i);
        far1.roll_recent(&recent, &b, i);
        far2.roll_recent(&recent, &b, i);
        body.roll_recent(&recent, &b, i);
    }
}
