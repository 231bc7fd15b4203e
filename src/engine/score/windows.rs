//! The score's features (SPEC §2.4) for a run of consecutive bars at once,
//! bit for bit what one bar at a time gives: every bar's window sums are
//! added in the same order, from −0.0 as `Iterator::sum` starts, but the
//! bars of a block sit side by side (the compiler puts them in vector
//! lanes), and each bar's daily return, gap and dollar volume is computed
//! once for every window that reads it. A backtest reads the Technic fields
//! at every bar: one bar at a time, SMA(200)'s 200 dependent adds and the
//! 50 divides of the return and gap windows set the pace.
//! Engine only: no browser crate.

use super::{Features, ScoreSeries};
use crate::engine::bars::Bars;

/// The most bars of one block.
pub(super) const BLOCK: usize = 64;

/// The features of bars `i0..i0 + out.len()` (at most [`BLOCK`], all
/// within `bars`), each from bars `0..=i` and the series' values at `i`.
pub(super) fn features(bars: &Bars, i0: usize, series: &ScoreSeries, out: &mut [Features]) {
    let m = out.len();
    debug_assert!(m <= BLOCK && i0 + m <= bars.len());
    let (close, open, volume) = (bars.close(), bars.open(), bars.volume());
    for (k, f) in out.iter_mut().enumerate() {
        let i = i0 + k;
        let last = close[i];
        let ret = |back: usize| {
            if i >= back {
                last / close[i - back] - 1.0
            } else {
                f64::NAN
            }
        };
        let [rsi_14, atr_14, macd_hist] = series.at(i);
        *f = Features {
            ret_1d: ret(1),
            ret_5d: ret(5),
            ret_21d: ret(21),
            atr_pct_14: atr_14 / last,
            rsi_14,
            macd_hist,
            ..Features::NAN
        };
    }
    means(close, i0, out);
    dollar_volume(close, volume, i0, out);
    range_20(close, i0, out);
    volatility(close, i0, out);
    gaps(open, close, i0, out);
}

/// Means of the last 20, 50 and 200 closes.
fn means(close: &[f64], i0: usize, out: &mut [Features]) {
    let m = out.len();
    let mut sums = [0.0; BLOCK];
    for (width, set) in [
        (20, (|f, x| f.sma_20 = x) as fn(&mut Features, f64)),
        (50, |f, x| f.sma_50 = x),
        (200, |f, x| f.sma_200 = x),
    ] {
        let from = first_with(i0, m, width);
        if from == m {
            continue;
        }
        let sums = &mut sums[from..m];
        sliding_sums(&close[i0 + from + 1 - width..i0 + m], width, sums);
        for (f, s) in out[from..].iter_mut().zip(sums) {
            set(f, *s / width as f64);
        }
    }
}

/// The 20-bar dollar volume and today's spike over it.
fn dollar_volume(close: &[f64], volume: &[f64], i0: usize, out: &mut [Features]) {
    let m = out.len();
    let from = first_with(i0, m, 20);
    if from == m {
        return;
    }
    let mut sums = [0.0; BLOCK];
    let mut dollars = [0.0; BLOCK + 19];
    sums_of(&mut dollars, i0 + from - 19, 20, &mut sums[from..m], |x| {
        close[x] * volume[x]
    });
    for (k, f) in out.iter_mut().enumerate().skip(from) {
        let i = i0 + k;
        f.dollar_vol_20 = sums[k] / 20.0;
        f.vol_spike_ratio = if f.dollar_vol_20 > 0.0 {
            close[i] * volume[i] / f.dollar_vol_20
        } else {
            f64::NAN
        };
    }
}

