//! KAMA, Kaufman adaptive moving average (TA-Lib `KAMA`).
//!
//! Formula: over the last `n` bars, `change = src[i] - src[i-n]` and
//! `path = Σ |src[j] - src[j-1]|` (the n one-bar moves); efficiency
//! `er = |change / path|`, taken as 1 when `path <= 0` or `path <= change`,
//! and clamped to 1; `sc = (er·(2/3 - 2/31) + 2/31)²`;
//! `kama[i] = kama[i-1] + sc·(src[i] - kama[i-1])`, started from
//! `kama[n-1] = src[n-1]` (the bar before the first output).
//! Traps (TA-Lib 0.6): `path` is a running sum (drop the old move, add the
//! new), so after `n` consecutive exactly-zero moves it is reset to 0 and `er`
//! is 1 rather than a ratio of rounding residue. `n == 1` copies the input.
//! How: four bars a step in lanes (`Blocks`: AVX2 and FMA natively, simd128
//! in wasm). The path is a running window sum whose four changes are
//! prefix-summed (as `sma::window_sums`), the efficiency and smoothing of
//! four bars are computed at once (one divide for four), and the recursion,
//! `kama = (1 − sc)·kama + sc·x`, is composed over the step as an affine
//! prefix, so one multiply-add a step waits on the last value. TA-Lib's own
//! loop (`Exact`: its two multiply-adds rounded once, the CPU's FMA or
//! `fused`'s exact emulation, TA-Lib's bits) runs the first output, any step
//! a window of exactly-zero moves reaches, the last `len % 4` bars, and
//! everything from a bad print on (a price above 1024 times any before it:
//! after it leaves the window a running sum keeps a residue large next to
//! the path, and TA-Lib's output follows its own residue; the oracle test
//! has that case).
//! Bits: within a few ulps of TA-Lib's (the oracle allows 1e-9); `Exact` is
//! TA-Lib's bit for bit (tested, huge print included). The one kernel whose
//! value at a bar can depend on the bars after it, by those ulps: a step of
//! four goes to `Exact` when the series ends inside it, or a window of zero
//! moves or a bad print lies ahead in it, and the two paths' running sums
//! differ in their last bits (so a backtest's KAMA at bar t and a scan's on
//! bars `0..=t` can differ there; `tests/engine/lang.rs` holds every other
//! kernel to the same bits).
//! Speed: TA-Lib's loop waits on a subtract and a multiply-add a bar, and
//! TA-Lib's own ran level with it (0.93–1.02×). The steps ran at
//! 1.15–1.25× TA-Lib (`BENCH_FILTER=KAMA cargo bench --bench indicators`, in
//! one run with the loop's build at 0.95–0.97×) once the bar before each
//! step came from a register rather than a load overlapping the last
//! step's store to `out` (below); without that, level with TA-Lib.
//! Warm-up: `n` bars (0 for `n == 1`). Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;
use super::fused::{run_fused, FusedKernel, MulAdd};
use super::lanes::{run_lanes, Lanes, LanesKernel};

/// TA-Lib's constants: the slowest smoothing `2/(30+1)` and the span from it
/// to the fastest, `2/(2+1)`.
const SLOWEST: f64 = 2.0 / (30.0 + 1.0);
const SPAN: f64 = 2.0 / (2.0 + 1.0) - SLOWEST;

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
    let len = src.len();
    let mut state = run_fused(Exact {
        src,
        period,
        out: &mut *out,
        from: None,
        until: period + 1,
    });
    // The largest |price| so far, which tells a bad print (`Stop::BadPrint`);
    // a series that opens on zeros has no scale and is never taken for one.
    let largest = src[..=period].iter().fold(0.0, |m: f64, x| m.max(x.abs()));
    let mut scale = if largest > 0.0 {
        largest
    } else {
        f64::INFINITY
    };
    while state.next < len {
        let (moved, stop, largest) = run_lanes(Blocks {
            src,
            period,
            out: &mut *out,
            state,
            scale,
        });
        state = moved;
        scale = scale.max(largest);
        let until = match stop {
            Stop::End => len,
            Stop::Flat => (state.next + 4).min(len),
            Stop::BadPrint => len,
        };
        let first = state.next;
        state = run_fused(Exact {
            src,
            period,
            out: &mut *out,
            from: Some(state),
            until,
        });
        scale = src[first..until].iter().fold(scale, |m, x| m.max(x.abs()));
    }
}

