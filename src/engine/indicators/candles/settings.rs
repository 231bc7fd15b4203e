//! TA-Lib's default candle settings and the shared candle arithmetic every
//! pattern uses: real body, shadows, candle range per range type, colour, body
//! gaps, and the rolling "period totals" behind each setting's average.
//!
//! A setting says what "long", "short", "near"… mean for the bar being judged:
//! `factor × average(range of the `period` bars before it)`, where the range is
//! the real body, the high−low span, or the shadows (whose average is halved,
//! as there are two of them). With `period == 0` the bar's own range is used
//! instead of an average. The bar itself is never part of its own average.
//!
//! Definitional trap: TA-Lib keeps one running total per (setting, candle of
//! the pattern) and updates it *after* judging each bar by adding
//! `range(newest) − range(oldest)` as one difference. Floating-point sums depend
//! on that order, and a threshold compared with `<` or `>` can flip on the last
//! bit, so `PeriodTotal` repeats it exactly rather than computing a fresh mean
//! (or sharing one total between candles that TA-Lib keeps apart).

/// What a setting measures a candle by (TA-Lib `TA_RangeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeType {
    /// `|close − open|`.
    RealBody,
    /// `high − low`.
    HighLow,
    /// Both shadows together: `high − low` less the real body.
    Shadows,
}

/// One candle setting (TA-Lib `TA_CandleSetting`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CandleSetting {
    pub range: RangeType,
    /// How many bars before the judged one are averaged (0: the bar itself).
    pub period: usize,
    pub factor: f64,
}

const fn setting(range: RangeType, period: usize, factor: f64) -> CandleSetting {
    CandleSetting {
        range,
        period,
        factor,
    }
}

// TA-Lib's defaults (`TA_CandleDefaultSettings`), the whole table: the settings
// marked `allow(dead_code)` serve only TA-Lib patterns outside our twelve.
pub(crate) const BODY_LONG: CandleSetting = setting(RangeType::RealBody, 10, 1.0);
#[allow(dead_code)]
pub(crate) const BODY_VERY_LONG: CandleSetting = setting(RangeType::RealBody, 10, 3.0);
pub(crate) const BODY_SHORT: CandleSetting = setting(RangeType::RealBody, 10, 1.0);
pub(crate) const BODY_DOJI: CandleSetting = setting(RangeType::HighLow, 10, 0.1);
pub(crate) const SHADOW_LONG: CandleSetting = setting(RangeType::RealBody, 0, 1.0);
#[allow(dead_code)]
pub(crate) const SHADOW_VERY_LONG: CandleSetting = setting(RangeType::RealBody, 0, 2.0);
#[allow(dead_code)]
pub(crate) const SHADOW_SHORT: CandleSetting = setting(RangeType::Shadows, 10, 1.0);
pub(crate) const SHADOW_VERY_SHORT: CandleSetting = setting(RangeType::HighLow, 10, 0.1);
pub(crate) const NEAR: CandleSetting = setting(RangeType::HighLow, 5, 0.2);
pub(crate) const FAR: CandleSetting = setting(RangeType::HighLow, 5, 0.6);
#[allow(dead_code)]
pub(crate) const EQUAL: CandleSetting = setting(RangeType::HighLow, 5, 0.05);

/// The longest averaging period among `settings`: a pattern's lookback is
/// this plus the bars before the judged one that it reads.
pub(crate) const fn longest_period(settings: &[CandleSetting]) -> usize {
    let mut longest = 0;
    let mut k = 0;
    while k < settings.len() {
        if settings[k].period > longest {
            longest = settings[k].period;
        }
        k += 1;
    }
    longest
}

/// The four price columns of a pattern's input, checked to have the output's
/// length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candles<'a> {
    open: &'a [f64],
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
}

impl<'a> Candles<'a> {
    /// The kernel prologue: returns the columns when they all have `out`'s
    /// length and there is at least one bar past `lookback` to judge, with
    /// `out[..lookback]` marked undefined (the caller writes every later slot);
    /// `None` leaves `out` all `NaN`.
    pub fn prepare(
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
        out: &mut [f64],
        lookback: usize,
    ) -> Option<Self> {
        let n = out.len();
        let same_len = open.len() == n && high.len() == n && low.len() == n && close.len() == n;
        if !same_len || n <= lookback {
            super::fill_nan(out);
            return None;
        }
        // Only the warm-up: every pattern writes each slot from `lookback` on.
        super::fill_nan(&mut out[..lookback]);
        Some(Self {
            open,
            high,
            low,
            close,
        })
    }

