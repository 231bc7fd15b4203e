//! DEMA, double exponential moving average (TA-Lib `DEMA`, Mulloy).
//!
//! Formula: `e1 = EMA(src, n)`, `e2 = EMA(e1, n)`, `out = 2·e1 - e2`; each EMA
//! is seeded with the mean of its first `n` inputs (so `e2`'s seed is the mean
//! of the first `n` values of `e1`). Not to be confused with "EMA of EMA" (`e2`).
//! Warm-up: `2·(n - 1)` bars. Trap: like EMA it depends on how much history
//! was loaded. Range: `n` in 1..=100000 (`n == 1` copies the input).
//! Complexity: O(len); both EMAs run in lockstep, no allocation.

use super::ema::{ema_chain, Combine};
use super::lanes::Lanes;

/// Index of the first valid DEMA output: `2·(period - 1)`.
pub fn dema_lookback(period: usize) -> usize {
    2 * period.saturating_sub(1)
}

/// Double exponential moving average of `src` over `period` bars into `out`.
pub fn dema(src: &[f64], period: usize, out: &mut [f64]) {
    ema_chain(src, period, out, Dema);
}

/// `2·e1 − e2`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dema;

impl Combine<2> for Dema {
    #[inline(always)]
    fn combine<L: Lanes>(self, lanes: L, e: &[L::V; 2]) -> L::V {
        lanes.sub(lanes.mul(lanes.splat(2.0), e[0]), e[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::ema;

    #[test]
    fn dema_is_twice_the_ema_minus_the_ema_of_its_defined_part() {
        let src: Vec<f64> = (0..80).map(|i| 20.0 + ((i * 5) % 9) as f64 * 0.5).collect();
        let period = 6;
        let mut e1 = vec![0.0; src.len()];
        ema(&src, period, &mut e1);
        let defined = &e1[period - 1..];
        let mut e2 = vec![0.0; defined.len()];
        ema(defined, period, &mut e2);
        let mut out = vec![0.0; src.len()];
        dema(&src, period, &mut out);
        let lb = dema_lookback(period);
        assert!(out[..lb].iter().all(|v| v.is_nan()));
        for i in lb..src.len() {
            let want = 2.0 * e1[i] - e2[i - (period - 1)];
            assert!((out[i] - want).abs() < 1e-10, "bar {i}");
        }
    }
}
