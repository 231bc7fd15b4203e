//! CCI, commodity channel index (TA-Lib `CCI`).
//!
//! Formula: typical price `tp = (high + low + close)/3`; over the last `n`
//! bars, `avg` = mean of tp and `md` = mean of |tp − avg|;
//! `cci = (tp − avg)/(0.015·md)`.
//! Flat window: 0 when |tp − avg| ≤ 1e-14·|avg|, or md ≤ 1e-14·|avg|, or
//! 0.015·md is exactly 0 (TA-Lib's band relative to the window's price level).
//! Definitional trap: TA-Lib sums each window in ring-buffer slot order (bar
//! `j` sits in slot `j mod n`), not oldest-first; we sum in that order so the
//! average is bit-identical and the flatness test cannot tip the other way.
//! The mean deviation is summed in the same order, so the output is TA-Lib's,
//! bit for bit.
//! Speed: both sums are serial chains of `n` adds per bar. Consecutive bars'
//! windows walk the same slot sequence but for the few slots that a newer
//! bar has replaced, so 4 or 8 bars (lanes) walk it together, each lane
//! taking its own bar in those slots (`lanes`: AVX2 natively where the CPU
//! has it, simd128 in wasm, the same bits either way): one vector add per
//! slot for 4 bars. CCI(14) was at 0.91× TA-Lib with two bars per step.
//! Warm-up: `n − 1` bars. Range: `n` in 2..=100000.
//! Complexity: O(len·n) like TA-Lib; no allocation (`out` holds the typical
//! prices, consumed from the end backwards).

use super::fill_nan;
use super::lanes::{run_lanes, Lanes, LanesKernel};

pub fn cci_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    let len = close.len();
    if !(2..=100_000).contains(&period)
        || high.len() != len
        || low.len() != len
        || out.len() != len
        || len < period
    {
        fill_nan(out);
        return;
    }
    for (j, tp) in out.iter_mut().enumerate() {
        *tp = (high[j] + low[j] + close[j]) / 3.0;
    }
    // Backwards, a block of bars at a time: a block's windows only read
    // slots at or below its newest bar, which still hold typical prices
    // when the block's outputs are written.
    let lag = period - 1;
    let done_from = if period >= 7 {
        run_lanes(Blocks::<2> {
            tp: &mut *out,
            period,
        })
    } else if period >= 3 {
        run_lanes(Blocks::<1> {
            tp: &mut *out,
            period,
        })
    } else {
        len
    };
    two_at_a_time(out, period, done_from);
    fill_nan(&mut out[..lag]);
}

/// Bars `period − 1 .. done_from`, from the newest down, two per step.
///
/// TA-Lib sums each window in the order of its circular buffer (slot = bar
/// mod n): the older part of the window, which ends with bar i, then the
/// newer part. Bar i−1's sequence is the same but for that last element (bar
/// i−n instead of bar i), so both sums walk one sequence side by side: two
/// independent add chains per element instead of one.
fn two_at_a_time(out: &mut [f64], period: usize, done_from: usize) {
    let n = period as f64;
    if done_from < period {
        return;
    }
    let mut i = done_from - 1;
    while i >= period {
        let window = &out[i + 1 - period..=i];
        let split = (period - (i + 1) % period) % period;
        let (newer, older) = window.split_at(split);
        let (older, newest) = older.split_at(older.len() - 1);
        let (now, replaced) = (newest[0], out[i - period]);
        let (mut sum_a, mut sum_b) = (0.0, 0.0);
        for &v in older {
            sum_a += v;
            sum_b += v;
        }
        sum_a += now;
        sum_b += replaced;
        for &v in newer {
            sum_a += v;
            sum_b += v;
        }
        let (avg_a, avg_b) = (sum_a / n, sum_b / n);
        let (mut dev_a, mut dev_b) = (0.0, 0.0);
        for &v in older {
            dev_a += (v - avg_a).abs();
            dev_b += (v - avg_b).abs();
        }
        dev_a += (now - avg_a).abs();
        dev_b += (replaced - avg_b).abs();
        for &v in newer {
            dev_a += (v - avg_a).abs();
            dev_b += (v - avg_b).abs();
        }
        let last_b = out[i - 1];
        out[i] = index(now, avg_a, dev_a / n);
        out[i - 1] = index(last_b, avg_b, dev_b / n);
        i -= 2;
    }
    if i == period - 1 {
        // One bar left: the first window, summed in buffer order alone.
        let window = &out[..period];
        let split = (period - period % period) % period;
        let (newer, older) = window.split_at(split);
        let mut sum = 0.0;
        for &v in older.iter().chain(newer) {
            sum += v;
        }
        let avg = sum / n;
        let mut dev = 0.0;
        for &v in older.iter().chain(newer) {
            dev += (v - avg).abs();
        }
        out[i] = index(window[period - 1], avg, dev / n);
    }
}

