//! CDL3BLACKCROWS, three black crows (TA-Lib `CDL3BLACKCROWS`).
//!
//! Formula: `−100` when bar `i−3` is white and bars `i−2`, `i−1`, `i` are
//! black with falling closes, bar `i−2` closes below bar `i−3`'s high, each of
//! the last two opens strictly inside the previous black body, and all three
//! have very short lower shadows (`< ShadowVeryShort`, 0.1 × the mean high−low
//! range of the 10 bars before each of them); else 0. Warm-up: 13 bars.
//! Complexity: O(len), no allocation.

use super::settings::{judged_exactly, All, Candles, PeriodTotal, SHADOW_VERY_SHORT};

pub fn cdl_3blackcrows_lookback() -> usize {
    SHADOW_VERY_SHORT.period + 3
}

pub fn cdl_3blackcrows(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_3blackcrows_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let period = SHADOW_VERY_SHORT.period;
    // One total per crow, oldest first, seeded as TA-Lib seeds them.
    let shadows = [2, 1, 0].map(|lag| PeriodTotal::new(SHADOW_VERY_SHORT, lag, &b, first));
    let mut totals = shadows.map(|s| s.total());
    // A block of bars at a time, in two passes. First, with no branch and no
    // chain (so four bars wide): each candle's change to the totals, its
    // high−low range less the one `period` bars before (the difference
    // TA-Lib adds, the same bits), and the cheap tests folded into one sign
    // bit a bar (`All`). Then the three totals, one add a bar each, and the
    // exact tests on the few candidates. One pass a bar, rolling each total
    // from a ring of recent ranges, ran at 1.05–1.15× TA-Lib.
    let mut changes = [0.0; BLOCK + 2];
    let mut candidates = [0u64; BLOCK];
    let mut start = first;
    while start < out.len() {
        let end = (start + BLOCK).min(out.len());
        // Candles `start − 2 .. end`: the oldest crow's, two bars back.
        let changes = &mut changes[..end - start + 2];
        for (d, j) in changes.iter_mut().zip(start - 2..end) {
            *d = (b.high(j) - b.low(j)) - (b.high(j - period) - b.low(j - period));
        }
        let candidates = &mut candidates[..end - start];
        for (c, i) in candidates.iter_mut().zip(start..end) {
            let (c1, c2, c3) = (i - 2, i - 1, i);
            // Colours and the order of opens and closes first; the shadow
            // thresholds only on the few bars that pass.
            *c = All::new()
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
                .bits();
        }
        let bars = out[start..end]
            .iter_mut()
            .zip(candidates.iter())
            .zip(changes.windows(3));
        for (k, ((slot, &candidate), d)) in bars.enumerate() {
            let i = start + k;
            *slot = if candidate >> 63 == 1 {
                let [s1, s2, s3] = [0, 1, 2].map(|c| shadows[c].with_total(totals[c]));
                judged_exactly(move || {
                    let (c1, c2, c3) = (i - 2, i - 1, i);
                    if b.lower_shadow(c1) < s1.threshold(&b, i)
                        && b.lower_shadow(c2) < s2.threshold(&b, i)
                        && b.lower_shadow(c3) < s3.threshold(&b, i)
                    {
                        -100.0
                    } else {
                        0.0
                    }
                })
            } else {
                0.0
            };
            // Each total slides past its crow: `d` holds the changes of
            // candles `i − 2`, `i − 1` and `i`.
            for (t, d) in totals.iter_mut().zip(d) {
                *t += d;
            }
        }
        start = end;
    }
}

/// Bars a block of `cdl_3blackcrows` judges.
const BLOCK: usize = 64;
