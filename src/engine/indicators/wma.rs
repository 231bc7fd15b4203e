//! WMA, linearly weighted moving average (TA-Lib `WMA`).
//!
//! Formula: `out[i] = (1·src[i-n+1] + 2·src[i-n+2] + … + n·src[i]) / (n(n+1)/2)`,
//! the newest bar weighted `n`. Kept as two running sums, the plain window sum
//! `P` and the weighted one `W`: `P[i] = P[i-1] + (src[i] − src[i-n])` and
//! `W[i] = W[i-1] + (n·src[i] − P[i-1])` (every weight drops by one, the new
//! bar comes in at `n`), both rebuilt from the window every `8·n` bars as
//! TA-Lib 0.6 does, so rounding residue cannot pile up over long series.
//! Between rebuilds both sums step four bars at a time (`lanes::prefix_sum`,
//! AVX2 natively where the CPU has it, simd128 in wasm, the same bits either
//! way): their changes are prefix-summed off the chains, which take one add
//! per four bars each, where TA-Lib's take two adds a bar (WMA(30) at 0.99×
//! TA-Lib).
//! Bits: TA-Lib adds `n·src[i]` to `W` then subtracts `P`, and adds then
//! subtracts on `P`; here each change is one rounding and the total another,
//! so the values differ from TA-Lib's by a few ulps of `W` (reset at every
//! rebuild, which falls on the same bars as TA-Lib's).
//! Warm-up: `n - 1` bars. Range: `n` in 1..=100000 (`n == 1` copies the input).
//! Complexity: O(len) (the rebuild adds O(n) every 8·n bars), no allocation.

use super::fill_nan;
use super::lanes::{prefix_sum, run_lanes, Lanes, LanesKernel};

/// Index of the first valid WMA output: `period - 1`.
pub fn wma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Weighted moving average of `src` over `period` bars into `out`.
pub fn wma(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    let lag = period - 1;
    fill_nan(&mut out[..lag]);
    let n = period as f64;
    let divider = n * (n + 1.0) / 2.0;
    let rebuild_every = 8 * period;

    // `plain` = Σ x over the window, `weighted` = Σ w·x (w = 1 oldest … n
    // newest), for the window ending at bar `start`: first primed on the
    // first `n - 1` bars and rolled onto bar `lag` as TA-Lib does.
    let (mut plain, mut weighted) = (0.0, 0.0);
    for (w, &x) in src[..lag].iter().enumerate() {
        plain += x;
        weighted += x * (w + 1) as f64;
    }
    plain += src[lag];
    weighted += src[lag] * n;
    out[lag] = weighted / divider;
    // TA-Lib's countdown runs from bar `lag`: its first rebuild is at bar
    // `lag + 8n − 1`, then every `8n` bars.
    let (mut start, mut next_rebuild) = (lag, lag + rebuild_every - 1);
    loop {
        let end = next_rebuild.min(src.len());
        run_lanes(Running {
            new: &src[start + 1..end],
            old: &src[start + 1 - period..end - period],
            out: &mut out[start + 1..end],
            plain,
            weighted,
            n,
            divider,
        });
        if end == src.len() {
            return;
        }
        (plain, weighted) = (0.0, 0.0);
        for (w, &y) in src[end - lag..=end].iter().enumerate() {
            plain += y;
            weighted += y * (w + 1) as f64;
        }
        out[end] = weighted / divider;
        (start, next_rebuild) = (end, end + rebuild_every);
    }
}

/// The bars between two rebuilds: `out[j]` for the window ending at `new[j]`,
/// whose leaving bar is `old[j]`.
struct Running<'a> {
    new: &'a [f64],
    old: &'a [f64],
    out: &'a mut [f64],
    /// Both sums for the window before `new[0]`'s.
    plain: f64,
    weighted: f64,
    n: f64,
    divider: f64,
}

impl LanesKernel for Running<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let mut sums = Sums {
            plain: lanes.splat(self.plain),
            weighted: lanes.splat(self.weighted),
            n: lanes.splat(self.n),
            divider: lanes.splat(self.divider),
        };
        let (new, old, out) = (self.new, self.old, self.out);
        let (new_steps, new_tail) = new.as_chunks::<4>();
        let (old_steps, old_tail) = old.as_chunks::<4>();
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        for ((o, x), y) in out_steps.iter_mut().zip(new_steps).zip(old_steps) {
            let v = sums.advance(lanes, x, y);
            lanes.store(v, o);
        }
        if !new_tail.is_empty() {
            // The last bars padded with zero changes, which no bar reads.
            let k = new_tail.len();
            let (mut x, mut y, mut v) = ([0.0; 4], [0.0; 4], [0.0; 4]);
            x[..k].copy_from_slice(new_tail);
            y[..k].copy_from_slice(old_tail);
            lanes.store(sums.advance(lanes, &x, &y), &mut v);
            out_tail.copy_from_slice(&v[..k]);
        }
    }
}

/// Both running sums in every lane, and the constants.
struct Sums<V> {
    plain: V,
    weighted: V,
    n: V,
    divider: V,
}

