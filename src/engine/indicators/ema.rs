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
    // Warm-up, stage after stage: stage `p` sums its first `period` inputs,
    // from bar `p·lag` (the seed of the stage before) to bar `(p + 1)·lag`,
    // while the stages before it run (per-bar stage tests here only). Each
    // sum in one register, in TA-Lib's order.
    for p in 0..N {
        let (running, rest) = value.split_at_mut(p);
        let mut seed = running.last().map_or(0.0, |v| *v);
        let from = if p == 0 { 0 } else { p * lag + 1 };
        let end = (p + 1) * lag;
        for &x in &src[from..end] {
            seed += smooth(running, k, beta, x);
        }
        rest[0] = (seed + smooth(running, k, beta, src[end])) / n;
    }
    out[first] = output(combine, value);
    run_lanes(Chain {
        src: &src[first + 1..],
        out: &mut out[first + 1..],
        k,
        beta,
        value,
        combine,
    });
}

/// One bar through the chained stages `value` (each the EMA of the one
/// before; the first of `x`): the last stage's new value, or `x` if none.
#[inline(always)]
fn smooth(value: &mut [f64], k: f64, beta: f64, x: f64) -> f64 {
    let mut input = x;
    for v in value {
        *v = beta * *v + k * input;
        input = *v;
    }
    input
}

/// One bar's output from the stages' values.
fn output<const N: usize>(combine: impl Combine<N>, value: [f64; N]) -> f64 {
    combine.combine(Portable, &value.map(|v| [v; 4]))[0]
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

    /// Four bars per step. The recursion is latency-bound (each value waits
    /// for the previous one); a step puts one multiply and one add per four
    /// bars on each stage's chain. One chain (EMA) steps with
    /// `lanes::EmaStep`: EMA(30) went from 1.4 to 0.55 ns/bar, TA-Lib's 1.26.
    /// Several chains (DEMA, TEMA) step as one linear map (`Linear`), whose
    /// every output and next value is a weighted sum of the step's four
    /// inputs and the values before it: no stage waits on the one before
    /// within a step. Stepped stage after stage instead (in registers, or
    /// stage by stage over 64-bar blocks), a step was 30–40 dependent
    /// operations deep and filled an AMD EPYC's scheduler: DEMA(30) 1.48 and
    /// TEMA(30) 1.89 ns/bar against TA-Lib's 1.22 and 1.68; as one map 0.68
    /// and 0.93 (TA-Lib 1.25 and 1.54; `cargo bench --bench indicators`, a
    /// quiet spell). In wasm (node, the crate's indicator files built for
    /// wasm32 +simd128) DEMA went from 2.7–3.8 to 2.0–2.4 ns/bar and TEMA
    /// from 3.7–5.0 to 2.8–2.9 (`States` says why the values are scalars
    /// there).
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
        let (src_steps, src_tail) = src.as_chunks::<4>();
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        // The last bars padded with zeros, which only later lanes see.
        let mut x_tail = [0.0; 4];
        x_tail[..src_tail.len()].copy_from_slice(src_tail);
        let mut y_tail = [0.0; 4];
        if N == 1 {
            // One chain: step by step from the registers, its chain short.
            // (No closure for the step: one called twice stayed a call
            // compiled without the AVX2 clone's features, 40× slower.)
            let step = EmaStep::new(lanes, k, beta);
            let mut before = lanes.splat(value[0]);
            for (x, o) in src_steps.iter().zip(out_steps) {
                let y = step.step_short(lanes, lanes.load(x), &mut before);
                lanes.store(combine.combine(lanes, &[y; N]), o);
            }
            if !src_tail.is_empty() {
                let last = step.step_short(lanes, lanes.load(&x_tail), &mut before);
                lanes.store(combine.combine(lanes, &[last; N]), &mut y_tail);
            }
        } else {
            let linear = Linear::new(lanes, k, beta, combine);
            let tail = &mut y_tail;
            if L::SPLIT {
                linear_pass(lanes, &linear, src, out_steps, tail, Scalars(value));
            } else {
                let value = Splat(value.map(|v| lanes.splat(v)));
                linear_pass(lanes, &linear, src, out_steps, tail, value);
            }
        }
        out_tail.copy_from_slice(&y_tail[..out_tail.len()]);
    }
}

