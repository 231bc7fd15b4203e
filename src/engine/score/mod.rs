//! The Technic score (SPEC §2.4): features, subscores, TechRating, the
//! mirrored ShortRating, signal, trade plan, setup tags and market regime, per
//! symbol at a given bar.
//! Imports only the engine's bars and indicator kernels.
//!
//! # What is computed at bar `i` (bars `0..=i` only, so backtests see no future)
//! Every window below ends at, and includes, bar `i` (checked against the
//! original's outputs in `tests/fixtures/technic-golden.json`):
//! - `ret_1d`, `ret_5d`, `ret_21d`: `close[i] / close[i-k] − 1` for k = 1, 5, 21.
//! - `vol_realized_20`: sample standard deviation (n − 1) of the 20 daily
//!   returns `close[j] / close[j-1] − 1`, j in `i-19..=i`, × √252.
//! - `atr_pct_14`: TA-Lib ATR(14) on bars `0..=i`, divided by `close[i]` (a
//!   fraction, not a percent). Wilder smoothing: depends on the history loaded.
//! - `sma_20`, `sma_50`, `sma_200`: means of the last n closes.
//! - `pct_from_high20`: `(close[i] / max(close[i-19..=i]) − 1)·100` (closes, not highs).
//! - `pct_from_low20`: `(close[i] / min(close[i-19..=i]) − 1)·100` (closes, not lows).
//! - `rsi_14`: TA-Lib RSI(14); `macd_hist`: TA-Lib MACD(12, 26, 9) histogram,
//!   both on closes `0..=i`.
//! - `dollar_vol_20`: mean of `close·volume` over the last 20 bars;
//!   `vol_spike_ratio`: `close[i]·volume[i] / dollar_vol_20`.
//! - `gap_mean_10`: mean of `|open[j] − close[j-1]| / close[j-1]`, j in `i-9..=i`.
//!
//! # Few bars
//! A feature whose window does not fit in `0..=i` is `NaN`: returns need
//! 2/6/22 bars, the 20-bar realised volatility and the gap mean 21 and 11
//! bars, the SMAs, the 20-bar high and dollar volume their window, ATR and RSI
//! 15 bars, the MACD histogram 34 bars. Subscores treat an undefined feature as
//! failing every condition (as the original's NaN comparisons did), so they are
//! always integers. RiskScore and TechRating are `NaN` while ATR(14) is
//! undefined (fewer than 15 bars), and so is ShortRating; then the signal is
//! Avoid and there is no
//! plan. Nothing panics, for any length, including an empty `Bars` or an
//! `index` past the end (that scores as "no data": all `NaN`, Avoid).
//!
//! # Differences from the original (deliberate)
//! - Trend is symmetric: `2·[sma20 > sma50] + [sma50 > sma200]` minus the same
//!   for the opposite order. The original only added, so Trend was never below
//!   0 and Short/Strong Short could never be signalled. Where sma20 < sma50 our
//!   Trend is negative (golden series DOWNTREND, CHOPPY, HIGHVOL: −2 here, 0 in
//!   the original), which lowers their TechRating; their signal stays Avoid.
//! - Short signals come from ShortRating, TechRating's formula on mirrored
//!   features ([`ShortSubscores`]: Trend_s = −Trend; Momentum, Oscillator and
//!   Breakout mirrored around the 20-bar low; Volume, Volatility and the risk
//!   multiplier shared). Strong Long, then Long, are checked first; then Strong
//!   Short (ShortRating ≥ 22, Trend_s ≥ 2, Momentum_s ≥ 1), then Short
//!   (ShortRating ≥ 16, Trend_s ≥ 1). The original never signalled a short, and
//!   our first version mirrored TechRating itself (≤ −16 / ≤ −22), which can
//!   never reach −22 because its momentum, breakout and oscillator parts are
//!   long-only (so Strong Short was impossible and Short rare). No golden
//!   series' signal changes: the three with Trend −2 (Trend_s 2) have a
//!   ShortRating below 16. A short has a mirrored trade plan (stop above,
//!   target below).
//! - Position size is capped at 5% of the 20-bar dollar volume ÷ entry, and the
//!   cap is flagged in [`TradePlan::liquidity_capped`]. When the 20-bar dollar
//!   volume is undefined (fewer than 20 bars) no cap is applied.
//! - No plan when ATR is zero or undefined (entry would equal the stop).
//! - Target and shares use the unrounded entry and stop; only the reported
//!   prices are rounded (as the original: the golden UPTREND plan has 186
//!   shares and a 54.05 target, rounded inputs would give 185 and 54.06).
//! - Prices are rounded to cents half away from zero (Python's `round` rounds
//!   half to even on the binary value; the two differ only on exact binary ties,
//!   which cent prices of computed values practically never hit).
//! - Only the v1 TechRating is computed: no alpha blend, merit or composite.
//! - The regime's volatility ratio counts as undefined (low volatility) when the
//!   60-bar return std is below 1e-12 (constant returns: the ratio would be
//!   one rounding noise over another).
//!
//! # Consequences of the SPEC's rules (kept as specified)
//! - Both Strong signals need a volume spike: with Volume 0 the largest raw
//!   sum is 3·3 + 3·3 + 1 + 1 + 2 = 22, and the risk factor is below 1
//!   whenever ATR is positive.
//! - The conviction tags (TechRating ≥ 18 / ≥ 22) and the Breakout and
//!   Momentum tags read the long-side subscores only.