/// Blocks of `4·VN` consecutive bars from the newest down, while a whole
/// block fits above bar `period − 2`; returns the oldest bar done (the bars
/// below it are left to `two_at_a_time`). Needs `period ≥ 4·VN − 1`, so
/// that within a block no slot is replaced twice.
///
/// For a block whose oldest bar is `i`, position `m` (oldest first) of bar
/// `i`'s window holds bar `b = i + 1 − n + m`; lane `k` (bar `i + k`) has
/// bar `b + n` in that slot instead when `m < k`, else bar `b`. So only the
/// first `4·VN − 1` positions differ between lanes (`replaced`, made once per
/// block and read by both sums); every other is one value for all lanes.
/// Every lane walks its slots in its own buffer order, which is the same
/// order of positions for all: its sums are bit for bit the one-bar loop's.
struct Blocks<'a, const VN: usize> {
    tp: &'a mut [f64],
    period: usize,
}

/// The most positions a block can have replaced (`4·VN − 1` for VN ≤ 2).
const MAX_REPLACED: usize = 7;

impl<const VN: usize> LanesKernel for Blocks<'_, VN> {
    type Output = usize;

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) -> usize {
        let Blocks { tp, period } = self;
        let width = 4 * VN;
        let replaced_count = width - 1;
        debug_assert!(VN <= 2 && period >= replaced_count);
        let n = lanes.splat(period as f64);
        let lane_index: [L::V; VN] = core::array::from_fn(|v| {
            let k = (4 * v) as f64;
            lanes.array([k, k + 1.0, k + 2.0, k + 3.0])
        });
        let zero = lanes.splat(0.0);
        let mut replaced = [[zero; VN]; MAX_REPLACED];
        let mut top = tp.len();
        while top >= period - 1 + width {
            let i = top - width;
            let base = i + 1 - period;
            for (m, r) in replaced[..replaced_count].iter_mut().enumerate() {
                let (older, newer) = (lanes.splat(tp[base + m]), lanes.splat(tp[i + 1 + m]));
                let from = lanes.splat((m + 1) as f64);
                for (r, &k) in r.iter_mut().zip(&lane_index) {
                    *r = lanes.select_le(from, k, newer, older);
                }
            }
            let replaced = &replaced[..replaced_count];
            let window = &tp[base..=i];
            // Slot order: from the position holding slot 0 to the end, then
            // the positions before it.
            let first = (period - (i + 1) % period) % period;
            let mut sum = [zero; VN];
            walk_sum(lanes, &mut sum, replaced, window, first, period);
            walk_sum(lanes, &mut sum, replaced, window, 0, first);
            let avg = sum.map(|s| lanes.div(s, n));
            let mut dev = [zero; VN];
            walk_dev(lanes, &mut dev, &avg, replaced, window, first, period);
            walk_dev(lanes, &mut dev, &avg, replaced, window, 0, first);
            let mut avgs = [[0.0; 4]; VN];
            let mut mds = [[0.0; 4]; VN];
            for v in 0..VN {
                lanes.store(avg[v], &mut avgs[v]);
                lanes.store(lanes.div(dev[v], n), &mut mds[v]);
            }
            let block = &mut tp[i..top];
            for (k, slot) in block.iter_mut().enumerate() {
                *slot = index(*slot, avgs[k / 4][k % 4], mds[k / 4][k % 4]);
            }
            top = i;
        }
        top
    }
}