impl<V: Copy> Sums<V> {
    /// Four bars on from the new bars `x` and the leaving ones `y`: the four
    /// outputs.
    #[inline(always)]
    fn advance<L: Lanes<V = V>>(&mut self, lanes: L, x: &[f64; 4], y: &[f64; 4]) -> V {
        let x = lanes.load(x);
        let plain_steps = prefix_sum(lanes, lanes.sub(x, lanes.load(y)));
        // The plain sums of the windows one bar earlier, bit for bit as they
        // were (lane 0: the running sum itself).
        let plain_before = lanes.add(self.plain, lanes.shift1(plain_steps));
        let weighted_steps = prefix_sum(lanes, lanes.sub(lanes.mul(self.n, x), plain_before));
        let weighted = lanes.add(self.weighted, weighted_steps);
        self.plain = lanes.add(self.plain, lanes.splat_last(plain_steps));
        self.weighted = lanes.add(self.weighted, lanes.splat_last(weighted_steps));
        lanes.div(weighted, self.divider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weighted mean of the `period` bars ending at `i`, summed directly.
    fn direct(src: &[f64], period: usize, i: usize) -> f64 {
        let denom = (period * (period + 1) / 2) as f64;
        src[i + 1 - period..=i]
            .iter()
            .enumerate()
            .map(|(w, x)| (w + 1) as f64 * x)
            .sum::<f64>()
            / denom
    }

    #[test]
    fn wma_equals_the_direct_weighted_sum() {
        let src: Vec<f64> = (0..300)
            .map(|i| 10.0 + ((i * 37) % 23) as f64 * 0.3)
            .collect();
        for period in [2, 3, 7, 20] {
            let mut out = vec![0.0; src.len()];
            wma(&src, period, &mut out);
            for (i, &o) in out.iter().enumerate() {
                if i + 1 < period {
                    assert!(o.is_nan());
                    continue;
                }
                let direct = direct(&src, period, i);
                assert!((o - direct).abs() < 1e-10, "period {period} bar {i}");
            }
        }
    }

    /// TA-Lib's WMA (two adds a bar on each sum, rebuilt every 8·n bars).
    fn talib(src: &[f64], period: usize) -> Vec<f64> {
        let (lag, n) = (period - 1, period as f64);
        let divider = n * (n + 1.0) / 2.0;
        let mut out = vec![f64::NAN; src.len()];
        let (mut weighted, mut plain) = (0.0, 0.0);
        for (w, &x) in src[..lag].iter().enumerate() {
            plain += x;
            weighted += x * (w + 1) as f64;
        }
        let (mut leaving, mut countdown) = (0.0, 8 * period);
        for i in lag..src.len() {
            plain += src[i];
            plain -= leaving;
            weighted += src[i] * n;
            countdown -= 1;
            if countdown == 0 {
                countdown = 8 * period;
                (plain, weighted) = (0.0, 0.0);
                for (w, &y) in src[i - lag..=i].iter().enumerate() {
                    plain += y;
                    weighted += y * (w + 1) as f64;
                }
            }
            leaving = src[i - lag];
            out[i] = weighted / divider;
            weighted -= plain;
        }
        out
    }

    #[test]
    fn the_four_bar_sums_stay_within_a_hair_of_talibs_over_long_series() {
        use crate::engine::indicators::sma::tests::{close_to, long_series};
        for crossing in [false, true] {
            let src = long_series(20_000, 3, crossing);
            for period in [2, 3, 4, 5, 9, 30, 200] {
                let mut out = vec![0.0; src.len()];
                wma(&src, period, &mut out);
                let want = talib(&src, period);
                for i in period - 1..src.len() {
                    let direct = direct(&src, period, i);
                    let what = format!("crossing {crossing} period {period} bar {i}");
                    assert!(close_to(out[i], want[i], 1e-11), "{what}");
                    assert!(close_to(out[i], direct, 1e-11), "{what}");
                }
            }
        }
    }

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits() {
        use crate::engine::indicators::lanes::Portable;
        use crate::engine::indicators::sma::tests::long_series;
        let src = long_series(503, 8, true);
        for (start, end) in [(9, 503), (9, 10), (20, 27), (5, 400)] {
            let (mut dispatched, mut portable) = (vec![0.0; 503], vec![0.0; 503]);
            fn kernel<'a>(
                src: &'a [f64],
                start: usize,
                end: usize,
                out: &'a mut [f64],
            ) -> Running<'a> {
                Running {
                    new: &src[start..end],
                    old: &src[start - 5..end - 5],
                    out,
                    plain: 3.25,
                    weighted: -7.5,
                    n: 5.0,
                    divider: 15.0,
                }
            }
            run_lanes(kernel(&src, start, end, &mut dispatched[start..end]));
            kernel(&src, start, end, &mut portable[start..end]).run(Portable);
            for i in start..end {
                assert_eq!(dispatched[i].to_bits(), portable[i].to_bits(), "bar {i}");
            }
        }
    }

    #[test]
    fn wma_of_period_one_copies_and_of_len_is_one_value() {
        let src = [2.0, 4.0, 9.0];
        let mut out = [0.0; 3];
        wma(&src, 1, &mut out);
        assert_eq!(out, src);
        wma(&src, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], (2.0 + 8.0 + 27.0) / 6.0);
    }

    #[test]
    fn wma_rejects_a_period_of_zero_with_all_nan() {
        let mut out = [0.0; 4];
        wma(&[1.0, 2.0, 3.0, 4.0], 0, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
