//! CDLDOJI, the doji (TA-Lib `CDLDOJI`).
//!
//! Formula: `+100` when `|close − open| ≤ BodyDoji`, i.e. 0.1 × the mean
//! high−low range of the 10 bars before; else 0. Warm-up: 10 bars.
//! Complexity: O(len), no allocation.

use super::settings::{judged_exactly, Candles, PeriodTotal, BODY_DOJI};

pub fn cdl_doji_lookback() -> usize {
    BODY_DOJI.period
}

pub fn cdl_doji(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_doji_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let doji = PeriodTotal::new(BODY_DOJI, 0, &b, first);
    let period = BODY_DOJI.period;
    // A block at a time: first the serial part, the high−low total (one add
    // per bar on its chain, the floor here as for TA-Lib) stored before each
    // bar rolls it on; then the verdicts, branch-free and independent, so they
    // vectorise; then, only in a block where some bar's threshold was too
    // close to call, the exact test for those bars. CDLDOJI went from 1.7 to
    // ~1.35 ns/bar, level with TA-Lib's 1.3–1.4 (`cargo bench --bench
    // indicators`): the total's add chain (~0.9 ns/bar) is the floor for
    // both, and TA-Lib hides its divide under it. One loop doing the first
    // two, or all three, ran at 1.7–1.9; AVX2 for the verdicts gained nothing.
    let averaged = doji.averaged();
    let mut totals = [0.0; BLOCK];
    let mut total = doji.total();
    let mut start = first;
    while start < out.len() {
        let end = (start + BLOCK).min(out.len());
        let totals = &mut totals[..end - start];
        let spans = high[start..end].iter().zip(&low[start..end]);
        let old_spans = high[start - period..].iter().zip(&low[start - period..]);
        for (t, ((&h, &l), (&old_h, &old_l))) in totals.iter_mut().zip(spans.zip(old_spans)) {
            *t = total;
            total += (h - l) - (old_h - old_l);
        }
        let verdicts = out[start..end]
            .iter_mut()
            .zip(open[start..end].iter().zip(&close[start..end]))
            .zip(totals.iter());
        let mut unsure = false;
        for ((slot, (&o, &c)), &t) in verdicts {
            let (doji_t, rb) = (averaged.approx(t), (c - o).abs());
            *slot = if rb <= doji_t.mid { 100.0 } else { 0.0 };
            unsure |= doji_t.unsure(rb);
        }
        if unsure {
            for (k, &t) in totals.iter().enumerate() {
                let i = start + k;
                let at = doji.with_total(t);
                if at.approx(&b, i).unsure(b.real_body(i)) {
                    out[i] = judged_exactly(|| {
                        if b.real_body(i) <= at.threshold(&b, i) {
                            100.0
                        } else {
                            0.0
                        }
                    });
                }
            }
        }
        start = end;
    }
}

/// Bars judged together, after their totals.
const BLOCK: usize = 64;
