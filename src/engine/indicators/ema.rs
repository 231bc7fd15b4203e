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
    /// (`cargo bench --bench indicators`). Chained stages run stage by stage
    /// over blocks of 64 bars (`Block`): with the stages one after another
    /// within each step, an AMD EPYC ran TEMA(30) at 1.92 ns/bar against
    /// TA-Lib's 1.65 (a step's 40 dependent operations filled its scheduler);
    /// by blocks 1.54–1.62 against 1.53 (same run).
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
        if N == 1 {
            // One chain: step by step from the registers, its chain short.
            // (No closure for the step: one called twice stayed a call
            // compiled without the AVX2 clone's features, 40× slower.)
            let (src_steps, src_tail) = src.as_chunks::<4>();
            let (out_steps, out_tail) = out.as_chunks_mut::<4>();
            for (x, o) in src_steps.iter().zip(out_steps) {
                let y = step.step_short(lanes, lanes.load(x), &mut before[0]);
                lanes.store(combine.combine(lanes, &[y; N]), o);
            }
            if !src_tail.is_empty() {
                // The last bars padded with zeros, which only later lanes see.
                let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
                x[..src_tail.len()].copy_from_slice(src_tail);
                let last = step.step_short(lanes, lanes.load(&x), &mut before[0]);
                lanes.store(combine.combine(lanes, &[last; N]), &mut y);
                out_tail.copy_from_slice(&y[..out_tail.len()]);
            }
            return;
        }
        let mut input = Block::ZERO;
        let mut stages = [Block::ZERO; N];
        for (x, o) in src.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            let steps = input.next(x);
            for (s, before) in before.iter_mut().enumerate() {
                let (done, rest) = stages.split_at_mut(s);
                let from = done.last().unwrap_or(&input);
                rest[0].roll();
                ema_block(lanes, &step, from, &mut rest[0], steps, before);
            }
            let (o_steps, o_tail) = o.as_chunks_mut::<4>();
            let value = |j: usize| {
                let values: [L::V; N] = std::array::from_fn(|s| lanes.load(stages[s].step(j)));
                combine.combine(lanes, &values)
            };
            for (j, o) in o_steps.iter_mut().enumerate() {
                lanes.store(value(j), o);
            }
            if !o_tail.is_empty() {
                let mut y = [0.0; 4];
                lanes.store(value(o_steps.len()), &mut y);
                o_tail.copy_from_slice(&y[..o_tail.len()]);
            }
        }
    }
}

/// Bars per block of the stage-by-stage EMA passes (16 steps: a stage's
/// values stay in L1 for the next).
const BLOCK: usize = 64;

/// One stage's inputs or values over a block of bars, after the three values
/// before the block (`EmaStep::step_loaded` reads them and weighs them 0).
#[derive(Debug, Clone, Copy)]
struct Block([f64; 3 + BLOCK]);

impl Block {
    const ZERO: Block = Block([0.0; 3 + BLOCK]);

    /// Moves on to the next block with `x` (at most `BLOCK` values) as its
    /// values, the last step padded with zeros (only its later lanes see
    /// them); the number of steps.
    #[inline(always)]
    fn next(&mut self, x: &[f64]) -> usize {
        self.roll();
        let n = x.len().min(BLOCK);
        self.0[3..3 + n].copy_from_slice(&x[..n]);
        let steps = n.div_ceil(4);
        self.0[3 + n..3 + 4 * steps].fill(0.0);
        steps
    }

    /// Keeps the last block's last three values in front of the next.
    #[inline(always)]
    fn roll(&mut self) {
        self.0.copy_within(BLOCK..BLOCK + 3, 0);
    }

    /// Step `j`'s four values and the three before them.
    #[inline(always)]
    fn window(&self, j: usize) -> &[f64; 7] {
        self.0[4 * j..4 * j + 7]
            .try_into()
            .expect("a step within the block")
    }

    /// Step `j`'s four values.
    #[inline(always)]
    fn step(&self, j: usize) -> &[f64; 4] {
        self.0[3 + 4 * j..7 + 4 * j]
            .try_into()
            .expect("a step within the block")
    }

    #[inline(always)]
    fn step_mut(&mut self, j: usize) -> &mut [f64; 4] {
        (&mut self.0[3 + 4 * j..7 + 4 * j])
            .try_into()
            .expect("a step within the block")
    }
}

/// One EMA stage over the first `steps` steps of a block: `input`'s values
/// smoothed into `out` (rolled already), `before` moved on.
#[inline(always)]
fn ema_block<L: Lanes>(
    lanes: L,
    step: &EmaStep<L::V>,
    input: &Block,
    out: &mut Block,
    steps: usize,
    before: &mut L::V,
) {
    for j in 0..steps.min(BLOCK / 4) {
        let y = step.step_loaded(lanes, input.window(j), before);
        lanes.store(y, out.step_mut(j));
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

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits_for_one_two_and_three_stages() {
        use crate::engine::indicators::lanes::avx2_available;
        use rand::{Rng, SeedableRng};
        use rand_pcg::Pcg64;
        assert!(
            !cfg!(target_arch = "x86_64") || avx2_available(),
            "no AVX2 lanes to compare (a CPU without AVX2, or TECHNIC_LANES=portable)"
        );
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
