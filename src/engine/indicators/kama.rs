//! KAMA, Kaufman adaptive moving average (TA-Lib `KAMA`).
//!
//! Formula: over the last `n` bars, `change = src[i] - src[i-n]` and
//! `path = Σ |src[j] - src[j-1]|` (the n one-bar moves); efficiency
//! `er = |change / path|`, taken as 1 when `path <= 0` or `path <= change`,
//! and clamped to 1; `sc = (er·(2/3 - 2/31) + 2/31)²`;
//! `kama[i] = kama[i-1] + sc·(src[i] - kama[i-1])`, started from
//! `kama[n-1] = src[n-1]` (the bar before the first output).
//! Traps (TA-Lib 0.6): `path` is a running sum (add the new move, drop the
//! old), so after `n` consecutive exactly-zero moves it is reset to 0 and `er`
//! is 1 rather than a ratio of rounding residue. `n == 1` copies the input.
//! Warm-up: `n` bars (0 for `n == 1`). Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;

/// Index of the first valid KAMA output: `period` (0 for period 1).
pub fn kama_lookback(period: usize) -> usize {
    if period == 1 {
        0
    } else {
        period
    }
}

/// Kaufman adaptive moving average of `src` with an efficiency window of `period` bars.
pub fn kama(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    if src.len() <= period {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    let slowest = 2.0 / (30.0 + 1.0);
    let span = 2.0 / (2.0 + 1.0) - slowest;
    let smoothing = |er: f64| {
        let c = er * span + slowest;
        c * c
    };

    let mut path = 0.0;
    let mut flat_run = 0usize;
    for j in 1..=period {
        let step = (src[j] - src[j - 1]).abs();
        path += step;
        flat_run = if step <= 0.0 { flat_run + 1 } else { 0 };
    }
    let mut value = src[period - 1];
    let er = efficiency(src[period] - src[0], path);
    value += (src[period] - value) * smoothing(er);
    out[period] = value;

    for i in period + 1..src.len() {
        let change = src[i] - src[i - period];
        path -= (src[i - period] - src[i - period - 1]).abs();
        let step = (src[i] - src[i - 1]).abs();
        path += step;
        flat_run = if step <= 0.0 { flat_run + 1 } else { 0 };
        let er = if flat_run >= period {
            // A whole window of exactly-zero moves: the path is exactly 0,
            // whatever residue the running sum still carries.
            flat_run = period;
            path = 0.0;
            1.0
        } else {
            efficiency(change, path)
        };
        value += (src[i] - value) * smoothing(er);
        out[i] = value;
    }
}

/// Kaufman's efficiency ratio with TA-Lib's guards.
fn efficiency(change: f64, path: f64) -> f64 {
    if path <= 0.0 || path <= change {
        1.0
    } else {
        (change / path).abs().min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition: recompute the path of each window from scratch.
    fn naive(src: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; src.len()];
        let mut prev = src[n - 1];
        for i in n..src.len() {
            let change = src[i] - src[i - n];
            let path: f64 = (i + 1 - n..=i).map(|j| (src[j] - src[j - 1]).abs()).sum();
            let er = if path <= 0.0 || path <= change {
                1.0
            } else {
                (change / path).abs().min(1.0)
            };
            let sc = (er * (2.0 / 3.0 - 2.0 / 31.0) + 2.0 / 31.0).powi(2);
            prev += sc * (src[i] - prev);
            out[i] = prev;
        }
        out
    }

    #[test]
    fn kama_matches_a_from_scratch_efficiency_ratio() {
        let src: Vec<f64> = (0..200)
            .map(|i| 100.0 + ((i * 29) % 31) as f64 * 0.4 + i as f64 * 0.1)
            .collect();
        for n in [2, 10, 30] {
            let mut out = vec![0.0; src.len()];
            kama(&src, n, &mut out);
            let want = naive(&src, n);
            assert!(out[..n].iter().all(|v| v.is_nan()));
            for i in n..src.len() {
                assert!((out[i] - want[i]).abs() < 1e-9, "n {n} bar {i}");
            }
        }
    }

    #[test]
    fn kama_on_a_flat_series_stays_on_the_level() {
        let src = [42.0; 100];
        let mut out = [0.0; 100];
        kama(&src, 10, &mut out);
        assert!(out[10..].iter().all(|&v| v == 42.0));
    }
}