use super::bars::Bars;
use super::indicators::{atr, macd, rsi};

/// Trade-plan settings (SPEC §2.4 defaults: 10,000 account, 1% risk, R = 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub account: f64,
    /// Percent of the account risked per trade (1.0 = 1%).
    pub risk_pct: f64,
    /// Reward/risk multiple R for the target.
    pub reward_risk: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            account: 10_000.0,
            risk_pct: 1.0,
            reward_risk: 2.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    StrongLong,
    Long,
    Avoid,
    Short,
    StrongShort,
}

impl Signal {
    pub const ALL: [Signal; 5] = [
        Signal::StrongLong,
        Signal::Long,
        Signal::Avoid,
        Signal::Short,
        Signal::StrongShort,
    ];

    /// Numeric code used inside scan expressions: 2, 1, 0, −1, −2.
    pub fn code(self) -> i32 {
        match self {
            Signal::StrongLong => 2,
            Signal::Long => 1,
            Signal::Avoid => 0,
            Signal::Short => -1,
            Signal::StrongShort => -2,
        }
    }

    /// The label the original scanner printed ("Strong Long", "Long", …).
    pub fn label(self) -> &'static str {
        match self {
            Signal::StrongLong => "Strong Long",
            Signal::Long => "Long",
            Signal::Avoid => "Avoid",
            Signal::Short => "Short",
            Signal::StrongShort => "Strong Short",
        }
    }

    /// Case-insensitive; spaces, `_` and `-` are interchangeable.
    pub fn from_label(s: &str) -> Option<Signal> {
        let norm: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        Signal::ALL
            .into_iter()
            .find(|sig| sig.label().replace(' ', "").to_ascii_lowercase() == norm)
    }

    /// The side a plan takes for this signal (`None` for Avoid).
    pub fn side(self) -> Option<Side> {
        match self {
            Signal::StrongLong | Signal::Long => Some(Side::Long),
            Signal::Avoid => None,
            Signal::Short | Signal::StrongShort => Some(Side::Short),
        }
    }
}

