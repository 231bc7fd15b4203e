//! SAR, parabolic stop and reverse (TA-Lib `SAR`).
//!
//! Formula: `sar = sar + af·(ep - sar)`, where `ep` is the extreme point of
//! the current trade (highest high when long, lowest low when short) and `af`
//! starts at `accel`, grows by `accel` on every new extreme, capped at `max`.
//! A long SAR is never above the last two lows (a short one never below the
//! last two highs). When a bar's low reaches the long SAR (`low <= sar`) the
//! trade reverses: that bar's SAR is the old `ep` clamped outside the last two
//! bars, `af` resets, `ep` becomes the bar's extreme.
//! Traps (TA-Lib's bootstrap): bar 0 is consumed; the first trade is short if
//! bar 1's −DM1 is positive (its low drop beats its high rise), else long (a
//! tie is long); the first SAR is bar 0's low (long) or high (short), and `ep`
//! is bar 1's high/low. `accel > max` is treated as `accel = max`.
//! TA-Lib fuses the step's multiply-add; we round it once the same way (see
//! `fused`: the hardware instruction on x86_64 with FMA, exact plain
//! arithmetic elsewhere), so the SAR is bit-identical and one landing a
//! rounding error away from a low/high cannot reverse on a different bar.
//! Warm-up: 1 bar. Range: `accel` and `max` in 0..=3e37.
//! Complexity: O(len), no allocation.

use super::fill_nan;
use super::fused::{run_fused, FusedKernel, MulAdd};

pub fn sar_lookback(_accel: f64, _max: f64) -> usize {
    1
}

pub fn sar(high: &[f64], low: &[f64], accel: f64, max: f64, out: &mut [f64]) {
    let n = out.len();
    let valid = 0.0..=3e37;
    if !valid.contains(&accel)
        || !valid.contains(&max)
        || high.len() != n
        || low.len() != n
        || n < 2
    {
        fill_nan(out);
        return;
    }
    run_fused(Sar {
        high,
        low,
        accel,
        max,
        out,
    });
}

/// SAR's validated inputs (`accel`, `max` in range, at least two bars), run
/// by `fused::run_fused` with the fastest exact multiply-add the machine has.
struct Sar<'a> {
    high: &'a [f64],
    low: &'a [f64],
    accel: f64,
    max: f64,
    out: &'a mut [f64],
}

