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
//! Complexity: O(len); allocates one scratch column of per-bar flows.

use super::fill_nan;

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
    // Each bar's flow is computed once into a scratch column (bar 0 has none),
    // as a select rather than a branch, so the sliding loop below is plain
    // adds: recomputing the leaving bar's flow and branching on the
    // unpredictable up/down day made MFI(14) 5x slower than TA-Lib
    // (`cargo bench --bench indicators`).
    let mut flows = vec![(0.0, 0.0); len];
    let tp = |((&h, &l), &c): ((&f64, &f64), &f64)| (h + l + c) / 3.0;
    let mut typical = high.iter().zip(low).zip(close).map(tp);
    let mut prev = typical.next().unwrap_or(0.0);
    for ((slot, now), &vol) in flows[1..].iter_mut().zip(typical).zip(&volume[1..]) {
        *slot = flow(prev, now, vol);
        prev = now;
    }
    let mut sums = Sums::default();
    for &f in &flows[1..=period] {
        sums.add(f, period);
    }
    out[period] = sums.index();
    let next = period + 1;
    for ((o, &new), &old) in out[next..].iter_mut().zip(&flows[next..]).zip(&flows[1..]) {
        sums.remove(old);
        sums.add(new, period);
        *o = sums.index();
    }
}

/// One bar's (positive, negative) money flow; at most one is non-zero.
#[inline(always)]
fn flow(prev: f64, now: f64, volume: f64) -> (f64, f64) {
    let change = now - prev;
    let mf = if change.abs() <= 1e-14 * (now.abs() + prev.abs()) {
        0.0
    } else {
        now * volume
    };
    let down = change < 0.0;
    (if down { 0.0 } else { mf }, if down { mf } else { 0.0 })
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
        let total = self.pos + self.neg;
        if total <= 0.0 {
            0.0
        } else {
            100.0 * (self.pos.clamp(0.0, total) / total)
        }
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
