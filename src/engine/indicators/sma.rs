//! SMA, simple moving average (TA-Lib `SMA`), and the running window sum it
//! shares with SUM (`rolling::sum`).
//!
//! Formula: `out[i] = (src[i-n+1] + … + src[i]) / n`, from a running sum:
//! the first window summed oldest first (as TA-Lib), then
//! `sum[i] = sum[i-1] + (src[i] − src[i-n])`, four bars a step
//! (`lanes::prefix_sum`: the four changes are prefix-summed off the total's
//! chain, which then takes one add per four bars; AVX2 natively where the CPU
//! has it, simd128 in wasm, the same bits either way).
//! Bits: TA-Lib adds the new bar and subtracts the leaving one as two
//! roundings a bar, on one serial chain (SMA(30) and SUM(20) at 1.00×
//! TA-Lib); the sum here rounds the change once, then the total once per
//! bar, so it differs from TA-Lib's by a few ulps of the window's sum
//! (random-walk drift on both sides, of the order of √len ulps of the largest
//! sum the series had; tests bound it over 20,000 bars, prices and a series
//! crossing zero). The divide by `n` is TA-Lib's.
//! Bad prints: after a value far above the rest leaves the window, a running
//! sum keeps a residue of its ulps (TA-Lib's included), which later, smaller
//! windows feel: a 1e6× print with prices then falling 160× left TA-Lib's
//! SUM 3.5e-9 off the exact sums and ours 3.4e-9 off TA-Lib's. So from the
//! first value more than 1024× the largest before it, the sum is TA-Lib's own
//! chain, bit for bit thereafter (at TA-Lib's speed for the rest of that
//! series).
//! Warm-up: `n - 1` bars. Range: `n` in 1..=100000 (TA-Lib 0.6 accepts 1: the
//! output is then the input, copied). Complexity: O(len), no allocation.

use super::fill_nan;
use super::lanes::{prefix_sum, run_lanes, Lanes, LanesKernel};

/// Index of the first valid SMA output: `period - 1`.
pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Simple moving average of `src` over `period` bars into `out`.
pub fn sma(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    window_sums::<true>(src, period, out);
}

/// The sum (`MEAN == false`) or mean (`MEAN == true`) of every window of
/// `period` bars into `out[period-1..]`, `NaN` before. The caller has
/// checked `2 <= period <= src.len() == out.len()`.
pub(crate) fn window_sums<const MEAN: bool>(src: &[f64], period: usize, out: &mut [f64]) {
    let lag = period - 1;
    fill_nan(&mut out[..lag]);
    let n = period as f64;
    // The first window as TA-Lib sums it: oldest first, the newest bar last.
    let total = src[..lag].iter().fold(0.0, |acc, &x| acc + x) + src[lag];
    // A series that opens on a window of zeros has no scale to judge a print
    // by: it is never taken for one (an infinite scale).
    let largest = src[..period]
        .iter()
        .fold(0.0, |acc: f64, &x| acc.max(x.abs()));
    let scale = if largest > 0.0 {
        largest
    } else {
        f64::INFINITY
    };
    out[lag] = if MEAN { total / n } else { total };
    let (done, total) = run_lanes(Running::<MEAN> {
        new: &src[period..],
        old: src,
        out: &mut out[period..],
        total,
        scale,
        n,
    });
    // A value more than 1024 times any before it came in (a bad print): when
    // it leaves, a running sum keeps a residue of its ulps, which later small
    // windows can feel beyond 1e-9 (1e6x print, prices then falling 160x:
    // 3.4e-9 from TA-Lib's, itself 3.5e-9 from the exact sum), so from that
    // step on the sum is TA-Lib's own chain (add the new bar, emit, drop the
    // old), whose residue is then the same: the print's rounding swallows
    // the few ulps by which the two totals differed before it.
    let mut total = total - src[done];
    for i in period + done..src.len() {
        total += src[i];
        out[i] = if MEAN { total / n } else { total };
        total -= src[i + 1 - period];
    }
}

/// Every window after the first: `out[j]` from `new[j] − old[j]` added to
/// the running total, until a step where a new value outweighs 1024 times
/// the largest |x| before it (in its lane); returns how many bars it wrote
/// and the total then.
struct Running<'a, const MEAN: bool> {
    new: &'a [f64],
    old: &'a [f64],
    out: &'a mut [f64],
    /// The sum of the window before `new[0]`'s.
    total: f64,
    /// The largest |x| up to that window.
    scale: f64,
    n: f64,
}

