//! CDLDOJI, the doji (TA-Lib `CDLDOJI`).
//!
//! Formula: `+100` when `|close − open| ≤ BodyDoji`, i.e. 0.1 × the mean
//! high−low range of the 10 bars before; else 0. Warm-up: 10 bars.
//! Complexity: O(len), no allocation.

use std::hint::select_unpredictable;

use super::settings::{verdict, Candles, PeriodTotal, BODY_DOJI};

pub fn cdl_doji_lookback() -> usize {
    BODY_DOJI.period
}

pub fn cdl_doji(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_doji_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let mut doji = PeriodTotal::new(BODY_DOJI, 0, &b, first);
    // One high−low total, rolled from the columns directly (zipped slices,
    // no bounds checks, no ring of bodies it does not need): its add chain,
    // one add per bar, is the floor here, as it is for TA-Lib.
    let period = BODY_DOJI.period;
    let bars = out[first..]
        .iter_mut()
        .zip(&open[first..])
        .zip(&close[first..])
        .zip(high[first..].iter().zip(&low[first..]))
        .zip(high[first - period..].iter().zip(&low[first - period..]))
        .enumerate();
    for (k, ((((slot, &o), &c), (&h, &l)), (&old_h, &old_l))) in bars {
        let i = first + k;
        let (doji_t, rb) = (doji.approx(&b, i), (c - o).abs());
        let fast = select_unpredictable(rb <= doji_t.mid, 100.0, 0.0);
        *slot = verdict!(fast, doji_t.unsure(rb), {
            if b.real_body(i) <= doji.threshold(&b, i) {
                100.0
            } else {
                0.0
            }
        });
        doji.roll_by(h - l, old_h - old_l);
    }
}
