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
use super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel};
use super::select::lead_or_zero;
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

/// What `smoothed_movement` hands each block of smoothed sums to: ±DI's,
/// ADX's or all three's outputs. A trait with an inlined method rather than
/// a closure: a closure's body was compiled outside `run_lanes`' AVX2 clone
/// and called, one block at a time, without AVX2.
trait SumsSink {
    /// Whether it reads the +DM and the −DM sums (the other is not smoothed).
    const PLUS_DM: bool = true;
    const MINUS_DM: bool = true;

    /// The sums of bars `first..first + sums.len`.
    fn block<L: Lanes>(&mut self, lanes: L, first: usize, sums: &Sums);
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
    /// four bars at a time where all four count (`lanes::EmaStep`, one
    /// multiply and one add per four bars on the chain; a few ulps from the
    /// bar by bar steps), else bar by bar. The chain's values stay in
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
            // `!=`, not `>= 0`: a NaN DX (from infinite prices) counts, as it
            // did in TA-Lib's form.
            if i > lookback && q + 4 <= dxs.len() && dxs[q..q + 4].iter().all(|&dx| dx != NO_DX) {
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
            let dx = dxs[q];
            let counts = dx != NO_DX;
            if i <= lookback {
                sum_dx += if counts { dx } else { 0.0 };
                if i == lookback {
                    adx = sum_dx / n;
                    out[q] = adx;
                }
            } else {
                if counts {
                    adx = adx * keep + dx * inv;
                }
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

/// One bar's (+DM1, −DM1) from `up = high - prev high`, `down = prev low - low`.
#[inline(always)]
fn movement(up: f64, down: f64) -> (f64, f64) {
    // `if up > down && up > 0.0 { up } else { 0.0 }` and its mirror, as
    // `select::lead_or_zero`: branch-free in wasm too, where which side
    // leads is a coin toss a jump mispredicts.
    (lead_or_zero(up, down), lead_or_zero(down, up))
}

/// A block of bars, bar `first + q` at `[q]` for `q < len`: first their
/// one-bar moves (+DM1, −DM1, TR1, `block_moves`), then, in place, the
/// smoothed sums (+DM, −DM, TR) that `smoothed_movement` hands on.
struct Sums {
    plus: [f64; SUMS_BLOCK],
    minus: [f64; SUMS_BLOCK],
    tr: [f64; SUMS_BLOCK],
    len: usize,
}

/// Bars per block of `Sums` (a multiple of 4).
const SUMS_BLOCK: usize = 64;

/// A block's one-bar moves into its three Wilder sums, in place, four bars
/// a step (`before`: each sum before the block in every lane, moved on).
/// The three chains side by side, step by step (one column's chain after
/// another's left them waiting on each other's latency: MINUS_DI ~3.9
/// ns/bar); a sum its sink does not read is not smoothed.
#[inline(always)]
fn four_bar_sums<L: Lanes, E: SumsSink>(
    lanes: L,
    wilder: &EmaStep<L::V>,
    sums: &mut Sums,
    before: &mut [L::V; 3],
) {
    let steps = sums.len.div_ceil(4);
    // The last step's lanes past the block's bars: zeros, which only later
    // lanes see.
    for column in [&mut sums.plus, &mut sums.minus, &mut sums.tr] {
        column[sums.len..4 * steps].fill(0.0);
    }
    let [plus_before, minus_before, tr_before] = before;
    for k in 0..steps {
        if E::PLUS_DM {
            smooth(lanes, wilder, at(&mut sums.plus, k), plus_before);
        }
        if E::MINUS_DM {
            smooth(lanes, wilder, at(&mut sums.minus, k), minus_before);
        }
        smooth(lanes, wilder, at(&mut sums.tr, k), tr_before);
    }
}

/// One Wilder step of four bars, in place (a function, not a closure: a
/// closure called three times was compiled outside the AVX2 clone, 20×
/// slower).
#[inline(always)]
fn smooth<L: Lanes>(lanes: L, wilder: &EmaStep<L::V>, step: &mut [f64; 4], before: &mut L::V) {
    let values = wilder.step_short(lanes, lanes.load(step), before);
    lanes.store(values, step);
}

/// Bars `4k..4k + 4` of a block's column.
#[inline(always)]
fn at(column: &mut [f64; SUMS_BLOCK], k: usize) -> &mut [f64; 4] {
    (&mut column[4 * k..4 * k + 4])
        .try_into()
        .expect("four bars")
}

/// A bar's DX when it adds nothing to ADX (TR 0 or the DI sum below 1e-14):
/// a real DX is never negative.
const NO_DX: f64 = -1.0;

/// Walks the bars with TA-Lib's DM/TR seeding (sum of bars 1..n-1, Wilder
/// steps from bar n on) and hands the sums of every bar from `period` on to
/// `emit`, a block at a time. Needs `period >= 2` and `len > period`.
///
/// By blocks, because only the three sums are chains. The one-bar moves
/// before them and what each bar does with them after (±DI's divide, DX's)
/// are independent from bar to bar: over a block they run four bars at a
/// time (`lanes`, AVX2 or simd128), where bar by bar the coin-toss selects
/// and a scalar divide per bar set the pace. See the README for the figures.
#[inline(always)]
fn smoothed_movement(high: &[f64], low: &[f64], close: &[f64], period: usize, emit: impl SumsSink) {
    run_lanes(Smoothed {
        high,
        low,
        close,
        period,
        emit,
    });
}

/// `smoothed_movement`'s arguments, run by `lanes::run_lanes` (so that the
/// blocks, `emit`'s included, are compiled with AVX2 where the CPU has it).
struct Smoothed<'a, E> {
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    period: usize,
    emit: E,
}

impl<E: SumsSink> LanesKernel for Smoothed<'_, E> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Smoothed {
            high,
            low,
            close,
            period,
            mut emit,
        } = self;
        // `s·(1 − 1/n) + x`: a multiply and an add on each sum's chain, where
        // TA-Lib's `s − s·(1/n) + x` waits for three operations (a few ulps
        // apart, inside the oracle's 1e-9).
        let keep = 1.0 - 1.0 / period as f64;
        let len = high.len().min(low.len()).min(close.len());
        let (mut plus_dm, mut minus_dm, mut tr) = (0.0, 0.0, 0.0);
        for i in 1..period {
            let (plus, minus) = movement(high[i] - high[i - 1], low[i - 1] - low[i]);
            plus_dm += plus;
            minus_dm += minus;
            tr += true_range(high[i], low[i], close[i - 1]);
        }
        let mut sums = Sums {
            plus: [0.0; SUMS_BLOCK],
            minus: [0.0; SUMS_BLOCK],
            tr: [0.0; SUMS_BLOCK],
            len: 0,
        };
        // The Wilder steps four bars at a time (`lanes::EmaStep` with `k = 1`,
        // `β = 1 − 1/n`): one multiply and one add per four bars on each
        // sum's chain, where bar by bar the three chains' multiply and add
        // per bar set the pace (~6 cycles a bar). A few ulps from the bar by
        // bar sums, as those are from TA-Lib's (inside the oracle's 1e-9).
        let wilder = EmaStep::new(lanes, 1.0, keep);
        let mut before = [plus_dm, minus_dm, tr].map(|v| lanes.splat(v));
        let mut first = period;
        while first < len {
            block_moves(lanes, high, low, close, first, &mut sums);
            four_bar_sums::<L, E>(lanes, &wilder, &mut sums, &mut before);
            emit.block(lanes, first, &sums);
            first += sums.len;
        }
    }
}

