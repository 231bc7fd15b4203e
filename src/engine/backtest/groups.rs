//! The figures by calendar year and by market regime at the signal: each
//! group of signals with its own baseline, computed in parallel. Engine only.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::tables::{horizon_table, plan_stats, Signals};
use super::{Group, Options, Sums, REGIME_LABELS};

pub(super) fn by_year(
    signals: &Signals,
    opts: &Options,
    base_year: &BTreeMap<i32, Sums>,
) -> Vec<Group> {
    let k = opts.horizons.len();
    let mut members: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
    for (i, s) in signals.all.iter().enumerate() {
        members.entry(s.year).or_default().push(i as u32);
    }
    members
        .into_par_iter()
        .map(|(y, group)| {
            let b = base_year.get(&y).cloned().unwrap_or_else(|| Sums::new(k));
            let by_time = signals.by_time(|s| s.year == y);
            make_group(y.to_string(), signals, (&group, &by_time), opts, &b)
        })
        .collect()
}

pub(super) fn by_regime(signals: &Signals, opts: &Options, base_regime: &[Sums]) -> Vec<Group> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); REGIME_LABELS.len()];
    for (i, s) in signals.all.iter().enumerate() {
        members[usize::from(s.regime)].push(i as u32);
    }
    members
        .into_par_iter()
        .enumerate()
        .filter(|(_, group)| !group.is_empty())
        .map(|(code, group)| {
            let by_time = signals.by_time(|s| usize::from(s.regime) == code);
            make_group(
                REGIME_LABELS[code].to_string(),
                signals,
                (&group, &by_time),
                opts,
                &base_regime[code],
            )
        })
        .collect()
}

/// One group's tables; `members` in (symbol, time) order and in time order.
fn make_group(
    key: String,
    signals: &Signals,
    (members, by_time): (&[u32], &[u32]),
    opts: &Options,
    base: &Sums,
) -> Group {
    Group {
        key,
        signals: members.len(),
        horizons: horizon_table(signals, members, opts, base),
        // The curve is reported once, for all signals.
        plan: plan_stats(signals, by_time, opts, false),
    }
}
