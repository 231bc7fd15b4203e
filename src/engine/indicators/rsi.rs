//! RSI, relative strength index (TA-Lib `RSI`), Wilder smoothing.
//!
//! Formula: average gain `g` and loss `l` are the means of the first `n`
//! changes, then `g = (g·(n-1) + gain) · (1/n)` (same for `l`; computed four
//! bars per step as `β·g + α·gain`, within 1e-9 of TA-Lib's rounding);
//! `rsi = 100·g / (g + l)`.
//! Warm-up: `n` bars. Depends on how much history was loaded.
//! Range: `n` in 2..=100000. Complexity: O(len), no allocation.
//!
//! Definitional trap: the zero test is exact, not TA-Lib C's old 1e-8 band.
//! When `g + l == 0` (no change at all since the seed, e.g. a flat start) the
//! answer is the neutral 50, not 0; a tiny but non-zero total (sub-cent quotes)
//! still divides. This is what the `ta-lib` oracle does (its issues #253, #480).

use super::fill_nan;
use super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel};
use super::select::{max0, share_pct, share_pct2};

pub fn rsi_lookback(period: usize) -> usize {
    period
}

pub fn rsi(src: &[f64], period: usize, out: &mut [f64]) {
    wilder_rsi::<true>(src, period, out);
}

/// RSI with TA-Lib's own rounding of every step, `(g·(n−1) + x)·(1/n)`: for
/// STOCHRSI, whose stochastic of the RSI over a narrow range magnifies the
/// last bits of the four-bar form past 1e-9 (STOCHRSI(100,50,5) on a violent
/// series was off by 2e-9 relative).
pub(crate) fn rsi_stepwise(src: &[f64], period: usize, out: &mut [f64]) {
    wilder_rsi::<false>(src, period, out);
}

#[inline(always)]
fn wilder_rsi<const FOUR: bool>(src: &[f64], period: usize, out: &mut [f64]) {
    if !(2..=100_000).contains(&period) || src.len() <= period || out.len() != src.len() {
        fill_nan(out);
        return;
    }
    fill_nan(&mut out[..period]);
    // Multiplying by a hoisted 1/n (rather than dividing) is TA-Lib's rounding.
    let inv = 1.0 / period as f64;
    let n1 = (period - 1) as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for w in src[..=period].windows(2) {
        let (up, down) = split(w[1] - w[0]);
        gain += up;
        loss += down;
    }
    gain *= inv;
    loss *= inv;
    out[period] = ratio(gain, loss);
    // Four bars per step (`Steps`, `g = β·g + α·gain` with β = (n−1)/n,
    // α = 1/n: a different rounding of TA-Lib's `(g·(n−1) + x)·(1/n)`,
    // within 1e-9): the chain waits for one multiply and one add per four
    // bars instead of two multiplies and an add per bar; the last few bars
    // as one more padded step. Only the warm-up marked undefined, not
    // the whole column first.
    let (alpha, beta) = (inv, n1 * inv);
    let outs = &mut out[period + 1..];
    let changes = &src[period..];
    if !FOUR {
        // Two bars per ratio call: in wasm one two-lane divide for both.
        let pairs = outs.len() / 2 * 2;
        let (out2, out1) = outs.split_at_mut(pairs);
        for (o, w) in out2.chunks_exact_mut(2).zip(changes.windows(3).step_by(2)) {
            let (u0, d0) = split(w[1] - w[0]);
            let (u1, d1) = split(w[2] - w[1]);
            let (g0, l0) = ((gain * n1 + u0) * inv, (loss * n1 + d0) * inv);
            (gain, loss) = ((g0 * n1 + u1) * inv, (l0 * n1 + d1) * inv);
            o.copy_from_slice(&share_pct2([g0, gain], [l0, loss], 50.0));
        }
        for (o, w) in out1.iter_mut().zip(changes[pairs..].windows(2)) {
            let (up, down) = split(w[1] - w[0]);
            gain = (gain * n1 + up) * inv;
            loss = (loss * n1 + down) * inv;
            *o = ratio(gain, loss);
        }
        return;
    }
    let whole = outs.len() / 4 * 4;
    let (out4, out1) = outs.split_at_mut(whole);
    (gain, loss) = run_lanes(Steps {
        changes: &changes[..=whole],
        out: out4,
        averages: (gain, loss),
        weights: (alpha, beta),
    });
    if !out1.is_empty() {
        // The last one to three bars as one more step, its missing bars
        // repeating the last price (no change): a lane reads only the lanes
        // before it, so each bar gets the bits it gets inside a whole step,
        // and a bar's value never depends on how many bars follow it (the
        // backtest reads bar t of the whole series as the scan on bars
        // 0..=t would).
        let last = changes[changes.len() - 1];
        let mut tail = [last; 5];
        tail[..=out1.len()].copy_from_slice(&changes[whole..]);
        let mut four = [0.0; 4];
        run_lanes(Steps {
            changes: &tail,
            out: &mut four,
            averages: (gain, loss),
            weights: (alpha, beta),
        });
        out1.copy_from_slice(&four[..out1.len()]);
    }
}

/// RSI four bars a step in lanes (AVX2 where there is AVX2): the changes,
/// their gains and losses, the two averages (`lanes::EmaStep`, one multiply
/// and one add per four bars on each chain) and the four ratios (one
/// divide for four). As scalar code with a select per ratio, natively each
/// ratio's divide stayed a scalar `divsd` and RSI(14) ran at 0.91× TA-Lib.
struct Steps<'a> {
    /// The prices from the bar before the first output's (one more than
    /// `out`, whose length is a multiple of 4).
    changes: &'a [f64],
    out: &'a mut [f64],
    /// The average gain and loss before the first output.
    averages: (f64, f64),
    /// `(α, β)`: `1/n` and `(n−1)/n`.
    weights: (f64, f64),
}

