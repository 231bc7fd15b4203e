//! ADOSC, Chaikin A/D oscillator (TA-Lib `ADOSC`): EMA(fast) − EMA(slow) of
//! the A/D line.
//!
//! Formula: `ad` is the A/D line (see `ad.rs`); both EMAs use `k = 2/(p+1)`
//! with TA-Lib's weights (`1-k` taken as `(p-1)/(p+1)`, `k = 1 - that`, so the
//! pair sums to exactly 1) and `ema = (1-k)·ema + k·ad`. Output is
//! `fast − slow` even when `fast > slow`.
//! Trap: unlike plain EMA (seeded by an SMA), *both* EMAs are seeded with the
//! first bar's A/D value and run from bar 1, so the oscillator depends on how
//! much history was loaded. TA-Lib fuses the EMA's multiply-add; we round it
//! once too (see `fused`), bit for bit, because the difference cancels.
//! Warm-up: `max(fast, slow) - 1` bars. Range: both in 2..=100000.
//! Complexity: O(len), no allocation. The per-bar A/D terms (a divide each)
//! are independent, so they are computed a block of 64 at a time into a stack
//! buffer, where they vectorise; only the running sum and the two EMAs form
//! the serial chain. On x86_64 with FMA the EMA step is the hardware
//! multiply-add (TA-Lib's own path); elsewhere `fused::FusedFactor`'s exact
//! emulation (~25 flops per slow-EMA step, ~0.25× TA-Lib natively; EMA(3)'s
//! weight 0.5 multiplies exactly and costs nothing extra).

use super::ad::{money_flow_volume, money_flow_volumes, BLOCK};
use super::fill_nan;
use super::fused::{run_fused, FusedKernel, MulAdd};

pub fn adosc_lookback(fast: usize, slow: usize) -> usize {
    fast.max(slow).saturating_sub(1)
}

pub fn adosc(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    fast: usize,
    slow: usize,
    out: &mut [f64],
) {
    let n = out.len();
    let valid = 2..=100_000;
    if !valid.contains(&fast)
        || !valid.contains(&slow)
        || high.len() != n
        || low.len() != n
        || close.len() != n
        || volume.len() != n
        || n <= adosc_lookback(fast, slow)
    {
        fill_nan(out);
        return;
    }
    run_fused(Adosc {
        high,
        low,
        close,
        volume,
        fast,
        slow,
        out,
    });
}

/// ADOSC's validated inputs, run by `fused::run_fused` with the fastest exact
/// multiply-add the machine has.
struct Adosc<'a> {
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    volume: &'a [f64],
    fast: usize,
    slow: usize,
    out: &'a mut [f64],
}

impl FusedKernel for Adosc<'_> {
    type Output = ();

    #[inline(always)]
    fn run<M: MulAdd>(self, rounding: M) {
        let Adosc {
            high,
            low,
            close,
            volume,
            fast,
            slow,
            out,
        } = self;
        let n = out.len();
        let (fast_keep, fast_k) = weights(fast);
        let (slow_keep, slow_k) = weights(slow);
        let (fast_keep, slow_keep) = (rounding.factor(fast_keep), rounding.factor(slow_keep));
        let mut ad = money_flow_volume(high[0], low[0], close[0], volume[0]);
        let (mut fast_ema, mut slow_ema) = (ad, ad);
        // The divides of a block first (independent, so they vectorise), then
        // the serial chain. With the hardware multiply-add the chain is one
        // `vfmadd` latency per bar (~1.8 ns here), TA-Lib's floor too: ADOSC
        // runs at parity (0.9–1.15× across runs); exact rounding leaves no
        // shorter chain. The block keeps the divider off the chain's path.
        let mut flows = [0.0; BLOCK];
        let mut start = 1;
        while start < n {
            let end = (start + BLOCK).min(n);
            let flows = &mut flows[..end - start];
            money_flow_volumes(
                &high[start..end],
                &low[start..end],
                &close[start..end],
                &volume[start..end],
                flows,
            );
            for (o, &flow) in out[start..end].iter_mut().zip(flows.iter()) {
                ad += flow;
                fast_ema = rounding.mul_add_factor(fast_keep, fast_ema, fast_k * ad);
                slow_ema = rounding.mul_add_factor(slow_keep, slow_ema, slow_k * ad);
                *o = fast_ema - slow_ema;
            }
            start = end;
        }
        fill_nan(&mut out[..adosc_lookback(fast, slow)]);
    }
}