/// Percent from the highest and the lowest of the last 20 closes.
fn range_20(close: &[f64], i0: usize, out: &mut [Features]) {
    let m = out.len();
    let from = first_with(i0, m, 20);
    if from == m {
        return;
    }
    let (mut low, mut high) = ([f64::INFINITY; BLOCK], [f64::NEG_INFINITY; BLOCK]);
    for j in 0..20 {
        let closes = &close[i0 + from - 19 + j..i0 + m - 19 + j];
        for ((lo, hi), &x) in low[from..m].iter_mut().zip(&mut high[from..m]).zip(closes) {
            *lo = lo.min(x);
            *hi = hi.max(x);
        }
    }
    for (k, f) in out.iter_mut().enumerate().skip(from) {
        let last = close[i0 + k];
        f.pct_from_high20 = (last / high[k] - 1.0) * 100.0;
        f.pct_from_low20 = (last / low[k] - 1.0) * 100.0;
    }
}

/// Realised volatility: the sample deviation (n − 1) of the last 20 daily
/// returns (21 closes) × √252.
fn volatility(close: &[f64], i0: usize, out: &mut [Features]) {
    let m = out.len();
    let from = first_with(i0, m, 21);
    if from == m {
        return;
    }
    let mut means = [0.0; BLOCK];
    let mut returns = [0.0; BLOCK + 19];
    let returns = sums_of(&mut returns, i0 + from - 19, 20, &mut means[from..m], |x| {
        close[x] / close[x - 1] - 1.0
    });
    for mean in &mut means[from..m] {
        *mean /= 20.0;
    }
    let mut squares = [-0.0; BLOCK];
    for j in 0..20 {
        let r = &returns[j..j + m - from];
        for ((ss, mean), x) in squares[from..m].iter_mut().zip(&means[from..m]).zip(r) {
            let d = x - mean;
            *ss += d * d;
        }
    }
    for (f, ss) in out[from..].iter_mut().zip(&squares[from..m]) {
        f.vol_realized_20 = (ss / 19.0).sqrt() * 252f64.sqrt();
    }
}

/// The mean overnight gap of the last 10 bars, |open − previous close| ÷
/// previous close (11 bars).
fn gaps(open: &[f64], close: &[f64], i0: usize, out: &mut [Features]) {
    let m = out.len();
    let from = first_with(i0, m, 11);
    if from == m {
        return;
    }
    let mut sums = [0.0; BLOCK];
    let mut gaps = [0.0; BLOCK + 9];
    sums_of(&mut gaps, i0 + from - 10, 10, &mut sums[from..m], |x| {
        (open[x + 1] - close[x]).abs() / close[x]
    });
    for (f, s) in out[from..].iter_mut().zip(&sums[from..m]) {
        f.gap_mean_10 = s / 10.0;
    }
}

/// The first `k < m` whose bar `i0 + k` has at least `bars` bars up to it
/// (`m` when none has).
fn first_with(i0: usize, m: usize, bars: usize) -> usize {
    (bars - 1).saturating_sub(i0).min(m)
}

/// A per-bar value (a return, a gap, a dollar volume) at `first..`, each
/// computed once into `values`, and the sliding sums of `width` of them into
/// `sums` ([`sliding_sums`]); gives the values back.
fn sums_of<'a>(
    values: &'a mut [f64],
    first: usize,
    width: usize,
    sums: &mut [f64],
    value: impl Fn(usize) -> f64,
) -> &'a [f64] {
    let values = &mut values[..sums.len() + width - 1];
    for (v, x) in values.iter_mut().zip(first..) {
        *v = value(x);
    }
    sliding_sums(values, width, sums);
    values
}

/// `sums[k] = Σ values[k + j]` for `j < width`, added in that order from
/// −0.0 (as `Iterator::sum`); `values` holds `sums.len() + width − 1`.
/// The sums side by side: one add a value for all of them.
#[inline(always)]
fn sliding_sums(values: &[f64], width: usize, sums: &mut [f64]) {
    let m = sums.len();
    sums.fill(-0.0);
    if m == 0 {
        return;
    }
    for j in 0..width {
        for (s, x) in sums.iter_mut().zip(&values[j..j + m]) {
            *s += x;
        }
    }
}
