//! Williams %R (TA-Lib `WILLR`).
//!
//! Formula: `−100·(HH − close)/(HH − LL)` over the last `n` bars (HH highest
//! high, LL lowest low, today included), clamped to [−100, 0]. Flat window:
//! when |HH − LL| ≤ 1e-14·(|HH| + |LL|) the value is 0 (TA-Lib's relative
//! band, the same one STOCH uses).
//! Warm-up: `n − 1` bars. Range: `n` in 2..=100000.
//! Complexity: O(len) (branch-free sliding extremes, see `rolling.rs`);
//! allocates one scratch column (the lowest lows) only for `n` > 64.

use super::fill_nan;
use super::rolling::{pick_max, pick_min, sliding_extreme};
use super::stoch::is_flat;

pub fn willr_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
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
    let start = period - 1;
    fill_nan(&mut out[..start]);
    // Highest highs in `out`, lowest lows a chunk at a time in a stack buffer
    // (a heap column for long periods): two branch-free sliding passes beat
    // tracking both extremes bar by bar (WILLR(14) 12.6 -> ~2.1 ns/bar in
    // `cargo bench --bench indicators`), and the chunks spare the per-call
    // scratch column (3.0 -> 2.4 ns/bar against TA-Lib's 3.1–3.3). Each chunk
    // rescans the `period − 1` bars before it.
    sliding_extreme(high, period, out, pick_max);
    if period > STACK_PERIOD {
        let mut lows = vec![0.0; len];
        sliding_extreme(low, period, &mut lows, pick_min);
        percent_r(&mut out[start..], &lows[start..], &close[start..]);
        return;
    }
    let mut lows = [0.0; CHUNK + STACK_PERIOD];
    let mut first = start;
    while first < len {
        let end = (first + CHUNK).min(len);
        let window = &low[first - start..end];
        let lows = &mut lows[..window.len()];
        sliding_extreme(window, period, lows, pick_min);
        percent_r(&mut out[first..end], &lows[start..], &close[first..end]);
        first = end;
    }
}

/// Periods up to this take their lowest lows from a stack buffer.
const STACK_PERIOD: usize = 64;
/// Bars per chunk of lowest lows.
const CHUNK: usize = 512;

/// `out` holds the highest highs on entry and %R on return; a select per
/// bar, so the divides vectorise.
#[inline(always)]
fn percent_r(out: &mut [f64], lows: &[f64], close: &[f64]) {
    for ((w, &ll), &c) in out.iter_mut().zip(lows).zip(close) {
        let hh = *w;
        // The clamp only matters for a close outside its own bar's range.
        let r = ((hh - c) / (hh - ll) * -100.0).clamp(-100.0, 0.0);
        *w = if is_flat(hh, ll) { 0.0 } else { r };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_at_the_high_is_zero_and_at_the_low_is_minus_100() {
        let high = [10.0, 12.0, 11.0, 11.0];
        let low = [8.0, 9.0, 7.0, 8.0];
        let close = [9.0, 12.0, 7.0, 9.5];
        let mut out = [0.0; 4];
        willr(&high, &low, &close, 2, &mut out);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 0.0); // HH 12, LL 8, close 12
        assert_eq!(out[2], -100.0); // HH 12, LL 7, close 7
        assert!((out[3] - (-100.0 * 1.5 / 4.0)).abs() < 1e-12); // HH 11, LL 7
    }

    #[test]
    fn matches_a_naive_window_scan() {
        let c: Vec<f64> = (0..50)
            .map(|i| 20.0 + (i as f64 * 0.9).cos() * 3.0)
            .collect();
        let h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x + (i % 3) as f64)
            .collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, x)| x - (i % 4) as f64 * 0.5)
            .collect();
        let mut out = vec![0.0; c.len()];
        willr(&h, &l, &c, 7, &mut out);
        for i in 6..c.len() {
            let hh = h[i - 6..=i].iter().cloned().fold(f64::MIN, f64::max);
            let ll = l[i - 6..=i].iter().cloned().fold(f64::MAX, f64::min);
            assert!(
                (out[i] - -100.0 * (hh - c[i]) / (hh - ll)).abs() < 1e-9,
                "at {i}"
            );
        }
    }

    #[test]
    fn a_flat_window_is_zero_and_bad_periods_are_all_nan() {
        let p = [3.0; 6];
        let mut out = [1.0; 6];
        willr(&p, &p, &p, 3, &mut out);
        assert_eq!(out[2..], [0.0; 4]);
        for period in [0, 1, 7, 100_001] {
            willr(&p, &p, &p, period, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "period {period}");
        }
    }
}