/// `N` chained EMAs four bars at a time as one linear map: the output of
/// each of a step's bars, and each stage's value after the step, is a
/// weighted sum of the step's four inputs and the stages' values before it.
/// The weights come from the one-bar recursion itself, run on unit inputs
/// (so `combine` must be linear, as DEMA's and TEMA's are). The values
/// differ from the one-bar recursion by a few ulps of the inputs' size (the
/// oracle allows 1e-9). The outputs take the inputs as four loads, from
/// three bars back to this bar, so no input reaches a bar before its own
/// (a NaN weighted 0 would): the bars before the step that the loads weigh
/// 0 have reached the stages' values already, and a NaN there made them NaN.
struct Linear<V, const N: usize> {
    /// The weights of the inputs `3 − o` bars back in each bar's output
    /// (lane `j`: bar `j`; 0 where that is before the step).
    out_back: [V; 4],
    /// Stage `r`'s value before the step: its weight in each bar's output.
    out_e: [V; N],
    /// Input `i`'s weight in stage `s`'s value after the step (lane `s`).
    next_x: [V; 4],
    /// Stage `r`'s value before: its weight in stage `s`'s after (0 for
    /// `r > s`, which is not used).
    next_e: [[f64; N]; N],
}

impl<V: Copy, const N: usize> Linear<V, N> {
    #[inline(always)]
    fn new<L: Lanes<V = V>>(lanes: L, k: f64, beta: f64, combine: impl Combine<N>) -> Self {
        const { assert!(N <= 4, "the stages' next values share one vector") };
        // Each stage's value after each bar of a step, from inputs `x` and
        // the values `e` before it.
        let run = |x: [f64; 4], mut e: [f64; N]| -> [[f64; N]; 4] {
            x.map(|x| {
                smooth(&mut e, k, beta, x);
                e
            })
        };
        let unit =
            |i: usize| -> [f64; N] { std::array::from_fn(|s| if s == i { 1.0 } else { 0.0 }) };
        let weights: [f64; N] = std::array::from_fn(|s| output(combine, unit(s)));
        let from_x: [[[f64; N]; 4]; 4] = std::array::from_fn(|i| {
            run(
                std::array::from_fn(|j| if j == i { 1.0 } else { 0.0 }),
                [0.0; N],
            )
        });
        let from_e: [[[f64; N]; 4]; N] = std::array::from_fn(|r| run([0.0; 4], unit(r)));
        let out = |after: &[[f64; N]; 4]| -> [f64; 4] {
            after.map(|v| v.iter().zip(&weights).map(|(v, w)| v * w).sum())
        };
        let out_x = from_x.map(|after| out(&after));
        Self {
            out_back: std::array::from_fn(|o| {
                lanes.array(std::array::from_fn(|j| {
                    (j + o).checked_sub(3).map_or(0.0, |i| out_x[i][j])
                }))
            }),
            out_e: std::array::from_fn(|r| lanes.array(out(&from_e[r]))),
            next_x: std::array::from_fn(|i| {
                lanes.array(std::array::from_fn(|s| {
                    from_x[i][3].get(s).map_or(0.0, |w| *w)
                }))
            }),
            next_e: std::array::from_fn(|s| std::array::from_fn(|r| from_e[r][3][s])),
        }
    }

    /// The inputs' part of the outputs of the four bars `x[3..7]` (`x[..3]`
    /// the bars before them, weighed 0), and of every stage's next value
    /// (lane `s`, spread into scalars).
    #[inline(always)]
    fn inputs_part<L: Lanes<V = V>>(&self, lanes: L, x: &[f64; 7]) -> (V, [f64; 4]) {
        let at = |o: usize| lanes.load(x[o..o + 4].try_into().expect("four of seven"));
        let back = [at(0), at(1), at(2), at(3)];
        let xs = [
            lanes.splat(x[3]),
            lanes.splat(x[4]),
            lanes.splat(x[5]),
            lanes.splat(x[6]),
        ];
        let mut next = [0.0; 4];
        lanes.store(dot4(lanes, &self.next_x, &xs), &mut next);
        (dot4(lanes, &self.out_back, &back), next)
    }
}

