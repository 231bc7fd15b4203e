//! Linear regression end value and slope (TA-Lib `LINEARREG`, `LINEARREG_SLOPE`).
//!
//! Formula: least-squares line `y = b + m·t` through the last `n` bars with
//! `t = 0` the oldest and `t = n - 1` the current bar; `LINEARREG` is the
//! fitted value at the current bar, `b + m·(n - 1)`; `LINEARREG_SLOPE` is `m`
//! (price per bar). Computed as TA-Lib does, with `x` counting bars back from
//! the current one (`Sx = Σx`, `Sxx = Σx²`, `Sy = Σy`, `Sxy = Σxy`):
//! `m = (n·Sxy - Sx·Sy) / (Sx² - n·Sxx)` (the flipped sign of the divisor
//! turns the backward slope into the forward one) and `b = (Sy - m·Sx) / n`.
//! Numerics, as TA-Lib 0.6: `Sy` and `Sxy` slide in O(1)
//! (`Sxy ← Sxy + Sy − n·y[i-n]`, then `Sy ← Sy − y[i-n] + y[i]`), and both are rebuilt from the window every `32·n` bars and on any bar where
//! the value leaving the window outweighs 100× the window's `Σ|y|`.
//! LINEARREG: between rebuilds the sums (and `Σ|y|`) step four bars at a
//! time (`lanes::prefix_sum`, AVX2 natively where the CPU has it, simd128 in
//! wasm, the same bits either way): the changes are prefix-summed off the
//! chains, which take one add per four bars each, where TA-Lib's take two
//! adds a bar (LINEARREG(14) 1.0–1.17× TA-Lib before). Bits: each change
//! rounds once and each total once, so the sums differ from TA-Lib's by a
//! few ulps, which the end value (the window's mean plus the slope times
//! `(n − 1)/2`) carries as ulps of the price (tests over 20,000 bars, prices
//! and a series crossing zero, and the oracle's huge prints); the rebuilds
//! fall on the same bars as TA-Lib's.
//! LINEARREG_SLOPE keeps TA-Lib's own sums, bit for bit: see
//! `slope_with_talibs_sums` for why (the slope is what is left when the sums
//! cancel).
//! Both: the divisions are multiplications by hoisted reciprocals (one more
//! rounding, far inside 1e-9).
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000.
//! Complexity: O(len) amortised, no allocation.

use super::fill_nan;
use super::lanes::{prefix_sum, run_lanes, Lanes, LanesKernel};

/// Index of the first valid LINEARREG output: `period - 1`.
pub fn linearreg_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Value of the least-squares line through the last `period` bars, at the current bar.
pub fn linearreg(src: &[f64], period: usize, out: &mut [f64]) {
    regression::<true>(src, period, out);
}

/// Index of the first valid LINEARREG_SLOPE output: `period - 1`.
pub fn linearreg_slope_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Slope (per bar) of the least-squares line through the last `period` bars.
pub fn linearreg_slope(src: &[f64], period: usize, out: &mut [f64]) {
    slope_with_talibs_sums(src, period, out);
}

