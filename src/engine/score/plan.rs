//! The trade plan of SPEC §2.4: entry, stop and target from the close, the
//! bar's extreme and the ATR, and the position size from the risk budget,
//! capped for liquidity; Short mirrors Long. Engine only: no browser crate.

use super::Settings;

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Long,
    Short,
}

/// The trade plan for a Long/Strong Long (or mirrored Short/Strong Short) signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradePlan {
    pub side: Side,
    /// Prices rounded to cents.
    pub entry: f64,
    pub stop: f64,
    pub target: f64,
    /// The R multiple the target was set at (the setting).
    pub reward_risk: f64,
    /// Whole shares: risk budget ÷ per-share risk, maybe capped for liquidity.
    pub shares: u64,
    /// True when shares were cut to 5% of the 20-bar dollar volume ÷ entry.
    pub liquidity_capped: bool,
}

pub(super) fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The plan of SPEC §2.4 for `side` (Short mirrors Long: `extreme` is the
/// bar's low for a long, its high for a short). `None` unless the ATR in
/// dollars is positive and finite.
pub fn trade_plan(
    side: Side,
    close: f64,
    extreme: f64,
    atr_dollars: f64,
    dollar_vol_20: f64,
    settings: &Settings,
) -> Option<TradePlan> {
    if !(atr_dollars > 0.0 && atr_dollars.is_finite()) {
        return None;
    }
    // Work in "long" coordinates: dir = +1 for long, −1 for short.
    let dir = match side {
        Side::Long => 1.0,
        Side::Short => -1.0,
    };
    let a = atr_dollars;
    let wide = close - dir * 1.5 * a;
    let raw_stop = match side {
        Side::Long => extreme.min(wide),
        Side::Short => extreme.max(wide),
    };
    let (far, near) = (close - dir * 3.0 * a, close - dir * 0.5 * a);
    // min/max rather than `clamp`, which panics on unordered bounds.
    let stop = match side {
        Side::Long => raw_stop.max(far).min(near),
        Side::Short => raw_stop.min(far).max(near),
    };
    let entry = close + dir * 0.1 * a;
    let per_share = (entry - stop) * dir;
    let target = entry + dir * settings.reward_risk * per_share;
    let budget = settings.account * settings.risk_pct / 100.0;
    let by_risk = (budget / per_share).floor().max(0.0);
    let by_liquidity = (0.05 * dollar_vol_20 / entry).floor();
    let (shares, liquidity_capped) = if by_liquidity < by_risk {
        (by_liquidity.max(0.0), true)
    } else {
        (by_risk, false)
    };
    Some(TradePlan {
        side,
        entry: round_cents(entry),
        stop: round_cents(stop),
        target: round_cents(target),
        reward_risk: settings.reward_risk,
        // Saturating float-to-int conversion; NaN (no budget) becomes 0.
        shares: shares as u64,
        liquidity_capped,
    })
}