/// A Technic value usable inside scan expressions, by its language name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    TechRating,
    ShortRating,
    Signal,
    TrendScore,
    MomentumScore,
    VolumeScore,
    VolatilityScore,
    OscillatorScore,
    BreakoutScore,
    RiskScore,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::TechRating,
        Field::ShortRating,
        Field::Signal,
        Field::TrendScore,
        Field::MomentumScore,
        Field::VolumeScore,
        Field::VolatilityScore,
        Field::OscillatorScore,
        Field::BreakoutScore,
        Field::RiskScore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::TechRating => "tech_rating",
            Field::ShortRating => "short_rating",
            Field::Signal => "signal",
            Field::TrendScore => "trend_score",
            Field::MomentumScore => "momentum_score",
            Field::VolumeScore => "volume_score",
            Field::VolatilityScore => "volatility_score",
            Field::OscillatorScore => "oscillator_score",
            Field::BreakoutScore => "breakout_score",
            Field::RiskScore => "risk_score",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The raw features at one bar (see the module docs for each window).
/// `NaN` when the window does not fit in the bars loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub ret_1d: f64,
    pub ret_5d: f64,
    pub ret_21d: f64,
    pub vol_realized_20: f64,
    /// ATR(14) / close, a fraction (0.01 = 1%).
    pub atr_pct_14: f64,
    pub sma_20: f64,
    pub sma_50: f64,
    pub sma_200: f64,
    /// Percent below the highest close of the last 20 bars (≤ 0).
    pub pct_from_high20: f64,
    /// Percent above the lowest close of the last 20 bars (≥ 0).
    pub pct_from_low20: f64,
    pub rsi_14: f64,
    pub macd_hist: f64,
    pub dollar_vol_20: f64,
    pub vol_spike_ratio: f64,
    pub gap_mean_10: f64,
}

impl Features {
    /// Every feature undefined.
    pub const NAN: Features = Features {
        ret_1d: f64::NAN,
        ret_5d: f64::NAN,
        ret_21d: f64::NAN,
        vol_realized_20: f64::NAN,
        atr_pct_14: f64::NAN,
        sma_20: f64::NAN,
        sma_50: f64::NAN,
        sma_200: f64::NAN,
        pct_from_high20: f64::NAN,
        pct_from_low20: f64::NAN,
        rsi_14: f64::NAN,
        macd_hist: f64::NAN,
        dollar_vol_20: f64::NAN,
        vol_spike_ratio: f64::NAN,
        gap_mean_10: f64::NAN,
    };
}

/// The subscores (each integer one clipped to ±3) and RiskScore.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subscores {
    pub trend: i32,
    pub momentum: i32,
    pub volume: i32,
    pub volatility: i32,
    pub oscillator: i32,
    pub breakout: i32,
    /// `1 − 50·ATR%`, unclipped (it is clipped to [0, 1] only inside TechRating).
    pub risk: f64,
}

/// The mirrored subscores behind ShortRating (each clipped to ±3). Volume,
/// Volatility and RiskScore are shared with the long side ([`Subscores`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortSubscores {
    /// `−Trend`.
    pub trend: i32,
    /// +1 RSI<45, +1 RSI<35, −1 RSI>55, −1 RSI>60, +1 MACD hist<0,
    /// +1 pct_from_low20<3.
    pub momentum: i32,
    /// +1 if 35 ≤ RSI ≤ 45, −1 if RSI<30 or RSI>60.
    pub oscillator: i32,
    /// `[pct_from_low20 < 1] + [5-bar return < −2%]`.
    pub breakout: i32,
}

/// A setup tag (at most one per group: conviction, breakout, momentum, risk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// TechRating ≥ 22.
    HighConviction,
    /// 18 ≤ TechRating < 22.
    QualitySetup,
    /// Breakout subscore ≥ 2.
    Breakout,
    /// Momentum subscore ≥ 2.
    Momentum,
    /// Momentum subscore ≤ −1.
    MomentumFading,
    /// RiskScore ≥ 0.8.
    LowRisk,
    /// RiskScore ≤ 0.45.
    HighRisk,
}

