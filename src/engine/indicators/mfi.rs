//! MFI, money flow index (TA-Lib `MFI`).
//!
//! Formula: typical price `tp = (high + low + close)/3`, money flow
//! `mf = tp·volume`, counted as positive when tp rose from the previous bar
//! and negative when it fell; over the last `n` bars
//! `mfi = 100·pos/(pos + neg)`, and 0 when the window holds no flow at all.
//! Definitional traps (TA-Lib's): a change with |Δtp| ≤ 1e-14·(|tp| + |tp₋₁|)
//! is no movement (no flow); the sums slide by subtract-then-add, are reset to
//! exactly 0 after `n` bars in a row without flow, and `pos` is clamped into
//! [0, pos + neg] against rounding drift.
//! Warm-up: `n` bars. Range: `n` in 2..=100000.
//! Complexity: O(len); allocates only for `n` > 64 (a ring of `n` flows).

use std::hint::select_unpredictable;

use super::fill_nan;
use super::lanes::{run_lanes, Lanes, LanesKernel};

pub fn mfi_lookback(period: usize) -> usize {
    period
}

pub fn mfi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
    out: &mut [f64],
) {
    let len = close.len();
    if !(2..=100_000).contains(&period)
        || [high.len(), low.len(), volume.len(), out.len()]
            .iter()
            .any(|&l| l != len)
        || len <= period
    {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    run_lanes(Mfi {
        high,
        low,
        close,
        volume,
        period,
        out,
    });
}

/// MFI's validated inputs (`2 <= period < len`, every column `len` long),
/// run by `lanes::run_lanes`: in the AVX2 clone the block passes (the
/// typical prices with their divides, the flows, the indexes) run four bars
/// wide, the same operations on each bar (the same bits). With the flows
/// and the idle count out of the serial pass, MFI(14) went from 1.21–1.22×
/// to 1.38–1.45× TA-Lib over 8 symbols in cache (`BENCH_SYMBOLS=8
/// BENCH_FILTER=MFI cargo bench --bench indicators`, both builds in one
/// run); over the default 200 symbols both sides wait on memory more and
/// the two builds were level (0.95–1.20×).
struct Mfi<'a> {
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    volume: &'a [f64],
    period: usize,
    out: &'a mut [f64],
}