/// Adds positions `from..to` of the window to every lane's sum: the
/// replaced positions (below `replaced.len()`) lane by lane, the rest as one
/// value for all lanes.
#[inline(always)]
fn walk_sum<L: Lanes, const VN: usize>(
    lanes: L,
    sum: &mut [L::V; VN],
    replaced: &[[L::V; VN]],
    window: &[f64],
    from: usize,
    to: usize,
) {
    let split = to.min(replaced.len());
    for r in replaced.get(from..split).unwrap_or_default() {
        for (s, &r) in sum.iter_mut().zip(r) {
            *s = lanes.add(*s, r);
        }
    }
    for &x in &window[from.max(split)..to] {
        let x = lanes.splat(x);
        for s in sum.iter_mut() {
            *s = lanes.add(*s, x);
        }
    }
}

/// As `walk_sum`, adding `|value − avg|` of each lane.
#[inline(always)]
fn walk_dev<L: Lanes, const VN: usize>(
    lanes: L,
    dev: &mut [L::V; VN],
    avg: &[L::V; VN],
    replaced: &[[L::V; VN]],
    window: &[f64],
    from: usize,
    to: usize,
) {
    let split = to.min(replaced.len());
    for r in replaced.get(from..split).unwrap_or_default() {
        for ((d, &r), &a) in dev.iter_mut().zip(r).zip(avg) {
            *d = lanes.add(*d, lanes.abs(lanes.sub(r, a)));
        }
    }
    for &x in &window[from.max(split)..to] {
        let x = lanes.splat(x);
        for (d, &a) in dev.iter_mut().zip(avg) {
            *d = lanes.add(*d, lanes.abs(lanes.sub(x, a)));
        }
    }
}

