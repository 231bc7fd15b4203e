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
    longest_period, verdict, Candles, PeriodTotal, BODY_SHORT, FAR, NEAR, SHADOW_VERY_SHORT,
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
    let mut shadow = [2, 1, 0].map(|lag| PeriodTotal::new(SHADOW_VERY_SHORT, lag, &b, first));
    let mut near = [2, 1].map(|lag| PeriodTotal::new(NEAR, lag, &b, first));
    let mut far = [2, 1].map(|lag| PeriodTotal::new(FAR, lag, &b, first));
    let mut body = PeriodTotal::new(BODY_SHORT, 0, &b, first);
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        let (s1, s2, s3) = (i - 2, i - 1, i);
        let shadow_t = [0, 1, 2].map(|k| shadow[k].approx(&b, i));
        let upper = [s1, s2, s3].map(|k| b.upper_shadow(k));
        let near_t = [
            near[0].approx(&b, i).plus(b.close(s1)),
            near[1].approx(&b, i).plus(b.close(s2)),
        ];
        let far_t = [
            far[0].approx(&b, i).subtracted_from(b.real_body(s1)),
            far[1].approx(&b, i).subtracted_from(b.real_body(s2)),
        ];
        let body_t = body.approx(&b, i);
        let (rb2, rb3) = (b.real_body(s2), b.real_body(s3));
        let fired = b.is_white(s1)
            & (upper[0] < shadow_t[0].mid)
            & b.is_white(s2)
            & (upper[1] < shadow_t[1].mid)
            & b.is_white(s3)
            & (upper[2] < shadow_t[2].mid)
            & (b.close(s3) > b.close(s2))
            & (b.close(s2) > b.close(s1))
            & (b.open(s2) > b.open(s1))
            & (b.open(s2) <= near_t[0].mid)
            & (b.open(s3) > b.open(s2))
            & (b.open(s3) <= near_t[1].mid)
            & (rb2 > far_t[0].mid)
            & (rb3 > far_t[1].mid)
            & (rb3 > body_t.mid);
        let unsure = shadow_t[0].unsure(upper[0])
            | shadow_t[1].unsure(upper[1])
            | shadow_t[2].unsure(upper[2])
            | near_t[0].unsure(b.open(s2))
            | near_t[1].unsure(b.open(s3))
            | far_t[0].unsure(rb2)
            | far_t[1].unsure(rb3)
            | body_t.unsure(rb3);
        *slot = verdict!(if fired { 100.0 } else { 0.0 }, unsure, {
            let fired = b.is_white(s1)
                && b.upper_shadow(s1) < shadow[0].threshold(&b, i)
                && b.is_white(s2)
                && b.upper_shadow(s2) < shadow[1].threshold(&b, i)
                && b.is_white(s3)
                && b.upper_shadow(s3) < shadow[2].threshold(&b, i)
                && b.close(s3) > b.close(s2)
                && b.close(s2) > b.close(s1)
                && b.open(s2) > b.open(s1)
                && b.open(s2) <= b.close(s1) + near[0].threshold(&b, i)
                && b.open(s3) > b.open(s2)
                && b.open(s3) <= b.close(s2) + near[1].threshold(&b, i)
                && b.real_body(s2) > b.real_body(s1) - far[0].threshold(&b, i)
                && b.real_body(s3) > b.real_body(s2) - far[1].threshold(&b, i)
                && b.real_body(s3) > body.threshold(&b, i);
            if fired {
                100.0
            } else {
                0.0
            }
        });
        for total in shadow.iter_mut().chain(&mut near).chain(&mut far) {
            total.roll(&b, i);
        }
        body.roll(&b, i);
    }
}
