//! MACD line, signal and histogram (TA-Lib `MACD`).
//!
//! Formula: line = EMA(fast) − EMA(slow); signal = EMA(signal) of the line;
//! hist = line − signal. If `slow < fast` the two are swapped (as TA-Lib does).
//! TA-Lib's alignment: the slow EMA is seeded on bars `0..slow`, and the fast
//! EMA on the `fast` bars that end at the same bar (`slow-fast..slow`), not on
//! bars `0..fast`; the signal EMA is seeded on the first `signal` line values.
//! A signal period of 1 means no smoothing: signal = line, hist = 0.
//! Warm-up: `slow - 1 + signal - 1` bars for all three outputs.
//! Range: fast, slow in 2..=100000, signal in 1..=100000.
//! Complexity: O(len), one pass, no allocation.

use super::ema::smoothing;
use super::fill_nan;
use super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel};

pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    fast.max(slow).saturating_sub(1) + signal.saturating_sub(1)
}

pub fn macd(
    src: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    line: &mut [f64],
    sig: &mut [f64],
    hist: &mut [f64],
) {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let len = src.len();
    let ok_len = line.len() == len && sig.len() == len && hist.len() == len;
    let lookback = macd_lookback(fast, slow, signal);
    if !(2..=100_000).contains(&fast)
        || !(2..=100_000).contains(&slow)
        || !(1..=100_000).contains(&signal)
        || !ok_len
        || len <= lookback
    {
        fill_nan(line);
        fill_nan(sig);
        fill_nan(hist);
        return;
    }
    for column in [&mut *line, &mut *sig, &mut *hist] {
        fill_nan(&mut column[..lookback]);
    }
    // One pass, three EMAs, no scratch column: the slow EMA is seeded on bars
    // `0..slow`, the fast one on the `fast` bars ending at the same bar, the
    // signal EMA on the first `signal` line values. The step is
    // `β·ema + k·x` (TA-Lib's own form natively), then four bars at a time
    // (`Steady`); the line differs from TA-Lib's by a few ulps of the price,
    // far inside the oracle's 1e-9. MACD went from 6.5 to ~1.5 ns/bar when
    // its four passes became one (`cargo bench --bench indicators`).
    let (fast_k, fast_beta) = smoothing(fast);
    let (slow_k, slow_beta) = smoothing(slow);
    let (sig_k, sig_beta) = smoothing(signal);
    let mut slow_ema = src[..slow].iter().sum::<f64>() / slow as f64;
    let mut fast_ema = src[slow - fast..slow].iter().sum::<f64>() / fast as f64;
    let mut seed = fast_ema - slow_ema;
    for &x in &src[slow..=lookback] {
        slow_ema = slow_beta * slow_ema + slow_k * x;
        fast_ema = fast_beta * fast_ema + fast_k * x;
        seed += fast_ema - slow_ema;
    }
    let sig_ema = seed / signal as f64;
    line[lookback] = fast_ema - slow_ema;
    sig[lookback] = sig_ema;
    hist[lookback] = line[lookback] - sig_ema;
    let next = lookback + 1;
    run_lanes(Steady {
        src: &src[next..],
        line: &mut line[next..],
        sig: &mut sig[next..],
        hist: &mut hist[next..],
        weights: [(fast_k, fast_beta), (slow_k, slow_beta), (sig_k, sig_beta)],
        before: [fast_ema, slow_ema, sig_ema],
    });
}

/// MACD after its first output: the three EMAs four bars at a time
/// (`lanes::EmaStep::step`, AVX2 and FMA where the CPU has them), one
/// multiply-add per four bars on each chain. Three chains make it
/// throughput-bound: with two roundings a multiply-add it ran level with
/// TA-Lib (0.92–1.17×), with the AVX2 lanes' FMA at 1.52–1.59× (1.24
/// against 1.89–1.96 ns/bar, `BENCH_FILTER=MACD cargo bench --bench
/// indicators`, both builds in one run). wasm rounds twice: the two differ
/// by a few ulps (tested below).
struct Steady<'a> {
    src: &'a [f64],
    line: &'a mut [f64],
    sig: &'a mut [f64],
    hist: &'a mut [f64],
    /// `(k, β)` of the fast, slow and signal EMAs.
    weights: [(f64, f64); 3],
    /// Their values before `src[0]`.
    before: [f64; 3],
}