impl FusedKernel for Sar<'_> {
    type Output = ();

    #[inline(always)]
    fn run<M: MulAdd>(self, rounding: M) {
        let Sar {
            high,
            low,
            accel,
            max,
            out,
        } = self;
        out[0] = f64::NAN;
        let accel = accel.min(max);
        let up = high[1] - high[0];
        let down = low[0] - low[1];
        let mut long = !(down > 0.0 && down > up);
        let mut af = accel;
        let (mut ep, mut sar) = if long {
            (high[1], low[0])
        } else {
            (low[1], high[0])
        };
        // The step `sar + af·(ep − sar)` is TA-Lib's fused multiply-add. The
        // product is a small share of the SAR, so the plain sum is the fused one
        // except near a rounding boundary, which `mul_add_small_product` detects
        // off the dependency chain (each SAR feeds the next bar): SAR(0.02,0.2)
        // went from 38.8 to 5.0 ns/bar against TA-Lib's 5.2 (`cargo bench --bench
        // indicators`). The clamps are written as compare-and-pick, TA-Lib's
        // form, which compiles to one max/min instruction where `f64::max` adds a
        // NaN fix-up to the chain; the two bars' bound is taken first, so the
        // chain goes through one of them, not two (max is associative).
        // A new extreme (about one bar in three, at random) grows `af` by `accel`,
        // as a mask rather than a branch: adding 0 leaves `af` (≤ max) unchanged.
        // Branching on it cost the mispredictions that kept SAR behind TA-Lib.
        let grow =
            |extreme: bool| f64::from_bits(accel.to_bits() & 0u64.wrapping_sub(u64::from(extreme)));
        let step = |af: f64, ep: f64, sar: f64| rounding.mul_add_small(af, ep - sar, sar);
        let above = |x: f64, floor: f64| if x < floor { floor } else { x };
        let below = |x: f64, ceil: f64| if x > ceil { ceil } else { x };
        // The first pass compares against bar 1 itself as "yesterday".
        let (mut prev_high, mut prev_low) = (high[1], low[1]);
        let bars = out[1..].iter_mut().zip(&high[1..]).zip(&low[1..]);
        for ((slot, &new_high), &new_low) in bars {
            if long {
                if new_low <= sar {
                    long = false;
                    sar = above(above(ep, prev_high), new_high);
                    *slot = sar;
                    af = accel;
                    ep = new_low;
                    sar = above(step(af, ep, sar), above(prev_high, new_high));
                } else {
                    *slot = sar;
                    af = below(af + grow(new_high > ep), max);
                    ep = above(ep, new_high);
                    sar = below(step(af, ep, sar), below(prev_low, new_low));
                }
            } else if new_high >= sar {
                long = true;
                sar = below(below(ep, prev_low), new_low);
                *slot = sar;
                af = accel;
                ep = new_high;
                sar = below(step(af, ep, sar), below(prev_low, new_low));
            } else {
                *slot = sar;
                af = below(af + grow(new_low < ep), max);
                ep = below(ep, new_low);
                sar = above(step(af, ep, sar), above(prev_high, new_high));
            }
            prev_high = new_high;
            prev_low = new_low;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sar_trails_a_steady_uptrend_below_the_lows() {
        let high: Vec<f64> = (0..10).map(|i| 11.0 + i as f64).collect();
        let low: Vec<f64> = (0..10).map(|i| 10.0 + i as f64).collect();
        let mut out = [0.0; 10];
        sar(&high, &low, 0.02, 0.2, &mut out);
        assert!(out[0].is_nan());
        // Long from bar 1 (its high rose), SAR starts at bar 0's low.
        assert_eq!(out[1], 10.0);
        // bar 2: ep = 12 (bar 1 high), af 0.02: 10 + 0.02·2 = 10.04
        assert!((out[2] - 10.04).abs() < 1e-12);
        for i in 2..10 {
            assert!(out[i] < low[i] && out[i] > out[i - 1], "bar {i}");
        }
    }

    #[test]
    fn sar_reverses_to_the_extreme_point_when_the_low_is_hit() {
        // Rise for three bars, then a bar that crashes through the SAR.
        let high = [11.0, 12.0, 13.0, 14.0, 9.0];
        let low = [10.0, 11.0, 12.0, 13.0, 5.0];
        let mut out = [0.0; 5];
        sar(&high, &low, 0.1, 0.2, &mut out);
        // On the reversal bar the SAR is the long trade's extreme point, 14.
        assert_eq!(out[4], 14.0);
    }

    #[test]
    fn sar_starts_short_when_the_first_low_drop_beats_the_high_rise() {
        let high = [11.0, 10.5, 10.0];
        let low = [10.0, 9.0, 8.5];
        let mut out = [0.0; 3];
        sar(&high, &low, 0.02, 0.2, &mut out);
        // Short: the first SAR is bar 0's high.
        assert_eq!(out[1], 11.0);
    }

    #[test]
    fn sar_starts_long_when_the_first_moves_tie() {
        // bar 1: high up 1, low down 1 → a tie, which TA-Lib calls long.
        let high = [10.0, 11.0, 11.5];
        let low = [9.0, 8.0, 8.5];
        let mut out = [0.0; 3];
        sar(&high, &low, 0.02, 0.2, &mut out);
        // Long: the first SAR is bar 0's low; bar 1's low 8 <= 9 reverses it at once
        // to the long extreme point (bar 1's high 11).
        assert_eq!(out[1], 11.0);
    }

    #[test]
    fn sar_with_negative_or_nan_parameters_is_all_nan() {
        let x = [1.0, 2.0, 3.0];
        for (a, m) in [(-0.01, 0.2), (0.02, -1.0), (f64::NAN, 0.2), (0.02, 1e38)] {
            let mut out = [0.0; 3];
            sar(&x, &x, a, m, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "({a}, {m})");
        }
    }

    #[test]
    fn the_hardware_and_emulated_multiply_adds_give_the_same_bits_on_random_bars() {
        use crate::engine::indicators::fused::{
            assert_same_bits, hardware_path_available, random_bars, run_fused, Emulated,
        };
        use rand::SeedableRng;
        use rand_pcg::Pcg64;
        assert!(!cfg!(target_arch = "x86_64") || hardware_path_available());
        let mut rng = Pcg64::seed_from_u64(9);
        for series in 0..40 {
            let n = 400 + series * 5;
            let [h, l, ..] = random_bars(&mut rng, n, 20.0, 0.01, series % 2 == 0);
            for (accel, max) in [(0.02, 0.2), (0.01, 0.5), (0.3, 0.1)] {
                let (mut hardware, mut emulated) = (vec![0.0; n], vec![0.0; n]);
                let kernel = |out| Sar {
                    high: &h,
                    low: &l,
                    accel,
                    max,
                    out,
                };
                run_fused(kernel(&mut hardware));
                kernel(&mut emulated).run(Emulated);
                assert_same_bits(
                    &hardware,
                    &emulated,
                    &format!("series {series} ({accel},{max})"),
                );
            }
        }
    }
}
