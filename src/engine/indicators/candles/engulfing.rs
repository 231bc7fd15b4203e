//! CDLENGULFING, the engulfing pattern (TA-Lib `CDLENGULFING`).
//!
//! Formula: bar `i` has the opposite colour of bar `i−1` and its real body
//! covers the previous one: white after black with `close ≥ prev open` and
//! `open < prev close`, or `close > prev open` and `open ≤ prev close`
//! (mirrored for black after white). Output: `±100` (the sign of bar `i`'s
//! colour) when both ends of the body strictly exceed the previous body, `±80`
//! when one end only matches it (TA-Lib 0.6's weaker variant), else 0.
//! Uses no candle settings. Warm-up: 2 bars (TA-Lib's lookback, although only
//! one previous bar is read). Complexity: O(len), no allocation.

use super::settings::{judged_exactly, All, Candles};

pub fn cdl_engulfing_lookback() -> usize {
    2
}

pub fn cdl_engulfing(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_engulfing_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    for (i, slot) in out.iter_mut().enumerate().skip(first) {
        let (o, c, po, pc) = (b.open(i), b.close(i), b.open(i - 1), b.close(i - 1));
        // Colours and the loose engulfing (both ends reached, necessary for
        // either strict form) folded into one sign bit per direction (see
        // `All`), one branch for both: TA-Lib's exact test only on the bars
        // that pass. Branching on each test made CDLENGULFING ~1.0× TA-Lib.
        let white = All::new().le(o, c).lt(pc, po).le(po, c).le(o, pc);
        let black = All::new().lt(c, o).le(po, pc).le(pc, o).le(c, po);
        *slot = if white.or(black).hold() {
            judged_exactly(move || {
                let white_engulfs = b.is_white(i)
                    && b.is_black(i - 1)
                    && ((c >= po && o < pc) || (c > po && o <= pc));
                let black_engulfs = b.is_black(i)
                    && b.is_white(i - 1)
                    && ((o >= pc && c < po) || (o > pc && c <= po));
                if white_engulfs || black_engulfs {
                    let strength = if o != pc && c != po { 100.0 } else { 80.0 };
                    b.color(i) * strength
                } else {
                    0.0
                }
            })
        } else {
            0.0
        };
    }
}
