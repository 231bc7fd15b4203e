//! Directional movement: ADX, +DI, −DI (TA-Lib `ADX`, `PLUS_DI`, `MINUS_DI`),
//! Wilder smoothing.
//!
//! Formula: per bar, `up = high - prev high`, `down = prev low - low`;
//! +DM1 = `up` when `up > down` and `up > 0`, else 0 (−DM1 mirrored; a tie
//! gives both 0); TR1 = true range. The period sums (+DM, −DM, TR) are seeded
//! by the plain *sum* of the first `n - 1` bars (1..n-1, not n bars), then
//! every bar from `n` on takes a Wilder step `s = s - s/n + x` (TA-Lib writes
//! `s - s·(1/n) + x`; we take `s·(1 − 1/n) + x`). `+DI = 100·(+DM / TR)`, 0 when TR is
//! exactly 0. `DX = 100·|−DI − +DI| / (−DI + +DI)` (computed from the sums,
//! `100·|−DM − +DM| / (−DM + +DM)`: TR cancels); ADX's seed is the mean of
//! the DX of bars n..=2n-1 (a bar whose TR is 0 or whose DI sum is below
//! 1e-14 adds nothing), then `adx = adx - (adx - dx)/n` (computed as
//! `adx·(1 − 1/n) + dx·(1/n)`, as the sums take `s·(1 − 1/n) + x`: shorter
//! chains, a few ulps from TA-Lib's), and such a bar leaves `adx` unchanged.
//! Traps: DI(1) is TA-Lib's special case `up / TR1` — a ratio, *not* times 100.
//! Warm-up: `n` bars for ±DI (1 for n = 1), `2n - 1` for ADX. Depends on how
//! much history was loaded.
//! Range: `n` in 1..=100000 for ±DI, 2..=100000 for ADX.
//! Complexity: O(len), no allocation.
//!
//! Data flow: `sums.rs` turns the bars into the smoothed +DM, −DM and TR sums,
//! a 64-bar block at a time; here each block becomes ±DI, ADX or all three
//! (the `SumsSink`s `Di`, `Adx`, `Dmi`).

mod sums;

use super::fill_nan;
use super::lanes::{EmaStep, Lanes};
use super::trange::true_range;
use sums::{movement, smoothed_movement, Sums, SumsSink, SUMS_BLOCK};

pub fn adx_lookback(period: usize) -> usize {
    (2 * period).saturating_sub(1)
}

pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if !(2..=100_000).contains(&period) || !same_len(high, low, close, out) {
        return;
    }
    let lookback = adx_lookback(period);
    if out.len() <= lookback {
        return;
    }
    smoothed_movement(high, low, close, period, Adx::new(period, out));
}

pub fn plus_di_lookback(period: usize) -> usize {
    period
}

pub fn plus_di(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    directional_indicator(high, low, close, period, Side::Plus, out);
}

pub fn minus_di_lookback(period: usize) -> usize {
    period
}

pub fn minus_di(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    directional_indicator(high, low, close, period, Side::Minus, out);
}

/// +DI, −DI and ADX of one period in one pass: the three columns the
/// separate kernels give, bit for bit, for a scan that wants the family.
/// Columns of unequal length or a period outside 2..=100000 leave all three
/// `NaN`. Complexity: O(len), no allocation; one walk over the bars where
/// the separate kernels (and TA-Lib's functions) take three, each computing
/// the same true range and directional movement.
#[allow(clippy::too_many_arguments)]
pub fn dmi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    plus_di: &mut [f64],
    minus_di: &mut [f64],
    adx: &mut [f64],
) {
    let len = plus_di.len();
    if !(2..=100_000).contains(&period)
        || !same_len(high, low, close, plus_di)
        || minus_di.len() != len
        || adx.len() != len
        || len <= period
    {
        for column in [plus_di, minus_di, adx] {
            fill_nan(column);
        }
        return;
    }
    let lookback = adx_lookback(period);
    fill_nan(&mut plus_di[..period]);
    fill_nan(&mut minus_di[..period]);
    fill_nan(&mut adx[..lookback.min(len)]);
    smoothed_movement(
        high,
        low,
        close,
        period,
        Dmi {
            plus_di,
            minus_di,
            adx: Adx::new(period, adx),
        },
    );
}