impl<const MEAN: bool> LanesKernel for Running<'_, MEAN> {
    type Output = (usize, f64);

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) -> (usize, f64) {
        let Running {
            new,
            old,
            out,
            total,
            scale,
            n,
        } = self;
        let mut sums = Sums {
            total: lanes.splat(total),
            scale: lanes.splat(scale),
            n: lanes.splat(n),
        };
        let (new_steps, new_tail) = new.as_chunks::<4>();
        let (old_steps, _) = old[..new.len()].as_chunks::<4>();
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        for (k, ((o, x), y)) in out_steps
            .iter_mut()
            .zip(new_steps)
            .zip(old_steps)
            .enumerate()
        {
            match sums.advance::<L, MEAN>(lanes, x, y) {
                Some(v) => lanes.store(v, o),
                None => return (4 * k, sums.total(lanes)),
            }
        }
        if !new_tail.is_empty() {
            // The last bars padded with zero changes, which no bar reads.
            let k = new_tail.len();
            let (mut x, mut y, mut v) = ([0.0; 4], [0.0; 4], [0.0; 4]);
            x[..k].copy_from_slice(new_tail);
            y[..k].copy_from_slice(&old[new.len() - k..new.len()]);
            match sums.advance::<L, MEAN>(lanes, &x, &y) {
                Some(s) => lanes.store(s, &mut v),
                None => return (new.len() - k, sums.total(lanes)),
            }
            out_tail.copy_from_slice(&v[..k]);
        }
        (new.len(), sums.total(lanes))
    }
}

/// The running total in every lane, and each lane's largest |x| so far.
struct Sums<V> {
    total: V,
    scale: V,
    n: V,
}

impl<V: Copy> Sums<V> {
    /// Four windows on: the totals after adding each change `x − y` (moving
    /// the sums on), divided by `n` for the mean; `None`, nothing moved, if
    /// some `x` outweighs 1024 times its lane's largest |x| so far.
    #[inline(always)]
    fn advance<L: Lanes<V = V>, const MEAN: bool>(
        &mut self,
        lanes: L,
        x: &[f64; 4],
        y: &[f64; 4],
    ) -> Option<V> {
        let (x, y) = (lanes.load(x), lanes.load(y));
        let x_abs = lanes.abs(x);
        if lanes.any_lt(lanes.mul(lanes.splat(1024.0), self.scale), x_abs) {
            return None;
        }
        let steps = prefix_sum(lanes, lanes.sub(x, y));
        let sums = lanes.add(self.total, steps);
        self.total = lanes.add(self.total, lanes.splat_last(steps));
        self.scale = lanes.max(self.scale, x_abs);
        Some(if MEAN { lanes.div(sums, self.n) } else { sums })
    }