/// TA-Lib's `(1 - k, k)` for an EMA of `period`, built so they sum to exactly 1.
fn weights(period: usize) -> (f64, f64) {
    let mut keep = (period - 1) as f64 / (period + 1) as f64;
    let k = 1.0 - keep;
    if keep < 0.5 {
        keep = 1.0 - k;
    }
    (keep, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::ad::ad;

    /// Two textbook EMAs of the A/D line, both seeded with its first value.
    fn naive(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Vec<f64> {
        let mut line = vec![0.0; c.len()];
        ad(h, l, c, v, &mut line);
        let ema = |p: usize| {
            let k = 2.0 / (p as f64 + 1.0);
            let mut e = line[0];
            let mut out = vec![e];
            for x in &line[1..] {
                e += k * (x - e);
                out.push(e);
            }
            out
        };
        let (f, s) = (ema(fast), ema(slow));
        (0..c.len()).map(|i| f[i] - s[i]).collect()
    }

    #[test]
    fn adosc_is_the_difference_of_two_ad_emas_seeded_on_the_first_bar() {
        let c: Vec<f64> = (0..50)
            .map(|i| 20.0 + (i as f64 * 0.5).sin() * 2.0)
            .collect();
        let h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c + 0.3 + (i % 4) as f64 * 0.2)
            .collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c - 0.2 - (i % 3) as f64 * 0.3)
            .collect();
        let v: Vec<f64> = (0..50).map(|i| 1000.0 + (i * 137 % 500) as f64).collect();
        for (fast, slow) in [(3, 10), (10, 3), (2, 2)] {
            let want = naive(&h, &l, &c, &v, fast, slow);
            let mut out = vec![0.0; 50];
            adosc(&h, &l, &c, &v, fast, slow, &mut out);
            let lb = adosc_lookback(fast, slow);
            assert!(out[..lb].iter().all(|x| x.is_nan()));
            for i in lb..50 {
                assert!((out[i] - want[i]).abs() < 1e-6, "({fast},{slow}) bar {i}");
            }
        }
    }

    #[test]
    fn adosc_with_a_period_below_two_is_all_nan() {
        let x = [1.0; 8];
        let mut out = [0.0; 8];
        adosc(&x, &x, &x, &x, 1, 5, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn the_hardware_and_emulated_multiply_adds_give_the_same_bits_on_random_bars() {
        use crate::engine::indicators::fused::{
            assert_same_bits, hardware_path_available, random_bars, run_fused, Emulated,
        };
        use rand::SeedableRng;
        use rand_pcg::Pcg64;
        assert!(!cfg!(target_arch = "x86_64") || hardware_path_available());
        let mut rng = Pcg64::seed_from_u64(7);
        for series in 0..40 {
            let n = 300 + series * 7;
            let [h, l, c, v] = random_bars(&mut rng, n, 50.0, 0.02, series % 2 == 0);
            for (fast, slow) in [(3, 10), (10, 3), (2, 2), (7, 61)] {
                let (mut hardware, mut emulated) = (vec![0.0; n], vec![0.0; n]);
                let kernel = |out| Adosc {
                    high: &h,
                    low: &l,
                    close: &c,
                    volume: &v,
                    fast,
                    slow,
                    out,
                };
                run_fused(kernel(&mut hardware));
                kernel(&mut emulated).run(Emulated);
                assert_same_bits(
                    &hardware,
                    &emulated,
                    &format!("series {series} ({fast},{slow})"),
                );
            }
        }
    }
}