/// +DI (`PLUS`) or −DI into `out`.
struct Di<'a, const PLUS: bool> {
    out: &'a mut [f64],
}

impl<const PLUS: bool> SumsSink for Di<'_, PLUS> {
    const PLUS_DM: bool = PLUS;
    const MINUS_DM: bool = !PLUS;

    #[inline(always)]
    fn block<L: Lanes>(&mut self, _lanes: L, first: usize, sums: &Sums) {
        let dm = if PLUS { &sums.plus } else { &sums.minus };
        di_block(dm, &sums.tr, &mut self.out[first..first + sums.len]);
    }
}

/// ADX into `out`: DX summed until the lookback bar, their mean there, then
/// Wilder steps.
struct Adx<'a> {
    lookback: usize,
    /// The period, `1 − 1/n` and `1/n`.
    n: f64,
    keep: f64,
    inv: f64,
    sum_dx: f64,
    adx: f64,
    dxs: [f64; SUMS_BLOCK],
    out: &'a mut [f64],
}

impl<'a> Adx<'a> {
    fn new(period: usize, out: &'a mut [f64]) -> Self {
        let n = period as f64;
        let inv = 1.0 / n;
        Adx {
            lookback: adx_lookback(period),
            n,
            // `adx·(1 − 1/n) + dx/n`: a multiply and an add on the chain, where
            // `adx − (adx − dx)/n` waits for three operations (within 1e-9).
            keep: 1.0 - inv,
            inv,
            sum_dx: 0.0,
            adx: 0.0,
            dxs: [0.0; SUMS_BLOCK],
            out,
        }
    }
}

impl SumsSink for Adx<'_> {
    /// The block's DX values first (`dx_block`, vectorised), then the chain:
    /// four bars at a time (`lanes::EmaStep`, one multiply and one add per
    /// four bars on the chain; a few ulps from TA-Lib's bar by bar steps),
    /// fewer where a bar does not count or the block ends. The chain's values stay in
    /// registers (through `self` they went to memory and back every bar).
    #[inline(always)]
    fn block<L: Lanes>(&mut self, lanes: L, first: usize, sums: &Sums) {
        let dxs = dx_block(sums, &mut self.dxs);
        let (lookback, n, keep, inv) = (self.lookback, self.n, self.keep, self.inv);
        let (mut sum_dx, mut adx) = (self.sum_dx, self.adx);
        let out = &mut self.out[first..first + sums.len];
        let wilder = EmaStep::new(lanes, inv, keep);
        // `adx` in every lane, or stale after a bar by bar step.
        let mut before = lanes.splat(adx);
        let mut in_step = true;
        let mut q = 0;
        while q < dxs.len() {
            let i = first + q;
            if i > lookback {
                // The counting bars from here, at most four (`!=`, not
                // `>= 0`: a NaN DX, from infinite prices, counts, as it did in
                // TA-Lib's form), in one step; fewer than four (a bar that
                // does not count, or the end of the block) in a step whose
                // later lanes are dropped. A lane reads only the lanes before
                // it, and no test looks past the bar it decides, so a bar's
                // value never depends on the bars after it (the backtest
                // reads bar t of the whole series as the scan on bars 0..=t).
                if q + 4 <= dxs.len() && dxs[q..q + 4].iter().all(|&dx| dx != NO_DX) {
                    if !in_step {
                        before = lanes.splat(adx);
                    }
                    let x: &[f64; 4] = dxs[q..q + 4].try_into().expect("four bars");
                    let o: &mut [f64; 4] = (&mut out[q..q + 4]).try_into().expect("four bars");
                    lanes.store(wilder.step_short(lanes, lanes.load(x), &mut before), o);
                    (adx, in_step) = (o[3], true);
                    q += 4;
                    continue;
                }
                let m = dxs[q..]
                    .iter()
                    .take(4)
                    .take_while(|&&dx| dx != NO_DX)
                    .count();
                if m == 0 {
                    out[q] = adx;
                    in_step = false;
                    q += 1;
                    continue;
                }
                if !in_step {
                    before = lanes.splat(adx);
                }
                let mut x = [0.0; 4];
                x[..m].copy_from_slice(&dxs[q..q + m]);
                let mut o = [0.0; 4];
                lanes.store(
                    wilder.step_short(lanes, lanes.load(&x), &mut before),
                    &mut o,
                );
                out[q..q + m].copy_from_slice(&o[..m]);
                (adx, in_step) = (o[m - 1], false);
                q += m;
                continue;
            }
            let dx = dxs[q];
            sum_dx += if dx != NO_DX { dx } else { 0.0 };
            if i == lookback {
                adx = sum_dx / n;
                out[q] = adx;
            }
            in_step = false;
            q += 1;
        }
        (self.sum_dx, self.adx) = (sum_dx, adx);
    }
}

