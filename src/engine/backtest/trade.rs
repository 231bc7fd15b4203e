//! One signal's trade under the Technic plan (SPEC §2.4, §2.7): entry at the
//! next bar's open, the plan's stop and target, held up to N bars. Reads only
//! the bars and the score's `TradePlan`; knows nothing of scans or statistics.
//!
//! Rules, in the order they are checked on each held bar:
//! 1. A bar after the entry bar that opens through the stop exits at that open
//!    (a gap is not filled at the stop); one that opens through the target
//!    exits at that open too (the gap's luck counts, as the stop's does).
//! 2. A bar whose range touches the stop exits at the stop, even if it also
//!    touches the target: with daily bars the order inside the bar is
//!    unknown, so the worse fill is assumed.
//! 3. A bar touching only the target exits at the target.
//! 4. Otherwise the trade exits at the close of the last held bar (bar t+N).
//!
//! R is measured against the risk actually taken: |entry − stop| with entry =
//! open[t+1]. A trade whose entry open is already at or beyond the stop or the
//! target is not taken ([`Outcome::OpenedOutside`]); one whose last held bar
//! does not exist yet and that has not exited is [`Outcome::Unfinished`]
//! (counting it would keep the early stops and drop the late winners).

use crate::engine::bars::Bars;
use crate::engine::score::{Side, TradePlan};

/// How a trade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Touched the stop (or both stop and target in one bar).
    Stop,
    /// Opened through the stop.
    GapStop,
    Target,
    /// Opened through the target.
    GapTarget,
    /// Held the full N bars; out at the last close.
    Time,
}

impl Exit {
    pub fn label(self) -> &'static str {
        match self {
            Exit::Stop => "stop",
            Exit::GapStop => "gapStop",
            Exit::Target => "target",
            Exit::GapTarget => "gapTarget",
            Exit::Time => "time",
        }
    }
}

/// A trade that was taken and closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    pub entry: f64,
    pub stop: f64,
    pub target: f64,
    pub exit: f64,
    /// Bar index of the exit.
    pub exit_index: usize,
    pub exit_reason: Exit,
    /// Profit in units of the risk taken (negative for a loss).
    pub r: f64,
    /// Profit as a fraction of the entry price (sign mirrored for a short).
    pub ret: f64,
}

/// One signal's trade outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Closed(Trade),
    /// No plan at the signal bar (ATR undefined: too little history).
    NoPlan,
    /// No bar after the signal to enter on.
    NoEntry,
    /// The entry open was at or beyond the stop or the target.
    OpenedOutside,
    /// Neither exited nor held the full N bars before the data ends.
    Unfinished,
}

impl Outcome {
    pub fn trade(&self) -> Option<&Trade> {
        match self {
            Outcome::Closed(t) => Some(t),
            _ => None,
        }
    }
}

/// Simulates the trade of a signal at bar `t` under `plan`, held up to `hold` bars.
pub fn simulate(bars: &Bars, t: usize, plan: Option<&TradePlan>, hold: usize) -> Outcome {
    let Some(plan) = plan else {
        return Outcome::NoPlan;
    };
    let (open, high, low, close) = (bars.open(), bars.high(), bars.low(), bars.close());
    let Some(&entry) = open.get(t + 1) else {
        return Outcome::NoEntry;
    };
    // Long coordinates: dir·price rises when the trade gains.
    let dir = match plan.side {
        Side::Long => 1.0,
        Side::Short => -1.0,
    };
    let (stop, target) = (plan.stop, plan.target);
    let risk = dir * (entry - stop);
    let reward = dir * (target - entry);
    // NaN-safe: a NaN risk or reward fails `> 0` and is not taken either.
    if risk.is_nan() || risk <= 0.0 || reward.is_nan() || reward <= 0.0 {
        return Outcome::OpenedOutside;
    }
    let last = t + hold.max(1);
    let done = |exit: f64, j: usize, why: Exit| {
        Outcome::Closed(Trade {
            entry,
            stop,
            target,
            exit,
            exit_index: j,
            exit_reason: why,
            r: dir * (exit - entry) / risk,
            ret: dir * (exit / entry - 1.0),
        })
    };
    for j in t + 1..=last {
        if j >= bars.len() {
            return Outcome::Unfinished;
        }
        // The bar's worst and best prices for the trade.
        let (worst, best) = match plan.side {
            Side::Long => (low[j], high[j]),
            Side::Short => (high[j], low[j]),
        };
        if j > t + 1 && dir * (open[j] - stop) <= 0.0 {
            return done(open[j], j, Exit::GapStop);
        }
        if j > t + 1 && dir * (open[j] - target) >= 0.0 {
            return done(open[j], j, Exit::GapTarget);
        }
        if dir * (worst - stop) <= 0.0 {
            return done(stop, j, Exit::Stop);
        }
        if dir * (best - target) >= 0.0 {
            return done(target, j, Exit::Target);
        }
        if j == last {
            return done(close[j], j, Exit::Time);
        }
    }
    Outcome::Unfinished
}
