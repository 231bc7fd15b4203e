//! The reader's notes of a backtest: survivorship, sample size, where the
//! regime comes from and what the interval assumes. Engine only.

use std::collections::BTreeSet;

use super::market::RegimeSource;
use super::{HorizonStats, SignalRecord, FEW_SIGNALS};
use crate::engine::bars::Bars;

pub(super) fn notes(
    order: &[(&str, &Bars)],
    signals: &[SignalRecord],
    horizons: &[HorizonStats],
    regime: &RegimeSource,
) -> Vec<String> {
    let mut notes = Vec::new();
    let last = order
        .iter()
        .filter_map(|(_, b)| b.time().last().copied())
        .max();
    let ended_early: Vec<&str> = order
        .iter()
        .filter(|(_, b)| b.time().last().copied() < last)
        .map(|(s, _)| *s)
        .collect();
    let n = order.len();
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    let last_date = last
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    if ended_early.is_empty() {
        notes.push(format!(
            "{n} symbol{}, all with bars up to the last date {last_date} (survivorship: a universe of symbols that still trade leaves out those that were delisted, so results lean optimistic)",
            plural(n)
        ));
    } else {
        notes.push(format!(
            "{n} symbol{}; {} stop before the last date {last_date} ({}); the rest still trade (survivorship: delisted symbols not in the data are missing)",
            plural(n),
            ended_early.len(),
            ended_early.iter().take(5).copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let with = signals
        .iter()
        .map(|s| s.symbol.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    notes.push(format!(
        "{} signal{} from {with} of {n} symbol{}",
        signals.len(),
        plural(signals.len()),
        plural(n)
    ));
    for h in horizons {
        if h.signals < FEW_SIGNALS {
            notes.push(format!(
                "h={}: only {} signal{} on {} date{}; treat the figures as anecdotes",
                h.h,
                h.signals,
                plural(h.signals),
                h.dates,
                plural(h.dates)
            ));
        }
    }
    notes.push(format!("regime from the {}", regime.describe()));
    notes.push(
        "95% intervals are cluster-robust by signal date (signals on one date are not independent); overlap across nearby dates is not modelled"
            .to_string(),
    );
    notes
}
