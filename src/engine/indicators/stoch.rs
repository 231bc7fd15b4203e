//! Slow stochastic %K and %D with SMA smoothing (TA-Lib `STOCH`, both MA types
//! SMA), plus the fast-%K and window-extreme helpers STOCHRSI and WILLR share.
//!
//! Formula: fast %K = 100·(close − LL)/(HH − LL) over the last `fastk` bars
//! (HH highest high, LL lowest low, today included); slow %K = SMA(`slowk`) of
//! fast %K; slow %D = SMA(`slowd`) of slow %K. A period of 1 is no smoothing.
//! Flat window: when |HH − LL| ≤ 1e-14·(|HH| + |LL|) fast %K is 0 (TA-Lib's
//! relative flatness band, not the fixed 1e-8 one).
//! Warm-up: `(fastk − 1) + (slowk − 1) + (slowd − 1)` bars for both outputs.
//! Range: all three periods in 1..=100000.
//! Complexity: O(len) (branch-free sliding extremes, see `rolling.rs`); no
//! allocation: the two output columns take turns as scratch.

use super::rolling::{pick_max, pick_min, sliding_extreme};
use super::{fill_nan, sma::sma};

pub fn stoch_lookback(fastk: usize, slowk: usize, slowd: usize) -> usize {
    fastk.saturating_sub(1) + slowk.saturating_sub(1) + slowd.saturating_sub(1)
}

#[allow(clippy::too_many_arguments)]
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    k_out: &mut [f64],
    d_out: &mut [f64],
) {
    let len = close.len();
    let periods_ok = [fastk, slowk, slowd]
        .iter()
        .all(|p| (1..=100_000).contains(p));
    let lens_ok = [high.len(), low.len(), k_out.len(), d_out.len()]
        .iter()
        .all(|&l| l == len);
    let lookback = stoch_lookback(fastk, slowk, slowd);
    if !periods_ok || !lens_ok || len <= lookback {
        fill_nan(k_out);
        fill_nan(d_out);
        return;
    }
    // Raw %K in `d_out` (lowest lows in `k_out` meanwhile), slow %K in
    // `k_out`, slow %D in `d_out`: no copy between the columns.
    fast_k(high, low, close, fastk, d_out, k_out);
    let raw_start = fastk - 1;
    smooth(&d_out[raw_start..], slowk, &mut k_out[raw_start..]);
    let slow_start = raw_start + slowk - 1;
    smooth(&k_out[slow_start..], slowd, &mut d_out[slow_start..]);
    fill_nan(&mut k_out[..lookback]);
    fill_nan(&mut d_out[..lookback]);
}

/// SMA smoothing where a period of 1 is a plain copy (TA-Lib's `MA` identity).
pub(crate) fn smooth(src: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(src);
    } else {
        sma(src, period, out);
    }
}

/// Raw fast %K into `out[period - 1..]` (the slots before are left untouched),
/// using `lows` (same length, any content) as scratch for the lowest lows.
/// Callers have checked `period >= 1` and equal lengths.
pub(crate) fn fast_k(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
    lows: &mut [f64],
) {
    // Two branch-free sliding passes then one fused pass: ~4x faster than
    // tracking both extremes bar by bar (STOCH/WILLR in the indicators bench).
    sliding_extreme(high, period, out, pick_max);
    sliding_extreme(low, period, lows, pick_min);
    let start = period - 1;
    for ((k, &ll), &c) in out[start..]
        .iter_mut()
        .zip(&lows[start..])
        .zip(&close[start..])
    {
        let hh = *k;
        *k = if is_flat(hh, ll) {
            0.0
        } else {
            (c - ll) / (hh - ll) * 100.0
        };
    }
}

/// TA-Lib's flat-window test for STOCH, STOCHF and WILLR: the range is zero
/// relative to its own extremes (|HH − LL| ≤ 1e-14·(|HH| + |LL|)).
#[inline(always)]
pub(crate) fn is_flat(hh: f64, ll: f64) -> bool {
    (hh - ll).abs() <= 1e-14 * (hh.abs() + ll.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight from the definition: window max/min, ratio, then two SMAs.
    fn naive(h: &[f64], l: &[f64], c: &[f64], fk: usize, sk: usize, sd: usize) -> Vec<f64> {
        let raw: Vec<f64> = (fk - 1..c.len())
            .map(|i| {
                let hh = h[i + 1 - fk..=i].iter().cloned().fold(f64::MIN, f64::max);
                let ll = l[i + 1 - fk..=i].iter().cloned().fold(f64::MAX, f64::min);
                if hh == ll {
                    0.0
                } else {
                    100.0 * (c[i] - ll) / (hh - ll)
                }
            })
            .collect();
        let avg = |v: &[f64], n: usize| -> Vec<f64> {
            v.windows(n)
                .map(|w| w.iter().sum::<f64>() / n as f64)
                .collect()
        };
        avg(&avg(&raw, sk), sd)
    }

    fn bars() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let c: Vec<f64> = (0..60)
            .map(|i| 50.0 + (i as f64 * 0.7).sin() * 5.0 + (i % 7) as f64)
            .collect();
        let h = c
            .iter()
            .enumerate()
            .map(|(i, x)| x + 0.5 + (i % 3) as f64)
            .collect();
        let l = c
            .iter()
            .enumerate()
            .map(|(i, x)| x - 0.25 - (i % 4) as f64)
            .collect();
        (h, l, c)
    }

    #[test]
    fn slow_d_equals_a_naive_double_average_of_raw_k() {
        let (h, l, c) = bars();
        for (fk, sk, sd) in [(5, 3, 3), (14, 3, 5), (1, 1, 1), (3, 1, 4)] {
            let (mut k, mut d) = (vec![0.0; c.len()], vec![0.0; c.len()]);
            stoch(&h, &l, &c, fk, sk, sd, &mut k, &mut d);
            let lb = stoch_lookback(fk, sk, sd);
            let want = naive(&h, &l, &c, fk, sk, sd);
            assert!(k[..lb].iter().chain(&d[..lb]).all(|v| v.is_nan()));
            for (i, w) in want.iter().enumerate() {
                assert!(
                    (d[lb + i] - w).abs() < 1e-9,
                    "({fk},{sk},{sd}) at {}",
                    lb + i
                );
                assert!((0.0..=100.0).contains(&k[lb + i]));
            }
        }
    }

    #[test]
    fn a_flat_window_gives_zero_not_a_division() {
        let p = [7.0; 10];
        let (mut k, mut d) = ([1.0; 10], [1.0; 10]);
        stoch(&p, &p, &p, 3, 2, 2, &mut k, &mut d);
        assert_eq!(k[4..], [0.0; 6]);
        assert_eq!(d[4..], [0.0; 6]);
    }

    #[test]
    fn bad_periods_or_lengths_give_all_nan() {
        let (h, l, c) = bars();
        let (mut k, mut d) = (vec![0.0; c.len()], vec![0.0; c.len()]);
        for (fk, sk, sd) in [
            (0, 3, 3),
            (5, 0, 3),
            (5, 3, 0),
            (100_001, 3, 3),
            (50, 10, 3),
        ] {
            stoch(&h, &l, &c, fk, sk, sd, &mut k, &mut d);
            assert!(k.iter().chain(&d).all(|v| v.is_nan()));
        }
        stoch(&h[1..], &l, &c, 5, 3, 3, &mut k, &mut d);
        assert!(k.iter().chain(&d).all(|v| v.is_nan()));
    }
}
