//! MOM, momentum (TA-Lib `MOM`).
//!
//! Formula: `out[i] = src[i] - src[i-n]` (price points, not percent; see ROC).
//! Warm-up: `n` bars. Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;

/// Index of the first valid MOM output: `period`.
pub fn mom_lookback(period: usize) -> usize {
    period
}

/// Change of `src` over `period` bars into `out`.
pub fn mom(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || out.len() != src.len() || src.len() <= period {
        fill_nan(out);
        return;
    }
    let (warm, rest) = out.split_at_mut(period);
    fill_nan(warm);
    for ((o, &now), &before) in rest.iter_mut().zip(&src[period..]).zip(src) {
        *o = now - before;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mom_is_the_difference_with_the_bar_period_ago() {
        let src = [1.0, 4.0, 9.0, 16.0, 25.0];
        let mut out = [0.0; 5];
        mom(&src, 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert_eq!(&out[3..], &[15.0, 21.0]);
    }
}