impl Tag {
    pub fn label(self) -> &'static str {
        match self {
            Tag::HighConviction => "High conviction",
            Tag::QualitySetup => "Quality setup",
            Tag::Breakout => "Breakout",
            Tag::Momentum => "Momentum",
            Tag::MomentumFading => "Momentum fading",
            Tag::LowRisk => "Low risk",
            Tag::HighRisk => "High risk",
        }
    }
}

/// The score of one symbol at one bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub features: Features,
    pub subscores: Subscores,
    /// `NaN` while ATR(14) is undefined (fewer than 15 bars).
    pub tech_rating: f64,
    pub short_subscores: ShortSubscores,
    /// TechRating's formula on the mirrored features (≥ 0 favours a short);
    /// `NaN` exactly when TechRating is.
    pub short_rating: f64,
    pub signal: Signal,
    /// Present only for Long, Strong Long, Short and Strong Short.
    pub plan: Option<TradePlan>,
    pub tags: Vec<Tag>,
}

impl Score {
    /// A score with nothing defined (no bars at that index).
    fn undefined() -> Score {
        Score {
            features: Features::NAN,
            subscores: Subscores {
                trend: 0,
                momentum: 0,
                volume: 0,
                volatility: 0,
                oscillator: 0,
                breakout: 0,
                risk: f64::NAN,
            },
            tech_rating: f64::NAN,
            short_subscores: ShortSubscores {
                trend: 0,
                momentum: 0,
                oscillator: 0,
                breakout: 0,
            },
            short_rating: f64::NAN,
            signal: Signal::Avoid,
            plan: None,
            tags: Vec::new(),
        }
    }

    /// The value of a Technic field (signal as its numeric code; NaN if undefined).
    pub fn field(&self, field: Field) -> f64 {
        field_value(
            field,
            self.tech_rating,
            self.short_rating,
            self.signal,
            &self.subscores,
        )
    }
}

/// What a scan expression reads of a score at one bar (its fields): the
/// score without its features, trade plan and tags, so evaluating
/// `tech_rating` at every bar of a backtest allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub subscores: Subscores,
    pub tech_rating: f64,
    pub short_rating: f64,
    pub signal: Signal,
}

impl Rating {
    /// The value of a Technic field, as [`Score::field`] gives it.
    pub fn field(&self, field: Field) -> f64 {
        field_value(
            field,
            self.tech_rating,
            self.short_rating,
            self.signal,
            &self.subscores,
        )
    }
}

fn field_value(field: Field, tech: f64, short: f64, signal: Signal, s: &Subscores) -> f64 {
    match field {
        Field::TechRating => tech,
        Field::ShortRating => short,
        Field::Signal => signal.code() as f64,
        Field::TrendScore => s.trend as f64,
        Field::MomentumScore => s.momentum as f64,
        Field::VolumeScore => s.volume as f64,
        Field::VolatilityScore => s.volatility as f64,
        Field::OscillatorScore => s.oscillator as f64,
        Field::BreakoutScore => s.breakout as f64,
        Field::RiskScore => s.risk,
    }
}

/// The score's three recursive series over a symbol's bars (RSI(14),
/// ATR(14), the MACD(12, 26, 9) histogram), each as long as the bars: a
/// scan's plan slots, or [`ScoreScratch::series`]. Their value at bar `i`
/// is the one computed on bars `0..=i` alone, bit for bit (these kernels
/// never look past a bar: `tests/engine/lang.rs` checks every kernel but
/// KAMA), so the score at any bar reads them in O(1).
#[derive(Debug, Clone, Copy)]
pub struct ScoreSeries<'a> {
    pub rsi_14: &'a [f64],
    pub atr_14: &'a [f64],
    pub macd_hist: &'a [f64],
}

impl ScoreSeries<'_> {
    /// The three values at bar `i` (`NaN` past the end).
    fn at(&self, i: usize) -> [f64; 3] {
        [self.rsi_14, self.atr_14, self.macd_hist].map(|s| s.get(i).copied().unwrap_or(f64::NAN))
    }
}