/// +DI, −DI and ADX (as `Di` and `Adx` compute them).
struct Dmi<'a> {
    plus_di: &'a mut [f64],
    minus_di: &'a mut [f64],
    adx: Adx<'a>,
}

impl SumsSink for Dmi<'_> {
    #[inline(always)]
    fn block<L: Lanes>(&mut self, lanes: L, first: usize, sums: &Sums) {
        let bars = first..first + sums.len;
        di_block(&sums.plus, &sums.tr, &mut self.plus_di[bars.clone()]);
        di_block(&sums.minus, &sums.tr, &mut self.minus_di[bars]);
        self.adx.block(lanes, first, sums);
    }
}

/// Each bar's DX from a block's smoothed sums (into `out`, returned as long
/// as the block), `100·|−DM − +DM| / (−DM + +DM)`:
/// TA-Lib's `100·|−DI − +DI| / (−DI + +DI)` with the `100/TR` of both DIs
/// cancelled, one divide where TA-Lib takes three (ADX was bound by them),
/// a few ulps from TA-Lib's DX (ADX stays within the oracle's 1e-9). `NO_DX`
/// where TR is 0 or the DI sum `100·(−DM + +DM)/TR` is below 1e-14 (TA-Lib's
/// zero test, here without the divide; the DMs are never negative).
/// Every divide is taken and the failed tests select `NO_DX` after, so the
/// loop has no branch around a divide.
#[inline(always)]
fn dx_block<'a>(sums: &Sums, out: &'a mut [f64; SUMS_BLOCK]) -> &'a [f64] {
    let out = &mut out[..sums.len];
    let bars = sums.plus.iter().zip(&sums.minus).zip(&sums.tr);
    for (o, ((&plus, &minus), &tr)) in out.iter_mut().zip(bars) {
        let sum = minus + plus;
        let dx = 100.0 * ((minus - plus).abs() / sum);
        // `&`, not `&&`: both tests taken, so the select has no branch.
        *o = if (tr > 0.0) & (100.0 * sum >= 1e-14 * tr) {
            dx
        } else {
            NO_DX
        };
    }
    out
}