/// Where one bar's KAMA leaves the running values: the next bar, the path
/// (the window's sum of one-bar moves), the run of exactly-zero moves up to
/// it, and the last KAMA value.
#[derive(Debug, Clone, Copy)]
struct State {
    next: usize,
    path: f64,
    flat_run: usize,
    value: f64,
}

/// TA-Lib's loop on bars `from.next..until` (from the start when `from` is
/// `None`: the first window's path, and the first output at `period`), its
/// two multiply-adds rounded once as TA-Lib's are (`er·(2/3 − 2/31) + 2/31`,
/// and `(src − kama)·sc + kama`): the CPU's FMA where there is one,
/// `fused`'s exact emulation elsewhere, the same bits either way. It runs
/// the bars `Blocks` leaves: the first, a window of exactly-zero moves, the
/// last `len % 4`, and everything after a bad print.
struct Exact<'a> {
    src: &'a [f64],
    period: usize,
    out: &'a mut [f64],
    from: Option<State>,
    until: usize,
}

impl FusedKernel for Exact<'_> {
    type Output = State;

    #[inline(always)]
    fn run<M: MulAdd>(self, rounding: M) -> State {
        let Exact {
            src,
            period,
            out,
            from,
            until,
        } = self;
        let span = rounding.factor(SPAN);
        let smoothing = |er: f64| {
            let c = rounding.mul_add_factor(span, er, SLOWEST);
            c * c
        };
        let State {
            next,
            mut path,
            mut flat_run,
            mut value,
        } = from.unwrap_or_else(|| {
            let mut path = 0.0;
            let mut flat_run = 0usize;
            for j in 1..=period {
                let step = (src[j] - src[j - 1]).abs();
                path += step;
                flat_run = if step <= 0.0 { flat_run + 1 } else { 0 };
            }
            let value = src[period - 1];
            let er = efficiency(src[period] - src[0], path);
            let value = rounding.mul_add_small(src[period] - value, smoothing(er), value);
            out[period] = value;
            State {
                next: period + 1,
                path,
                flat_run,
                value,
            }
        });
        for i in next..until {
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
            value = rounding.mul_add_small(src[i] - value, smoothing(er), value);
            out[i] = value;
        }
        State {
            next: until.max(next),
            path,
            flat_run,
            value,
        }
    }
}

/// Why `Blocks` handed the bars back to `Exact`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stop {
    /// Fewer than four bars left.
    End,
    /// A window of exactly-zero moves ends in the next four bars.
    Flat,
    /// A price more than 1024 times any before it: from there the path is
    /// TA-Lib's own running sum, whose residue after the print leaves the
    /// window later bars feel (the oracle checks it).
    BadPrint,
}

/// KAMA four bars a step from `state.next` on, in lanes (AVX2 and FMA
/// natively, simd128 in wasm): the path as a running window sum (the four
/// changes prefix-summed, one add a step on the total's chain, as
/// `sma::window_sums`), the efficiency and smoothing of four bars at once
/// (one divide for four), and the recursion `kama = (1 − sc)·kama + sc·x` as
/// an affine prefix: each bar's `(b, a)` composed with the one and the two
/// before, so that the chain from one step's last value to the next is one
/// multiply-add. Stops before a step a window of zero moves or a bad print
/// reaches (`Stop`), or when fewer than four bars are left.
struct Blocks<'a> {
    src: &'a [f64],
    period: usize,
    out: &'a mut [f64],
    state: State,
    /// At most the largest |price| before `state.next` (the largest of some
    /// of them; the bars above 1024 times it are checked against all).
    scale: f64,
}

