//! OBV, on-balance volume (TA-Lib `OBV`, which takes any series; the scan
//! language calls it on close).
//!
//! Formula: `obv[0] = volume[0]`; then add the bar's volume when `src` rose,
//! subtract it when `src` fell, keep it when unchanged.
//! Trap: the line starts at the first bar's volume, not 0, so its level depends
//! on how much history was loaded (only its changes do not).
//! Warm-up: none. Complexity: O(len), no allocation.

use super::fill_nan;

pub fn obv_lookback() -> usize {
    0
}

pub fn obv(src: &[f64], volume: &[f64], out: &mut [f64]) {
    if src.len() != out.len() || volume.len() != out.len() || out.is_empty() {
        fill_nan(out);
        return;
    }
    let mut total = volume[0];
    out[0] = total;
    // The signed volume is a select, not a branch: up/down days of a price
    // series are unpredictable (OBV in `cargo bench --bench indicators`).
    for ((o, pair), &v) in out[1..].iter_mut().zip(src.windows(2)).zip(&volume[1..]) {
        let step = if pair[1] > pair[0] {
            v
        } else if pair[1] < pair[0] {
            -v
        } else {
            0.0
        };
        total += step;
        *o = total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obv_adds_on_up_bars_subtracts_on_down_bars_and_holds_on_flat_ones() {
        let close = [10.0, 11.0, 10.5, 10.5, 12.0];
        let volume = [100.0, 20.0, 30.0, 40.0, 50.0];
        let mut out = [0.0; 5];
        obv(&close, &volume, &mut out);
        assert_eq!(out, [100.0, 120.0, 90.0, 90.0, 140.0]);
    }

    #[test]
    fn obv_of_empty_or_mismatched_input_writes_nothing_valid() {
        let mut out: [f64; 0] = [];
        obv(&[], &[], &mut out);
        let mut out = [0.0; 2];
        obv(&[1.0, 2.0], &[1.0], &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
