//! Stochastic RSI %K and %D (TA-Lib `STOCHRSI`, fast-D MA type SMA).
//!
//! Formula: r = RSI(`period`); %K = 100·(r − min r)/(max r − min r) over the
//! last `fastk` RSI values (a fast stochastic with high = low = close = r);
//! %D = SMA(`fastd`) of %K (a period of 1 is no smoothing). A flat RSI window
//! (|max − min| ≤ 1e-14·(|max| + |min|), e.g. RSI pinned at 0, 50 or 100)
//! gives %K = 0.
//! Warm-up: `period + (fastk − 1) + (fastd − 1)` bars for both outputs. The
//! RSI under it depends on how much history was loaded.
//! Range: `period` in 2..=100000, `fastk` and `fastd` in 1..=100000.
//! Complexity: O(len) (branch-free sliding extremes, see `rolling.rs`);
//! `d_out` holds the RSI until %D replaces it, and one scratch column is
//! allocated for the window lows.

use super::fill_nan;
use super::rsi::{rsi_lookback, rsi_stepwise};
use super::stoch::{fast_k, smooth};

pub fn stochrsi_lookback(period: usize, fastk: usize, fastd: usize) -> usize {
    rsi_lookback(period) + fastk.saturating_sub(1) + fastd.saturating_sub(1)
}

pub fn stochrsi(
    src: &[f64],
    period: usize,
    fastk: usize,
    fastd: usize,
    k_out: &mut [f64],
    d_out: &mut [f64],
) {
    fill_nan(k_out);
    fill_nan(d_out);
    let len = src.len();
    let periods_ok = (2..=100_000).contains(&period)
        && (1..=100_000).contains(&fastk)
        && (1..=100_000).contains(&fastd);
    let lookback = stochrsi_lookback(period, fastk, fastd);
    if !periods_ok || k_out.len() != len || d_out.len() != len || len <= lookback {
        return;
    }
    rsi_stepwise(src, period, d_out);
    let r = &d_out[period..];
    let mut lows = vec![0.0; r.len()];
    fast_k(r, r, r, fastk, &mut k_out[period..], &mut lows);
    let k_start = period + fastk - 1;
    smooth(&k_out[k_start..], fastd, &mut d_out[k_start..]);
    fill_nan(&mut k_out[..lookback]);
    fill_nan(&mut d_out[..lookback]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::rsi;

    fn series() -> Vec<f64> {
        (0..80)
            .map(|i| 30.0 + (i as f64 * 0.37).sin() * 4.0 + (i % 5) as f64 * 0.3)
            .collect()
    }

    #[test]
    fn k_is_the_stochastic_of_the_rsi_and_d_its_average() {
        let src = series();
        let (period, fk, fd) = (6, 4, 3);
        let mut r = vec![0.0; src.len()];
        rsi(&src, period, &mut r);
        let (mut k, mut d) = (vec![0.0; src.len()], vec![0.0; src.len()]);
        stochrsi(&src, period, fk, fd, &mut k, &mut d);
        let lb = stochrsi_lookback(period, fk, fd);
        assert_eq!(lb, 6 + 3 + 2);
        assert!(k[..lb].iter().chain(&d[..lb]).all(|v| v.is_nan()));
        for i in lb..src.len() {
            let want_k = |j: usize| {
                let w = &r[j + 1 - fk..=j];
                let hi = w.iter().cloned().fold(f64::MIN, f64::max);
                let lo = w.iter().cloned().fold(f64::MAX, f64::min);
                100.0 * (r[j] - lo) / (hi - lo)
            };
            assert!((k[i] - want_k(i)).abs() < 1e-9, "k at {i}");
            let want_d = (want_k(i) + want_k(i - 1) + want_k(i - 2)) / 3.0;
            assert!((d[i] - want_d).abs() < 1e-9, "d at {i}");
        }
    }

    #[test]
    fn a_pinned_rsi_gives_zero() {
        let src: Vec<f64> = (0..30).map(|i| 10.0 + i as f64).collect();
        let (mut k, mut d) = (vec![0.0; 30], vec![0.0; 30]);
        stochrsi(&src, 5, 3, 1, &mut k, &mut d);
        assert!(k[7..].iter().chain(&d[7..]).all(|&v| v == 0.0));
    }

    #[test]
    fn bad_periods_give_all_nan() {
        let src = series();
        let (mut k, mut d) = (vec![0.0; src.len()], vec![0.0; src.len()]);
        for (p, fk, fd) in [(1, 5, 3), (14, 0, 3), (14, 5, 0), (72, 10, 1)] {
            stochrsi(&src, p, fk, fd, &mut k, &mut d);
            assert!(k.iter().chain(&d).all(|v| v.is_nan()));
        }
    }
}