/// Reusable columns for the recursive indicators (RSI, ATR, MACD's three),
/// so that scoring thousands of symbols on one worker does not allocate per
/// symbol. Grows to the longest series seen.
#[derive(Debug, Clone, Default)]
pub struct ScoreScratch {
    cols: [Vec<f64>; 5],
    /// Whether `cols` hold the series over all of the current bars
    /// ([`ScoreScratch::series_of`]).
    filled: bool,
    /// The ratings of bars `ratings_from..` (one block, [`ScoreScratch::rating_at`]).
    ratings: Vec<Rating>,
    ratings_from: usize,
}

impl ScoreScratch {
    /// The score's series over all of `bars`, computed here.
    pub fn series(&mut self, bars: &Bars) -> ScoreSeries<'_> {
        self.fill(bars, bars.len(), [false; 3]);
        self.view([None; 3])
    }

    /// Forgets the series and ratings: the next bars are another symbol's
    /// (a scan's `prepare`).
    pub fn forget(&mut self) {
        self.filled = false;
        self.ratings.clear();
    }

    /// The score's series over all of `bars`: those `given` (a scan's plan
    /// computed them), the rest computed here once after [`forget`]. Until
    /// the next `forget`, `bars` and which series are `given` must not
    /// change (one scan's `Prepared` holds both).
    ///
    /// [`forget`]: ScoreScratch::forget
    pub fn series_of<'a>(
        &'a mut self,
        bars: &Bars,
        given: [Option<&'a [f64]>; 3],
    ) -> ScoreSeries<'a> {
        if !self.filled {
            self.fill(bars, bars.len(), given.map(|g| g.is_some()));
            self.filled = true;
        }
        self.view(given)
    }

    /// The fields at bar `i` (what scan expressions read: no trade plan, no
    /// tags, no allocation), from [`ScoreScratch::series_of`], a block of
    /// bars at a time: a miss rates bars `i..` up to `windows::BLOCK` at
    /// once, so reading every bar in turn (a backtest) costs a block per 64
    /// bars, and the last bar alone (a scan) one bar.
    pub fn rating_at(&mut self, bars: &Bars, i: usize, given: [Option<&[f64]>; 3]) -> Rating {
        let cached = i
            .checked_sub(self.ratings_from)
            .and_then(|k| self.ratings.get(k));
        if let Some(r) = cached {
            return *r;
        }
        if i >= bars.len() {
            return rate(&Features::NAN);
        }
        let m = windows::BLOCK.min(bars.len() - i);
        let mut features = [Features::NAN; windows::BLOCK];
        let series = self.series_of(bars, given);
        if m == 1 {
            // The last bar (a scan): one bar's windows alone.
            features[0] = features_at(bars, i, series.at(i));
        } else {
            windows::features(bars, i, &series, &mut features[..m]);
        }
        self.ratings.clear();
        self.ratings.extend(features[..m].iter().map(rate));
        self.ratings_from = i;
        self.ratings[0]
    }

    /// Computes the score's series over bars `0..len` here, except those
    /// `given`.
    fn fill(&mut self, bars: &Bars, len: usize, given: [bool; 3]) {
        self.forget();
        let n = len.min(bars.len());
        for col in &mut self.cols {
            col.resize(n, f64::NAN);
        }
        let [r, a, line, signal, hist] = &mut self.cols;
        let close = &bars.close()[..n];
        if !given[0] {
            rsi(close, 14, r);
        }
        if !given[1] {
            atr(&bars.high()[..n], &bars.low()[..n], close, 14, a);
        }
        if !given[2] {
            macd(close, 12, 26, 9, line, signal, hist);
        }
    }

    /// The series: those given, the rest as `fill` left them.
    fn view<'a>(&'a self, [rsi_14, atr_14, macd_hist]: [Option<&'a [f64]>; 3]) -> ScoreSeries<'a> {
        let [r, a, _, _, hist] = &self.cols;
        ScoreSeries {
            rsi_14: rsi_14.unwrap_or(r),
            atr_14: atr_14.unwrap_or(a),
            macd_hist: macd_hist.unwrap_or(hist),
        }
    }
}