/// Where `Linear` keeps the stages' values between steps: in every lane of a
/// vector each (`Splat`, AVX2's choice), or in scalars (`Scalars`, when
/// `Lanes::SPLIT`). The same operations in the same order either way, so
/// the same bits; the choice is the compiler's register pressure. With
/// vectors, simd128's register pairs spilled in V8 (TEMA(30) 8.5 ns/bar in
/// node against 2.1–2.8 with scalars); AVX2 ran DEMA(30) at 0.69–0.74
/// ns/bar with vectors against 0.81–0.99 with scalars.
trait States<L: Lanes, const N: usize>: Copy {
    /// The outputs of the four bars `x[3..7]`, the values moved on past
    /// them. Each stage's own value is added last, so its chain is one
    /// multiply and one add a step.
    fn step(&mut self, lanes: L, linear: &Linear<L::V, N>, x: &[f64; 7]) -> L::V;
}

/// Each stage's value in every lane of a vector.
#[derive(Clone, Copy)]
struct Splat<V, const N: usize>([V; N]);

/// Each stage's value as a scalar.
#[derive(Clone, Copy)]
struct Scalars<const N: usize>([f64; N]);

impl<L: Lanes, const N: usize> States<L, N> for Splat<L::V, N> {
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // Indices read plainest here.
    fn step(&mut self, lanes: L, linear: &Linear<L::V, N>, x: &[f64; 7]) -> L::V {
        let (mut out, next) = linear.inputs_part(lanes, x);
        let e = self.0;
        for r in 0..N {
            out = lanes.add(out, lanes.mul(linear.out_e[r], e[r]));
        }
        for s in 0..N {
            let mut v = lanes.splat(next[s]);
            for r in 0..=s {
                v = lanes.add(v, lanes.mul(lanes.splat(linear.next_e[s][r]), e[r]));
            }
            self.0[s] = v;
        }
        out
    }
}

impl<L: Lanes, const N: usize> States<L, N> for Scalars<N> {
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // Indices read plainest here.
    fn step(&mut self, lanes: L, linear: &Linear<L::V, N>, x: &[f64; 7]) -> L::V {
        let (mut out, next) = linear.inputs_part(lanes, x);
        let e = self.0;
        for r in 0..N {
            out = lanes.add(out, lanes.mul(linear.out_e[r], lanes.splat(e[r])));
        }
        for s in 0..N {
            let mut v = next[s];
            for r in 0..=s {
                v += linear.next_e[s][r] * e[r];
            }
            self.0[s] = v;
        }
        out
    }
}

/// `Linear` over the bars after the first output: `out_steps` and the last
/// bars' outputs (`src`'s last `src.len() % 4` bars) into `tail`, from the
/// stages' values `before`.
#[inline(always)]
fn linear_pass<L: Lanes, const N: usize>(
    lanes: L,
    linear: &Linear<L::V, N>,
    src: &[f64],
    out_steps: &mut [[f64; 4]],
    tail: &mut [f64; 4],
    mut before: impl States<L, N>,
) {
    // A step's four bars after the three before them, which its outputs
    // weigh 0: zeros in their place for the first and the last step.
    let mut steps = out_steps.iter_mut();
    if let Some(o) = steps.next() {
        let mut first = [0.0; 7];
        first[3..].copy_from_slice(&src[..4]);
        lanes.store(before.step(lanes, linear, &first), o);
    }
    for (x, o) in src.get(1..).unwrap_or(&[]).windows(7).step_by(4).zip(steps) {
        let x = x.try_into().expect("seven bars");
        lanes.store(before.step(lanes, linear, x), o);
    }
    let rest = src.len() % 4;
    if rest > 0 {
        let mut last = [0.0; 7];
        last[3..3 + rest].copy_from_slice(&src[src.len() - rest..]);
        lanes.store(before.step(lanes, linear, &last), tail);
    }
}

