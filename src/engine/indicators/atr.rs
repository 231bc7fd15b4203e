//! ATR, average true range, and NATR, ATR as a percent of close (TA-Lib `ATR`,
//! `NATR`), Wilder smoothing.
//!
//! Formula: seed = mean of the true ranges of bars 1..=n, placed at bar `n`;
//! then `atr = β·atr + α·tr` with `β = (n-1)/n`, `α = 1 - β` (TA-Lib's
//! weights; it fuses the multiply-add, we run four bars per step, within
//! 1e-9: see `lanes::EmaStep`).
//! NATR = `atr / close · 100`, or 0 when close is exactly 0.
//! Trap: with `n == 1` NATR is *not* normalised — TA-Lib returns the plain true
//! range for both ATR(1) and NATR(1).
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 1..=100000. Complexity: O(len), no allocation.

use super::fill_nan;
use super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel};
use super::trange::{true_range, true_range_lanes};

pub fn atr_lookback(period: usize) -> usize {
    period
}

pub fn natr_lookback(period: usize) -> usize {
    period
}

pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    wilder_true_range(high, low, close, period, out, |atr, _| atr);
}

pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        // TA-Lib's NATR(1) skips the normalisation.
        wilder_true_range(high, low, close, period, out, |atr, _| atr);
        return;
    }
    wilder_true_range(high, low, close, period, out, |atr, close| {
        if close != 0.0 {
            atr / close * 100.0
        } else {
            0.0
        }
    });
}

#[inline(always)]
fn wilder_true_range(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
    finish: impl Fn(f64, f64) -> f64,
) {
    let len = out.len();
    if !(1..=100_000).contains(&period)
        || len <= period
        || high.len() != len
        || low.len() != len
        || close.len() != len
    {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    let beta = (period - 1) as f64 / period as f64;
    let alpha = 1.0 - beta;
    let mut prev = 0.0;
    for i in 1..=period {
        prev += true_range(high[i], low[i], close[i - 1]);
    }
    prev /= period as f64;
    out[period] = finish(prev, close[period]);
    let next = period + 1;
    run_lanes(Steady {
        high: &high[next..],
        low: &low[next..],
        prev_close: &close[period..len - 1],
        close: &close[next..],
        out: &mut out[next..],
        weights: (alpha, beta),
        before: prev,
        finish,
    });
}

/// The smoothing after the seed, four bars per step (`lanes::EmaStep`, AVX2
/// where there is AVX2): the chain waits for one multiply and one add per
/// four bars, not per bar. ATR(14) went from 1.6 to 1.4 ns/bar with a scalar
/// four-bar step, and to ~1.0 as lanes, against TA-Lib's fused 1.2–1.5
/// (`cargo bench --bench indicators`). The true ranges come four at a time
/// too (`true_range_lanes`, the same bits): in wasm (node, the indicator
/// files built for wasm32 +simd128) ATR(14) went from 3.8–4.1 to 3.0–3.1
/// ns/bar, where four scalar ranges gathered into a vector pair had cost more
/// than the smoothing.
struct Steady<'a, F> {
    high: &'a [f64],
    low: &'a [f64],
    prev_close: &'a [f64],
    close: &'a [f64],
    out: &'a mut [f64],
    /// `(α, β)`.
    weights: (f64, f64),
    /// The value before the first bar.
    before: f64,
    finish: F,
}

impl<F: Fn(f64, f64) -> f64> LanesKernel for Steady<'_, F> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Steady {
            high,
            low,
            prev_close,
            close,
            out,
            weights: (alpha, beta),
            before,
            finish,
        } = self;
        let step = EmaStep::new(lanes, alpha, beta);
        let mut before = lanes.splat(before);
        let (out_steps, out_tail) = out.as_chunks_mut::<4>();
        let (high_steps, high_tail) = high.as_chunks::<4>();
        let (low_steps, low_tail) = low.as_chunks::<4>();
        let (pc_steps, pc_tail) = prev_close.as_chunks::<4>();
        let steps = out_steps
            .iter_mut()
            .zip(high_steps)
            .zip(low_steps)
            .zip(pc_steps);
        for (((o, h), l), pc) in steps {
            let tr = true_range_lanes(lanes, lanes.load(h), lanes.load(l), lanes.load(pc));
            let y = step.step_short(lanes, tr, &mut before);
            lanes.store(y, o);
        }
        // The last bars padded with zeros, which only later lanes see.
        let mut tr = [0.0; 4];
        let bars = high_tail.iter().zip(low_tail).zip(pc_tail);
        for (t, ((&h, &l), &pc)) in tr.iter_mut().zip(bars) {
            *t = true_range(h, l, pc);
        }
        let mut ys = [0.0; 4];
        lanes.store(
            step.step_short(lanes, lanes.load(&tr), &mut before),
            &mut ys,
        );
        out_tail.copy_from_slice(&ys[..out_tail.len()]);
        // NATR's divides in a pass of their own, off the chain's loop.
        for (o, &c) in out.iter_mut().zip(close) {
            *o = finish(*o, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wilder's textbook recursion `(atr·(n-1) + tr) / n`, seeded by a mean.
    fn naive_atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Vec<f64> {
        let tr: Vec<f64> = (1..close.len())
            .map(|i| {
                (high[i] - low[i])
                    .max((high[i] - close[i - 1]).abs())
                    .max((low[i] - close[i - 1]).abs())
            })
            .collect();
        let mut out = vec![f64::NAN; close.len()];
        let mut a = tr[..n].iter().sum::<f64>() / n as f64;
        out[n] = a;
        for i in n + 1..close.len() {
            a = (a * (n as f64 - 1.0) + tr[i - 1]) / n as f64;
            out[i] = a;
        }
        out
    }

    fn bars() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let close: Vec<f64> = (0..40)
            .map(|i| 50.0 + (i as f64 * 0.7).sin() * 4.0)
            .collect();
        let high: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c + 0.5 + (i % 3) as f64)
            .collect();
        let low: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c - 0.4 - (i % 4) as f64)
            .collect();
        (high, low, close)
    }

    #[test]
    fn atr_matches_wilders_textbook_recursion() {
        let (h, l, c) = bars();
        let mut out = vec![0.0; c.len()];
        atr(&h, &l, &c, 5, &mut out);
        let want = naive_atr(&h, &l, &c, 5);
        assert!(out[..5].iter().all(|v| v.is_nan()));
        for i in 5..c.len() {
            assert!((out[i] - want[i]).abs() < 1e-12, "bar {i}");
        }
    }

    #[test]
    fn natr_is_atr_in_percent_of_close_except_for_period_one() {
        let (h, l, c) = bars();
        let (mut a, mut n) = (vec![0.0; c.len()], vec![0.0; c.len()]);
        atr(&h, &l, &c, 7, &mut a);
        natr(&h, &l, &c, 7, &mut n);
        for i in 7..c.len() {
            assert!((n[i] - 100.0 * a[i] / c[i]).abs() < 1e-12);
        }
        atr(&h, &l, &c, 1, &mut a);
        natr(&h, &l, &c, 1, &mut n);
        assert_eq!(a[1..], n[1..]);
    }

    #[test]
    fn atr_rejects_period_zero_and_short_input_with_nan() {
        let (h, l, c) = bars();
        let mut out = vec![0.0; c.len()];
        atr(&h, &l, &c, 0, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
        atr(&h, &l, &c, 40, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