/// Scores the bar at `index` (using bars `0..=index` only). Allocates its
/// scratch columns; use [`score_at_with`] in loops over many symbols.
pub fn score_at(bars: &Bars, index: usize, settings: &Settings) -> Score {
    score_at_with(bars, index, settings, &mut ScoreScratch::default())
}

/// Scores the latest bar.
pub fn score(bars: &Bars, settings: &Settings) -> Score {
    score_at(bars, bars.len().saturating_sub(1), settings)
}

/// [`score_at`] with caller-owned scratch columns (no allocation once they
/// have grown to the series length, except the tags). Computes the series
/// over bars `0..=index`: to score many bars of one symbol, compute them
/// once ([`ScoreScratch::series`]) and call [`score_from_series`].
pub fn score_at_with(
    bars: &Bars,
    index: usize,
    settings: &Settings,
    scratch: &mut ScoreScratch,
) -> Score {
    if index >= bars.len() {
        return Score::undefined();
    }
    scratch.fill(bars, index + 1, [false; 3]);
    score_from_series(bars, index, settings, &scratch.view([None; 3]))
}

/// The score at `index` from the symbol's [`ScoreSeries`]: the windows of
/// bars `0..=index`, and the series' values at `index`.
pub fn score_from_series(
    bars: &Bars,
    index: usize,
    settings: &Settings,
    series: &ScoreSeries,
) -> Score {
    if index >= bars.len() {
        return Score::undefined();
    }
    let features = features_at(bars, index, series.at(index));
    let Rating {
        subscores,
        tech_rating,
        short_rating,
        signal,
    } = rate(&features);
    let plan = signal.side().and_then(|side| {
        let close = bars.close()[index];
        let extreme = match side {
            Side::Long => bars.low()[index],
            Side::Short => bars.high()[index],
        };
        trade_plan(
            side,
            close,
            extreme,
            close * features.atr_pct_14,
            features.dollar_vol_20,
            settings,
        )
    });
    Score {
        features,
        subscores,
        tech_rating,
        short_subscores: short_subscores(&features, &subscores),
        short_rating,
        signal,
        plan,
        tags: tags(tech_rating, &subscores),
    }
}

/// Subscores, both ratings and the signal of these features.
fn rate(features: &Features) -> Rating {
    let subscores = subscores(features);
    let tech_rating = tech_rating(&subscores);
    let short_subscores = short_subscores(features, &subscores);
    let short_rating = short_rating(&short_subscores, &subscores);
    Rating {
        subscores,
        tech_rating,
        short_rating,
        signal: signal(tech_rating, &subscores, short_rating, &short_subscores),
    }
}

