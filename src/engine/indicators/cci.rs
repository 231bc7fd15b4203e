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
//! Warm-up: `n − 1` bars. Range: `n` in 2..=100000.
//! Complexity: O(len·n) like TA-Lib; no allocation (`out` holds the typical
//! prices, consumed from the end backwards).

use super::fill_nan;

pub fn cci_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    let len = close.len();
    if !(2..=100_000).contains(&period)
        || high.len() != len
        || low.len() != len
        || out.len() != len
        || len < period
    {
        return;
    }
    for (j, tp) in out.iter_mut().enumerate() {
        *tp = (high[j] + low[j] + close[j]) / 3.0;
    }
    let n = period as f64;
    // Backwards: the window of bar i only reads slots ≤ i, which still hold
    // typical prices when out[i] is overwritten.
    for i in (period - 1..len).rev() {
        let window = &out[i + 1 - period..=i];
        // window[k] is bar i+1-period+k; slot 0 holds the bar ≡ 0 (mod n).
        let split = (period - (i + 1) % period) % period;
        let (newer, older) = window.split_at(split);
        let avg = older.iter().chain(newer).fold(0.0, |s, &v| s + v) / n;
        let md = older
            .iter()
            .chain(newer)
            .fold(0.0, |s, &v| s + (v - avg).abs())
            / n;
        let dev = window[period - 1] - avg;
        let level = avg.abs();
        let divisor = 0.015 * md;
        out[i] = if dev.abs() <= 1e-14 * level || md.abs() <= 1e-14 * level || divisor == 0.0 {
            0.0
        } else {
            dev / divisor
        };
    }
    fill_nan(&mut out[..period - 1]);
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