impl LanesKernel for Mfi<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Mfi {
            high,
            low,
            close,
            volume,
            period,
            out,
        } = self;
        let len = close.len();
        // The last `period` flows in a ring (on the stack up to 64 bars, as TA-Lib
        // keeps its own ring), one pass: a scratch column of every bar's flow,
        // allocated per call and read back in a second pass, made MFI(14) 0.4×
        // TA-Lib (`cargo bench --bench indicators`). Flows are selects, not
        // branches on the unpredictable up/down day.
        let mut stack = [(0.0, 0.0); STACK_RING];
        let mut heap = Vec::new();
        let ring: &mut [(f64, f64)] = if period <= STACK_RING {
            &mut stack[..period]
        } else {
            heap.resize(period, (0.0, 0.0));
            &mut heap
        };
        let mut typical = high.iter().zip(low).zip(close).map(tp);
        let mut prev = typical.next().unwrap_or(0.0);
        let mut sums = Sums::default();
        for (slot, (now, &vol)) in ring.iter_mut().zip(typical.zip(&volume[1..])) {
            *slot = flow(prev, now, vol);
            sums.add(*slot, period);
            prev = now;
        }
        out[period] = sums.index();
        // The rest a block at a time, in three passes: the typical prices (a
        // divide each) and the flows, four bars wide with no branch; then the
        // serial one, TA-Lib's subtract-then-add on each sum with the ring,
        // nothing else; then the index (another divide), four bars wide. A
        // block in which `period` bars in a row add no flow (TA-Lib then
        // resets the sums to exactly 0) takes the whole per-bar step instead.
        // The same operations on each sum as before, so TA-Lib's bits; the
        // sums' residue after a window empties is what the index shows there,
        // so they have to be TA-Lib's (prefix-summed sums, as SMA's, ended
        // 1.016e-9 from TA-Lib's index on a flat series, past the oracle's
        // 1e-9).
        // The block's typical prices after the one before it.
        let mut typical = [0.0; BLOCK + 1];
        let mut flows = [(0.0, 0.0); BLOCK];
        let mut window = [[0.0; BLOCK]; 2];
        let mut k = 0;
        let mut start = period + 1;
        while start < len {
            let end = (start + BLOCK).min(len);
            let m = end - start;
            let typical = &mut typical[..=m];
            typical[0] = prev;
            let bars = high[start..end]
                .iter()
                .zip(&low[start..end])
                .zip(&close[start..end]);
            for (t, bar) in typical[1..].iter_mut().zip(bars) {
                *t = tp(bar);
            }
            let flows = &mut flows[..m];
            let bars = typical.windows(2).zip(&volume[start..end]);
            for (f, (t, &vol)) in flows.iter_mut().zip(bars) {
                *f = flow(t[0], t[1], vol);
            }
            prev = typical[m];
            // Whether `period` bars in a row add no flow in this block.
            let mut idle = sums.idle;
            let mut reset = false;
            for &(p, n) in flows.iter() {
                idle = if p == 0.0 && n == 0.0 { idle + 1 } else { 0 };
                reset |= idle >= period;
            }
            let [pos_after, neg_after] = &mut window;
            if reset {
                for ((&f, p), n) in flows
                    .iter()
                    .zip(&mut pos_after[..m])
                    .zip(&mut neg_after[..m])
                {
                    sums.remove(ring[k]);
                    ring[k] = f;
                    sums.add(f, period);
                    (*p, *n) = (sums.pos, sums.neg);
                    k += 1;
                    if k == period {
                        k = 0;
                    }
                }
            } else {
                let (mut pos, mut neg) = (sums.pos, sums.neg);
                for ((&f, p), n) in flows
                    .iter()
                    .zip(&mut pos_after[..m])
                    .zip(&mut neg_after[..m])
                {
                    let (old_pos, old_neg) = ring[k];
                    ring[k] = f;
                    pos -= old_pos;
                    neg -= old_neg;
                    pos += f.0;
                    neg += f.1;
                    (*p, *n) = (pos, neg);
                    k += 1;
                    if k == period {
                        k = 0;
                    }
                }
                (sums.pos, sums.neg, sums.idle) = (pos, neg, idle);
            }
            indexes(
                lanes,
                &pos_after[..m],
                &neg_after[..m],
                &mut out[start..end],
            );
            start = end;
        }
    }
}

/// `index` of each bar's sums into `out`, four bars at a time: the clamp of
/// `pos` into [0, total] as `max`/`min` (`pos` itself when NaN, as there),
/// 0 for no flow; the same operations on each bar (the same bits).
#[inline(always)]
fn indexes<L: Lanes>(lanes: L, pos: &[f64], neg: &[f64], out: &mut [f64]) {
    let (zero, hundred) = (lanes.splat(0.0), lanes.splat(100.0));
    let (out_steps, out_tail) = out.as_chunks_mut::<4>();
    let (pos_steps, pos_tail) = pos.as_chunks::<4>();
    let (neg_steps, neg_tail) = neg.as_chunks::<4>();
    for ((o, p), n) in out_steps.iter_mut().zip(pos_steps).zip(neg_steps) {
        let (p, n) = (lanes.load(p), lanes.load(n));
        let total = lanes.add(p, n);
        let p = lanes.min(lanes.max(p, zero), total);
        let value = lanes.mul(hundred, lanes.div(p, total));
        lanes.store(lanes.select_le(total, zero, zero, value), o);
    }
    for ((o, &p), &n) in out_tail.iter_mut().zip(pos_tail).zip(neg_tail) {
        *o = index(p, n);
    }
}

/// A bar's typical price.
#[inline(always)]
fn tp(((&h, &l), &c): ((&f64, &f64), &f64)) -> f64 {
    (h + l + c) / 3.0
}

/// Bars whose typical prices and indexes are computed together.
const BLOCK: usize = 64;

/// Periods up to this keep their ring of flows on the stack.
const STACK_RING: usize = 64;