    #[inline(always)]
    pub fn open(&self, i: usize) -> f64 {
        self.open[i]
    }

    #[inline(always)]
    pub fn high(&self, i: usize) -> f64 {
        self.high[i]
    }

    #[inline(always)]
    pub fn low(&self, i: usize) -> f64 {
        self.low[i]
    }

    #[inline(always)]
    pub fn close(&self, i: usize) -> f64 {
        self.close[i]
    }

    /// `|close − open|`.
    #[inline(always)]
    pub fn real_body(&self, i: usize) -> f64 {
        (self.close[i] - self.open[i]).abs()
    }

    /// White (`close ≥ open`, a flat candle counts as white).
    #[inline(always)]
    pub fn is_white(&self, i: usize) -> bool {
        self.close[i] >= self.open[i]
    }

    /// Black (`close < open`).
    #[inline(always)]
    pub fn is_black(&self, i: usize) -> bool {
        !self.is_white(i)
    }

    /// TA-Lib's candle colour as a sign: +1 white, −1 black.
    #[inline(always)]
    pub fn color(&self, i: usize) -> f64 {
        if self.is_white(i) {
            1.0
        } else {
            -1.0
        }
    }

    /// The top of the real body: the close of a white candle, the open of a
    /// black one, i.e. the larger of the two (written as a compare-and-pick
    /// that compiles to one max instruction; the colour test became a branch
    /// on a coin toss, CDLSHOOTINGSTAR ~0.8× TA-Lib).
    #[inline(always)]
    pub fn body_top(&self, i: usize) -> f64 {
        let (o, c) = (self.open[i], self.close[i]);
        if o > c {
            o
        } else {
            c
        }
    }

    /// The bottom of the real body: the smaller of open and close.
    #[inline(always)]
    pub fn body_bottom(&self, i: usize) -> f64 {
        let (o, c) = (self.open[i], self.close[i]);
        if o < c {
            o
        } else {
            c
        }
    }

    #[inline(always)]
    pub fn upper_shadow(&self, i: usize) -> f64 {
        self.high[i] - self.body_top(i)
    }

    #[inline(always)]
    pub fn lower_shadow(&self, i: usize) -> f64 {
        self.body_bottom(i) - self.low[i]
    }

    /// The candle's size as `range` measures it.
    #[inline(always)]
    pub fn range(&self, range: RangeType, i: usize) -> f64 {
        match range {
            RangeType::RealBody => self.real_body(i),
            RangeType::HighLow => self.high[i] - self.low[i],
            RangeType::Shadows => self.upper_shadow(i) + self.lower_shadow(i),
        }
    }
}

/// A bar's output from its branch-free judgement (`fast`), unless one of its
/// thresholds was too close to call with the bracket (`unsure`): then from
/// `exact`, TA-Lib's own tests with divided thresholds, evaluated out of line
/// (a macro, so the exact test's captures are only gathered on that rarely
/// taken branch, not stored for it on every bar).
macro_rules! verdict {
    ($fast:expr, $unsure:expr, $exact:expr) => {
        if $unsure {
            $crate::engine::indicators::candles::settings::judged_exactly(move || $exact)
        } else {
            $fast
        }
    };
}
pub(crate) use verdict;

/// Runs a bar's exact judgement out of line. Behind `verdict!` and behind a
/// pattern's `All` candidate test alike: inlined, the compiler hoisted the
/// exact tests' divisions above the candidate branch and branched on their
/// results on every bar (CDLPIERCING stayed at 0.9× TA-Lib).
#[cold]
#[inline(never)]
pub(crate) fn judged_exactly(exact: impl FnOnce() -> f64) -> f64 {
    exact()
}

