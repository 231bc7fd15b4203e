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

use super::fill_nan;
use super::lanes::Lanes;
use super::select::{lead_or_zero, pct2};
use super::trange::{true_range, true_range_lanes};

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
    let n = period as f64;
    let inv = 1.0 / n;
    // `adx·(1 − 1/n) + dx/n`: a multiply and an add on the chain, where
    // `adx − (adx − dx)/n` waits for three operations (within 1e-9).
    let keep = 1.0 - inv;
    let mut sum_dx = 0.0;
    let mut adx = 0.0;
    smoothed_movement(high, low, close, period, |i, plus, minus, tr| {
        let dx = dx(plus, minus, tr);
        if i < lookback {
            sum_dx += dx.unwrap_or(0.0);
        } else if i == lookback {
            sum_dx += dx.unwrap_or(0.0);
            adx = sum_dx / n;
            out[i] = adx;
        } else {
            if let Some(dx) = dx {
                adx = adx * keep + dx * inv;
            }
            out[i] = adx;
        }
    });
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
    let n = period as f64;
    let inv = 1.0 / n;
    // `adx·(1 − 1/n) + dx/n`: a multiply and an add on the chain, where
    // `adx − (adx − dx)/n` waits for three operations (within 1e-9).
    let keep = 1.0 - inv;
    let (mut sum_dx, mut smoothed) = (0.0, 0.0);
    smoothed_movement(high, low, close, period, |i, plus, minus, tr| {
        // As `directional_indicator` and `adx` compute them.
        let (p, m) = if tr > 0.0 {
            let [p, m] = pct2(plus, minus, tr);
            (p, m)
        } else {
            (0.0, 0.0)
        };
        plus_di[i] = p;
        minus_di[i] = m;
        let dx = dx(plus, minus, tr);
        if i < lookback {
            sum_dx += dx.unwrap_or(0.0);
        } else if i == lookback {
            sum_dx += dx.unwrap_or(0.0);
            smoothed = sum_dx / n;
            adx[i] = smoothed;
        } else {
            if let Some(dx) = dx {
                smoothed = smoothed * keep + dx * inv;
            }
            adx[i] = smoothed;
        }
    });
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
    smoothed_movement(high, low, close, period, |i, plus, minus, tr| {
        let dm = if side == Side::Plus { plus } else { minus };
        out[i] = if tr > 0.0 { 100.0 * (dm / tr) } else { 0.0 };
    });
}

/// One bar's DX from the smoothed sums, `100·|−DM − +DM| / (−DM + +DM)`:
/// TA-Lib's `100·|−DI − +DI| / (−DI + +DI)` with the `100/TR` of both DIs
/// cancelled, one divide where TA-Lib takes three (ADX was bound by them),
/// a few ulps from TA-Lib's DX (ADX stays within the oracle's 1e-9). `None`
/// where TR is 0 or the DI sum `100·(−DM + +DM)/TR` is below 1e-14 (TA-Lib's
/// zero test, here without the divide; the DMs are never negative).
#[inline(always)]
fn dx(plus: f64, minus: f64, tr: f64) -> Option<f64> {
    let sum = minus + plus;
    (tr > 0.0 && 100.0 * sum >= 1e-14 * tr).then(|| 100.0 * ((minus - plus).abs() / sum))
}

/// One bar's (+DM1, −DM1) from `up = high - prev high`, `down = prev low - low`.
#[inline(always)]
fn movement(up: f64, down: f64) -> (f64, f64) {
    // `if up > down && up > 0.0 { up } else { 0.0 }` and its mirror, as
    // `select::lead_or_zero`: branch-free in wasm too, where which side
    // leads is a coin toss a jump mispredicts.
    (lead_or_zero(up, down), lead_or_zero(down, up))
}

/// Walks the bars with TA-Lib's DM/TR seeding (sum of bars 1..n-1, Wilder
/// steps from bar n on) and hands `(bar, +DM, −DM, TR)` to `emit` for every
/// bar from `period` on. Needs `period >= 2` and `len > period`.
#[inline(always)]
fn smoothed_movement(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    mut emit: impl FnMut(usize, f64, f64, f64),
) {
    // `s·(1 − 1/n) + x`: a multiply and an add on each sum's chain, where
    // TA-Lib's `s − s·(1/n) + x` waits for three operations (a few ulps
    // apart, inside the oracle's 1e-9).
    let keep = 1.0 - 1.0 / period as f64;
    let (mut plus_dm, mut minus_dm, mut tr) = (0.0, 0.0, 0.0);
    let len = high.len().min(low.len()).min(close.len());
    let mut step = |i: usize, plus: f64, minus: f64, range: f64| {
        if i < period {
            plus_dm += plus;
            minus_dm += minus;
            tr += range;
        } else {
            plus_dm = plus_dm * keep + plus;
            minus_dm = minus_dm * keep + minus;
            tr = tr * keep + range;
            emit(i, plus_dm, minus_dm, tr);
        }
    };
    // In wasm the one-bar moves come from `staged_moves` (see there); natively
    // the plain loop below is as fast (the chains set the pace).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let first = staged_moves(super::lanes::Simd128, high, low, close, len, &mut step);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let first = 1;
    for i in first..len {
        let (plus, minus) = movement(high[i] - high[i - 1], low[i - 1] - low[i]);
        step(i, plus, minus, true_range(high[i], low[i], close[i - 1]));
    }
}

