//! CDLEVENINGSTAR, the evening star (TA-Lib `CDLEVENINGSTAR`).
//!
//! Formula: `−100` when bar `i−2` is white and long (`> BodyLong`, the mean
//! body of the 10 bars before it), bar `i−1`'s body is short (`≤ BodyShort`,
//! the mean body of the 10 bars before it) and gaps up above bar `i−2`'s body,
//! and bar `i` is black, not short (`> BodyShort` of its own 10 bars) and
//! closes below `close[i−2] − penetration × body[i−2]`; else 0.
//! Penetration: TA-Lib's default 0.3, accepted range `0..=3e37` (otherwise all
//! `NaN`). Warm-up: 12 bars, whatever the penetration. Complexity: O(len), no
//! allocation.

use super::morningstar::star_totals;
use super::settings::{judge_three_in_blocks, longest_period, All, Candles, BODY_LONG, BODY_SHORT};
use super::valid_penetration;

pub fn cdl_eveningstar_lookback() -> usize {
    longest_period(&[BODY_SHORT, BODY_LONG]) + 2
}

pub fn cdl_eveningstar(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    penetration: f64,
    out: &mut [f64],
) {
    let first = cdl_eveningstar_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    if !valid_penetration(penetration) {
        super::fill_nan(out);
        return;
    }
    judge_three_in_blocks(
        b,
        out,
        first,
        star_totals(&b, first),
        |i| {
            let level = b.close(i - 2) - b.real_body(i - 2) * penetration;
            // Colours, the gap and the close first (see `All`); the averages only
            // on the few bars that pass.
            All::new()
                .le(b.open(i - 2), b.close(i - 2))
                .lt(b.close(i), b.open(i))
                .lt(b.body_top(i - 2), b.body_bottom(i - 1))
                .lt(b.close(i), level)
                .bits()
        },
        |i, [long_first, short_star, short_last]| {
            if b.real_body(i - 2) > long_first.threshold(&b, i)
                && b.real_body(i - 1) <= short_star.threshold(&b, i)
                && b.real_body(i) > short_last.threshold(&b, i)
            {
                -100.0
            } else {
                0.0
            }
        },
    );
}
