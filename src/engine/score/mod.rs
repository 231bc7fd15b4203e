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
        self.rating().field(field)
    }

    /// The fields' part of the score.
    pub fn rating(&self) -> Rating {
        Rating {
            subscores: self.subscores,
            tech_rating: self.tech_rating,
            short_rating: self.short_rating,
            signal: self.signal,
        }
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
    /// The value of a Technic field (signal as its numeric code; NaN if undefined).
    pub fn field(&self, field: Field) -> f64 {
        let s = &self.subscores;
        match field {
            Field::TechRating => self.tech_rating,
            Field::ShortRating => self.short_rating,
            Field::Signal => self.signal.code() as f64,
            Field::TrendScore => s.trend as f64,
            Field::MomentumScore => s.momentum as f64,
            Field::VolumeScore => s.volume as f64,
            Field::VolatilityScore => s.volatility as f64,
            Field::OscillatorScore => s.oscillator as f64,
            Field::BreakoutScore => s.breakout as f64,
            Field::RiskScore => s.risk,
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

mod features;
mod plan;
mod regime;
mod series;
mod windows;

use features::features_at;
pub use features::Features;
pub use series::{ScoreScratch, ScoreSeries};

pub use plan::{trade_plan, Side, TradePlan};
pub use regime::{regime, regime_at, Regime, RegimeTrend};

#[cfg(test)]
mod tests;
