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
use super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel, Portable};

/// Index of the first valid EMA output: `period - 1`.
pub fn ema_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Exponential moving average of `src` over `period` bars into `out`.
pub fn ema(src: &[f64], period: usize, out: &mut [f64]) {
    ema_chain(src, period, out, Last);
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

/// How the `N` chained EMAs' values make a bar's output, written once for
/// both lane types (`lanes`), so the output's bits do not depend on which runs.
pub(crate) trait Combine<const N: usize>: Copy {
    fn combine<L: Lanes>(self, lanes: L, e: &[L::V; N]) -> L::V;
}

/// EMA's output: the last (only) stage.
#[derive(Debug, Clone, Copy)]
struct Last;

impl Combine<1> for Last {
    #[inline(always)]
    fn combine<L: Lanes>(self, _lanes: L, e: &[L::V; 1]) -> L::V {
        e[0]
    }
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
    combine: impl Combine<N>,
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
    out[first] = combine.combine(Portable, &value.map(|v| [v; 4]))[0];
    run_lanes(Chain {
        src: &src[first + 1..],
        out: &mut out[first + 1..],
        k,
        beta,
        value,
        combine,
    });
}

/// The steady state of `ema_chain`: every bar after the first output.
struct Chain<'a, const N: usize, C> {
    src: &'a [f64],
    out: &'a mut [f64],
    k: f64,
    beta: f64,
    /// Each stage's value before `src[0]`.
    value: [f64; N],
    combine: C,
}

impl<const N: usize, C: Combine<N>> LanesKernel for Chain<'_, N, C> {
    type Output = ();

    /// Four bars per step (`lanes::EmaStep`): the recursion is latency-bound
    /// (each value waits for the previous one), and a step puts one multiply
    /// and one add per four bars on each stage's chain. EMA(30) went from 1.4
    /// to ~0.7 ns/bar with a scalar four-bar step; written as lanes (AVX2 where
    /// there is AVX2) EMA(30) went to 0.70, TEMA(30) from 2.3 to 1.6 ns/bar
    /// and DEMA(30) from 1.6 to 1.14, against TA-Lib's 1.4, 1.7 and 1.6
    /// (`cargo bench --bench indicators`); TA-Lib's speed is a fused
    /// multiply-add, which wasm lacks.
    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Chain {
            src,
            out,
            k,
            beta,
            value,
            combine,
        } = self;
        let step = EmaStep::new(lanes, k, beta);
        let mut before = value.map(|v| lanes.splat(v));
        let (src_steps, src_tail) = src.as_chunks::<4>();
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        for (o, x) in out_steps.iter_mut().zip(src_steps) {
            let y = advance(lanes, &step, combine, x, &mut before);
            lanes.store(y, o);
        }
        if !src_tail.is_empty() {
            // The last bars padded with zeros, which only later lanes see.
            let mut x = [0.0; 4];
            x[..src_tail.len()].copy_from_slice(src_tail);
            let mut y = [0.0; 4];
            lanes.store(advance(lanes, &step, combine, &x, &mut before), &mut y);
            out_tail.copy_from_slice(&y[..out_tail.len()]);
        }
    }
}

/// Every stage four bars on from `x` (`before` holds each stage's value
/// before them, in every lane, and is moved on), combined. A function, not a
/// closure, so it can be inlined by force: called twice, a closure stayed a
/// call compiled without the AVX2 clone's features (15× slower).
#[inline(always)]
fn advance<L: Lanes, const N: usize>(
    lanes: L,
    step: &EmaStep<L::V>,
    combine: impl Combine<N>,
    x: &[f64; 4],
    before: &mut [L::V; N],
) -> L::V {
    let mut input = lanes.load(x);
    let mut values = *before;
    for (b, v) in before.iter_mut().zip(values.iter_mut()) {
        let y = step.step(lanes, input, *b);
        *b = lanes.splat_last(y);
        *v = y;
        input = y;
    }
    combine.combine(lanes, &values)
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

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits_for_one_two_and_three_stages() {
        use crate::engine::indicators::lanes::avx2_available;
        use rand::{Rng, SeedableRng};
        use rand_pcg::Pcg64;
        assert!(!cfg!(target_arch = "x86_64") || avx2_available());
        let mut rng = Pcg64::seed_from_u64(30);
        fn both<const N: usize>(
            src: &[f64],
            period: usize,
            value: [f64; N],
            combine: impl Combine<N>,
        ) {
            let (k, beta) = smoothing(period);
            let (mut dispatched, mut portable) = (vec![0.0; src.len()], vec![0.0; src.len()]);
            run_lanes(Chain {
                src,
                out: &mut dispatched,
                k,
                beta,
                value,
                combine,
            });
            Chain {
                src,
                out: &mut portable,
                k,
                beta,
                value,
                combine,
            }
            .run(Portable);
            for (i, (a, b)) in dispatched.iter().zip(&portable).enumerate() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "N = {N}, period {period}, bar {i}"
                );
            }
        }
        for len in [1, 3, 4, 5, 97, 1000] {
            let mut price = 100.0;
            let src: Vec<f64> = (0..len)
                .map(|_| {
                    price *= 1.0 + rng.random_range(-0.05..0.05);
                    price
                })
                .collect();
            for period in [2, 3, 14, 30, 200] {
                both(&src, period, [src[0]], Last);
                both(
                    &src,
                    period,
                    [src[0], price],
                    crate::engine::indicators::dema::Dema,
                );
                both(
                    &src,
                    period,
                    [src[0], price, 50.0],
                    crate::engine::indicators::tema::Tema,
                );
            }
        }
    }
}