/// `(w0·x0 + w1·x1) + (w2·x2 + w3·x3)`.
#[inline(always)]
fn dot4<L: Lanes>(lanes: L, w: &[L::V; 4], x: &[L::V; 4]) -> L::V {
    let near = lanes.add(lanes.mul(w[0], x[0]), lanes.mul(w[1], x[1]));
    let far = lanes.add(lanes.mul(w[2], x[2]), lanes.mul(w[3], x[3]));
    lanes.add(near, far)
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

    /// Each stage's values by the textbook recursion, stage after stage:
    /// sum seed, then `β·e + k·x`; NaN where not yet defined.
    fn stages(src: &[f64], period: usize, n: usize) -> Vec<Vec<f64>> {
        let (k, beta) = smoothing(period);
        let (mut input, mut start, mut all) = (src.to_vec(), 0, Vec::new());
        for _ in 0..n {
            let mut e = vec![f64::NAN; src.len()];
            let seed_at = start + period - 1;
            if seed_at >= src.len() {
                all.push(e);
                continue;
            }
            e[seed_at] = input[start..=seed_at].iter().sum::<f64>() / period as f64;
            for i in seed_at + 1..src.len() {
                e[i] = beta * e[i - 1] + k * input[i];
            }
            start = seed_at;
            input = e.clone();
            all.push(e);
        }
        all
    }

    #[test]
    fn dema_and_tema_follow_the_stage_by_stage_recursion_through_every_tail_and_a_nan() {
        use crate::engine::indicators::{dema, tema};
        let base: Vec<f64> = (0..140)
            .map(|i| 100.0 + 9.0 * (i as f64 * 0.37).sin() + (i % 7) as f64)
            .collect();
        for period in [2, 3, 5, 14] {
            // Every length from too short to several steps past the warm-up,
            // so every tail length and a first step without bars before it.
            for len in 1..base.len() {
                let src = &base[..len];
                for nan_at in [None, Some(len / 2), Some(len.saturating_sub(2))] {
                    let mut src = src.to_vec();
                    if let Some(q) = nan_at.filter(|&q| q < len) {
                        src[q] = f64::NAN;
                    }
                    let e = stages(&src, period, 3);
                    let want_dema: Vec<f64> = (0..len).map(|i| 2.0 * e[0][i] - e[1][i]).collect();
                    let want_tema: Vec<f64> = (0..len)
                        .map(|i| e[2][i] + (3.0 * e[0][i] - 3.0 * e[1][i]))
                        .collect();
                    let mut out = vec![0.0; len];
                    for (name, f, want) in [
                        ("dema", dema as fn(&[f64], usize, &mut [f64]), &want_dema),
                        ("tema", tema, &want_tema),
                    ] {
                        f(&src, period, &mut out);
                        for (i, (o, w)) in out.iter().zip(want.iter()).enumerate() {
                            assert!(
                                (o - w).abs() <= 1e-12 * w.abs() || (o.is_nan() && w.is_nan()),
                                "{name}({period}), {len} bars, NaN at {nan_at:?}, bar {i}: {o} vs {w}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn linear_gives_the_same_bits_with_the_values_in_vectors_or_in_scalars() {
        use crate::engine::indicators::{dema::Dema, tema::Tema};
        fn both<const N: usize>(src: &[f64], period: usize, combine: impl Combine<N>) {
            let (k, beta) = smoothing(period);
            let linear = Linear::new(Portable, k, beta, combine);
            let value: [f64; N] = std::array::from_fn(|s| src[0] * (1.0 + s as f64 * 0.01));
            let steps = src.len() / 4;
            let (mut a, mut b) = (vec![[0.0; 4]; steps], vec![[0.0; 4]; steps]);
            let (mut ta, mut tb) = ([0.0; 4], [0.0; 4]);
            let splat = Splat(value.map(|v| [v; 4]));
            linear_pass(Portable, &linear, src, &mut a, &mut ta, splat);
            linear_pass(Portable, &linear, src, &mut b, &mut tb, Scalars(value));
            let bits = |v: &[[f64; 4]], t: [f64; 4]| -> Vec<u64> {
                v.iter().flatten().chain(&t).map(|x| x.to_bits()).collect()
            };
            assert_eq!(bits(&a, ta), bits(&b, tb), "N = {N}, period {period}");
        }
        let src: Vec<f64> = (0..203)
            .map(|i| 50.0 + 7.0 * (i as f64 * 0.61).sin() + (i % 5) as f64 * 0.3)
            .collect();
        for period in [2, 9, 30] {
            both(&src, period, Dema);
            both(&src, period, Tema);
        }
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