/// Several exact comparisons folded into one sign bit that is set exactly
/// when all of them hold. `a < b` holds exactly when `a − b` is negative:
/// rounding keeps the sign of a non-zero difference, and `a − a` is +0. So
/// its contribution is the sign bit of `a − b`; `a <= b` is "not `b < a`",
/// the inverted sign bit of `b − a`. The fold is a bitwise AND.
///
/// Why: a pattern's cheap tests (colours, opens and closes in order) pass
/// together on a few bars in a hundred, but each alone about half the time;
/// written as `&&` or `&`, the compiler branches on each and mispredicts
/// (CDL3WHITESOLDIERS ran at 0.4× TA-Lib). One AND of sign bits leaves a
/// single, well-predicted branch: "any candidate here?", behind which
/// TA-Lib's own tests run exactly. (A minimum of the margins as floats was
/// taken apart into branches again; as 64-bit integers it vectorised into a
/// long SSE2 emulation of 64-bit compares.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct All(u64);

impl All {
    pub fn new() -> Self {
        Self(u64::MAX)
    }

    /// And `a < b`.
    #[inline(always)]
    pub fn lt(self, a: f64, b: f64) -> Self {
        Self(self.0 & (a - b).to_bits())
    }

    /// And `a <= b`.
    #[inline(always)]
    pub fn le(self, a: f64, b: f64) -> Self {
        Self(self.0 & !(b - a).to_bits())
    }

    /// Either fold holds (one branch for two alternatives).
    #[inline(always)]
    pub fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The folded bits: the sign bit is set when every comparison holds (for
    /// a pass that stores a block of them, tested later with `>> 63`).
    #[inline(always)]
    pub fn bits(self) -> u64 {
        self.0
    }

    /// Every comparison holds.
    ///
    /// The folded bits pass through `black_box`: without it the compiler
    /// splits "all sign bits set" back into one test (and branch) per
    /// comparison. The cost is one store and load per bar.
    #[inline(always)]
    pub fn hold(self) -> bool {
        std::hint::black_box(self.0) >> 63 == 1
    }
}

/// The running total behind one setting for one candle of a pattern: the
/// candle `lag` bars before the bar being judged, whose average spans the
/// `setting.period` bars before that candle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeriodTotal {
    setting: CandleSetting,
    lag: usize,
    total: f64,
    /// `factor / period × half`: the threshold without a division, to within
    /// a few ulps (see `approx`).
    scale: f64,
}

/// A setting's threshold bracketed without dividing: the exact one (TA-Lib's
/// `factor × (total / period)`, halved for shadows) lies in `[lo, hi]`, and so
/// does `mid`. A value outside the bracket compares with `mid` exactly as with
/// the exact threshold, under any of `<`, `<=`, `>`, `>=`; one inside it is
/// too close to tell (`unsure`), and the pattern judges that bar exactly.
///
/// Why: a division costs about as much as the rest of a pattern's bar, and
/// TA-Lib's short-circuit tests branch unpredictably; bracketing lets every
/// test run branch-free on multiplies, with one rarely taken branch per bar.
/// A period-0 setting (the candle's own range) is exact already: its bracket
/// is empty (`NaN` bounds), so it is never unsure; use its `mid` (or
/// `threshold`), never its bounds, as an `All` comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Approx {
    pub lo: f64,
    pub mid: f64,
    pub hi: f64,
    /// Twice the bracket's half-width (`unsure`'s tolerance).
    slack: f64,
}

impl Approx {
    /// The bracket of `x + threshold` (rounding is monotonic).
    #[inline(always)]
    pub fn plus(self, x: f64) -> Self {
        let (lo, hi) = (x + self.lo, x + self.hi);
        Self {
            lo,
            mid: x + self.mid,
            hi,
            slack: 2.0 * (hi - lo),
        }
    }

    /// `v` lies in the bracket (or just past it), where only the exact
    /// threshold can decide: `|v − mid|` within twice the half-width. Three
    /// operations and one comparison; a pair `lo <= v && v <= hi` became two
    /// branches, the first taken about half the time (CDLDOJI ran at 0.4×
    /// TA-Lib). Rounding of `v − mid` cannot hide a value from the test, as
    /// the doubled width covers it; `NaN` bounds (an exact threshold) are
    /// never unsure.
    #[inline(always)]
    pub fn unsure(self, v: f64) -> bool {
        (v - self.mid).abs() <= self.slack
    }
}

