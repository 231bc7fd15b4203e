//! MOM, momentum (TA-Lib `MOM`).
//!
//! Formula: `out[i] = src[i] - src[i-n]` (price points, not percent; see ROC).
//! Warm-up: `n` bars. Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;
use super::lanes::{run_lanes, Lanes, LanesKernel};

/// Index of the first valid MOM output: `period`.
pub fn mom_lookback(period: usize) -> usize {
    period
}

/// Change of `src` over `period` bars into `out`.
pub fn mom(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || out.len() != src.len() || src.len() <= period {
        fill_nan(out);
        return;
    }
    let (warm, rest) = out.split_at_mut(period);
    fill_nan(warm);
    run_lanes(Differences {
        now: &src[period..],
        before: &src[..src.len() - period],
        out: rest,
    });
}

/// `out[j] = now[j] − before[j]`, four bars a step in `lanes` (AVX2
/// natively where the CPU has it).
struct Differences<'a> {
    now: &'a [f64],
    before: &'a [f64],
    out: &'a mut [f64],
}

impl LanesKernel for Differences<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let (n4, n_tail) = self.now.as_chunks::<4>();
        let (b4, b_tail) = self.before.as_chunks::<4>();
        let (o4, o_tail) = self.out.as_chunks_mut::<4>();
        for (o, (n, b)) in o4.iter_mut().zip(n4.iter().zip(b4)) {
            lanes.store(lanes.sub(lanes.load(n), lanes.load(b)), o);
        }
        for (o, (&n, &b)) in o_tail.iter_mut().zip(n_tail.iter().zip(b_tail)) {
            *o = n - b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mom_is_the_difference_with_the_bar_period_ago() {
        let src = [1.0, 4.0, 9.0, 16.0, 25.0];
        let mut out = [0.0; 5];
        mom(&src, 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert_eq!(&out[3..], &[15.0, 21.0]);
    }

    #[test]
    fn every_length_and_period_gives_the_plain_differences() {
        use crate::engine::indicators::sma::tests::long_series;
        let src = long_series(300, 4, true);
        for period in [1, 2, 5, 10, 290] {
            for len in [period + 1, period + 4, period + 5, 300] {
                let mut out = vec![0.0; len];
                mom(&src[..len], period, &mut out);
                assert!(out[..period].iter().all(|v| v.is_nan()));
                for i in period..len {
                    assert_eq!(out[i].to_bits(), (src[i] - src[i - period]).to_bits());
                }
            }
        }
        let mut out = [0.0; 3];
        mom(&[1.0, 2.0, 3.0], 3, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