/// LINEARREG_SLOPE on TA-Lib's own running sums, bit for bit (add then
/// subtract, one bar at a time): the slope is `n·Sxy − Sx·Sy`, a difference
/// of two sums of the order of `n²·price` that cancel down to `n³·slope`, so
/// on a flat stretch of a high-priced series the sums' last bits are the
/// slope's leading digits, and the four-bar sums (a few ulps away from
/// TA-Lib's) left it ~5e-9 off TA-Lib's on the oracle's 2.5e6-priced series.
/// The end value is the window's mean plus the slope times `(n − 1)/2`, so
/// the same residue is ulps of the price there. This loop is bound by its
/// two-add chains, as TA-Lib's (~1.0× TA-Lib).
fn slope_with_talibs_sums(src: &[f64], period: usize, out: &mut [f64]) {
    if !(2..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    let lag = period - 1;
    let fit = Fit::new(period);
    let n = fit.n;
    let rebuild_every = 32 * period;
    fill_nan(&mut out[..lag]);
    let [mut sum_y, mut sum_xy, mut sum_abs] = window_sums(src, lag, lag);
    let slope = |sum_y: f64, sum_xy: f64| (n * sum_xy - fit.sum_x * sum_y) * fit.inv_divisor;
    out[lag] = slope(sum_y, sum_xy);
    let mut countdown = rebuild_every;
    for i in lag + 1..src.len() {
        let leaving = src[i - period];
        let leaving_weight = n * leaving;
        // Every bar moves one step further back (+Σy of the old window); the
        // leaving bar, now at weight n, is removed; the new bar enters at 0.
        sum_xy = sum_xy + sum_y - leaving_weight;
        sum_y = sum_y - leaving + src[i];
        sum_abs = sum_abs - leaving.abs() + src[i].abs();
        countdown -= 1;
        if countdown == 0 || leaving_weight.abs() > 100.0 * sum_abs {
            countdown = rebuild_every;
            [sum_y, sum_xy, sum_abs] = window_sums(src, lag, i);
        }
        out[i] = slope(sum_y, sum_xy);
    }
}

/// The constants of one period's fit.
#[derive(Debug, Clone, Copy)]
struct Fit {
    n: f64,
    sum_x: f64,
    inv_n: f64,
    inv_divisor: f64,
}

impl Fit {
    fn new(period: usize) -> Self {
        let n = period as f64;
        let sum_x = n * (n - 1.0) * 0.5;
        let sum_xx = n * (n - 1.0) * (2.0 * n - 1.0) / 6.0;
        let divisor = sum_x * sum_x - n * sum_xx;
        // The per-bar divisions are multiplications by hoisted reciprocals
        // (one more rounding, far inside 1e-9).
        Self {
            n,
            sum_x,
            inv_n: 1.0 / n,
            inv_divisor: 1.0 / divisor,
        }
    }

    /// The output (end value when `END`, else slope) from `Sy` and `Sxy`,
    /// lane by lane; the scalar form is the same operations on `Portable`.
    #[inline(always)]
    fn emit<L: Lanes, const END: bool>(&self, lanes: L, sum_y: L::V, sum_xy: L::V) -> L::V {
        let sum_x = lanes.splat(self.sum_x);
        let n = lanes.splat(self.n);
        let m = lanes.mul(
            lanes.sub(lanes.mul(n, sum_xy), lanes.mul(sum_x, sum_y)),
            lanes.splat(self.inv_divisor),
        );
        if END {
            let b = lanes.mul(
                lanes.sub(sum_y, lanes.mul(m, sum_x)),
                lanes.splat(self.inv_n),
            );
            lanes.add(lanes.mul(m, lanes.splat(self.n - 1.0)), b)
        } else {
            m
        }
    }

    /// One bar's output, the same arithmetic as `emit`'s lanes.
    fn emit_one<const END: bool>(&self, sum_y: f64, sum_xy: f64) -> f64 {
        use super::lanes::Portable;
        self.emit::<Portable, END>(Portable, [sum_y; 4], [sum_xy; 4])[0]
    }
}

/// The window of `lag + 1` bars ending at `end` summed from scratch, in
/// TA-Lib's order: `[Σy, Σx·y, Σ|y|]`, where `x` counts bars back from the
/// newest one (0 = newest) and `Σ|y|` is the scale against which a leaving
/// value is judged.
fn window_sums(src: &[f64], lag: usize, end: usize) -> [f64; 3] {
    let (mut sy, mut sxy, mut sum_abs) = (0.0, 0.0, 0.0);
    let mut x = lag as f64;
    for &y in &src[end - lag..=end] {
        sy += y;
        sxy += x * y;
        sum_abs += y.abs();
        x -= 1.0;
    }
    [sy, sxy, sum_abs]
}

/// Shared sliding least-squares loop.
fn regression<const END: bool>(src: &[f64], period: usize, out: &mut [f64]) {
    if !(2..=100_000).contains(&period) || src.len() < period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    let lag = period - 1;
    let fit = Fit::new(period);
    let rebuild_every = 32 * period;

    fill_nan(&mut out[..lag]);
    // A rebuild at bar `start` (the first window, a scheduled rebuild or a
    // leaving value too large), then the bars up to the next one four at a
    // time; a block where a leaving value is too large stops there.
    let mut start = lag;
    loop {
        let sums = window_sums(src, lag, start);
        out[start] = fit.emit_one::<END>(sums[0], sums[1]);
        let end = (start + rebuild_every).min(src.len());
        let stop = run_lanes(Running::<END> {
            new: &src[start + 1..end],
            old: &src[start + 1 - period..end - period],
            out: &mut out[start + 1..end],
            sums,
            fit,
        });
        start += 1 + stop;
        if start == src.len() {
            return;
        }
    }
}

/// The bars after a rebuild: `out[j]` for the window ending at `new[j]`,
/// whose leaving bar is `old[j]`, up to the first bar that needs a rebuild;
/// returns how many bars it wrote (`new.len()` when none did).
struct Running<'a, const END: bool> {
    new: &'a [f64],
    old: &'a [f64],
    out: &'a mut [f64],
    /// `[Sy, Sxy, Σ|y|]` of the window before `new[0]`'s.
    sums: [f64; 3],
    fit: Fit,
}