/// An averaged setting's threshold bracket from its running total alone (see
/// `PeriodTotal::approx`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Averaged {
    scale: f64,
}

impl Averaged {
    /// The bracket for a window whose ranges sum to `total`.
    #[inline(always)]
    pub fn approx(self, total: f64) -> Approx {
        let mid = total * self.scale;
        let margin = mid.abs() * (1.0 / 281_474_976_710_656.0); // 2^-48
        Approx {
            lo: mid - margin,
            mid,
            hi: mid + margin,
            slack: 2.0 * margin,
        }
    }
}

impl PeriodTotal {
    /// Seeds the total for judging bar `first` (at least the pattern's
    /// lookback, so `first ≥ lag + period`): the ranges of bars
    /// `first − lag − period .. first − lag`, summed oldest first.
    #[inline(always)]
    pub fn new(setting: CandleSetting, lag: usize, bars: &Candles, first: usize) -> Self {
        let candle = first - lag;
        let mut total = 0.0;
        for k in candle - setting.period..candle {
            total += bars.range(setting.range, k);
        }
        let half = if setting.range == RangeType::Shadows {
            0.5
        } else {
            1.0
        };
        Self {
            setting,
            lag,
            total,
            scale: setting.factor / setting.period.max(1) as f64 * half,
        }
    }

    /// The threshold for the candle `lag` bars before bar `i`, bracketed (see
    /// `Approx`). `mid` is `total × scale`, two roundings from the real
    /// quotient as TA-Lib's threshold is, so the two are within 2⁻⁵¹
    /// relative; the bracket is 2⁻⁴⁸ either side (8× that, and covering the
    /// rounding of the bounds themselves). A total of exactly 0 gives the
    /// point bracket [0, 0], exact as TA-Lib's is.
    #[inline(always)]
    pub fn approx(&self, bars: &Candles, i: usize) -> Approx {
        if self.setting.period == 0 {
            return Approx {
                lo: f64::NAN,
                mid: self.threshold(bars, i),
                hi: f64::NAN,
                slack: f64::NAN,
            };
        }
        Averaged { scale: self.scale }.approx(self.total)
    }

    /// The bracket maker of an averaged setting (`period` > 0), apart from
    /// the total, for a pattern that keeps its totals in a block of its own:
    /// a plain scale, with no setting left to branch on per bar.
    #[inline(always)]
    pub fn averaged(&self) -> Averaged {
        debug_assert!(self.setting.period > 0);
        Averaged { scale: self.scale }
    }

    /// The setting's threshold for the candle `lag` bars before bar `i`:
    /// `factor × mean` (the candle's own range when the period is 0), halved
    /// for shadows — in TA-Lib's order of operations.
    #[inline(always)]
    pub fn threshold(&self, bars: &Candles, i: usize) -> f64 {
        let s = &self.setting;
        let base = if s.period != 0 {
            self.total / s.period as f64
        } else {
            bars.range(s.range, i - self.lag)
        };
        let half = if s.range == RangeType::Shadows {
            0.5
        } else {
            1.0
        };
        s.factor * base * half
    }

    /// The running total (the sum of the window's ranges).
    #[inline(always)]
    pub fn total(&self) -> f64 {
        self.total
    }

    /// This total with the window's sum replaced by `total` (one a caller
    /// rolled on its own, adding `newest − oldest` as one difference).
    #[inline(always)]
    pub fn with_total(self, total: f64) -> Self {
        Self { total, ..self }
    }

    /// Slides the window one bar on, after bar `i` has been judged: adds the
    /// candle's own range and drops the oldest, as a single difference, the
    /// two ranges read from `recent` (which must hold bar `i`).
    #[inline(always)]
    pub fn roll_recent(&mut self, recent: &RecentRanges, bars: &Candles, i: usize) {
        let s = &self.setting;
        if s.period == 0 {
            return;
        }
        debug_assert!(self.lag + s.period < RECENT);
        let candle = i.wrapping_sub(self.lag);
        let oldest = candle.wrapping_sub(s.period);
        self.total += match s.range {
            RangeType::RealBody => recent.body[candle % RECENT] - recent.body[oldest % RECENT],
            RangeType::HighLow => recent.span[candle % RECENT] - recent.span[oldest % RECENT],
            RangeType::Shadows => bars.range(s.range, candle) - bars.range(s.range, oldest),
        };
    }
}

