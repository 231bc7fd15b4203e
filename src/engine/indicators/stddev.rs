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
use super::lanes::{run_lanes, Lanes, LanesKernel};

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
    // Only the warm-up pre-filled (a NaN fill, the variance and a
    // square-root pass kept STDDEV(20) at ~0.93× TA-Lib); the square roots a
    // block at a time, where they vectorise.
    fill_nan(&mut out[..period - 1]);
    rolling_variance_with(src, period, |first, variances| {
        for (o, &variance) in out[first..].iter_mut().zip(variances) {
            *o = variance.sqrt() * nbdev;
        }
    });
}

/// Population variance of each `period`-bar window (TA-Lib `TA_VAR`'s
/// numerics, see the module doc), handed to `emit` a block at a time as
/// `(first index, variances)`, for every index from `period − 1` on, in
/// order, so STDDEV and BBANDS build their outputs from the same pass. The
/// caller has checked `1 <= period <= src.len()`. The variance is never
/// negative.
///
/// The chain walks bar by bar in TA-Lib's own order (see `one_bar`); the
/// outputs of a block are left to `emit`, where the square roots and bands
/// vectorise (compiled with AVX2 where there is AVX2: `lanes::run_lanes`).
#[inline(always)]
pub(crate) fn rolling_variance_with(src: &[f64], period: usize, emit: impl FnMut(usize, &[f64])) {
    run_lanes(RollingVariance { src, period, emit });
}

/// `rolling_variance_with`'s arguments, run by `lanes::run_lanes`.
struct RollingVariance<'a, E> {
    src: &'a [f64],
    period: usize,
    emit: E,
}

/// The running state: shifted sums over the last `period − 1` bars walked
/// (the next bar completes the window), the largest `s2` since the last
/// rebuild, bars to the next one.
struct Sums {
    shift: f64,
    s1: f64,
    s2: f64,
    peak: f64,
    countdown: usize,
}

impl<E: FnMut(usize, &[f64])> LanesKernel for RollingVariance<'_, E> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, _lanes: L) {
        let RollingVariance {
            src,
            period,
            mut emit,
        } = self;
        let lag = period - 1;
        let inv = 1.0 / period as f64;
        let rebuild_every = 32 * period;
        let shift = src[0];
        // The sums over the first `lag` bars (bar `lag` completes the window).
        let (s1, s2) = shifted_sums(&src[..lag], shift);
        let mut sums = Sums {
            shift,
            s1,
            s2,
            peak: s2,
            countdown: rebuild_every,
        };
        let mut variances = [0.0; VARIANCE_BLOCK];
        let mut first = lag;
        while first < src.len() {
            let end = (first + VARIANCE_BLOCK).min(src.len());
            for (i, variance) in (first..end).zip(variances.iter_mut()) {
                *variance = one_bar(src, i, lag, inv, rebuild_every, &mut sums);
            }
            emit(first, &variances[..end - first]);
            first = end;
        }
    }
}

/// Bar `i`'s variance, the sums moved on by one bar (rebuilt when the
/// variance falls below 1e-6 of the peak mean square, or every
/// `rebuild_every` bars).
#[inline(always)]
fn one_bar(
    src: &[f64],
    i: usize,
    lag: usize,
    inv: f64,
    rebuild_every: usize,
    sums: &mut Sums,
) -> f64 {
    // TA-Lib's order to the bit: the new bar in, the variance, the oldest bar
    // out (the next window's sums). Any other order of these adds rounds
    // differently, and with up to 1e6 of cancellation allowed before a
    // rebuild, BBANDS' lower band on volumes moved by 1e-8 of itself from
    // TA-Lib's (four-bar prefix sums, 1.6× faster, failed the oracle so).
    let d = src[i] - sums.shift;
    sums.s1 += d;
    sums.s2 += d * d;
    if sums.s2 > sums.peak {
        sums.peak = sums.s2;
    }
    let mean = sums.s1 * inv;
    let mut variance = sums.s2 * inv - mean * mean;
    let gone = src[i - lag] - sums.shift;
    sums.s1 -= gone;
    sums.s2 -= gone * gone;
    sums.countdown -= 1;
    if variance < 1e-6 * (sums.peak * inv) || sums.countdown == 0 {
        sums.countdown = rebuild_every;
        let window = &src[i - lag..=i];
        let mut total = 0.0;
        for &x in window {
            total += x;
        }
        sums.shift = total * inv;
        (sums.s1, sums.s2) = shifted_sums(window, sums.shift);
        let mean = sums.s1 * inv;
        variance = sums.s2 * inv - mean * mean;
        if variance < 1e-6 * (sums.s2 * inv) {
            // Flat to within the rounding of its own mean: anchoring on one of
            // its values keeps the variance from re-triggering every bar.
            sums.shift = src[i];
            (sums.s1, sums.s2) = shifted_sums(window, sums.shift);
            let mean = sums.s1 * inv;
            variance = sums.s2 * inv - mean * mean;
        }
        sums.peak = sums.s2;
        if variance < 1e-12 * (sums.s2 * inv) {
            variance = 0.0;
        }
        let gone = src[i - lag] - sums.shift;
        sums.s1 -= gone;
        sums.s2 -= gone * gone;
    }
    variance
}

/// Bars per block of `rolling_variance_with`.
const VARIANCE_BLOCK: usize = 64;

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