/// The one-bar moves of the bars from `first` (≥ 1) into `block`, as many as
/// fit and the columns hold (`block.len`): four bars at a time in `lanes`,
/// the last few (fewer than four) one by one. The values are `movement`'s
/// and `true_range`'s bit for bit (`lead_or_zero` as two `select_le` and a
/// `max`, `trange::true_range_lanes`; tested with `Portable` lanes against
/// them, ties, signed zeros and NaN included, and every lane operation in
/// simd128 against `Portable` by scripts/check-select-wasm.sh). In wasm,
/// one bar's moves cost V8 a splat and an extract around each select
/// (`select.rs`), where four bars' cost two `f64x2` operations each: ADX(14)
/// over 5,000 × 300 bars in node went from 5.7–7.5 to 4.6–6.3 ns/bar (native
/// 4.1) when the moves were first staged so.
#[inline(always)]
fn block_moves<L: Lanes>(
    l: L,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    first: usize,
    block: &mut Sums,
) {
    fn four(s: &[f64], j: usize) -> &[f64; 4] {
        s[j..j + 4].try_into().expect("four bars")
    }
    let len = high.len().min(low.len()).min(close.len());
    let n = (len - first).min(SUMS_BLOCK);
    block.len = n;
    let zero = l.splat(0.0);
    // `if x > other && x > 0 { x } else { 0 }` in every lane: 0 unless
    // `other <= x` (so a NaN gives 0), 0 on a tie, else `max(0, x)`.
    let lead_or_zero_lanes = |x: L::V, other: L::V| {
        let beats = l.select_le(x, other, zero, l.max(zero, x));
        l.select_le(other, x, beats, zero)
    };
    let steps = n / 4;
    for k in 0..steps {
        let j = first + 4 * k;
        let (h, h_before) = (l.load(four(high, j)), l.load(four(high, j - 1)));
        let (lo, lo_before) = (l.load(four(low, j)), l.load(four(low, j - 1)));
        let c_before = l.load(four(close, j - 1));
        let (up, down) = (l.sub(h, h_before), l.sub(lo_before, lo));
        l.store(lead_or_zero_lanes(up, down), at(&mut block.plus, k));
        l.store(lead_or_zero_lanes(down, up), at(&mut block.minus, k));
        l.store(true_range_lanes(l, h, lo, c_before), at(&mut block.tr, k));
    }
    for q in 4 * steps..n {
        let i = first + q;
        let (plus, minus) = movement(high[i] - high[i - 1], low[i - 1] - low[i]);
        block.plus[q] = plus;
        block.minus[q] = minus;
        block.tr[q] = true_range(high[i], low[i], close[i - 1]);
    }
}

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
    fn block_moves_are_the_one_bar_moves_bit_for_bit() {
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
        // Blocks from several first bars, so that each ends in a partial
        // step (the bars one by one) somewhere, and the last is short.
        let mut checked = 0;
        for start in [1, 2, 3, 4, 5, 64, 230, 297] {
            let mut first = start;
            while first < n {
                let mut block = Sums {
                    plus: [f64::NAN; SUMS_BLOCK],
                    minus: [f64::NAN; SUMS_BLOCK],
                    tr: [f64::NAN; SUMS_BLOCK],
                    len: 0,
                };
                block_moves(Portable, &h, &l, &c, first, &mut block);
                assert_eq!(block.len, (n - first).min(SUMS_BLOCK));
                for q in 0..block.len {
                    let i = first + q;
                    let (plus, minus) = movement(h[i] - h[i - 1], l[i - 1] - l[i]);
                    let range = true_range(h[i], l[i], c[i - 1]);
                    let got = [block.plus[q], block.minus[q], block.tr[q]];
                    for (got, want) in got.into_iter().zip([plus, minus, range]) {
                        assert!(
                            got.to_bits() == want.to_bits(),
                            "bar {i}: {got:?} vs {want:?}"
                        );
                    }
                    checked += 1;
                }
                first += block.len;
            }
        }
        assert_eq!(
            checked,
            (n - 1) + (n - 2) + (n - 3) + (n - 4) + (n - 5) + (n - 64) + (n - 230) + (n - 297)
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