/// Bars a block of `judge_three_in_blocks` holds.
const BLOCK: usize = 64;

/// Judges a three-candle pattern whose three totals average one range (the
/// same `range` and `period`) of its candles `i − 2`, `i − 1` and `i`, in
/// that order, a block of bars at a time in two passes. First, with no
/// branch and no chain, so that it vectorises: each candle's change to the
/// totals, its range less the one `period` bars before (the difference
/// TA-Lib adds, the same bits), and `candidate(i)`, the pattern's cheap
/// tests folded into one sign bit (`All::bits`). Then the totals, one add a
/// bar each, and `exact(i, totals)` out of line on the candidates.
///
/// Why: rolling each total from `RecentRanges` in the same pass as the
/// tests left CDL3BLACKCROWS at 1.05–1.15× TA-Lib; in blocks it ran at
/// 2.6–3.4× (`BENCH_FILTER=CDL3BLACK cargo bench --bench indicators`).
#[inline(always)]
pub(crate) fn judge_three_in_blocks(
    b: Candles,
    out: &mut [f64],
    first: usize,
    mut totals: [PeriodTotal; 3],
    candidate: impl Fn(usize) -> u64,
    exact: impl Fn(usize, [PeriodTotal; 3]) -> f64,
) {
    let setting = totals[0].setting;
    assert!(
        totals.iter().zip([2, 1, 0]).all(|(t, lag)| t.lag == lag
            && t.setting.range == setting.range
            && t.setting.period == setting.period),
        "candles i − 2, i − 1, i, one range and period"
    );
    let period = setting.period;
    assert!(
        period > 0 && first >= period + 2,
        "averaged totals with their windows"
    );
    let mut changes = [0.0; BLOCK + 2];
    let mut candidates = [0u64; BLOCK];
    let mut start = first;
    while start < out.len() {
        let end = (start + BLOCK).min(out.len());
        // Candles `start − 2 .. end`.
        let changes = &mut changes[..end - start + 2];
        match setting.range {
            RangeType::RealBody => rolled(changes, start - 2, period, |j| b.real_body(j)),
            RangeType::HighLow => rolled(changes, start - 2, period, |j| b.high(j) - b.low(j)),
            RangeType::Shadows => rolled(changes, start - 2, period, |j| {
                b.range(RangeType::Shadows, j)
            }),
        }
        let candidates = &mut candidates[..end - start];
        for (c, i) in candidates.iter_mut().zip(start..end) {
            *c = candidate(i);
        }
        let bars = out[start..end]
            .iter_mut()
            .zip(candidates.iter())
            .zip(changes.windows(3));
        for (t, ((slot, &c), d)) in bars.enumerate() {
            let i = start + t;
            *slot = if c >> 63 == 1 {
                judged_exactly(|| exact(i, totals))
            } else {
                0.0
            };
            // Each total slides past its candle: `d` holds the changes of
            // candles `i − 2`, `i − 1` and `i`.
            for (total, d) in totals.iter_mut().zip(d) {
                total.total += d;
            }
        }
        start = end;
    }
}

/// `changes[k]`: candle `from + k`'s range less the one `period` bars before.
#[inline(always)]
fn rolled(changes: &mut [f64], from: usize, period: usize, range: impl Fn(usize) -> f64) {
    for (d, j) in changes.iter_mut().zip(from..) {
        *d = range(j) - range(j - period);
    }
}

/// How many bars `RecentRanges` keeps: more than any setting's period plus
/// the lag of the candle it judges (10 + 2).
const RECENT: usize = 16;

/// The real bodies and high−low ranges of the last `RECENT` bars, indexed by
/// bar number modulo `RECENT`.
///
/// Why: rolling a total recomputed two ranges from four bounds-checked
/// columns; a pattern with eight totals (CDL3WHITESOLDIERS) spent most of
/// its bar there. Each bar's ranges are now computed once, and a roll is two
/// loads from a fixed-size array (no bounds checks), a subtraction and an add.
#[derive(Debug, Clone)]
pub(crate) struct RecentRanges {
    body: [f64; RECENT],
    span: [f64; RECENT],
}