/// The features at bar `i < bars.len()`, one bar at a time as the module
/// docs define them, given RSI(14), ATR(14) and the MACD histogram at `i`
/// (`windows::features` gives the same bits for a run of bars, faster).
fn features_at(bars: &Bars, i: usize, [rsi_14, atr_14, macd_hist]: [f64; 3]) -> Features {
    let n = i + 1;
    let close = &bars.close()[..n];
    let open = &bars.open()[..n];
    let volume = &bars.volume()[..n];
    let last = close[i];

    let ret = |k: usize| {
        if i >= k {
            last / close[i - k] - 1.0
        } else {
            f64::NAN
        }
    };
    let atr_pct_14 = atr_14 / last;

    let dollar_vol_20 = window(n, 20).map_or(f64::NAN, |w| {
        w.map(|j| close[j] * volume[j]).sum::<f64>() / 20.0
    });
    let vol_spike_ratio = if dollar_vol_20 > 0.0 {
        last * volume[i] / dollar_vol_20
    } else {
        f64::NAN
    };

    let (pct_from_high20, pct_from_low20) = window(n, 20).map_or((f64::NAN, f64::NAN), |w| {
        let (low, high) = w.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), j| {
            (lo.min(close[j]), hi.max(close[j]))
        });
        ((last / high - 1.0) * 100.0, (last / low - 1.0) * 100.0)
    });

    Features {
        ret_1d: ret(1),
        ret_5d: ret(5),
        ret_21d: ret(21),
        vol_realized_20: return_std(close, 20) * 252f64.sqrt(),
        atr_pct_14,
        sma_20: mean_last(close, 20),
        sma_50: mean_last(close, 50),
        sma_200: mean_last(close, 200),
        pct_from_high20,
        pct_from_low20,
        rsi_14,
        macd_hist,
        dollar_vol_20,
        vol_spike_ratio,
        gap_mean_10: window(n - 1, 10).map_or(f64::NAN, |w| {
            w.map(|j| (open[j + 1] - close[j]).abs() / close[j])
                .sum::<f64>()
                / 10.0
        }),
    }
}

/// The indices of the last `width` of `len` items, if there are that many.
#[inline]
fn window(len: usize, width: usize) -> Option<std::ops::Range<usize>> {
    (len >= width).then(|| len - width..len)
}

/// Mean of the last `width` values (`NaN` if fewer).
fn mean_last(src: &[f64], width: usize) -> f64 {
    window(src.len(), width).map_or(f64::NAN, |w| src[w].iter().sum::<f64>() / width as f64)
}

/// Sample standard deviation (n − 1) of the last `count` simple daily returns
/// of `close` (`NaN` without `count + 1` closes).
fn return_std(close: &[f64], count: usize) -> f64 {
    if count < 2 || close.len() < count + 1 {
        return f64::NAN;
    }
    let start = close.len() - count;
    let r = |j: usize| close[j] / close[j - 1] - 1.0;
    let mean = (start..close.len()).map(r).sum::<f64>() / count as f64;
    let ss = (start..close.len())
        .map(|j| {
            let d = r(j) - mean;
            d * d
        })
        .sum::<f64>();
    (ss / (count - 1) as f64).sqrt()
}

#[inline]
fn flag(cond: bool) -> i32 {
    cond as i32
}

/// The subscores of SPEC §2.4 (NaN features fail every comparison).
fn subscores(f: &Features) -> Subscores {
    let trend = 2 * flag(f.sma_20 > f.sma_50) + flag(f.sma_50 > f.sma_200)
        - 2 * flag(f.sma_20 < f.sma_50)
        - flag(f.sma_50 < f.sma_200);
    let r = f.rsi_14;
    let momentum = flag(r > 55.0) + flag(r > 65.0) - flag(r < 45.0) - flag(r < 40.0)
        + flag(f.macd_hist > 0.0)
        + flag(f.pct_from_high20 > -3.0);
    let spike = f.vol_spike_ratio;
    let volume = if spike > 1.5 {
        2
    } else {
        flag(spike > 1.2) - flag(spike < 0.7)
    };
    let volatility = flag(f.atr_pct_14 < 0.01) - flag(f.atr_pct_14 > 0.03);
    // Written as comparisons (not `!contains`) so a NaN RSI scores 0.
    let oscillator = flag((55.0..=65.0).contains(&r)) - flag(r > 70.0) - flag(r < 40.0);
    let breakout = flag(f.pct_from_high20 > -1.0) + flag(f.ret_5d > 0.02);
    let clip = |x: i32| x.clamp(-3, 3);
    Subscores {
        trend: clip(trend),
        momentum: clip(momentum),
        volume: clip(volume),
        volatility: clip(volatility),
        oscillator: clip(oscillator),
        breakout: clip(breakout),
        risk: 1.0 - 50.0 * f.atr_pct_14,
    }
}