impl<const END: bool> LanesKernel for Running<'_, END> {
    type Output = usize;

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) -> usize {
        let Running {
            new,
            old,
            out,
            sums,
            fit,
        } = self;
        let mut state = Sums {
            sum_y: lanes.splat(sums[0]),
            sum_xy: lanes.splat(sums[1]),
            sum_abs: lanes.splat(sums[2]),
            n: lanes.splat(fit.n),
        };
        let (new_steps, new_tail) = new.as_chunks::<4>();
        let (old_steps, old_tail) = old.as_chunks::<4>();
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        for (k, ((o, x), y)) in out_steps
            .iter_mut()
            .zip(new_steps)
            .zip(old_steps)
            .enumerate()
        {
            let (sum_y, sum_xy, alarm) = state.advance(lanes, x, y);
            lanes.store(fit.emit::<L, END>(lanes, sum_y, sum_xy), o);
            if let Some(lane) = alarm.and_then(|alarm| first_alarm(lanes, alarm, 4)) {
                return 4 * k + lane;
            }
        }
        if !new_tail.is_empty() {
            // The last bars padded with zeros; only the real ones are judged.
            let k = new_tail.len();
            let (mut x, mut y, mut v) = ([0.0; 4], [0.0; 4], [0.0; 4]);
            x[..k].copy_from_slice(new_tail);
            y[..k].copy_from_slice(old_tail);
            let (sum_y, sum_xy, alarm) = state.advance(lanes, &x, &y);
            lanes.store(fit.emit::<L, END>(lanes, sum_y, sum_xy), &mut v);
            out_tail.copy_from_slice(&v[..k]);
            if let Some(lane) = alarm.and_then(|alarm| first_alarm(lanes, alarm, k)) {
                return new.len() - k + lane;
            }
        }
        new.len()
    }
}

/// The first of the first `valid` lanes where `alarm = (100·Σ|y|, n·|leaving|)`
/// says the leaving value outweighs the window.
#[inline(always)]
fn first_alarm<L: Lanes>(lanes: L, (scale, weight): (L::V, L::V), valid: usize) -> Option<usize> {
    let (mut s, mut w) = ([0.0; 4], [0.0; 4]);
    lanes.store(scale, &mut s);
    lanes.store(weight, &mut w);
    (0..valid).find(|&j| w[j] > s[j])
}

/// The running sums in every lane.
struct Sums<V> {
    sum_y: V,
    sum_xy: V,
    sum_abs: V,
    n: V,
}

