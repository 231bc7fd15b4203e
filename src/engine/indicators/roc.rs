//! ROC, rate of change in percent (TA-Lib `ROC`).
//!
//! Formula: `out[i] = (src[i] / src[i-n] - 1) · 100`. Trap: when
//! `src[i-n]` is exactly 0 the output is 0 (TA-Lib's choice), not ±inf/NaN.
//! Not to be confused with ROCP (fraction) or ROCR (ratio).
//! Warm-up: `n` bars. Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;

/// Index of the first valid ROC output: `period`.
pub fn roc_lookback(period: usize) -> usize {
    period
}

/// Percent change of `src` over `period` bars into `out`.
pub fn roc(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || out.len() != src.len() || src.len() <= period {
        fill_nan(out);
        return;
    }
    let (warm, rest) = out.split_at_mut(period);
    fill_nan(warm);
    // The quotient is taken whatever the base and the zero base's lane is
    // then replaced: a select, not a branch around the divide, so the loop
    // runs in vector registers (divpd, two or more bars per divide; with the
    // branch LLVM keeps one scalar divide per bar, 0.93× TA-Lib).
    for ((o, &now), &before) in rest.iter_mut().zip(&src[period..]).zip(src) {
        let pct = (now / before - 1.0) * 100.0;
        *o = if before != 0.0 { pct } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_is_the_percent_change_over_the_period() {
        let src = [100.0, 50.0, 110.0, 0.0, 75.0, 80.0];
        let mut out = [0.0; 6];
        roc(&src, 2, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert!((out[2] - 10.0).abs() < 1e-12);
        assert!((out[3] - -100.0).abs() < 1e-12);
        assert!((out[4] - (75.0 / 110.0 - 1.0) * 100.0).abs() < 1e-12);
        assert_eq!(out[5], 0.0, "a zero base gives 0, as in TA-Lib");
    }
}
