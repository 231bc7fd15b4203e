//! SMA, simple moving average (TA-Lib `SMA`).
//!
//! Formula: `out[i] = (src[i-n+1] + … + src[i]) / n`, a running sum (add the
//! new bar, divide, drop the trailing bar), in TA-Lib's order of operations.
//! Warm-up: `n - 1` bars. Range: `n` in 1..=100000 (TA-Lib 0.6 accepts 1: the
//! output is then the input). Complexity: O(len), no allocation.

use super::fill_nan;

/// Index of the first valid SMA output: `period - 1`.
pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Simple moving average of `src` over `period` bars into `out`.
pub fn sma(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    let lag = period - 1;
    fill_nan(&mut out[..lag]);
    let mut total: f64 = src[..lag].iter().fold(0.0, |acc, &x| acc + x);
    let n = period as f64;
    for ((o, &new), &old) in out[lag..].iter_mut().zip(&src[lag..]).zip(src) {
        total += new;
        *o = total / n;
        total -= old;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sma_equals_the_mean_of_each_window() {
        let src: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64 + 0.25).collect();
        let mut out = vec![0.0; src.len()];
        sma(&src, 6, &mut out);
        for i in 0..src.len() {
            if i < 5 {
                assert!(out[i].is_nan());
            } else {
                let mean = src[i - 5..=i].iter().sum::<f64>() / 6.0;
                assert!((out[i] - mean).abs() < 1e-12, "bar {i}");
            }
        }
    }

    #[test]
    fn sma_of_period_one_is_the_input() {
        let src = [3.0, -1.5, 8.0];
        let mut out = [0.0; 3];
        sma(&src, 1, &mut out);
        assert_eq!(out, src);
    }
}
