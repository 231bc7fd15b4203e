//! WMA, linearly weighted moving average (TA-Lib `WMA`).
//!
//! Formula: `out[i] = (1·src[i-n+1] + 2·src[i-n+2] + … + n·src[i]) / (n(n+1)/2)`,
//! the newest bar weighted `n`. Kept as two running sums (the weighted sum and
//! the plain window sum, which is subtracted to shift every weight down by one),
//! rebuilt from the window every `8·n` bars as TA-Lib 0.6 does, so rounding
//! residue cannot pile up over long series.
//! Warm-up: `n - 1` bars. Range: `n` in 1..=100000 (`n == 1` copies the input).
//! Complexity: O(len) (the rebuild adds O(n) every 8·n bars), no allocation.

use super::fill_nan;

/// Index of the first valid WMA output: `period - 1`.
pub fn wma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Weighted moving average of `src` over `period` bars into `out`.
pub fn wma(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(1..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    let lag = period - 1;
    let n = period as f64;
    let divider = n * (n + 1.0) / 2.0;
    let rebuild_every = 8 * period;

    // `weighted` = Σ w·x over the window (w = 1 oldest … n newest);
    // `plain` = Σ x over the window. Primed on the first `n - 1` bars.
    let (mut weighted, mut plain) = (0.0, 0.0);
    for (w, &x) in src[..lag].iter().enumerate() {
        plain += x;
        weighted += x * (w + 1) as f64;
    }
    let mut leaving = 0.0;
    let mut countdown = rebuild_every;
    for i in lag..src.len() {
        let x = src[i];
        plain += x;
        plain -= leaving;
        weighted += x * n;
        countdown -= 1;
        if countdown == 0 {
            countdown = rebuild_every;
            plain = 0.0;
            weighted = 0.0;
            for (w, &y) in src[i - lag..=i].iter().enumerate() {
                plain += y;
                weighted += y * (w + 1) as f64;
            }
        }
        leaving = src[i - lag];
        out[i] = weighted / divider;
        weighted -= plain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wma_equals_the_direct_weighted_sum() {
        let src: Vec<f64> = (0..300)
            .map(|i| 10.0 + ((i * 37) % 23) as f64 * 0.3)
            .collect();
        for period in [2, 3, 7, 20] {
            let mut out = vec![0.0; src.len()];
            wma(&src, period, &mut out);
            let denom = (period * (period + 1) / 2) as f64;
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(out[i].is_nan());
                    continue;
                }
                let direct: f64 = src[i + 1 - period..=i]
                    .iter()
                    .enumerate()
                    .map(|(w, x)| (w + 1) as f64 * x)
                    .sum::<f64>()
                    / denom;
                assert!((out[i] - direct).abs() < 1e-10, "period {period} bar {i}");
            }
        }
    }

    #[test]
    fn wma_rejects_a_period_of_zero_with_all_nan() {
        let mut out = [0.0; 4];
        wma(&[1.0, 2.0, 3.0, 4.0], 0, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