/// `100·(dm / tr)`, 0 where `tr` is not above 0, for each bar of a block
/// (`out` as long as the block): the divide taken whatever `tr` and the
/// zero selected after, so the loop vectorises (a branch around the divide
/// kept LLVM to one scalar `divsd` a bar, which set ±DI's pace).
#[inline(always)]
fn di_block(dm: &[f64; SUMS_BLOCK], tr: &[f64; SUMS_BLOCK], out: &mut [f64]) {
    for ((o, &dm), &tr) in out.iter_mut().zip(dm).zip(tr) {
        let di = 100.0 * (dm / tr);
        *o = if tr > 0.0 { di } else { 0.0 };
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Plus,
    Minus,
}

fn same_len(high: &[f64], low: &[f64], close: &[f64], out: &[f64]) -> bool {
    high.len() == out.len() && low.len() == out.len() && close.len() == out.len()
}

fn directional_indicator(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    side: Side,
    out: &mut [f64],
) {
    fill_nan(out);
    if !(1..=100_000).contains(&period) || !same_len(high, low, close, out) || out.len() <= period {
        return;
    }
    if period == 1 {
        // TA-Lib's unsmoothed case: the one-bar move over the true range, no ×100.
        for i in 1..out.len() {
            let (plus, minus) = movement(high[i] - high[i - 1], low[i - 1] - low[i]);
            let dm = if side == Side::Plus { plus } else { minus };
            let tr = true_range(high[i], low[i], close[i - 1]);
            out[i] = if dm > 0.0 && tr > 0.0 { dm / tr } else { 0.0 };
        }
        return;
    }
    match side {
        Side::Plus => smoothed_movement(high, low, close, period, Di::<true> { out }),
        Side::Minus => smoothed_movement(high, low, close, period, Di::<false> { out }),
    }
}

/// A bar's DX when it adds nothing to ADX (TR 0 or the DI sum below 1e-14):
/// a real DX is never negative.
const NO_DX: f64 = -1.0;

#[cfg(test)]
mod tests {
    use super::*;

    /// Textbook Wilder DMI: sums, then `s·(n-1)/n + x`, as written in TA-Lib's
    /// own comments, computed with plain loops.
    fn naive(h: &[f64], l: &[f64], c: &[f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let len = c.len();
        let (mut p, mut m, mut t) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        for i in 1..len {
            let up = h[i] - h[i - 1];
            let down = l[i - 1] - l[i];
            p[i] = if up > down && up > 0.0 { up } else { 0.0 };
            m[i] = if down > up && down > 0.0 { down } else { 0.0 };
            t[i] = (h[i] - l[i])
                .max((h[i] - c[i - 1]).abs())
                .max((l[i] - c[i - 1]).abs());
        }
        let nf = n as f64;
        let (mut sp, mut sm, mut st) = (0.0, 0.0, 0.0);
        let (mut pdi, mut mdi, mut dx) = (vec![f64::NAN; len], vec![f64::NAN; len], vec![0.0; len]);
        for i in 1..len {
            if i < n {
                sp += p[i];
                sm += m[i];
                st += t[i];
                continue;
            }
            sp = sp * (nf - 1.0) / nf + p[i];
            sm = sm * (nf - 1.0) / nf + m[i];
            st = st * (nf - 1.0) / nf + t[i];
            pdi[i] = 100.0 * sp / st;
            mdi[i] = 100.0 * sm / st;
            dx[i] = 100.0 * (pdi[i] - mdi[i]).abs() / (pdi[i] + mdi[i]);
        }
        let mut adx = vec![f64::NAN; len];
        let mut a = dx[n..2 * n].iter().sum::<f64>() / nf;
        adx[2 * n - 1] = a;
        for i in 2 * n..len {
            a = (a * (nf - 1.0) + dx[i]) / nf;
            adx[i] = a;
        }
        (pdi, mdi, adx)
    }

    fn bars() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let c: Vec<f64> = (0..60)
            .map(|i| 100.0 + i as f64 * 0.3 + (i as f64 * 0.9).sin() * 3.0)
            .collect();
        let h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c + 1.0 + (i % 3) as f64 * 0.4)
            .collect();
        let l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c - 1.0 - (i % 5) as f64 * 0.3)
            .collect();
        (h, l, c)
    }

    #[test]
    fn dmi_matches_a_textbook_wilder_computation() {
        let (h, l, c) = bars();
        let n = 6;
        let (want_p, want_m, want_adx) = naive(&h, &l, &c, n);
        let (mut p, mut m, mut a) = (vec![0.0; 60], vec![0.0; 60], vec![0.0; 60]);
        plus_di(&h, &l, &c, n, &mut p);
        minus_di(&h, &l, &c, n, &mut m);
        adx(&h, &l, &c, n, &mut a);
        assert!(p[..n].iter().chain(&m[..n]).all(|v| v.is_nan()));
        assert!(a[..2 * n - 1].iter().all(|v| v.is_nan()));
        for i in n..60 {
            assert!((p[i] - want_p[i]).abs() < 1e-9, "+DI bar {i}");
            assert!((m[i] - want_m[i]).abs() < 1e-9, "-DI bar {i}");
        }
        for i in 2 * n - 1..60 {
            assert!((a[i] - want_adx[i]).abs() < 1e-9, "ADX bar {i}");
        }
    }

    #[test]
    fn adx_holds_through_bars_without_a_dx_and_steps_on_after_them() {
        // 150 bars of the same range (TR > 0, no move: no DX, ADX holds), a
        // flat patch (TR 0 too) and then 400 wavy bars: ADX switches from
        // bar by bar to four-bar steps mid-block, over several blocks.
        let mut h = vec![11.0; 150];
        let mut l = vec![9.0; 150];
        let mut c = vec![10.0; 150];
        h.extend([10.0; 7]);
        l.extend([10.0; 7]);
        c.extend([10.0; 7]);
        for i in 0..400 {
            let mid = 10.0 + (i as f64 * 0.37).sin() * 2.0 + i as f64 * 0.01;
            h.push(mid + 0.5 + (i % 4) as f64 * 0.2);
            l.push(mid - 0.5 - (i % 3) as f64 * 0.2);
            c.push(mid + ((i % 5) as f64 - 2.0) * 0.1);
        }
        let len = c.len();
        for n in [3, 6, 14] {
            let (pdi, mdi, _) = naive(&h, &l, &c, n);
            // TA-Lib's rule: a bar whose DI sum is below 1e-14 (or whose TR
            // sum is 0, where the DIs are 0 here) has no DX and leaves ADX.
            let dx: Vec<Option<f64>> = (0..len)
                .map(|i| {
                    let (p, m) = (pdi[i], mdi[i]);
                    (i >= n && p + m >= 1e-14).then(|| 100.0 * (p - m).abs() / (p + m))
                })
                .collect();
            let lookback = 2 * n - 1;
            let mut want = vec![f64::NAN; len];
            let mut a = dx[n..=lookback]
                .iter()
                .map(|d| d.unwrap_or(0.0))
                .sum::<f64>()
                / n as f64;
            want[lookback] = a;
            for i in lookback + 1..len {
                if let Some(d) = dx[i] {
                    a = (a * (n as f64 - 1.0) + d) / n as f64;
                }
                want[i] = a;
            }
            let mut got = vec![0.0; len];
            adx(&h, &l, &c, n, &mut got);
            let (mut p, mut m, mut a3) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
            dmi(&h, &l, &c, n, &mut p, &mut m, &mut a3);
            assert!(got[..lookback].iter().all(|v| v.is_nan()));
            assert_eq!(
                got[lookback..157].iter().filter(|v| **v == 0.0).count(),
                157 - lookback,
                "no DX: ADX holds at 0"
            );
            for i in lookback..len {
                assert!(
                    (got[i] - want[i]).abs() < 1e-9,
                    "n {n} bar {i}: {} vs {}",
                    got[i],
                    want[i]
                );
                assert_eq!(
                    got[i].to_bits(),
                    a3[i].to_bits(),
                    "dmi's ADX, n {n} bar {i}"
                );
            }
            assert!(got[len - 1] > 1.0, "ADX moved once the bars did");
        }
    }

    #[test]
    fn di_of_period_one_is_the_unscaled_move_over_true_range() {
        // bar 1: up 2, down -1, TR = max(12-10, |12-9.5|, |10-9.5|) = 2.5
        // → +DI 2/2.5 = 0.8 (not 80), −DI 0
        let (h, l, c) = ([10.0, 12.0], [9.0, 10.0], [9.5, 11.0]);
        let (mut p, mut m) = ([0.0; 2], [0.0; 2]);
        plus_di(&h, &l, &c, 1, &mut p);
        minus_di(&h, &l, &c, 1, &mut m);
        assert!(p[0].is_nan());
        assert_eq!(p[1], 2.0 / 2.5);
        assert_eq!(m[1], 0.0);
    }

    #[test]
    fn flat_bars_give_zero_di_and_keep_adx_at_its_seed() {
        let flat = [5.0; 20];
        let (mut p, mut a) = ([0.0; 20], [0.0; 20]);
        plus_di(&flat, &flat, &flat, 3, &mut p);
        adx(&flat, &flat, &flat, 3, &mut a);
        assert!(p[3..].iter().all(|&v| v == 0.0));
        assert!(a[5..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn adx_of_period_one_is_all_nan() {
        let (h, l, c) = bars();
        let mut a = vec![0.0; 60];
        adx(&h, &l, &c, 1, &mut a);
        assert!(a.iter().all(|v| v.is_nan()));
    }
}
