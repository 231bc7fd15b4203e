//! KAMA, Kaufman adaptive moving average (TA-Lib `KAMA`).
//!
//! Formula: over the last `n` bars, `change = src[i] - src[i-n]` and
//! `path = Σ |src[j] - src[j-1]|` (the n one-bar moves); efficiency
//! `er = |change / path|`, taken as 1 when `path <= 0` or `path <= change`,
//! and clamped to 1; `sc = (er·(2/3 - 2/31) + 2/31)²`;
//! `kama[i] = kama[i-1] + sc·(src[i] - kama[i-1])`, started from
//! `kama[n-1] = src[n-1]` (the bar before the first output).
//! Traps (TA-Lib 0.6): `path` is a running sum (drop the old move, add the
//! new), so after `n` consecutive exactly-zero moves it is reset to 0 and `er`
//! is 1 rather than a ratio of rounding residue. `n == 1` copies the input.
//! Bits: TA-Lib's, bit for bit. Its two multiply-adds (`sc`'s root and the
//! recursion) round once, as TA-Lib's do: the CPU's FMA where there is one,
//! `fused`'s exact emulation elsewhere (wasm), the same bits either way
//! (`fused::run_fused`). The path's own bits matter: after a huge print
//! leaves the window, the running sum keeps a residue that is large next to
//! the path, and the output follows it (the oracle checks that case).
//! Speed: the recursion's chain (a subtract and a multiply-add a bar) sets
//! the pace for both, so this is level with TA-Lib natively (0.97–0.98×,
//! from 0.85–0.92× unfused); reformulations that shorten the chain (the lag
//! `kama − src` as `g = a·g + c`, four-bar steps in `lanes`) add more work a
//! bar than they save and ran at 0.74–0.93×. In wasm the emulated
//! multiply-adds cost more than the plain arithmetic did.
//! Warm-up: `n` bars (0 for `n == 1`). Range: `n` in 1..=100000.
//! Complexity: O(len), no allocation.

use super::fill_nan;
use super::fused::{run_fused, FusedKernel, MulAdd};

/// Index of the first valid KAMA output: `period` (0 for period 1).
pub fn kama_lookback(period: usize) -> usize {
    if period == 1 {
        0
    } else {
        period
    }
}

/// Kaufman adaptive moving average of `src` with an efficiency window of `period` bars.
pub fn kama(src: &[f64], period: usize, out: &mut [f64]) {
    if !(1..=100_000).contains(&period) || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    if period == 1 {
        out.copy_from_slice(src);
        return;
    }
    if src.len() <= period {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    run_fused(Kama { src, period, out });
}

/// KAMA's validated inputs (`2 <= period < src.len() == out.len()`), run by
/// `fused::run_fused` with the fastest exact multiply-add the machine has.
struct Kama<'a> {
    src: &'a [f64],
    period: usize,
    out: &'a mut [f64],
}

impl FusedKernel for Kama<'_> {
    type Output = ();

    /// TA-Lib's loop, its two multiply-adds rounded once as TA-Lib's are
    /// (`er·(2/3 − 2/31) + 2/31`, a constant factor, and
    /// `(src − kama)·sc + kama`, a product well below the addend almost
    /// always), so the values are TA-Lib's bit for bit. Unfused, the
    /// recursion waited on a subtract, a multiply and an add a bar where
    /// TA-Lib's waits on a subtract and one multiply-add (KAMA(30) at
    /// 0.85–0.92× TA-Lib).
    #[inline(always)]
    fn run<M: MulAdd>(self, rounding: M) {
        let Kama { src, period, out } = self;
        let slowest = 2.0 / (30.0 + 1.0);
        let span = rounding.factor(2.0 / (2.0 + 1.0) - slowest);
        let smoothing = |er: f64| {
            let c = rounding.mul_add_factor(span, er, slowest);
            c * c
        };

        let mut path = 0.0;
        let mut flat_run = 0usize;
        for j in 1..=period {
            let step = (src[j] - src[j - 1]).abs();
            path += step;
            flat_run = if step <= 0.0 { flat_run + 1 } else { 0 };
        }
        let mut value = src[period - 1];
        let er = efficiency(src[period] - src[0], path);
        value = rounding.mul_add_small(src[period] - value, smoothing(er), value);
        out[period] = value;

        for i in period + 1..src.len() {
            let change = src[i] - src[i - period];
            path -= (src[i - period] - src[i - period - 1]).abs();
            let step = (src[i] - src[i - 1]).abs();
            path += step;
            flat_run = if step <= 0.0 { flat_run + 1 } else { 0 };
            let er = if flat_run >= period {
                // A whole window of exactly-zero moves: the path is exactly 0,
                // whatever residue the running sum still carries.
                flat_run = period;
                path = 0.0;
                1.0
            } else {
                efficiency(change, path)
            };
            value = rounding.mul_add_small(src[i] - value, smoothing(er), value);
            out[i] = value;
        }
    }
}