impl LanesKernel for Steady<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Steady {
            src,
            line,
            sig,
            hist,
            weights,
            before,
        } = self;
        let [fast, slow, signal] = weights.map(|(k, beta)| EmaStep::new(lanes, k, beta));
        let mut before = before.map(|v| lanes.splat(v));
        let (src_steps, src_tail) = src.as_chunks::<4>();
        let (line_steps, line_tail) = line.as_chunks_mut::<4>();
        let (sig_steps, sig_tail) = sig.as_chunks_mut::<4>();
        let (hist_steps, hist_tail) = hist.as_chunks_mut::<4>();
        let outputs = line_steps.iter_mut().zip(sig_steps).zip(hist_steps);
        for (((l, s), h), x) in outputs.zip(src_steps) {
            let [lv, sv, hv] = advance(lanes, [&fast, &slow, &signal], x, &mut before);
            lanes.store(lv, l);
            lanes.store(sv, s);
            lanes.store(hv, h);
        }
        if !src_tail.is_empty() {
            // The last bars padded with zeros, which only later lanes see.
            let mut x = [0.0; 4];
            x[..src_tail.len()].copy_from_slice(src_tail);
            let values = advance(lanes, [&fast, &slow, &signal], &x, &mut before);
            for (v, tail) in values.into_iter().zip([line_tail, sig_tail, hist_tail]) {
                let mut y = [0.0; 4];
                lanes.store(v, &mut y);
                tail.copy_from_slice(&y[..tail.len()]);
            }
        }
    }
}

