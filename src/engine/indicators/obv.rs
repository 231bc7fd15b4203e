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
    // Each bar's signed volume first, into `out` (independent, branch-free,
    // so it vectorises: up and down days of a price series are a coin toss),
    // then the running sum in place, one add per bar. Both in one loop
    // compiled to a branch per bar: OBV ran at 4.7 ns/bar, TA-Lib at 4.3–5.1;
    // now 1.2–1.4 (`cargo bench --bench indicators`).
    let moves = out[1..].iter_mut().zip(src.windows(2)).zip(&volume[1..]);
    for ((o, pair), &v) in moves {
        let up = if pair[1] > pair[0] { v } else { 0.0 };
        let down = if pair[1] < pair[0] { v } else { 0.0 };
        // `v − 0`, `0 − v` or `0 − 0`: the signed volume exactly.
        *o = up - down;
    }
    let mut total = volume[0];
    out[0] = total;
    for o in &mut out[1..] {
        total += *o;
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
