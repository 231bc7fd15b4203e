//! Rolling highest, lowest and sum of any series (TA-Lib `MAX`, `MIN`, `SUM`).
//!
//! Formulas: `highest[i] = max(src[i-n+1..=i])`, `lowest[i] = min(…)`,
//! `sum[i] = src[i-n+1] + … + src[i]` (a running sum: add the new bar, emit,
//! drop the trailing bar, in TA-Lib's order).
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000 (TA-Lib rejects 1 here,
//! unlike the moving averages).
//! Complexity: sum O(len); highest/lowest keep the index of the current
//! extreme and rescan the window only when that bar leaves it, O(len) on
//! typical data and O(len·n) in the worst case (a steadily falling series for
//! `highest`). No allocation.

use super::fill_nan;

/// Whether `period` and the buffers are acceptable for MAX/MIN/SUM.
fn usable(src: &[f64], period: usize, out: &[f64]) -> bool {
    (2..=100_000).contains(&period) && src.len() >= period && out.len() == src.len()
}

/// Index of the first valid rolling-highest output: `period - 1`.
pub fn highest_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Highest value of `src` over the last `period` bars (TA-Lib `MAX`).
pub fn highest(src: &[f64], period: usize, out: &mut [f64]) {
    rolling_extreme(src, period, out, |candidate, best| candidate >= best);
}

/// Index of the first valid rolling-lowest output: `period - 1`.
pub fn lowest_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Lowest value of `src` over the last `period` bars (TA-Lib `MIN`).
pub fn lowest(src: &[f64], period: usize, out: &mut [f64]) {
    rolling_extreme(src, period, out, |candidate, best| candidate <= best);
}

/// Index of the first valid rolling-sum output: `period - 1`.
pub fn sum_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Sum of `src` over the last `period` bars (TA-Lib `SUM`).
pub fn sum(src: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !usable(src, period, out) {
        return;
    }
    let mut total = src[..period - 1].iter().fold(0.0, |acc, &x| acc + x);
    for i in period - 1..src.len() {
        total += src[i];
        out[i] = total;
        total -= src[i + 1 - period];
    }
}

/// Shared MAX/MIN loop: `wins(candidate, best)` says whether a value takes
/// over as the window's extreme (ties go to the newer bar, so it stays longer).
fn rolling_extreme(src: &[f64], period: usize, out: &mut [f64], wins: impl Fn(f64, f64) -> bool) {
    fill_nan(out);
    if !usable(src, period, out) {
        return;
    }
    let lag = period - 1;
    let mut best_at = 0usize;
    let mut best = src[0];
    for i in 0..src.len() {
        let first = i.saturating_sub(lag);
        if i == 0 || best_at < first {
            best_at = first;
            best = src[first];
            for (j, &v) in src.iter().enumerate().take(i + 1).skip(first + 1) {
                if wins(v, best) {
                    best_at = j;
                    best = v;
                }
            }
        } else if wins(src[i], best) {
            best_at = i;
            best = src[i];
        }
        if i >= lag {
            out[i] = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> Vec<f64> {
        (0..150)
            .map(|i| ((i * 41) % 37) as f64 - 0.5 * (i % 5) as f64)
            .collect()
    }

    #[test]
    fn highest_lowest_and_sum_equal_a_scan_of_each_window() {
        let src = series();
        for period in [2, 3, 9, 40] {
            let (mut hi, mut lo, mut total) = (vec![0.0; 150], vec![0.0; 150], vec![0.0; 150]);
            highest(&src, period, &mut hi);
            lowest(&src, period, &mut lo);
            sum(&src, period, &mut total);
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(hi[i].is_nan() && lo[i].is_nan() && total[i].is_nan());
                    continue;
                }
                let w = &src[i + 1 - period..=i];
                assert_eq!(
                    hi[i],
                    w.iter().cloned().fold(f64::MIN, f64::max),
                    "max {period} {i}"
                );
                assert_eq!(
                    lo[i],
                    w.iter().cloned().fold(f64::MAX, f64::min),
                    "min {period} {i}"
                );
                assert!(
                    (total[i] - w.iter().sum::<f64>()).abs() < 1e-9,
                    "sum {period} {i}"
                );
            }
        }
    }

    #[test]
    fn rolling_kernels_reject_a_period_of_one() {
        let src = series();
        let mut out = vec![0.0; src.len()];
        for kernel in [highest, lowest, sum] {
            kernel(&src, 1, &mut out);
            assert!(out.iter().all(|v| v.is_nan()));
        }
    }
}
