//! The market regime from a benchmark symbol (SPEC §2.4): trend from SMA50/SMA200
//! and the close, high volatility from the 20-bar / 60-bar return std ratio.

use super::features::{mean_last, return_std};
use crate::engine::bars::Bars;

/// Trend part of the market regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegimeTrend {
    /// SMA50 > SMA200 and close > SMA50.
    Up,
    /// SMA50 < SMA200 and close < SMA50.
    Down,
    /// Anything else, including too few bars for SMA200.
    Sideways,
}

impl RegimeTrend {
    /// The original's label: `TRENDING_UP`, `TRENDING_DOWN`, `SIDEWAYS`.
    pub fn label(self) -> &'static str {
        match self {
            RegimeTrend::Up => "TRENDING_UP",
            RegimeTrend::Down => "TRENDING_DOWN",
            RegimeTrend::Sideways => "SIDEWAYS",
        }
    }
}

/// The market regime, read from a benchmark symbol (SPY by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Regime {
    pub trend: RegimeTrend,
    /// Sample std of the last 20 daily returns ÷ that of the last 60
    /// (`NaN` with fewer than 61 bars or a 60-bar std below 1e-12, i.e.
    /// constant returns).
    pub vol_ratio: f64,
    /// `vol_ratio > 1.25`.
    pub high_volatility: bool,
}

impl Regime {
    /// `HIGH_VOL` or `LOW_VOL`.
    pub fn vol_label(&self) -> &'static str {
        if self.high_volatility {
            "HIGH_VOL"
        } else {
            "LOW_VOL"
        }
    }

    /// The combined label, e.g. `SIDEWAYS_LOW_VOL`, `TRENDING_UP_HIGH_VOL`.
    pub fn label(&self) -> String {
        format!("{}_{}", self.trend.label(), self.vol_label())
    }
}

/// The market regime at the latest bar of the benchmark's bars.
pub fn regime(bars: &Bars) -> Regime {
    regime_at(bars, bars.len().saturating_sub(1))
}

/// The market regime at bar `index` (bars `0..=index` only). Too few bars
/// give Sideways (no SMA200) and low volatility (no 60-bar std).
pub fn regime_at(bars: &Bars, index: usize) -> Regime {
    let close = &bars.close()[..(index + 1).min(bars.len())];
    let sma_50 = mean_last(close, 50);
    let sma_200 = mean_last(close, 200);
    let last = close.last().copied().unwrap_or(f64::NAN);
    let trend = if sma_50 > sma_200 && last > sma_50 {
        RegimeTrend::Up
    } else if sma_50 < sma_200 && last < sma_50 {
        RegimeTrend::Down
    } else {
        RegimeTrend::Sideways
    };
    let long = return_std(close, 60);
    // Constant returns leave only rounding noise (~1e-17) in the std; a ratio
    // of two such noises means nothing, so it counts as undefined.
    let vol_ratio = if long > 1e-12 {
        return_std(close, 20) / long
    } else {
        f64::NAN
    };
    Regime {
        trend,
        vol_ratio,
        high_volatility: vol_ratio > 1.25,
    }
}