/// `(tp − mean) / (0.015 · mean deviation)`, 0 for a flat window or a
/// negligible deviation (TA-Lib's relative 1e-14 tests).
#[inline(always)]
fn index(tp: f64, avg: f64, md: f64) -> f64 {
    let dev = tp - avg;
    let level = avg.abs();
    let divisor = 0.015 * md;
    if dev.abs() <= 1e-14 * level || md.abs() <= 1e-14 * level || divisor == 0.0 {
        0.0
    } else {
        dev / divisor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_three_bar_window() {
        // Typical prices 10, 12, 14: avg 12, md 4/3, last dev 2 → 2/(0.015·4/3) = 100.
        let close = [10.0, 12.0, 14.0];
        let mut out = [0.0; 3];
        cci(&close, &close, &close, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert!((out[2] - 100.0).abs() < 1e-9);
    }

    #[test]
    fn matches_a_naive_oldest_first_sum() {
        let c: Vec<f64> = (0..40)
            .map(|i| 100.0 + (i as f64 * 0.5).sin() * 9.0)
            .collect();
        let h: Vec<f64> = c.iter().map(|x| x + 1.5).collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x - (i % 3) as f64)
            .collect();
        let mut out = vec![0.0; c.len()];
        cci(&h, &l, &c, 9, &mut out);
        let tp: Vec<f64> = (0..c.len()).map(|j| (h[j] + l[j] + c[j]) / 3.0).collect();
        for i in 8..c.len() {
            let w = &tp[i - 8..=i];
            let avg = w.iter().sum::<f64>() / 9.0;
            let md = w.iter().map(|v| (v - avg).abs()).sum::<f64>() / 9.0;
            assert!(
                (out[i] - (tp[i] - avg) / (0.015 * md)).abs() < 1e-9,
                "at {i}"
            );
        }
    }

    /// TA-Lib's loop: a circular buffer summed from slot 0 every bar.
    fn talib(h: &[f64], l: &[f64], c: &[f64], period: usize) -> Vec<f64> {
        let n = period as f64;
        let mut ring = vec![0.0; period];
        let mut out = vec![f64::NAN; c.len()];
        for i in 0..c.len() {
            let last = (h[i] + l[i] + c[i]) / 3.0;
            ring[i % period] = last;
            if i + 1 < period {
                continue;
            }
            let mut avg = 0.0;
            for &v in &ring {
                avg += v;
            }
            avg /= n;
            let mut dev = 0.0;
            for &v in &ring {
                dev += (v - avg).abs();
            }
            out[i] = index(last, avg, dev / n);
        }
        out
    }

    fn bars(len: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        use crate::engine::indicators::sma::tests::long_series;
        let c = long_series(len, seed, false);
        let h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x + 0.01 * (i % 7) as f64)
            .collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x - 0.01 * (i % 5) as f64)
            .collect();
        (h, l, c)
    }

    #[test]
    fn every_period_and_length_gives_talibs_bits() {
        let (h, l, c) = bars(300, 4);
        for period in [2, 3, 4, 5, 6, 7, 8, 9, 14, 20, 33] {
            for len in [
                period,
                period + 1,
                period + 7,
                period + 8,
                period + 9,
                61,
                300,
            ] {
                let (h, l, c) = (&h[..len], &l[..len], &c[..len]);
                let mut out = vec![0.0; len];
                cci(h, l, c, period, &mut out);
                let want = talib(h, l, c, period);
                for i in 0..len {
                    assert_eq!(
                        out[i].to_bits(),
                        want[i].to_bits(),
                        "period {period} len {len} bar {i}"
                    );
                }
            }
        }
        // Flat stretches (cent prices repeating), where the flatness tests
        // decide: still TA-Lib's bits.
        let flat: Vec<f64> = (0..400)
            .map(|i| 20.0 + 0.01 * ((i / 40) % 3) as f64)
            .collect();
        for period in [3, 7, 14] {
            let mut out = vec![0.0; 400];
            cci(&flat, &flat, &flat, period, &mut out);
            let want = talib(&flat, &flat, &flat, period);
            for i in 0..400 {
                assert_eq!(
                    out[i].to_bits(),
                    want[i].to_bits(),
                    "flat, period {period} bar {i}"
                );
            }
        }
    }

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_bits() {
        use crate::engine::indicators::lanes::Portable;
        let (h, l, c) = bars(257, 9);
        let tp: Vec<f64> = (0..257).map(|j| (h[j] + l[j] + c[j]) / 3.0).collect();
        for period in [3, 6, 7, 14] {
            let (mut dispatched, mut portable) = (tp.clone(), tp.clone());
            let (a, b) = if period >= 7 {
                (
                    run_lanes(Blocks::<2> {
                        tp: &mut dispatched,
                        period,
                    }),
                    Blocks::<2> {
                        tp: &mut portable,
                        period,
                    }
                    .run(Portable),
                )
            } else {
                (
                    run_lanes(Blocks::<1> {
                        tp: &mut dispatched,
                        period,
                    }),
                    Blocks::<1> {
                        tp: &mut portable,
                        period,
                    }
                    .run(Portable),
                )
            };
            assert_eq!(a, b);
            for i in 0..257 {
                assert_eq!(
                    dispatched[i].to_bits(),
                    portable[i].to_bits(),
                    "period {period} bar {i}"
                );
            }
        }
    }

    #[test]
    fn a_flat_window_is_zero_and_bad_periods_are_all_nan() {
        let p = [0.1; 8];
        let mut out = [1.0; 8];
        cci(&p, &p, &p, 4, &mut out);
        assert_eq!(out[3..], [0.0; 5]);
        for period in [0, 1, 9, 100_001] {
            cci(&p, &p, &p, period, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "period {period}");
        }
    }
}