/// One bar's (positive, negative) money flow; at most one is non-zero.
#[inline(always)]
fn flow(prev: f64, now: f64, volume: f64) -> (f64, f64) {
    let change = now - prev;
    let still = change.abs() <= 1e-14 * (now.abs() + prev.abs());
    let mf = select_unpredictable(still, 0.0, now * volume);
    // Up or down is a coin toss, so the flow is masked by the change's sign
    // bit rather than selected: the compiler branched on `change < 0.0` even
    // through `select_unpredictable`, and MFI(14) ran at 0.4× TA-Lib. A change
    // of −0 has its sign bit set but is "still" (flow 0), so it cannot differ.
    let down_mask = 0u64.wrapping_sub(change.to_bits() >> 63);
    let bits = mf.to_bits();
    (
        f64::from_bits(bits & !down_mask),
        f64::from_bits(bits & down_mask),
    )
}

#[derive(Default)]
struct Sums {
    pos: f64,
    neg: f64,
    /// Bars in a row that added no flow; after `n` of them the window is empty.
    idle: usize,
}

impl Sums {
    #[inline(always)]
    fn add(&mut self, (pos, neg): (f64, f64), period: usize) {
        self.pos += pos;
        self.neg += neg;
        self.idle = if pos == 0.0 && neg == 0.0 {
            self.idle + 1
        } else {
            0
        };
        if self.idle >= period {
            // Drop the add/subtract residue: every flow in the window is 0.
            self.idle = period;
            self.pos = 0.0;
            self.neg = 0.0;
        }
    }

    #[inline(always)]
    fn remove(&mut self, (pos, neg): (f64, f64)) {
        self.pos -= pos;
        self.neg -= neg;
    }

    #[inline(always)]
    fn index(&self) -> f64 {
        index(self.pos, self.neg)
    }
}

/// `100·pos/(pos + neg)`, 0 for no flow, with TA-Lib's clamp of `pos` into
/// [0, total] as compare-and-pick (a select, so a block of them vectorises).
#[inline(always)]
fn index(pos: f64, neg: f64) -> f64 {
    let total = pos + neg;
    let pos = if pos < 0.0 { 0.0 } else { pos };
    let pos = if pos > total { total } else { pos };
    let value = 100.0 * (pos / total);
    if total <= 0.0 {
        0.0
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_two_bar_window() {
        // tp: 10, 11, 10.5, 12 with volumes 0, 100, 200, 50.
        // Bar 1 +1100, bar 2 −2100, bar 3 +600.
        let p = [10.0, 11.0, 10.5, 12.0];
        let v = [0.0, 100.0, 200.0, 50.0];
        let mut out = [0.0; 4];
        mfi(&p, &p, &p, &v, 2, &mut out);
        assert!(out[..2].iter().all(|x| x.is_nan()));
        assert!((out[2] - 100.0 * 1100.0 / 3200.0).abs() < 1e-9);
        assert!((out[3] - 100.0 * 600.0 / 2700.0).abs() < 1e-9);
    }

    #[test]
    fn matches_a_naive_window_sum() {
        let c: Vec<f64> = (0..60)
            .map(|i| 40.0 + (i as f64 * 0.8).sin() * 2.0)
            .collect();
        let h: Vec<f64> = c.iter().map(|x| x + 0.5).collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x - (i % 2) as f64)
            .collect();
        let v: Vec<f64> = (0..60)
            .map(|i| 1000.0 + (i * 37 % 11) as f64 * 100.0)
            .collect();
        let mut out = vec![0.0; 60];
        mfi(&h, &l, &c, &v, 10, &mut out);
        let tp: Vec<f64> = (0..60).map(|j| (h[j] + l[j] + c[j]) / 3.0).collect();
        for (i, got) in out.iter().enumerate().skip(10) {
            let (mut pos, mut neg) = (0.0, 0.0);
            for j in i - 9..=i {
                if tp[j] > tp[j - 1] {
                    pos += tp[j] * v[j];
                } else if tp[j] < tp[j - 1] {
                    neg += tp[j] * v[j];
                }
            }
            assert!((got - 100.0 * pos / (pos + neg)).abs() < 1e-9, "at {i}");
        }
    }

    #[test]
    fn no_flow_is_zero_and_bad_periods_are_all_nan() {
        let p = [5.0; 6];
        let v = [1000.0; 6];
        let mut out = [1.0; 6];
        mfi(&p, &p, &p, &v, 2, &mut out);
        assert_eq!(out[2..], [0.0; 4]);
        for period in [0, 1, 6, 100_001] {
            mfi(&p, &p, &p, &v, period, &mut out);
            assert!(out.iter().all(|x| x.is_nan()), "period {period}");
        }
    }
}