impl LanesKernel for Steps<'_> {
    /// The average gain and loss after the last output.
    type Output = (f64, f64);

    #[inline(always)]
    fn run<L: Lanes>(self, l: L) -> (f64, f64) {
        let Steps {
            changes,
            out,
            averages,
            weights: (alpha, beta),
        } = self;
        let wilder = EmaStep::new(l, alpha, beta);
        let (zero, fifty, hundred) = (l.splat(0.0), l.splat(50.0), l.splat(100.0));
        let (mut gain, mut loss) = (l.splat(averages.0), l.splat(averages.1));
        let four = |at: usize| -> &[f64; 4] { changes[at..at + 4].try_into().expect("four bars") };
        for (k, o) in out.as_chunks_mut::<4>().0.iter_mut().enumerate() {
            let change = l.sub(l.load(four(4 * k + 1)), l.load(four(4 * k)));
            // `split`: the gain `max0(change)`, the loss `gain − change` (exact).
            let up = l.max(zero, change);
            let down = l.sub(up, change);
            let gains = wilder.step_short(l, up, &mut gain);
            let losses = wilder.step_short(l, down, &mut loss);
            // `ratio`: 100·g/(g + l) where `g + l > 0`, else (0 or NaN) 50.
            let total = l.add(gains, losses);
            let share = l.mul(hundred, l.div(gains, total));
            let positive = l.select_le(zero, total, share, fifty);
            l.store(l.select_le(total, zero, fifty, positive), o);
        }
        // `step_short` leaves the last average in every lane.
        let (mut g, mut lo) = ([0.0; 4], [0.0; 4]);
        l.store(gain, &mut g);
        l.store(loss, &mut lo);
        (g[3], lo[3])
    }
}

/// A change as (gain, loss), both non-negative.
#[inline(always)]
fn split(change: f64) -> (f64, f64) {
    // TA-Lib's form: the loss as `gain − change` is exact (one of the two is
    // the change, the other 0) and needs no second test.
    // Branch-free in wasm too (`select`): the sign of a price move is a coin
    // toss that a jump mispredicts.
    let up = max0(change);
    (up, up - change)
}

#[inline(always)]
fn ratio(gain: f64, loss: f64) -> f64 {
    share_pct(gain, loss, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_the_share_of_gains_in_the_first_period() {
        // Changes +2, -1, +3: gains 5, losses 1 → 100·5/6.
        let src = [10.0, 12.0, 11.0, 14.0];
        let mut out = [0.0; 4];
        rsi(&src, 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert!((out[3] - 500.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn later_values_follow_wilder_smoothing() {
        let src = [10.0, 12.0, 11.0, 14.0, 13.0];
        let mut out = [0.0; 5];
        rsi(&src, 3, &mut out);
        let (g, l) = ((5.0 / 3.0) * 2.0 / 3.0, ((1.0 / 3.0) * 2.0 + 1.0) / 3.0);
        assert!((out[4] - 100.0 * g / (g + l)).abs() < 1e-12);
    }

    #[test]
    fn flat_series_is_neutral_and_tiny_quotes_still_divide() {
        let mut out = [0.0; 6];
        rsi(&[5.0; 6], 2, &mut out);
        assert_eq!(out[2..], [50.0; 4]);
        rsi(&[1e-9, 2e-9, 1.5e-9, 3e-9, 3e-9, 2e-9], 2, &mut out);
        assert!((out[2] - 100.0 / 1.5).abs() < 1e-9);
    }

    #[test]
    fn four_bar_steps_agree_with_the_stepwise_form_through_flats_and_a_nan() {
        // A flat opening (no move: 50), waves, a NaN bar (after it both forms
        // give 50: the NaN stays in the averages, and a NaN total takes the
        // neutral value), on lengths that end in every partial step.
        for len in 60..68 {
            let mut src: Vec<f64> = (0..len)
                .map(|i| {
                    if i < 20 {
                        30.0
                    } else {
                        30.0 + (i as f64 * 0.9).sin() * 2.0
                    }
                })
                .collect();
            let period = 5;
            let (mut four, mut stepwise) = (vec![0.0; len], vec![0.0; len]);
            rsi(&src, period, &mut four);
            rsi_stepwise(&src, period, &mut stepwise);
            for i in period..len {
                if i < 20 {
                    assert_eq!(four[i], 50.0, "flat, bar {i}");
                }
                assert!((four[i] - stepwise[i]).abs() < 1e-9, "len {len} bar {i}");
            }
            src[41] = f64::NAN;
            rsi(&src, period, &mut four);
            rsi_stepwise(&src, period, &mut stepwise);
            for i in period..len {
                let same = (four[i] - stepwise[i]).abs() < 1e-9
                    || four[i].to_bits() == stepwise[i].to_bits();
                assert!(
                    same,
                    "with a NaN, len {len} bar {i}: {} vs {}",
                    four[i], stepwise[i]
                );
            }
        }
    }

    #[test]
    fn bad_period_or_short_input_gives_all_nan() {
        let mut out = [0.0; 4];
        for period in [0, 1, 4, 100_001] {
            rsi(&[1.0, 2.0, 3.0, 4.0], period, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "period {period}");
        }
    }
}