/// Line, signal and histogram for the four bars `x` (`before`: the fast,
/// slow and signal values before them, in every lane, moved on).
#[inline(always)]
fn advance<L: Lanes>(
    lanes: L,
    [fast, slow, signal]: [&EmaStep<L::V>; 3],
    x: &[f64; 4],
    before: &mut [L::V; 3],
) -> [L::V; 3] {
    let x = lanes.load(x);
    let fast_v = fast.step(lanes, x, before[0]);
    let slow_v = slow.step(lanes, x, before[1]);
    let line = lanes.sub(fast_v, slow_v);
    let sig = signal.step(lanes, line, before[2]);
    *before = [fast_v, slow_v, sig].map(|v| lanes.splat_last(v));
    [line, sig, lanes.sub(line, sig)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EMA seeded with the mean of `src[first + 1 - n..=first]`, from `first` on.
    fn naive_ema(src: &[f64], n: usize, first: usize) -> Vec<f64> {
        let k = 2.0 / (n as f64 + 1.0);
        let mut out = vec![f64::NAN; src.len()];
        out[first] = src[first + 1 - n..=first].iter().sum::<f64>() / n as f64;
        for i in first + 1..src.len() {
            out[i] = out[i - 1] + k * (src[i] - out[i - 1]);
        }
        out
    }

    fn series() -> Vec<f64> {
        (0..70)
            .map(|i| 20.0 + (i as f64 * 0.3).sin() * 3.0 + i as f64 * 0.05)
            .collect()
    }

    #[test]
    fn fast_ema_is_seeded_on_the_bars_ending_with_the_slow_seed() {
        let src = series();
        let (fast, slow, signal) = (3, 8, 4);
        let (mut line, mut sig, mut hist) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
        macd(&src, fast, slow, signal, &mut line, &mut sig, &mut hist);
        let slow_ema = naive_ema(&src, slow, slow - 1);
        let fast_ema = naive_ema(&src, fast, slow - 1);
        let want_line: Vec<f64> = (0..70).map(|i| fast_ema[i] - slow_ema[i]).collect();
        let want_sig = naive_ema(&want_line[slow - 1..], signal, signal - 1);
        let lb = macd_lookback(fast, slow, signal);
        assert_eq!(lb, 7 + 3);
        assert!(line[..lb]
            .iter()
            .chain(&sig[..lb])
            .chain(&hist[..lb])
            .all(|v| v.is_nan()));
        for i in lb..70 {
            assert!((line[i] - want_line[i]).abs() < 1e-12, "line at {i}");
            assert!(
                (sig[i] - want_sig[i - (slow - 1)]).abs() < 1e-12,
                "signal at {i}"
            );
            assert!((hist[i] - (line[i] - sig[i])).abs() < 1e-15, "hist at {i}");
        }
    }

    #[test]
    fn slow_shorter_than_fast_is_swapped_and_signal_one_is_the_line() {
        let src = series();
        let cols = |f, s, g| {
            let (mut a, mut b, mut c) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
            macd(&src, f, s, g, &mut a, &mut b, &mut c);
            (a, b, c)
        };
        let (l1, s1, h1) = cols(12, 26, 9);
        let (l2, s2, h2) = cols(26, 12, 9);
        assert_eq!(format!("{l1:?}{s1:?}{h1:?}"), format!("{l2:?}{s2:?}{h2:?}"));
        let (line, sig, hist) = cols(5, 10, 1);
        assert_eq!(line[9..], sig[9..]);
        assert!(hist[9..].iter().all(|&h| h == 0.0));
    }

    #[test]
    fn bad_periods_give_all_nan() {
        let src = series();
        let (mut a, mut b, mut c) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
        for (f, s, g) in [(1, 26, 9), (12, 26, 0), (12, 100_001, 9), (30, 60, 12)] {
            macd(&src, f, s, g, &mut a, &mut b, &mut c);
            assert!(
                a.iter().chain(&b).chain(&c).all(|v| v.is_nan()),
                "({f},{s},{g})"
            );
        }
    }

    /// The AVX2 lanes against the `[f64; 4]` form with the same roundings
    /// (`PortableFused`: their multiply-adds rounded once), bit for bit.
    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits() {
        use crate::engine::indicators::lanes::avx2_available;
        #[cfg(not(target_arch = "x86_64"))]
        use crate::engine::indicators::lanes::Portable as Same;
        #[cfg(target_arch = "x86_64")]
        use crate::engine::indicators::lanes::PortableFused as Same;
        use rand::{Rng, SeedableRng};
        use rand_pcg::Pcg64;
        assert!(
            !cfg!(target_arch = "x86_64") || avx2_available(),
            "no AVX2 lanes to compare (a CPU without AVX2, or TECHNIC_LANES=portable)"
        );
        let mut rng = Pcg64::seed_from_u64(26);
        for len in [1, 2, 4, 7, 500] {
            let src: Vec<f64> = (0..len).map(|_| rng.random_range(10.0..200.0)).collect();
            for (fast, slow, signal) in [(12, 26, 9), (3, 5, 1), (2, 100, 30)] {
                let weights = [smoothing(fast), smoothing(slow), smoothing(signal)];
                let before = [src[0], src[len - 1], 0.5];
                let dispatched = steady_columns(&src, weights, before, |s| run_lanes(s));
                let portable = steady_columns(&src, weights, before, |s| s.run(Same));
                for (a, b) in dispatched.iter().zip(&portable) {
                    let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(a), bits(b), "({fast},{slow},{signal}) over {len} bars");
                }
            }
        }
    }

    /// What wasm computes (every multiply-add rounded twice) against the
    /// native AVX2 lanes (once): over 20,000 bars of a random walk around 100
    /// and one crossing zero, the line, signal and histogram stay within
    /// 1e-12 of each other (a few ulps of the prices; the oracle allows
    /// 1e-9 of the value).
    #[test]
    fn rounding_the_multiply_adds_once_or_twice_moves_a_few_ulps() {
        use crate::engine::indicators::lanes::{Portable, PortableFused};
        use rand::{Rng, SeedableRng};
        use rand_pcg::Pcg64;
        let mut rng = Pcg64::seed_from_u64(12);
        let len = 20_000;
        let mut level = 100.0;
        let walk: Vec<f64> = (0..len)
            .map(|_| {
                level *= 1.0 + rng.random_range(-0.02..0.02);
                level
            })
            .collect();
        let crossing: Vec<f64> = (0..len)
            .map(|i| (i as f64 * 0.01).sin() * 50.0 + rng.random_range(-1.0..1.0))
            .collect();
        for src in [&walk, &crossing] {
            let mut worst: f64 = 0.0;
            for (fast, slow, signal) in [(12, 26, 9), (2, 100, 30)] {
                let weights = [smoothing(fast), smoothing(slow), smoothing(signal)];
                let before = [src[0], src[0], 0.0];
                let twice = steady_columns(src, weights, before, |s| s.run(Portable));
                let once = steady_columns(src, weights, before, |s| s.run(PortableFused));
                for (a, b) in twice.iter().zip(&once) {
                    for (x, y) in a.iter().zip(b) {
                        worst = worst.max((x - y).abs());
                    }
                }
                assert!(
                    a_difference(&twice, &once),
                    "the two roundings gave the same bits"
                );
            }
            assert!(worst < 1e-12, "the two forms differ by {worst:e}");
        }
    }

    /// Whether any value of the columns differs (so the test above compares
    /// two computations, not one twice).
    fn a_difference(a: &[Vec<f64>; 3], b: &[Vec<f64>; 3]) -> bool {
        a.iter()
            .zip(b)
            .any(|(a, b)| a.iter().zip(b).any(|(x, y)| x.to_bits() != y.to_bits()))
    }

    /// Line, signal and histogram of `Steady` over `src`, run by `run`.
    fn steady_columns(
        src: &[f64],
        weights: [(f64, f64); 3],
        before: [f64; 3],
        run: impl FnOnce(Steady),
    ) -> [Vec<f64>; 3] {
        let mut columns = [(); 3].map(|_| vec![0.0; src.len()]);
        let [line, sig, hist] = &mut columns;
        run(Steady {
            src,
            line,
            sig,
            hist,
            weights,
            before,
        });
        columns
    }
}
