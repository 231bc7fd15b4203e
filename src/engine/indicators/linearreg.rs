//! Linear regression end value and slope (TA-Lib `LINEARREG`, `LINEARREG_SLOPE`).
//!
//! Formula: least-squares line `y = b + m·t` through the last `n` bars with
//! `t = 0` the oldest and `t = n - 1` the current bar; `LINEARREG` is the
//! fitted value at the current bar, `b + m·(n - 1)`; `LINEARREG_SLOPE` is `m`
//! (price per bar). Computed as TA-Lib does, with `x` counting bars back from
//! the current one (`Sx = Σx`, `Sxx = Σx²`, `Sy = Σy`, `Sxy = Σxy`):
//! `m = (n·Sxy - Sx·Sy) / (Sx² - n·Sxx)` (the flipped sign of the divisor
//! turns the backward slope into the forward one) and `b = (Sy - m·Sx) / n`.
//! Numerics, as TA-Lib 0.6: `Sy` and `Sxy` slide in O(1) (`Sxy += Sy - n·leaving`),
//! and both are rebuilt from the window every `32·n` bars and on any bar where
//! the value leaving the window outweighs 100× the window's `Σ|y|`.
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000.
//! Complexity: O(len) amortised, no allocation.

use super::fill_nan;

/// Index of the first valid LINEARREG output: `period - 1`.
pub fn linearreg_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Value of the least-squares line through the last `period` bars, at the current bar.
pub fn linearreg(src: &[f64], period: usize, out: &mut [f64]) {
    let n = period as f64;
    let inv_n = 1.0 / n;
    regression(src, period, out, |m, sum_x, sum_y| {
        let b = (sum_y - m * sum_x) * inv_n;
        m * (n - 1.0) + b
    });
}

/// Index of the first valid LINEARREG_SLOPE output: `period - 1`.
pub fn linearreg_slope_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Slope (per bar) of the least-squares line through the last `period` bars.
pub fn linearreg_slope(src: &[f64], period: usize, out: &mut [f64]) {
    regression(src, period, out, |m, _, _| m);
}

/// Shared sliding least-squares loop; `emit(m, Σx, Σy)` gives the output.
fn regression(src: &[f64], period: usize, out: &mut [f64], emit: impl Fn(f64, f64, f64) -> f64) {
    if !(2..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    let lag = period - 1;
    let n = period as f64;
    let sum_x = n * (n - 1.0) * 0.5;
    let sum_xx = n * (n - 1.0) * (2.0 * n - 1.0) / 6.0;
    let divisor = sum_x * sum_x - n * sum_xx;
    let rebuild_every = 32 * period;

    // `x` counts bars back from the newest one (0 = newest); `sum_abs`
    // (Σ|y|) is the scale against which a leaving value is judged.
    let window_sums = |end: usize| {
        let (mut sy, mut sxy, mut sum_abs) = (0.0, 0.0, 0.0);
        let mut x = lag as f64;
        for &y in &src[end - lag..=end] {
            sy += y;
            sxy += x * y;
            sum_abs += y.abs();
            x -= 1.0;
        }
        (sy, sxy, sum_abs)
    };
    // Only the warm-up is marked undefined, and the per-bar divisions are
    // multiplications by hoisted reciprocals (one more rounding, far inside
    // 1e-9): two divisions a bar kept LINEARREG(14) at ~0.8× TA-Lib.
    fill_nan(&mut out[..lag]);
    let inv_divisor = 1.0 / divisor;
    let (mut sum_y, mut sum_xy, mut sum_abs) = window_sums(lag);
    let slope = |sum_y: f64, sum_xy: f64| (n * sum_xy - sum_x * sum_y) * inv_divisor;
    out[lag] = emit(slope(sum_y, sum_xy), sum_x, sum_y);

    let mut countdown = rebuild_every;
    for i in lag + 1..src.len() {
        let leaving = src[i - period];
        let leaving_weight = n * leaving;
        // Every bar moves one step further back (+Σy of the old window); the
        // leaving bar, now at weight n, is removed; the new bar enters at 0.
        sum_xy = sum_xy + sum_y - leaving_weight;
        sum_y = sum_y - leaving + src[i];
        sum_abs = sum_abs - leaving.abs() + src[i].abs();
        countdown -= 1;
        if countdown == 0 || leaving_weight.abs() > 100.0 * sum_abs {
            countdown = rebuild_every;
            (sum_y, sum_xy, sum_abs) = window_sums(i);
        }
        out[i] = emit(slope(sum_y, sum_xy), sum_x, sum_y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinary least squares on t = 0..n-1, solved directly per window.
    fn naive(w: &[f64]) -> (f64, f64) {
        let n = w.len() as f64;
        let t_mean = (n - 1.0) / 2.0;
        let y_mean = w.iter().sum::<f64>() / n;
        let (mut cov, mut var) = (0.0, 0.0);
        for (t, y) in w.iter().enumerate() {
            cov += (t as f64 - t_mean) * (y - y_mean);
            var += (t as f64 - t_mean) * (t as f64 - t_mean);
        }
        let m = cov / var;
        (m, y_mean + m * (n - 1.0 - t_mean))
    }

    #[test]
    fn linearreg_and_slope_equal_a_direct_least_squares_fit() {
        let src: Vec<f64> = (0..500)
            .map(|i| 40.0 + 0.05 * i as f64 + ((i * 23) % 29) as f64 * 0.2)
            .collect();
        for period in [2, 3, 14, 60] {
            let (mut end, mut slope) = (vec![0.0; 500], vec![0.0; 500]);
            linearreg(&src, period, &mut end);
            linearreg_slope(&src, period, &mut slope);
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(end[i].is_nan() && slope[i].is_nan());
                    continue;
                }
                let (m, last) = naive(&src[i + 1 - period..=i]);
                assert!((slope[i] - m).abs() < 1e-9, "slope {period} bar {i}");
                assert!((end[i] - last).abs() < 1e-9, "end {period} bar {i}");
            }
        }
    }

    #[test]
    fn a_straight_line_is_fitted_exactly() {
        let src: Vec<f64> = (0..50).map(|i| 3.0 * i as f64 - 7.0).collect();
        let (mut end, mut slope) = (vec![0.0; 50], vec![0.0; 50]);
        linearreg(&src, 10, &mut end);
        linearreg_slope(&src, 10, &mut slope);
        for i in 9..50 {
            assert!((slope[i] - 3.0).abs() < 1e-9);
            assert!((end[i] - src[i]).abs() < 1e-9);
        }
    }
}
