//! ±DI/ADX's first stage, bars to smoothed sums: each bar's one-bar moves
//! (+DM1, −DM1, TR1, `block_moves`, four bars at a time), then TA-Lib's DM/TR
//! seeding and the three Wilder sums (four-bar steps), handed a 64-bar block
//! at a time to a `SumsSink` (the parent module's ±DI, ADX or all three).

use super::super::lanes::{run_lanes, EmaStep, Lanes, LanesKernel};
use super::super::select::lead_or_zero;
use super::super::trange::{true_range, true_range_lanes};

/// What `smoothed_movement` hands each block of smoothed sums to: ±DI's,
/// ADX's or all three's outputs. A trait with an inlined method rather than
/// a closure: a closure's body was compiled outside `run_lanes`' AVX2 clone
/// and called, one block at a time, without AVX2.
pub(super) trait SumsSink {
    /// Whether it reads the +DM and the −DM sums (the other is not smoothed).
    const PLUS_DM: bool = true;
    const MINUS_DM: bool = true;

    /// The sums of bars `first..first + sums.len`.
    fn block<L: Lanes>(&mut self, lanes: L, first: usize, sums: &Sums);
}

/// One bar's (+DM1, −DM1) from `up = high - prev high`, `down = prev low - low`.
#[inline(always)]
pub(super) fn movement(up: f64, down: f64) -> (f64, f64) {
    // `if up > down && up > 0.0 { up } else { 0.0 }` and its mirror, as
    // `select::lead_or_zero`: branch-free in wasm too, where which side
    // leads is a coin toss a jump mispredicts.
    (lead_or_zero(up, down), lead_or_zero(down, up))
}

/// A block of bars, bar `first + q` at `[q]` for `q < len`: first their
/// one-bar moves (+DM1, −DM1, TR1, `block_moves`), then, in place, the
/// smoothed sums (+DM, −DM, TR) that `smoothed_movement` hands on.
pub(super) struct Sums {
    pub(super) plus: [f64; SUMS_BLOCK],
    pub(super) minus: [f64; SUMS_BLOCK],
    pub(super) tr: [f64; SUMS_BLOCK],
    pub(super) len: usize,
}

/// Bars per block of `Sums` (a multiple of 4).
pub(super) const SUMS_BLOCK: usize = 64;

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
pub(super) fn smoothed_movement(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    emit: impl SumsSink,
) {
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
}
