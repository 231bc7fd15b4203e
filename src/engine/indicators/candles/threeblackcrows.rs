//! CDL3BLACKCROWS, three black crows (TA-Lib `CDL3BLACKCROWS`).
//!
//! Formula: `−100` when bar `i−3` is white and bars `i−2`, `i−1`, `i` are
//! black with falling closes, bar `i−2` closes below bar `i−3`'s high, each of
//! the last two opens strictly inside the previous black body, and all three
//! have very short lower shadows (`< ShadowVeryShort`, 0.1 × the mean high−low
//! range of the 10 bars before each of them); else 0. Warm-up: 13 bars.
//! Complexity: O(len), no allocation.

use super::settings::{judge_three_in_blocks, All, Candles, PeriodTotal, SHADOW_VERY_SHORT};

pub fn cdl_3blackcrows_lookback() -> usize {
    SHADOW_VERY_SHORT.period + 3
}

pub fn cdl_3blackcrows(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_3blackcrows_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    // One total per crow, oldest first, as TA-Lib seeds them.
    let shadows = [2, 1, 0].map(|lag| PeriodTotal::new(SHADOW_VERY_SHORT, lag, &b, first));
    judge_three_in_blocks(
        b,
        out,
        first,
        shadows,
        |i| {
            let (c1, c2, c3) = (i - 2, i - 1, i);
            // Colours and the order of opens and closes; the shadow
            // thresholds only on the few bars that pass.
            All::new()
                .le(b.open(i - 3), b.close(i - 3))
                .lt(b.close(c1), b.open(c1))
                .lt(b.close(c2), b.open(c2))
                .lt(b.close(c3), b.open(c3))
                .lt(b.open(c2), b.open(c1))
                .lt(b.close(c1), b.open(c2))
                .lt(b.open(c3), b.open(c2))
                .lt(b.close(c2), b.open(c3))
                .lt(b.close(c1), b.high(i - 3))
                .lt(b.close(c2), b.close(c1))
                .lt(b.close(c3), b.close(c2))
                .bits()
        },
        |i, [s1, s2, s3]| {
            let (c1, c2, c3) = (i - 2, i - 1, i);
            if b.lower_shadow(c1) < s1.threshold(&b, i)
                && b.lower_shadow(c2) < s2.threshold(&b, i)
                && b.lower_shadow(c3) < s3.threshold(&b, i)
            {
                -100.0
            } else {
                0.0
            }
        },
    );
}
