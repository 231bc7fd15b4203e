//! The Technic score (SPEC §2.4): features, subscores, TechRating, signal,
//! trade plan, setup tags and market regime, per symbol at a given bar.
//!
//! TODO(engine issue): implement. The public API below is the contract the
//! scan language and the scan run are written against.

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
}

/// A Technic value usable inside scan expressions, by its language name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    TechRating,
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
    pub const ALL: [Field; 9] = [
        Field::TechRating,
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

/// The score of one symbol at one bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub tech_rating: f64,
    pub signal: Signal,
}

impl Score {
    /// The value of a Technic field (signal as its numeric code; NaN if undefined).
    pub fn field(&self, field: Field) -> f64 {
        match field {
            Field::TechRating => self.tech_rating,
            Field::Signal => self.signal.code() as f64,
            _ => f64::NAN,
        }
    }
}

/// Scores the bar at `index` (using bars `0..=index` only).
pub fn score_at(_bars: &Bars, _index: usize, _settings: &Settings) -> Score {
    Score {
        tech_rating: f64::NAN,
        signal: Signal::Avoid,
    }
}

/// Scores the latest bar.
pub fn score(bars: &Bars, settings: &Settings) -> Score {
    score_at(bars, bars.len().saturating_sub(1), settings)
}