/// Kaufman's efficiency ratio with TA-Lib's guards.
#[inline(always)]
fn efficiency(change: f64, path: f64) -> f64 {
    if path <= 0.0 || path <= change {
        1.0
    } else {
        (change / path).abs().min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition: recompute the path of each window from scratch.
    fn naive(src: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; src.len()];
        let mut prev = src[n - 1];
        for i in n..src.len() {
            let change = src[i] - src[i - n];
            let path: f64 = (i + 1 - n..=i).map(|j| (src[j] - src[j - 1]).abs()).sum();
            let er = if path <= 0.0 || path <= change {
                1.0
            } else {
                (change / path).abs().min(1.0)
            };
            let sc = (er * (2.0 / 3.0 - 2.0 / 31.0) + 2.0 / 31.0).powi(2);
            prev += sc * (src[i] - prev);
            out[i] = prev;
        }
        out
    }

    #[test]
    fn kama_matches_a_from_scratch_efficiency_ratio() {
        let src: Vec<f64> = (0..200)
            .map(|i| 100.0 + ((i * 29) % 31) as f64 * 0.4 + i as f64 * 0.1)
            .collect();
        for n in [2, 10, 30] {
            let mut out = vec![0.0; src.len()];
            kama(&src, n, &mut out);
            let want = naive(&src, n);
            assert!(out[..n].iter().all(|v| v.is_nan()));
            for i in n..src.len() {
                assert!((out[i] - want[i]).abs() < 1e-9, "n {n} bar {i}");
            }
        }
    }

    #[test]
    fn the_hardware_and_emulated_multiply_adds_give_the_same_bits() {
        use crate::engine::indicators::fused::{
            assert_same_bits, hardware_path_available, random_bars, Emulated,
        };
        use crate::engine::indicators::sma::tests::long_series;
        use rand::SeedableRng;
        use rand_pcg::Pcg64;
        assert!(!cfg!(target_arch = "x86_64") || hardware_path_available());
        let mut rng = Pcg64::seed_from_u64(31);
        for series in 0..24 {
            let n = 300 + series * 7;
            let [.., close, _] = random_bars(&mut rng, n, 20.0, 0.01, series % 2 == 0);
            // And a series crossing zero, where the product is not small.
            let crossing = long_series(n, series as u64, true);
            for src in [&close, &crossing] {
                for period in [2, 3, 10, 30] {
                    let (mut hardware, mut emulated) = (vec![0.0; n], vec![0.0; n]);
                    kama(src, period, &mut hardware);
                    emulated[..period].fill(f64::NAN);
                    Kama {
                        src,
                        period,
                        out: &mut emulated,
                    }
                    .run(Emulated);
                    assert_same_bits(&hardware, &emulated, &format!("series {series} n {period}"));
                }
            }
        }
    }

    #[test]
    fn kama_is_the_oracles_bit_for_bit_huge_print_included() {
        use crate::engine::indicators::sma::tests::long_series;
        let core = ta_lib::Core::new();
        let mut prices = long_series(3000, 8, false);
        prices[1200] *= 1e6;
        for src in [prices, long_series(3000, 9, true)] {
            for period in [2, 3, 10, 30] {
                let mut ours = vec![0.0; src.len()];
                kama(&src, period, &mut ours);
                let mut theirs = vec![0.0; src.len()];
                let r = core
                    .kama(0, src.len() - 1, &src, period as i32, &mut theirs)
                    .unwrap();
                assert_eq!(r.beg_idx, period);
                for k in 0..r.count {
                    let (o, t) = (ours[period + k], theirs[k]);
                    assert_eq!(
                        o.to_bits(),
                        t.to_bits(),
                        "n {period} bar {}: {o} vs {t}",
                        period + k
                    );
                }
            }
        }
    }

    #[test]
    fn kama_on_a_flat_series_stays_on_the_level() {
        let src = [42.0; 100];
        let mut out = [0.0; 100];
        kama(&src, 10, &mut out);
        assert!(out[10..].iter().all(|&v| v == 42.0));
    }
}
