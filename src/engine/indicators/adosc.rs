//! ADOSC, Chaikin A/D oscillator (TA-Lib `ADOSC`): EMA(fast) − EMA(slow) of
//! the A/D line.
//!
//! Formula: `ad` is the A/D line (see `ad.rs`); both EMAs use `k = 2/(p+1)`
//! with TA-Lib's weights (`1-k` taken as `(p-1)/(p+1)`, `k = 1 - that`, so the
//! pair sums to exactly 1) and `ema = (1-k)·ema + k·ad`. Output is
//! `fast − slow` even when `fast > slow`.
//! Trap: unlike plain EMA (seeded by an SMA), *both* EMAs are seeded with the
//! first bar's A/D value and run from bar 1, so the oscillator depends on how
//! much history was loaded. TA-Lib fuses the EMA's multiply-add; we emulate
//! the fused rounding (see `fused`) because the difference cancels.
//! Warm-up: `max(fast, slow) - 1` bars. Range: both in 2..=100000.
//! Complexity: O(len), no allocation; ~25 flops per slow-EMA step for the
//! fused rounding (`fused::FusedFactor`), whose dependency chain (one multiply
//! and nine adds) keeps ADOSC at ~0.25× TA-Lib's hardware fused multiply-add
//! natively; EMA(3)'s weight 0.5 multiplies exactly and costs nothing extra.

use super::ad::money_flow_volume;
use super::fill_nan;
use super::fused::FusedFactor;

pub fn adosc_lookback(fast: usize, slow: usize) -> usize {
    fast.max(slow).saturating_sub(1)
}

pub fn adosc(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    fast: usize,
    slow: usize,
    out: &mut [f64],
) {
    fill_nan(out);
    let n = out.len();
    let valid = 2..=100_000;
    if !valid.contains(&fast)
        || !valid.contains(&slow)
        || high.len() != n
        || low.len() != n
        || close.len() != n
        || volume.len() != n
    {
        return;
    }
    let lookback = adosc_lookback(fast, slow);
    if n <= lookback {
        return;
    }
    let (fast_keep, fast_k) = weights(fast);
    let (slow_keep, slow_k) = weights(slow);
    let (fast_keep, slow_keep) = (FusedFactor::new(fast_keep), FusedFactor::new(slow_keep));
    let mut ad = money_flow_volume(high[0], low[0], close[0], volume[0]);
    let (mut fast_ema, mut slow_ema) = (ad, ad);
    for i in 1..n {
        ad += money_flow_volume(high[i], low[i], close[i], volume[i]);
        fast_ema = fast_keep.mul_add(fast_ema, fast_k * ad);
        slow_ema = slow_keep.mul_add(slow_ema, slow_k * ad);
        if i >= lookback {
            out[i] = fast_ema - slow_ema;
        }
    }
}

/// TA-Lib's `(1 - k, k)` for an EMA of `period`, built so they sum to exactly 1.
fn weights(period: usize) -> (f64, f64) {
    let mut keep = (period - 1) as f64 / (period + 1) as f64;
    let k = 1.0 - keep;
    if keep < 0.5 {
        keep = 1.0 - k;
    }
    (keep, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::ad::ad;

    /// Two textbook EMAs of the A/D line, both seeded with its first value.
    fn naive(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Vec<f64> {
        let mut line = vec![0.0; c.len()];
        ad(h, l, c, v, &mut line);
        let ema = |p: usize| {
            let k = 2.0 / (p as f64 + 1.0);
            let mut e = line[0];
            let mut out = vec![e];
            for x in &line[1..] {
                e += k * (x - e);
                out.push(e);
            }
            out
        };
        let (f, s) = (ema(fast), ema(slow));
        (0..c.len()).map(|i| f[i] - s[i]).collect()
    }

    #[test]
    fn adosc_is_the_difference_of_two_ad_emas_seeded_on_the_first_bar() {
        let c: Vec<f64> = (0..50)
            .map(|i| 20.0 + (i as f64 * 0.5).sin() * 2.0)
            .collect();
        let h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c + 0.3 + (i % 4) as f64 * 0.2)
            .collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c - 0.2 - (i % 3) as f64 * 0.3)
            .collect();
        let v: Vec<f64> = (0..50).map(|i| 1000.0 + (i * 137 % 500) as f64).collect();
        for (fast, slow) in [(3, 10), (10, 3), (2, 2)] {
            let want = naive(&h, &l, &c, &v, fast, slow);
            let mut out = vec![0.0; 50];
            adosc(&h, &l, &c, &v, fast, slow, &mut out);
            let lb = adosc_lookback(fast, slow);
            assert!(out[..lb].iter().all(|x| x.is_nan()));
            for i in lb..50 {
                assert!((out[i] - want[i]).abs() < 1e-6, "({fast},{slow}) bar {i}");
            }
        }
    }

    #[test]
    fn adosc_with_a_period_below_two_is_all_nan() {
        let x = [1.0; 8];
        let mut out = [0.0; 8];
        adosc(&x, &x, &x, &x, 1, 5, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
