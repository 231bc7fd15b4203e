//! AD, Chaikin accumulation/distribution line (TA-Lib `AD`).
//!
//! Formula: money-flow multiplier `((close - low) - (high - close)) / (high - low)`
//! times volume, summed from the first bar; a bar with `high - low` not above 0
//! adds nothing. Trap: a running sum from the first loaded bar, so its level
//! depends on how much history was loaded.
//! Warm-up: none. Complexity: O(len), no allocation.

use super::fill_nan;

pub fn ad_lookback() -> usize {
    0
}

pub fn ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], out: &mut [f64]) {
    let n = out.len();
    if high.len() != n || low.len() != n || close.len() != n || volume.len() != n {
        fill_nan(out);
        return;
    }
    let mut total = 0.0;
    for ((((o, &h), &l), &c), &v) in out.iter_mut().zip(high).zip(low).zip(close).zip(volume) {
        total += money_flow_volume(h, l, c, v);
        *o = total;
    }
}

/// One bar's money-flow volume, in TA-Lib's order of operations (ADOSC shares it).
#[inline(always)]
pub(crate) fn money_flow_volume(high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 {
        (close - low - (high - close)) / range * volume
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_accumulates_the_close_location_times_volume() {
        // bar 0: close at the high → +volume; bar 1: at the low → −volume;
        // bar 2: mid-range → 0; bar 3: zero range → 0;
        // bar 4: a quarter up the range → −0.5·volume.
        let high = [10.0, 10.0, 10.0, 9.0, 12.0];
        let low = [8.0, 8.0, 8.0, 9.0, 8.0];
        let close = [10.0, 8.0, 9.0, 9.0, 9.0];
        let volume = [100.0, 40.0, 70.0, 1000.0, 10.0];
        let mut out = [0.0; 5];
        ad(&high, &low, &close, &volume, &mut out);
        assert_eq!(out, [100.0, 60.0, 60.0, 60.0, 55.0]);
    }
}
