//! TEMA, triple exponential moving average (TA-Lib `TEMA`, Mulloy).
//!
//! Formula: `e1 = EMA(src, n)`, `e2 = EMA(e1, n)`, `e3 = EMA(e2, n)`,
//! `out = e3 + (3·e1 - 3·e2)`; each EMA is seeded with the mean of the first
//! `n` values of its own input.
//! Warm-up: `3·(n - 1)` bars. Trap: like EMA it depends on how much history
//! was loaded. Range: `n` in 1..=100000 (`n == 1` copies the input).
//! Complexity: O(len); the three EMAs run in lockstep, no allocation.

use super::ema::{ema_chain, Combine};
use super::lanes::Lanes;

/// Index of the first valid TEMA output: `3·(period - 1)`.
pub fn tema_lookback(period: usize) -> usize {
    3 * period.saturating_sub(1)
}

/// Triple exponential moving average of `src` over `period` bars into `out`.
pub fn tema(src: &[f64], period: usize, out: &mut [f64]) {
    ema_chain(src, period, out, Tema);
}

/// `e3 + (3·e1 − 3·e2)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tema;

impl Combine<3> for Tema {
    #[inline(always)]
    fn combine<L: Lanes>(self, lanes: L, e: &[L::V; 3]) -> L::V {
        let three = lanes.splat(3.0);
        let diff = lanes.sub(lanes.mul(three, e[0]), lanes.mul(three, e[1]));
        lanes.add(e[2], diff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::ema;

    #[test]
    fn tema_combines_three_chained_emas() {
        let src: Vec<f64> = (0..90)
            .map(|i| 70.0 - ((i * 11) % 13) as f64 * 0.75)
            .collect();
        let period = 5;
        let lag = period - 1;
        let mut e1 = vec![0.0; src.len()];
        ema(&src, period, &mut e1);
        let mut e2 = vec![0.0; src.len() - lag];
        ema(&e1[lag..], period, &mut e2);
        let mut e3 = vec![0.0; src.len() - 2 * lag];
        ema(&e2[lag..], period, &mut e3);
        let mut out = vec![0.0; src.len()];
        tema(&src, period, &mut out);
        let lb = tema_lookback(period);
        assert!(out[..lb].iter().all(|v| v.is_nan()));
        for i in lb..src.len() {
            let want = e3[i - 2 * lag] + 3.0 * e1[i] - 3.0 * e2[i - lag];
            assert!((out[i] - want).abs() < 1e-10, "bar {i}");
        }
    }
}