impl RecentRanges {
    /// Holds the bars before `first` (as many as exist, up to `RECENT − 1`).
    pub fn new(bars: &Candles, first: usize) -> Self {
        let mut recent = Self {
            body: [0.0; RECENT],
            span: [0.0; RECENT],
        };
        for k in first.saturating_sub(RECENT - 1)..first {
            recent.push(bars, k);
        }
        recent
    }

    /// Records bar `i` (call before rolling any total at bar `i`).
    #[inline(always)]
    pub fn push(&mut self, bars: &Candles, i: usize) {
        self.body[i % RECENT] = bars.real_body(i);
        self.span[i % RECENT] = bars.range(RangeType::HighLow, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let open: Vec<f64> = vec![10.0, 11.0, 12.5, 12.0, 13.0, 12.0, 12.2, 14.0];
        let close: Vec<f64> = vec![11.0, 10.5, 12.0, 13.5, 12.2, 12.0, 13.0, 13.1];
        let high: Vec<f64> = open
            .iter()
            .zip(&close)
            .enumerate()
            .map(|(k, (o, c))| o.max(*c) + 0.1 * k as f64)
            .collect();
        let low: Vec<f64> = open
            .iter()
            .zip(&close)
            .enumerate()
            .map(|(k, (o, c))| o.min(*c) - 0.05 * k as f64)
            .collect();
        (open, high, low, close)
    }

    #[test]
    fn candle_parts_add_up_to_the_high_low_range() {
        let (o, h, l, c) = bars();
        let mut out = vec![0.0; o.len()];
        let b = Candles::prepare(&o, &h, &l, &c, &mut out, 0).unwrap();
        for i in 0..o.len() {
            let whole = b.range(RangeType::HighLow, i);
            let parts = b.real_body(i) + b.range(RangeType::Shadows, i);
            assert!((whole - parts).abs() < 1e-12, "bar {i}");
            assert!(b.body_top(i) >= b.body_bottom(i));
        }
        assert!(b.is_white(5), "a flat candle counts as white");
        assert_eq!(b.color(1), -1.0);
    }

    #[test]
    fn prepare_refuses_mismatched_or_too_short_columns() {
        let (o, h, l, c) = bars();
        let mut out = vec![0.0; o.len()];
        assert!(Candles::prepare(&o[1..], &h, &l, &c, &mut out, 0).is_none());
        assert!(Candles::prepare(&o, &h, &l, &c, &mut out, o.len()).is_none());
        assert!(out.iter().all(|v| v.is_nan()));
        assert!(Candles::prepare(&o, &h, &l, &c, &mut out, o.len() - 1).is_some());
    }

    #[test]
    fn a_rolled_total_averages_the_bars_before_the_judged_candle() {
        let (o, h, l, c) = bars();
        let mut out = vec![0.0; o.len()];
        let b = Candles::prepare(&o, &h, &l, &c, &mut out, 0).unwrap();
        let set = setting(RangeType::Shadows, 3, 2.0);
        let lag = 1;
        let first = 4;
        let mut total = PeriodTotal::new(set, lag, &b, first);
        let mut recent = RecentRanges::new(&b, first);
        for i in first..o.len() {
            recent.push(&b, i);
            let candle = i - lag;
            let mean: f64 = (candle - 3..candle)
                .map(|k| b.range(RangeType::Shadows, k))
                .sum::<f64>()
                / 3.0;
            let want = 2.0 * mean * 0.5;
            assert!((total.threshold(&b, i) - want).abs() < 1e-12, "bar {i}");
            total.roll_recent(&recent, &b, i);
        }
    }

    #[test]
    fn a_zero_period_setting_measures_the_candle_itself() {
        let (o, h, l, c) = bars();
        let mut out = vec![0.0; o.len()];
        let b = Candles::prepare(&o, &h, &l, &c, &mut out, 0).unwrap();
        let mut total = PeriodTotal::new(SHADOW_VERY_LONG, 0, &b, 2);
        let mut recent = RecentRanges::new(&b, 2);
        for i in 2..o.len() {
            recent.push(&b, i);
            assert_eq!(total.threshold(&b, i), 2.0 * b.real_body(i));
            total.roll_recent(&recent, &b, i);
        }
    }
}
