//! CDLMORNINGSTAR, the morning star (TA-Lib `CDLMORNINGSTAR`).
//!
//! Formula: `+100` when bar `i−2` is black and long (`> BodyLong`, the mean
//! body of the 10 bars before it), bar `i−1`'s body is short (`≤ BodyShort`,
//! the mean body of the 10 bars before it) and gaps down below bar `i−2`'s
//! body, and bar `i` is white, not short (`> BodyShort` of its own 10 bars)
//! and closes above `close[i−2] + penetration × body[i−2]`; else 0.
//! Penetration: TA-Lib's default 0.3, accepted range `0..=3e37` (otherwise all
//! `NaN`). Warm-up: 12 bars, whatever the penetration. Complexity: O(len), no
//! allocation.
//!
//! Definitional trap: the `ta-lib` crate fuses `close + penetration × body`
//! into one `mul_add`; this follows the C library's unfused arithmetic (the two
//! can differ only when the close sits within a rounding error of the level).

use super::settings::{
    judge_three_in_blocks, longest_period, All, Candles, PeriodTotal, BODY_LONG, BODY_SHORT,
};
use super::valid_penetration;
use crate::engine::indicators::fused::mul_add_small_product;

pub fn cdl_morningstar_lookback() -> usize {
    longest_period(&[BODY_SHORT, BODY_LONG]) + 2
}

pub fn cdl_morningstar(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    penetration: f64,
    out: &mut [f64],
) {
    let first = cdl_morningstar_lookback();
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
            // Colours and the gap first (see `All`); the close against the
            // penetration level and the averages only on the few bars that pass.
            All::new()
                .lt(b.close(i - 2), b.open(i - 2))
                .le(b.open(i), b.close(i))
                .lt(b.body_top(i - 1), b.body_bottom(i - 2))
                .bits()
        },
        |i, [long_first, short_star, short_last]| {
            if b.close(i) > mul_add_small_product(b.real_body(i - 2), penetration, b.close(i - 2))
                && b.real_body(i - 2) > long_first.threshold(&b, i)
                && b.real_body(i - 1) <= short_star.threshold(&b, i)
                && b.real_body(i) > short_last.threshold(&b, i)
            {
                100.0
            } else {
                0.0
            }
        },
    );
}

/// A star pattern's totals (the morning and the evening star's alike): the
/// long first candle's and the two short ones', seeded as TA-Lib seeds them.
pub(super) fn star_totals(b: &Candles, first: usize) -> [PeriodTotal; 3] {
    [
        PeriodTotal::new(BODY_LONG, 2, b, first),
        PeriodTotal::new(BODY_SHORT, 1, b, first),
        PeriodTotal::new(BODY_SHORT, 0, b, first),
    ]
}
