//! EMA, exponential moving average (TA-Lib `EMA`, default compatibility), and
//! the chained-EMA core that DEMA and TEMA share.
//!
//! Formula: `k = 2 / (n + 1)`, `β = (n - 1) / (n + 1)` (adjusted so that
//! `k + β == 1` exactly, as TA-Lib does); seed = SMA of the first `n` inputs,
//! placed at index `n - 1`; then `ema[i] = β·ema[i-1] + k·src[i]`.
//! Warm-up: `n - 1` bars. Trap: the value depends on how much history was
//! loaded (the seed moves with the first bar). Range: `n` in 1..=100000
//! (`n == 1` copies the input, as TA-Lib 0.6 does).
//! Complexity: O(len), no allocation.

use super::fill_nan;

/// Index of the first valid EMA output: `period - 1`.
pub fn ema_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Exponential moving average of `src` over `period` bars into `out`.
pub fn ema(src: &[f64], period: usize, out: &mut [f64]) {
    ema_chain::<1>(src, period, out, |e| e[0]);
}

/// TA-Lib's smoothing pair `(k, β)` for a period, with `k + β == 1` exactly:
/// whichever of the two lies in [0.5, 1) is the one derived by subtraction,
/// so a flat input stays exactly on its level.
pub(crate) fn smoothing(period: usize) -> (f64, f64) {
    let mut beta = (period as f64 - 1.0) / (period as f64 + 1.0);
    let k = 1.0 - beta;
    if beta < 0.5 {
        beta = 1.0 - k;
    }
    (k, beta)
}

/// `N` EMAs chained in one pass (EMA of `src`, EMA of that, …), each seeded
/// with the mean of the first `period` values of its own input; `combine`
/// maps the `N` current values to the output from bar `N·(period - 1)` on.
/// Period 1 copies the input (TA-Lib's convention for every moving average).
/// Validates the range and the buffer length; never allocates.
pub(crate) fn ema_chain<const N: usize>(
    src: &[f64],
    period: usize,
    out: &mut [f64],
    combine: impl Fn(&[f64; N]) -> f64,
) {
    let lag = period.saturating_sub(1);
    if !(1..=100_000).contains(&period) || out.len() != src.len() || src.len() <= N * lag {
        fill_nan(out);
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    let first = N * lag;
    fill_nan(&mut out[..first]);
    let (k, beta) = smoothing(period);
    let n = period as f64;
    let mut value = [0.0; N];
    let mut seed = [0.0; N];
    // Warm-up: stages start one after another (per-bar stage tests here only).
    for (i, &x) in src[..=first].iter().enumerate() {
        let mut input = x;
        for s in 0..N {
            // Stage `s` receives its first input at bar `s·lag` and emits its
            // seed `lag` bars later; until then later stages have no input.
            let ready = (s + 1) * lag;
            if i < ready {
                seed[s] += input;
                break;
            }
            value[s] = if i == ready {
                (seed[s] + input) / n
            } else {
                beta * value[s] + k * input
            };
            input = value[s];
        }
    }
    out[first] = combine(&value);
    // Steady state: every stage runs, no branches; splitting this out of the
    // warm-up loop took EMA(30) from 1.65 to ~1.1 ns/bar and DEMA/TEMA
    // likewise (`cargo bench --bench indicators`).
    for (o, &x) in out[first + 1..].iter_mut().zip(&src[first + 1..]) {
        let mut input = x;
        for v in value.iter_mut() {
            *v = beta * *v + k * input;
            input = *v;
        }
        *o = combine(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Textbook EMA: SMA seed, then `prev + k·(x - prev)`.
    fn naive(src: &[f64], period: usize) -> Vec<f64> {
        let k = 2.0 / (period as f64 + 1.0);
        let mut out = vec![f64::NAN; src.len()];
        let mut prev = src[..period].iter().sum::<f64>() / period as f64;
        out[period - 1] = prev;
        for i in period..src.len() {
            prev += k * (src[i] - prev);
            out[i] = prev;
        }
        out
    }

    #[test]
    fn ema_matches_the_textbook_recursion() {
        let src: Vec<f64> = (0..60).map(|i| 50.0 + ((i * 13) % 17) as f64).collect();
        let mut out = vec![0.0; src.len()];
        ema(&src, 9, &mut out);
        let want = naive(&src, 9);
        for i in 0..src.len() {
            assert!(
                (out[i] - want[i]).abs() < 1e-10 || (out[i].is_nan() && want[i].is_nan()),
                "bar {i}: {} vs {}",
                out[i],
                want[i]
            );
        }
    }

    #[test]
    fn ema_of_a_flat_series_stays_on_its_level() {
        let src = [0.1; 500];
        let mut out = [0.0; 500];
        ema(&src, 7, &mut out);
        assert!(out[..6].iter().all(|v| v.is_nan()));
        assert!(out[6..].iter().all(|&v| (v - 0.1).abs() < 1e-15));
    }
}