    #[inline(always)]
    fn total<L: Lanes<V = V>>(&self, lanes: L) -> f64 {
        let mut t = [0.0; 4];
        lanes.store(self.total, &mut t);
        t[0]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::indicators::lanes::Portable;

    /// `len` random-walk cent closes from 100 and, when `crossing`, `len`
    /// one-bar changes (a derived series that crosses zero every few bars).
    pub(crate) fn long_series(len: usize, seed: u64, crossing: bool) -> Vec<f64> {
        let mut x = seed;
        let mut level: f64 = 100.0;
        let closes: Vec<f64> = (0..len + 1)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                level = (level * (1.0 + (u - 0.5) * 0.04) * 100.0).round() / 100.0;
                level.max(0.01)
            })
            .collect();
        if crossing {
            closes.windows(2).map(|w| w[1] - w[0]).collect()
        } else {
            closes[..len].to_vec()
        }
    }

    /// TA-Lib's running sum, two roundings a bar.
    pub(crate) fn talib_sums(src: &[f64], period: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; src.len()];
        let mut total = src[..period - 1].iter().fold(0.0, |a, &x| a + x);
        for i in period - 1..src.len() {
            total += src[i];
            out[i] = total;
            total -= src[i + 1 - period];
        }
        out
    }

    /// `|a − b| ≤ tol·max(|b|, 1)` (the oracle's test, tighter).
    pub(crate) fn close_to(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn sma_equals_the_mean_of_each_window() {
        let src: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64 + 0.25).collect();
        for period in [2, 3, 5, 6, 7, 40] {
            let mut out = vec![0.0; src.len()];
            sma(&src, period, &mut out);
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(out[i].is_nan());
                } else {
                    let w = &src[i + 1 - period..=i];
                    let mean = w.iter().sum::<f64>() / period as f64;
                    assert!((out[i] - mean).abs() < 1e-12, "period {period} bar {i}");
                }
            }
        }
    }

    #[test]
    fn sma_of_period_one_is_the_input_and_of_len_is_one_mean() {
        let src = [3.0, -1.5, 8.0];
        let mut out = [0.0; 3];
        sma(&src, 1, &mut out);
        assert_eq!(out, src);
        sma(&src, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], (3.0 - 1.5 + 8.0) / 3.0);
        for period in [0, 4, 100_001] {
            sma(&src, period, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "period {period}");
        }
    }

    #[test]
    fn the_four_bar_sums_stay_within_a_hair_of_talibs_and_of_fresh_sums() {
        // 20,000 bars: the drift of both running sums is far inside 1e-9.
        for crossing in [false, true] {
            let src = long_series(20_000, 11, crossing);
            for period in [2, 3, 4, 5, 20, 30, 257] {
                let mut out = vec![0.0; src.len()];
                sma(&src, period, &mut out);
                let talib = talib_sums(&src, period);
                let n = period as f64;
                for i in period - 1..src.len() {
                    let fresh = src[i + 1 - period..=i].iter().sum::<f64>() / n;
                    let what = format!("crossing {crossing} period {period} bar {i}");
                    assert!(close_to(out[i], talib[i] / n, 1e-11), "{what}");
                    assert!(close_to(out[i], fresh, 1e-11), "{what}");
                }
            }
        }
    }

    #[test]
    fn after_a_huge_print_the_sums_follow_talibs_residue() {
        // A 1e6x print, then prices falling ~160x: TA-Lib's running sum keeps
        // ~3e-8 of the print's rounding, 3.5e-9 of the later sums; ours takes
        // TA-Lib's chain from the print on, so it keeps the same residue.
        let core = ta_lib::Core::new();
        let mut src = long_series(20_000, 3, false);
        src[5000] *= 1e6;
        for period in [2, 20, 30, 200] {
            let (mut mean, mut total) = (vec![0.0; src.len()], vec![0.0; src.len()]);
            sma(&src, period, &mut mean);
            crate::engine::indicators::sum(&src, period, &mut total);
            let (mut t_mean, mut t_total) = (vec![0.0; src.len()], vec![0.0; src.len()]);
            let last = src.len() - 1;
            let r = core.sma(0, last, &src, period as i32, &mut t_mean).unwrap();
            core.sum(0, last, &src, period as i32, &mut t_total)
                .unwrap();
            for k in 0..r.count {
                let i = r.beg_idx + k;
                assert!(close_to(mean[i], t_mean[k], 1e-12), "sma({period}) bar {i}");
                assert!(
                    close_to(total[i], t_total[k], 1e-12),
                    "sum({period}) bar {i}"
                );
            }
        }
        // Series that start at 0 (no scale: never judged) or sit at 0 for a
        // while (the largest value so far stays) are not taken for prints.
        let mut zeros = long_series(2000, 4, true);
        zeros[..300].fill(0.0);
        zeros[900..1000].fill(0.0);
        let mut out = vec![0.0; 2000];
        window_sums::<false>(&zeros, 20, &mut out);
        let fast = run_lanes(Running::<false> {
            new: &zeros[20..],
            old: &zeros,
            out: &mut out[20..],
            total: 0.0,
            scale: f64::INFINITY,
            n: 20.0,
        });
        assert_eq!(fast.0, 2000 - 20, "no step left the four-bar path");
    }

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits() {
        let src = long_series(1003, 5, true);
        for period in [2, 3, 9, 30] {
            let total = talib_sums(&src, period)[period - 1];
            let n = period as f64;
            let (mut dispatched, mut portable) = (vec![0.0; 1003], vec![0.0; 1003]);
            window_sums::<true>(&src, period, &mut dispatched);
            Running::<true> {
                new: &src[period..],
                old: &src,
                out: &mut portable[period..],
                total,
                scale: 1e9,
                n,
            }
            .run(Portable);
            let (mut sums, mut sums_portable) = (vec![0.0; 1003], vec![0.0; 1003]);
            window_sums::<false>(&src, period, &mut sums);
            Running::<false> {
                new: &src[period..],
                old: &src,
                out: &mut sums_portable[period..],
                total,
                scale: 1e9,
                n,
            }
            .run(Portable);
            for i in period..1003 {
                assert_eq!(
                    dispatched[i].to_bits(),
                    portable[i].to_bits(),
                    "mean, period {period} bar {i}"
                );
                assert_eq!(
                    sums[i].to_bits(),
                    sums_portable[i].to_bits(),
                    "sum, period {period} bar {i}"
                );
            }
        }
    }
}