impl<V: Copy> Sums<V> {
    /// Four bars on from the new bars `x` and the leaving ones `y`: `Sy` and
    /// `Sxy` of the four windows, and, when some leaving value may outweigh
    /// 100× its window's `Σ|y|`, both sides of that test.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn advance<L: Lanes<V = V>>(
        &mut self,
        lanes: L,
        x: &[f64; 4],
        y: &[f64; 4],
    ) -> (V, V, Option<(V, V)>) {
        let (x, y) = (lanes.load(x), lanes.load(y));
        let y_steps = prefix_sum(lanes, lanes.sub(x, y));
        let abs_steps = prefix_sum(lanes, lanes.sub(lanes.abs(x), lanes.abs(y)));
        // `Sy` of the windows one bar earlier, bit for bit as they were.
        let sum_y_before = lanes.add(self.sum_y, lanes.shift1(y_steps));
        let leaving_weight = lanes.mul(self.n, y);
        let xy_steps = prefix_sum(lanes, lanes.sub(sum_y_before, leaving_weight));
        let sum_y = lanes.add(self.sum_y, y_steps);
        let sum_xy = lanes.add(self.sum_xy, xy_steps);
        let sum_abs = lanes.add(self.sum_abs, abs_steps);
        self.sum_y = lanes.add(self.sum_y, lanes.splat_last(y_steps));
        self.sum_xy = lanes.add(self.sum_xy, lanes.splat_last(xy_steps));
        self.sum_abs = lanes.add(self.sum_abs, lanes.splat_last(abs_steps));
        let scale = lanes.mul(lanes.splat(100.0), sum_abs);
        let weight = lanes.abs(leaving_weight);
        let alarm = lanes.any_lt(scale, weight).then_some((scale, weight));
        (sum_y, sum_xy, alarm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinary least squares on t = 0..n-1, solved directly per window.
    fn naive(w: &[f64]) -> (f64, f64) {
        let n = w.len() as f64;
        let t_mean = (n - 1.0) / 2.0;
        let y_mean = w.iter().sum::<f64>() / n;
        let (mut cov, mut var) = (0.0, 0.0);
        for (t, y) in w.iter().enumerate() {
            cov += (t as f64 - t_mean) * (y - y_mean);
            var += (t as f64 - t_mean) * (t as f64 - t_mean);
        }
        let m = cov / var;
        (m, y_mean + m * (n - 1.0 - t_mean))
    }

    #[test]
    fn linearreg_and_slope_equal_a_direct_least_squares_fit() {
        let src: Vec<f64> = (0..500)
            .map(|i| 40.0 + 0.05 * i as f64 + ((i * 23) % 29) as f64 * 0.2)
            .collect();
        for period in [2, 3, 14, 60] {
            let (mut end, mut slope) = (vec![0.0; 500], vec![0.0; 500]);
            linearreg(&src, period, &mut end);
            linearreg_slope(&src, period, &mut slope);
            for i in 0..src.len() {
                if i + 1 < period {
                    assert!(end[i].is_nan() && slope[i].is_nan());
                    continue;
                }
                let (m, last) = naive(&src[i + 1 - period..=i]);
                assert!((slope[i] - m).abs() < 1e-9, "slope {period} bar {i}");
                assert!((end[i] - last).abs() < 1e-9, "end {period} bar {i}");
            }
        }
    }

    /// TA-Lib's loop (the kernel before it stepped four bars at a time):
    /// `(end value, slope)` per bar.
    fn talib(src: &[f64], period: usize) -> Vec<(f64, f64)> {
        let (lag, n) = (period - 1, period as f64);
        let sum_x = n * (n - 1.0) * 0.5;
        let sum_xx = n * (n - 1.0) * (2.0 * n - 1.0) / 6.0;
        let inv_divisor = 1.0 / (sum_x * sum_x - n * sum_xx);
        let sums = |end: usize| {
            let (mut sy, mut sxy, mut sa, mut x) = (0.0, 0.0, 0.0, lag as f64);
            for &y in &src[end - lag..=end] {
                sy += y;
                sxy += x * y;
                sa += y.abs();
                x -= 1.0;
            }
            (sy, sxy, sa)
        };
        let fit = |sy: f64, sxy: f64| {
            let m = (n * sxy - sum_x * sy) * inv_divisor;
            (m * (n - 1.0) + (sy - m * sum_x) * (1.0 / n), m)
        };
        let mut out = vec![(f64::NAN, f64::NAN); src.len()];
        let (mut sy, mut sxy, mut sa) = sums(lag);
        out[lag] = fit(sy, sxy);
        let mut countdown = 32 * period;
        for i in lag + 1..src.len() {
            let leaving = src[i - period];
            sxy = sxy + sy - n * leaving;
            sy = sy - leaving + src[i];
            sa = sa - leaving.abs() + src[i].abs();
            countdown -= 1;
            if countdown == 0 || (n * leaving).abs() > 100.0 * sa {
                countdown = 32 * period;
                (sy, sxy, sa) = sums(i);
            }
            out[i] = fit(sy, sxy);
        }
        out
    }

    fn check_against_talib(src: &[f64], period: usize, tol: f64, what: &str) {
        use crate::engine::indicators::sma::tests::close_to;
        let (mut end, mut slope) = (vec![0.0; src.len()], vec![0.0; src.len()]);
        linearreg(src, period, &mut end);
        linearreg_slope(src, period, &mut slope);
        let want = talib(src, period);
        assert!(end[..period - 1]
            .iter()
            .chain(&slope[..period - 1])
            .all(|v| v.is_nan()));
        for i in period - 1..src.len() {
            let (e, m) = want[i];
            assert!(
                close_to(end[i], e, tol),
                "{what} period {period} bar {i}: {} vs {e}",
                end[i]
            );
            assert!(
                close_to(slope[i], m, tol),
                "{what} period {period} bar {i}: {} vs {m}",
                slope[i]
            );
        }
    }

    #[test]
    fn the_four_bar_sums_stay_within_a_hair_of_talibs_over_long_series() {
        // The slope cancels `n·Sxy` against `Sx·Sy`: TA-Lib's own running
        // sums leave it ~1e-11 off the exact fit on these prices, so the
        // band is 1e-10 (absolute for values below 1, as the oracle's).
        use crate::engine::indicators::sma::tests::{close_to, long_series};
        for crossing in [false, true] {
            let src = long_series(20_000, 13, crossing);
            for period in [2, 3, 4, 5, 14, 30, 150] {
                check_against_talib(&src, period, 1e-10, &format!("crossing {crossing}"));
                let (mut end, mut slope) = (vec![0.0; src.len()], vec![0.0; src.len()]);
                linearreg(&src, period, &mut end);
                linearreg_slope(&src, period, &mut slope);
                for i in (period - 1..src.len()).step_by(7) {
                    let (m, last) = naive(&src[i + 1 - period..=i]);
                    assert!(close_to(slope[i], m, 1e-10), "period {period} bar {i}");
                    assert!(close_to(end[i], last, 1e-10), "period {period} bar {i}");
                }
            }
        }
    }

    #[test]
    fn a_huge_value_leaving_the_window_rebuilds_the_sums_on_that_bar() {
        // Spikes of 1e9 on a series near 1. While one is in the window the
        // fit cancels sums of 1e9 (TA-Lib's and ours are both ~1e-7 off);
        // once it leaves, both rebuild there, and the next windows are
        // exact again.
        let src: Vec<f64> = (0..700)
            .map(|i| {
                if i % 97 == 13 {
                    1e9
                } else {
                    1.0 + 0.01 * ((i * 7) % 13) as f64
                }
            })
            .collect();
        for period in [2, 3, 5, 14, 30] {
            let (mut end, mut slope) = (vec![0.0; src.len()], vec![0.0; src.len()]);
            linearreg(&src, period, &mut end);
            linearreg_slope(&src, period, &mut slope);
            let want = talib(&src, period);
            for i in period - 1..src.len() {
                if src[i + 1 - period..=i].iter().any(|&y| y > 10.0) {
                    continue;
                }
                let (m, last) = naive(&src[i + 1 - period..=i]);
                assert!(
                    (end[i] - want[i].0).abs() < 1e-12,
                    "period {period} bar {i}"
                );
                assert!(
                    (slope[i] - want[i].1).abs() < 1e-12,
                    "period {period} bar {i}"
                );
                assert!((end[i] - last).abs() < 1e-12, "period {period} bar {i}");
                assert!((slope[i] - m).abs() < 1e-12, "period {period} bar {i}");
            }
        }
    }

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits() {
        use crate::engine::indicators::lanes::Portable;
        use crate::engine::indicators::sma::tests::long_series;
        let mut src = long_series(603, 6, true);
        src[200] = 1e7;
        for (start, end) in [(14, 603), (14, 15), (20, 27), (30, 400)] {
            fn kernel<'a>(
                src: &'a [f64],
                start: usize,
                end: usize,
                out: &'a mut [f64],
            ) -> Running<'a, true> {
                Running::<true> {
                    new: &src[start..end],
                    old: &src[start - 14..end - 14],
                    out,
                    sums: [3.25, -7.5, 40.0],
                    fit: Fit::new(14),
                }
            }
            let (mut dispatched, mut portable) = (vec![0.0; 603], vec![0.0; 603]);
            let a = run_lanes(kernel(&src, start, end, &mut dispatched[start..end]));
            let b = kernel(&src, start, end, &mut portable[start..end]).run(Portable);
            assert_eq!(a, b);
            for i in start..start + a {
                assert_eq!(dispatched[i].to_bits(), portable[i].to_bits(), "bar {i}");
            }
        }
    }

    #[test]
    fn a_straight_line_is_fitted_exactly() {
        let src: Vec<f64> = (0..50).map(|i| 3.0 * i as f64 - 7.0).collect();
        let (mut end, mut slope) = (vec![0.0; 50], vec![0.0; 50]);
        linearreg(&src, 10, &mut end);
        linearreg_slope(&src, 10, &mut slope);
        for i in 9..50 {
            assert!((slope[i] - 3.0).abs() < 1e-9);
            assert!((end[i] - src[i]).abs() < 1e-9);
        }
    }
}