impl LanesKernel for Blocks<'_> {
    /// Where it stopped, why, and its scale then (at most the largest
    /// |price| before it).
    type Output = (State, Stop, f64);

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) -> (State, Stop, f64) {
        let Blocks {
            src,
            period,
            out,
            state,
            scale,
        } = self;
        let (one, zero) = (lanes.splat(1.0), lanes.splat(0.0));
        let (span, slowest) = (lanes.splat(SPAN), lanes.splat(SLOWEST));
        let mut scale = scale;
        let mut limit = lanes.splat(1024.0 * scale);
        let mut total = lanes.splat(state.path);
        let mut value = lanes.splat(state.value);
        let mut flat_run = state.flat_run;
        let mut i = state.next;
        let mut this = inputs(lanes, src, period, i);
        let stop = loop {
            if i + 4 > src.len() {
                break Stop::End;
            }
            let [x, before_x, old, before_old] = this;
            let x_abs = lanes.abs(x);
            if lanes.any_lt(limit, x_abs) {
                // Above 1024 times the scale known so far: the true largest
                // |price| before these bars decides, bar by bar.
                scale = src[..i].iter().fold(scale, |m, x| m.max(x.abs()));
                let mut largest = scale;
                let mut bad = false;
                for &x in &src[i..i + 4] {
                    bad |= x.abs() > 1024.0 * largest;
                    largest = largest.max(x.abs());
                }
                if bad {
                    break Stop::BadPrint;
                }
                scale = largest;
                limit = lanes.splat(1024.0 * scale);
            }
            let next = inputs(lanes, src, period, i + 4);
            let moved = lanes.abs(lanes.sub(x, before_x));
            let left = lanes.abs(lanes.sub(old, before_old));
            let mut run = 0;
            if lanes.any_le(moved, zero) {
                let mut m = [0.0; 4];
                lanes.store(moved, &mut m);
                run = flat_run;
                for step in m {
                    run = if step <= 0.0 { run + 1 } else { 0 };
                    if run >= period {
                        break;
                    }
                }
                if run >= period {
                    break Stop::Flat;
                }
            }
            flat_run = run;
            let steps = pair_prefix(lanes, lanes.sub(moved, left), zero);
            let path = lanes.add(total, steps);
            total = lanes.add(total, lanes.splat_last(steps));
            // TA-Lib's guards: 1 when the path is not above 0, else |change /
            // path| at most 1 (1 for NaN, as `f64::min`). Its third, 1 when
            // `path <= change`, is the same then: the ratio is at least 1.
            let change = lanes.sub(x, old);
            let ratio = lanes.abs(lanes.div(change, path));
            let er = lanes.select_le(path, zero, one, lanes.min(one, ratio));
            let c = lanes.mul_add(span, er, slowest);
            let sc = lanes.mul(c, c);
            // kama_j = b_j·kama_(j−1) + a_j, composed within each pair of
            // bars, then the upper pair with the lower (ones and zeros
            // brought in where there is nothing to compose with).
            let (b, a) = (lanes.sub(one, sc), lanes.mul(sc, x));
            let b1 = lanes.mul(b, lanes.pair_shift(b, one));
            let a1 = lanes.mul_add(b, lanes.pair_shift(a, zero), a);
            let b2 = lanes.mul(b1, lanes.half_spread(b1, one));
            let a2 = lanes.mul_add(b1, lanes.half_spread(a1, zero), a1);
            let values = lanes.mul_add(b2, value, a2);
            lanes.store(values, (&mut out[i..i + 4]).try_into().expect("four bars"));
            value = lanes.splat_last(values);
            this = next;
            i += 4;
        };
        let last = |v: L::V| {
            let mut t = [0.0; 4];
            lanes.store(v, &mut t);
            t
        };
        let moved = State {
            next: i,
            path: last(total)[0],
            flat_run,
            value: last(value)[0],
        };
        (moved, stop, scale)
    }
}

/// Inclusive prefix sum of the four lanes within each pair, then the lower
/// pair's total added to the upper: `[v0, v0+v1, v2+(v0+v1),
/// (v2+v3)+(v0+v1)]`, with one crossing permute (`lanes::prefix_sum` has
/// two).
#[inline(always)]
fn pair_prefix<L: Lanes>(lanes: L, v: L::V, zero: L::V) -> L::V {
    let pairs = lanes.add(v, lanes.pair_shift(v, zero));
    lanes.add(pairs, lanes.half_spread(pairs, zero))
}

