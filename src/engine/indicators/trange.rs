//! TRANGE, true range (TA-Lib `TRANGE`); also the one-bar true range every
//! range kernel (ATR, NATR, ADX, ±DI) shares.
//!
//! Formula: the largest of `high - low`, `|prev close - high|`,
//! `|prev close - low|`. Warm-up: 1 bar (bar 0 has no previous close).
//! Complexity: O(len), no allocation.

use super::fill_nan;
use super::lanes::{run_lanes, Lanes, LanesKernel};
use super::select::max;

pub fn trange_lookback() -> usize {
    1
}

pub fn trange(high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let n = out.len();
    if n < 2 || high.len() != n || low.len() != n || close.len() != n {
        fill_nan(out);
        return;
    }
    out[0] = f64::NAN;
    run_lanes(Ranges {
        high: &high[1..],
        low: &low[1..],
        prev_close: &close[..n - 1],
        out: &mut out[1..],
    });
}

/// `out[j] = true_range(high[j], low[j], prev_close[j])`, four bars a step
/// in `lanes` (AVX2 natively where the CPU has it), the same comparisons.
struct Ranges<'a> {
    high: &'a [f64],
    low: &'a [f64],
    prev_close: &'a [f64],
    out: &'a mut [f64],
}

impl LanesKernel for Ranges<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let (h4, h_tail) = self.high.as_chunks::<4>();
        let (l4, l_tail) = self.low.as_chunks::<4>();
        let (c4, c_tail) = self.prev_close.as_chunks::<4>();
        let (o4, o_tail) = self.out.as_chunks_mut::<4>();
        for (o, ((h, l), c)) in o4.iter_mut().zip(h4.iter().zip(l4).zip(c4)) {
            let (h, l, c) = (lanes.load(h), lanes.load(l), lanes.load(c));
            lanes.store(true_range_lanes(lanes, h, l, c), o);
        }
        for (o, ((&h, &l), &c)) in o_tail.iter_mut().zip(h_tail.iter().zip(l_tail).zip(c_tail)) {
            *o = true_range(h, l, c);
        }
    }
}

/// Four bars' true ranges: `true_range` lane by lane, the same comparisons in
/// the same order (the same bits).
#[inline(always)]
pub(crate) fn true_range_lanes<L: Lanes>(
    lanes: L,
    high: L::V,
    low: L::V,
    prev_close: L::V,
) -> L::V {
    let greatest = lanes.max(lanes.sub(high, low), lanes.abs(lanes.sub(prev_close, high)));
    lanes.max(greatest, lanes.abs(lanes.sub(prev_close, low)))
}

/// One bar's true range, in TA-Lib's order of comparisons.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    // `if v > greatest { greatest = v }` twice, as `select::max` (branch-free
    // in wasm too, where a gap beating the day's range is a coin toss that a
    // jump mispredicts).
    let greatest = max(high - low, (prev_close - high).abs());
    max(greatest, (prev_close - low).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_range_takes_the_gap_to_the_previous_close_when_it_is_widest() {
        let high = [10.0, 12.0, 8.0, 9.5];
        let low = [9.0, 11.0, 7.0, 9.0];
        let close = [9.5, 11.5, 7.5, 9.2];
        let mut out = [0.0; 4];
        trange(&high, &low, &close, &mut out);
        assert!(out[0].is_nan());
        // bar 1: gap up, |9.5 - 12| = 2.5 beats 12 - 11 = 1
        assert_eq!(out[1], 2.5);
        // bar 2: gap down, |11.5 - 7| = 4.5
        assert_eq!(out[2], 4.5);
        // bar 3: inside the previous close: |7.5 - 9.5| = 2
        assert_eq!(out[3], 2.0);
    }

    #[test]
    fn every_bar_is_the_one_bar_true_range_bit_for_bit() {
        // The lanes (AVX2 here when the CPU has it) against the scalar
        // comparisons, with gaps both ways and ties, for every tail length.
        use crate::engine::indicators::sma::tests::long_series;
        let close = long_series(1003, 3, false);
        let high: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c + 0.01 * (i % 4) as f64)
            .collect();
        let low: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c - 0.02 * (i % 3) as f64)
            .collect();
        for len in [2, 3, 4, 5, 6, 1003] {
            let mut out = vec![0.0; len];
            trange(&high[..len], &low[..len], &close[..len], &mut out);
            assert!(out[0].is_nan());
            for i in 1..len {
                let want = true_range(high[i], low[i], close[i - 1]);
                assert_eq!(out[i].to_bits(), want.to_bits(), "len {len} bar {i}");
            }
        }
    }

    #[test]
    fn trange_is_all_nan_for_one_bar_or_mismatched_columns() {
        let mut out = [0.0; 1];
        trange(&[1.0], &[1.0], &[1.0], &mut out);
        assert!(out[0].is_nan());
        let mut out = [0.0; 3];
        trange(&[1.0, 2.0], &[1.0, 1.0], &[1.0, 1.5], &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