/// The mirrored subscores of SPEC §2.4 (NaN features fail every comparison,
/// as on the long side).
fn short_subscores(f: &Features, long: &Subscores) -> ShortSubscores {
    let r = f.rsi_14;
    let momentum = flag(r < 45.0) + flag(r < 35.0) - flag(r > 55.0) - flag(r > 60.0)
        + flag(f.macd_hist < 0.0)
        + flag(f.pct_from_low20 < 3.0);
    let oscillator = flag((35.0..=45.0).contains(&r)) - flag(r < 30.0) - flag(r > 60.0);
    let breakout = flag(f.pct_from_low20 < 1.0) + flag(f.ret_5d < -0.02);
    let clip = |x: i32| x.clamp(-3, 3);
    ShortSubscores {
        // Trend is already clipped to ±3, so its negation is too.
        trend: -long.trend,
        momentum: clip(momentum),
        oscillator: clip(oscillator),
        breakout: clip(breakout),
    }
}

/// `(3·Trend + 3·Momentum + 2·Volume + Volatility + Oscillator + Breakout) ×
/// (0.7 + 0.3·clip(risk, 0, 1))`; `NaN` when `risk` is.
fn rating([trend, momentum, volume, volatility, oscillator, breakout]: [i32; 6], risk: f64) -> f64 {
    let raw = 3 * trend + 3 * momentum + 2 * volume + volatility + oscillator + breakout;
    raw as f64 * (0.7 + 0.3 * risk.clamp(0.0, 1.0))
}

/// TechRating: [`rating`] of the long subscores.
fn tech_rating(s: &Subscores) -> f64 {
    rating(
        [
            s.trend,
            s.momentum,
            s.volume,
            s.volatility,
            s.oscillator,
            s.breakout,
        ],
        s.risk,
    )
}

/// ShortRating: [`rating`] of the mirrored subscores, with the long side's
/// Volume, Volatility and RiskScore.
fn short_rating(m: &ShortSubscores, long: &Subscores) -> f64 {
    rating(
        [
            m.trend,
            m.momentum,
            long.volume,
            long.volatility,
            m.oscillator,
            m.breakout,
        ],
        long.risk,
    )
}

/// Long first (Strong Long, then Long), then the mirrored short side on
/// ShortRating, else Avoid. NaN ratings fail every threshold.
fn signal(tech_rating: f64, s: &Subscores, short_rating: f64, m: &ShortSubscores) -> Signal {
    if tech_rating >= 22.0 && s.trend >= 2 && s.momentum >= 1 {
        Signal::StrongLong
    } else if tech_rating >= 16.0 && s.trend >= 1 {
        Signal::Long
    } else if short_rating >= 22.0 && m.trend >= 2 && m.momentum >= 1 {
        Signal::StrongShort
    } else if short_rating >= 16.0 && m.trend >= 1 {
        Signal::Short
    } else {
        Signal::Avoid
    }
}

/// Up to four tags: conviction, breakout, momentum, risk (SPEC §2.4).
fn tags(tech_rating: f64, s: &Subscores) -> Vec<Tag> {
    let mut tags = Vec::new();
    if tech_rating >= 22.0 {
        tags.push(Tag::HighConviction);
    } else if tech_rating >= 18.0 {
        tags.push(Tag::QualitySetup);
    }
    if s.breakout >= 2 {
        tags.push(Tag::Breakout);
    }
    if s.momentum >= 2 {
        tags.push(Tag::Momentum);
    } else if s.momentum <= -1 {
        tags.push(Tag::MomentumFading);
    }
    if s.risk >= 0.8 {
        tags.push(Tag::LowRisk);
    } else if s.risk <= 0.45 {
        tags.push(Tag::HighRisk);
    }
    tags
}

mod plan;
mod regime;
mod windows;

pub use plan::{trade_plan, Side, TradePlan};
pub use regime::{regime, regime_at, Regime, RegimeTrend};

#[cfg(test)]
mod tests;