/// A step's inputs: its bars `src[i..i + 4]`, the bars before them, and the
/// same two `period` bars back (zeros past the end). Each step of `Blocks`
/// loads the next step's before storing its own values: a load after a store
/// to `out` at the same offset below 4096 (columns at the same page offset,
/// as large ones are) waited on the store, and KAMA ran level with TA-Lib.
#[inline(always)]
fn inputs<L: Lanes>(lanes: L, src: &[f64], period: usize, i: usize) -> [L::V; 4] {
    let at = |i: usize| lanes.load(src[i..i + 4].try_into().expect("four bars"));
    if i + 4 <= src.len() {
        [at(i), at(i - 1), at(i - period), at(i - period - 1)]
    } else {
        [lanes.splat(0.0); 4]
    }
}

/// Kaufman's efficiency ratio with TA-Lib's guards.
#[inline(always)]
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

    /// TA-Lib's loop alone (`Exact` over every bar), with `rounding`.
    fn exact_with<M: MulAdd>(src: &[f64], period: usize, rounding: Option<M>) -> Vec<f64> {
        let mut out = vec![f64::NAN; src.len()];
        let exact = Exact {
            src,
            period,
            out: &mut out,
            from: None,
            until: src.len(),
        };
        match rounding {
            Some(m) => exact.run(m),
            None => run_fused(exact),
        };
        out
    }

    #[test]
    fn the_hardware_and_emulated_multiply_adds_give_the_same_bits() {
        use crate::engine::indicators::fused::{
            assert_same_bits, hardware_path_available, random_bars, Emulated,
        };
        use crate::engine::indicators::sma::tests::long_series;
        use rand::SeedableRng;
        use rand_pcg::Pcg64;
        assert!(!cfg!(target_arch = "x86_64") || hardware_path_available());
        let mut rng = Pcg64::seed_from_u64(31);
        for series in 0..24 {
            let n = 300 + series * 7;
            let [.., close, _] = random_bars(&mut rng, n, 20.0, 0.01, series % 2 == 0);
            // And a series crossing zero, where the product is not small.
            let crossing = long_series(n, series as u64, true);
            for src in [&close, &crossing] {
                for period in [2, 3, 10, 30] {
                    let hardware = exact_with::<Emulated>(src, period, None);
                    let emulated = exact_with(src, period, Some(Emulated));
                    assert_same_bits(&hardware, &emulated, &format!("series {series} n {period}"));
                }
            }
        }
    }

    /// TA-Lib's loop (`Exact`) is the oracle's bit for bit, a huge print
    /// included; `kama` (four bars a step, TA-Lib's loop only around flat
    /// windows, the last bars and after a bad print) stays within 1e-9 of
    /// it, and does take the four-bar steps (its bits differ somewhere).
    #[test]
    fn kama_is_the_oracles_within_1e_9_and_its_loop_bit_for_bit_huge_print_included() {
        use crate::engine::indicators::sma::tests::long_series;
        let core = ta_lib::Core::new();
        let mut prices = long_series(3000, 8, false);
        prices[1200] *= 1e6;
        let mut flats = long_series(3000, 10, false);
        // Flat stretches of every length around the window's: a run of
        // exactly-zero moves that fills a window resets the path.
        for (start, run) in [
            (100, 1),
            (200, 9),
            (300, 10),
            (400, 11),
            (600, 31),
            (900, 80),
        ] {
            let level = flats[start];
            flats[start..start + run].fill(level);
        }
        for src in [prices, long_series(3000, 9, true), flats] {
            for period in [2, 3, 10, 30] {
                let ours = {
                    let mut out = vec![0.0; src.len()];
                    kama(&src, period, &mut out);
                    out
                };
                let exact = exact_with::<super::super::fused::Emulated>(&src, period, None);
                let mut theirs = vec![0.0; src.len()];
                let r = core
                    .kama(0, src.len() - 1, &src, period as i32, &mut theirs)
                    .unwrap();
                assert_eq!(r.beg_idx, period);
                assert!(ours[..period].iter().all(|v| v.is_nan()));
                let mut differs = false;
                for k in 0..r.count {
                    let (o, e, t) = (ours[period + k], exact[period + k], theirs[k]);
                    let bar = period + k;
                    assert_eq!(
                        e.to_bits(),
                        t.to_bits(),
                        "TA-Lib's loop, n {period} bar {bar}: {e} vs {t}"
                    );
                    assert!(
                        (o - t).abs() <= 1e-9 * t.abs().max(1.0),
                        "n {period} bar {bar}: {o} vs {t}"
                    );
                    differs |= o.to_bits() != t.to_bits();
                }
                assert!(differs, "n {period}: every bar through TA-Lib's loop");
            }
        }
    }

    /// What wasm computes (the steps' multiply-adds rounded twice, on the
    /// `[f64; 4]` form) stays within 1e-9 of TA-Lib over every step of long
    /// random walks, a crossing series included.
    #[test]
    fn the_twice_rounded_steps_stay_within_1e_9_of_the_oracle() {
        use crate::engine::indicators::fused::Emulated;
        use crate::engine::indicators::lanes::Portable;
        use crate::engine::indicators::sma::tests::long_series;
        let core = ta_lib::Core::new();
        for src in [long_series(5000, 21, false), long_series(5000, 22, true)] {
            for period in [2, 10, 30] {
                let mut out = vec![f64::NAN; src.len()];
                let state = Exact {
                    src: &src,
                    period,
                    out: &mut out,
                    from: None,
                    until: period + 1,
                }
                .run(Emulated);
                let (moved, _, _) = Blocks {
                    src: &src,
                    period,
                    out: &mut out,
                    state,
                    scale: f64::INFINITY,
                }
                .run(Portable);
                assert!(
                    moved.next > src.len() / 2,
                    "n {period}: stopped at {}",
                    moved.next
                );
                let mut theirs = vec![0.0; src.len()];
                core.kama(0, src.len() - 1, &src, period as i32, &mut theirs)
                    .unwrap();
                for i in period..moved.next {
                    let (o, t) = (out[i], theirs[i - period]);
                    assert!(
                        (o - t).abs() <= 1e-9 * t.abs().max(1.0),
                        "n {period} bar {i}: {o} vs {t}"
                    );
                }
            }
        }
    }

    /// The AVX2 lanes against the `[f64; 4]` form with the same roundings
    /// (`PortableFused`), bit for bit, from every bar of a random walk.
    #[test]
    fn the_avx2_and_portable_blocks_give_the_same_bits() {
        use crate::engine::indicators::lanes::avx2_available;
        #[cfg(not(target_arch = "x86_64"))]
        use crate::engine::indicators::lanes::Portable as Same;
        #[cfg(target_arch = "x86_64")]
        use crate::engine::indicators::lanes::PortableFused as Same;
        use crate::engine::indicators::sma::tests::long_series;
        assert!(!cfg!(target_arch = "x86_64") || avx2_available());
        let src = long_series(403, 12, false);
        for period in [2, 10, 30] {
            let state = State {
                next: period + 1,
                path: 3.5,
                flat_run: 0,
                value: src[period],
            };
            let mut outs = [vec![0.0; src.len()], vec![0.0; src.len()]];
            let mut stops = Vec::new();
            for (path, out) in outs.iter_mut().enumerate() {
                let blocks = Blocks {
                    src: &src,
                    period,
                    out,
                    state,
                    scale: 1e9,
                };
                let (moved, stop, _) = if path == 0 {
                    run_lanes(blocks)
                } else {
                    blocks.run(Same)
                };
                stops.push((
                    moved.next,
                    stop,
                    moved.value.to_bits(),
                    moved.path.to_bits(),
                ));
            }
            assert_eq!(stops[0], stops[1], "n {period}");
            assert_eq!(stops[0].1, Stop::End);
            let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&outs[0]), bits(&outs[1]), "n {period}");
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
