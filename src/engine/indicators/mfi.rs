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
/// run by `lanes::run_lanes` for its instruction set alone: the body is
/// plain `f64` code, and in the AVX2 clone its block passes (the typical
/// prices' and the indexes' divides) vectorise four bars wide instead of
/// SSE2's two, the same operations on each bar (the same bits). Seven
/// alternating runs of `cargo bench --bench indicators` in a noisy spell:
/// MFI(14) 1.00–1.17× TA-Lib (median 1.06) against 0.85–1.06× (1.04).
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
    fn run<L: Lanes>(self, _lanes: L) {
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
        // The rest a block at a time: the typical prices (a divide each) first,
        // then the serial ring and sums, then the index (another divide): both
        // divides vectorise outside the serial loop, which otherwise waited on
        // the divider: MFI(14) 5.8 -> ~4.0 ns/bar against TA-Lib's 4.4 (`cargo
        // bench --bench indicators`). Computing the flows in the first pass too
        // was slower (~4.4).
        let mut typical = [0.0; BLOCK];
        let mut window = [(0.0, 0.0); BLOCK];
        let mut k = 0;
        let mut start = period + 1;
        while start < len {
            let end = (start + BLOCK).min(len);
            let typical = &mut typical[..end - start];
            let bars = high[start..end]
                .iter()
                .zip(&low[start..end])
                .zip(&close[start..end]);
            for (t, bar) in typical.iter_mut().zip(bars) {
                *t = tp(bar);
            }
            let window = &mut window[..end - start];
            let flows = typical.iter().zip(&volume[start..end]);
            for (w, (&now, &vol)) in window.iter_mut().zip(flows) {
                let slot = &mut ring[k];
                sums.remove(*slot);
                *slot = flow(prev, now, vol);
                sums.add(*slot, period);
                *w = (sums.pos, sums.neg);
                prev = now;
                k += 1;
                if k == period {
                    k = 0;
                }
            }
            for (o, &(pos, neg)) in out[start..end].iter_mut().zip(window.iter()) {
                *o = index(pos, neg);
            }
            start = end;
        }
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