/// The bars `1..` of `smoothed_movement`, a block of `MOVES_BLOCK` at a
/// time: each block's (+DM1, −DM1, TR1) computed four bars at a time into a
/// buffer on the stack, then handed to `step` bar by bar. Returns the first
/// bar it did not hand on (the last partial block's, left to the caller).
///
/// Why: the moves are independent from bar to bar; only the three sums are
/// chains. In wasm, one bar's moves cost V8 a splat and an extract around
/// each select (`select.rs`), where four bars' cost two `f64x2` operations
/// each. ADX(14) over 5,000 × 300 bars in node, alternating: 5.7–7.5 →
/// 4.6–6.3 ns/bar (native 4.1). The values are `movement`'s and
/// `true_range`'s bit for bit (`lead_or_zero` as two `select_le` and a
/// `max`, `trange::true_range_lanes`; tested with `Portable`
/// lanes against them, ties, signed zeros and NaN included, and every lane
/// operation in simd128 against `Portable` by scripts/check-select-wasm.sh).
#[cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]
#[inline(always)]
fn staged_moves<L: Lanes>(
    l: L,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    len: usize,
    step: &mut impl FnMut(usize, f64, f64, f64),
) -> usize {
    fn four(s: &[f64], j: usize) -> &[f64; 4] {
        s[j..j + 4].try_into().expect("four bars")
    }
    let zero = l.splat(0.0);
    // `if x > other && x > 0 { x } else { 0 }` in every lane: 0 unless
    // `other <= x` (so a NaN gives 0), 0 on a tie, else `max(0, x)`.
    let lead_or_zero_lanes = |x: L::V, other: L::V| {
        let beats = l.select_le(x, other, zero, l.max(zero, x));
        l.select_le(other, x, beats, zero)
    };
    let mut i = 1;
    while i + MOVES_BLOCK <= len {
        let mut moves = [[[0.0; 4]; 3]; MOVES_BLOCK / 4];
        for (k, m) in moves.iter_mut().enumerate() {
            let j = i + 4 * k;
            let (h, h_before) = (l.load(four(high, j)), l.load(four(high, j - 1)));
            let (lo, lo_before) = (l.load(four(low, j)), l.load(four(low, j - 1)));
            let c_before = l.load(four(close, j - 1));
            let (up, down) = (l.sub(h, h_before), l.sub(lo_before, lo));
            l.store(lead_or_zero_lanes(up, down), &mut m[0]);
            l.store(lead_or_zero_lanes(down, up), &mut m[1]);
            l.store(true_range_lanes(l, h, lo, c_before), &mut m[2]);
        }
        for (k, [plus, minus, range]) in moves.iter().enumerate() {
            for q in 0..4 {
                step(i + 4 * k + q, plus[q], minus[q], range[q]);
            }
        }
        i += MOVES_BLOCK;
    }
    i
}

/// Bars per block of `staged_moves` (a multiple of 4).
const MOVES_BLOCK: usize = 64;

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
    fn staged_moves_are_the_one_bar_moves_bit_for_bit() {
        use crate::engine::indicators::lanes::Portable;
        // A wavy series with flat highs, ties, signed zeros and NaN in it.
        let n = 300;
        let c: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 4.0)
            .collect();
        let mut h: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c + 1.0 + (i % 3) as f64 * 0.4)
            .collect();
        let mut l: Vec<f64> = c
            .iter()
            .enumerate()
            .map(|(i, c)| c - 1.0 - (i % 5) as f64 * 0.3)
            .collect();
        let mut c = c;
        for k in (0..n).step_by(7) {
            h[k] = h[k.saturating_sub(1)];
        }
        // Ties: the same move up and down (0.5, exactly), which counts for neither.
        for k in (3..n).step_by(11) {
            (h[k - 1], h[k], l[k - 1], l[k]) = (101.0, 101.5, 99.0, 98.5);
        }
        h[40] = 0.0;
        h[41] = -0.0;
        l[41] = -0.0;
        // A NaN on one side beside a real move on the other: both give 0.
        h[90] = f64::NAN;
        l[90] = l[89] - 1.0;
        l[130] = f64::NAN;
        h[130] = h[129] + 1.0;
        c[170] = f64::NAN;
        let mut staged = Vec::new();
        let first = staged_moves(Portable, &h, &l, &c, n, &mut |i, p, m, r| {
            staged.push((i, p, m, r))
        });
        assert_eq!(first, 1 + (n - 1) / MOVES_BLOCK * MOVES_BLOCK);
        assert!(first > 3 * MOVES_BLOCK, "the series covers several blocks");
        for &(i, p, m, r) in &staged {
            let (plus, minus) = movement(h[i] - h[i - 1], l[i - 1] - l[i]);
            let range = true_range(h[i], l[i], c[i - 1]);
            for (got, want) in [(p, plus), (m, minus), (r, range)] {
                assert!(
                    got.to_bits() == want.to_bits(),
                    "bar {i}: {got:?} vs {want:?}"
                );
            }
        }
        assert_eq!(
            staged.iter().map(|s| s.0).collect::<Vec<_>>(),
            (1..first).collect::<Vec<_>>()
        );
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
