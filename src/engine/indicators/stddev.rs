//! STDDEV, population standard deviation times `nbdev` (TA-Lib `STDDEV`), and
//! the rolling population variance that BBANDS shares.
//!
//! Formula: `out[i] = nbdev · sqrt(Σ (x - mean)² / n)` over `src[i-n+1..=i]`
//! (divide by `n`, not `n - 1`: TA-Lib's population deviation).
//! Numerics, as TA-Lib 0.6 (`TA_VAR`): running sums of `x - shift` and
//! `(x - shift)²` around a shift near the data, so the variance never subtracts
//! two `mean²`-sized numbers; the window is rebuilt with a fresh two-pass
//! (shift = the window mean) every `32·n` bars and whenever the variance drops
//! below 1e-6 of the largest mean square held since the last rebuild; a window
//! flat to rounding is re-anchored on its own last value, and a rebuilt
//! variance under 1e-12 of its mean square is exactly 0. So a flat window
//! gives exactly 0.
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000, `|nbdev| <= 3e37` (a
//! negative `nbdev` is accepted and flips the sign, as in TA-Lib).
//! Complexity: O(len) amortised (a rebuild costs O(n)), no allocation.

use super::fill_nan;

/// TA-Lib's `TA_REAL_MIN..=TA_REAL_MAX`, the accepted range of real parameters.
pub(crate) fn real_param_ok(x: f64) -> bool {
    (-3e37..=3e37).contains(&x)
}

/// Index of the first valid STDDEV output: `period - 1`.
pub fn stddev_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Population standard deviation of `src` over `period` bars, times `nbdev`.
pub fn stddev(src: &[f64], period: usize, nbdev: f64, out: &mut [f64]) {
    if !(2..=100_000).contains(&period)
        || !real_param_ok(nbdev)
        || src.len() < period
        || out.len() != src.len()
    {
        fill_nan(out);
        return;
    }
    // One pass, only the warm-up pre-filled (a NaN fill, the variance and a
    // square-root pass kept STDDEV(20) at ~0.93× TA-Lib).
    fill_nan(&mut out[..period - 1]);
    rolling_variance_with(src, period, |i, variance| out[i] = variance.sqrt() * nbdev);
}

/// Population variance of each `period`-bar window (TA-Lib `TA_VAR`'s
/// numerics, see the module doc), handed to `emit` as `(index, variance)` for
/// every index from `period − 1` on, in order, so STDDEV and BBANDS build
/// their outputs in the same pass. The caller has checked
/// `1 <= period <= src.len()`. The variance is never negative.
#[inline(always)]
pub(crate) fn rolling_variance_with(src: &[f64], period: usize, mut emit: impl FnMut(usize, f64)) {
    let lag = period - 1;
    let inv = 1.0 / period as f64;
    let rebuild_every = 32 * period;

    let mut shift = src[0];
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in &src[..lag] {
        let d = x - shift;
        s1 += d;
        s2 += d * d;
    }
    let mut peak = s2;
    let mut countdown = rebuild_every;
    for i in lag..src.len() {
        let d = src[i] - shift;
        s1 += d;
        s2 += d * d;
        if s2 > peak {
            peak = s2;
        }
        let mean = s1 * inv;
        let mut variance = s2 * inv - mean * mean;
        let d = src[i - lag] - shift;
        s1 -= d;
        s2 -= d * d;

        countdown -= 1;
        if variance < 1e-6 * (peak * inv) || countdown == 0 {
            countdown = rebuild_every;
            let window = &src[i - lag..=i];
            let mut total = 0.0;
            for &x in window {
                total += x;
            }
            shift = total * inv;
            (s1, s2) = shifted_sums(window, shift);
            let mean = s1 * inv;
            variance = s2 * inv - mean * mean;
            if variance < 1e-6 * (s2 * inv) {
                // Flat to within the rounding of its own mean: anchoring on one
                // of its values keeps the variance from re-triggering every bar.
                shift = src[i];
                (s1, s2) = shifted_sums(window, shift);
                let mean = s1 * inv;
                variance = s2 * inv - mean * mean;
            }
            peak = s2;
            if variance < 1e-12 * (s2 * inv) {
                variance = 0.0;
            }
            // Drop the trailing bar again, now under the new shift.
            let d = src[i - lag] - shift;
            s1 -= d;
            s2 -= d * d;
        }
        emit(i, variance);
    }
}

/// `(Σ (x - shift), Σ (x - shift)²)` over `window`, oldest first.
fn shifted_sums(window: &[f64], shift: f64) -> (f64, f64) {
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in window {
        let d = x - shift;
        s1 += d;
        s2 += d * d;
    }
    (s1, s2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stddev_equals_a_two_pass_population_deviation() {
        let src: Vec<f64> = (0..400)
            .map(|i| 1000.0 + ((i * 17) % 19) as f64 * 0.01 + (i / 50) as f64)
            .collect();
        for period in [2, 5, 20] {
            let mut out = vec![0.0; src.len()];
            stddev(&src, period, 1.5, &mut out);
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(out[i].is_nan());
                    continue;
                }
                let w = &src[i + 1 - period..=i];
                let mean = w.iter().sum::<f64>() / period as f64;
                let var = w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / period as f64;
                assert!(
                    (out[i] - 1.5 * var.sqrt()).abs() < 1e-9,
                    "period {period} bar {i}"
                );
            }
        }
    }

    #[test]
    fn stddev_of_a_flat_window_is_exactly_zero() {
        let mut src = vec![3.3; 60];
        src[10] = 7.1;
        let mut out = vec![0.0; 60];
        stddev(&src, 5, 2.0, &mut out);
        assert!(out[15..].iter().all(|&v| v == 0.0));
        assert!(out[10..15].iter().all(|&v| v > 0.0));
    }
}
