//! The figures by calendar year and by market regime at the signal: each
//! group of signals with its own baseline, computed in parallel. Engine only.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::{horizon_table, plan_stats, Group, Options, SignalRecord, Sums, REGIME_LABELS};

pub(super) fn by_year(
    signals: &[SignalRecord],
    opts: &Options,
    base_year: &BTreeMap<i32, Sums>,
) -> Vec<Group> {
    let k = opts.horizons.len();
    let years: BTreeSet<i32> = signals.iter().map(|s| s.year).collect();
    years
        .into_par_iter()
        .map(|y| {
            let group: Vec<&SignalRecord> = signals.iter().filter(|s| s.year == y).collect();
            let b = base_year.get(&y).cloned().unwrap_or_else(|| Sums::new(k));
            make_group(y.to_string(), &group, opts, &b)
        })
        .collect()
}

pub(super) fn by_regime(
    signals: &[SignalRecord],
    opts: &Options,
    base_regime: &[Sums],
) -> Vec<Group> {
    (0..REGIME_LABELS.len())
        .into_par_iter()
        .filter_map(|code| {
            let group: Vec<&SignalRecord> = signals
                .iter()
                .filter(|s| usize::from(s.regime) == code)
                .collect();
            (!group.is_empty()).then(|| {
                make_group(
                    REGIME_LABELS[code].to_string(),
                    &group,
                    opts,
                    &base_regime[code],
                )
            })
        })
        .collect()
}

fn make_group(key: String, group: &[&SignalRecord], opts: &Options, base: &Sums) -> Group {
    let mut plan = plan_stats(group, opts);
    // The curve is reported once, for all signals.
    plan.curve.clear();
    Group {
        key,
        signals: group.len(),
        horizons: horizon_table(group, opts, base),
        plan,
    }
}
