//! The report's tables from its signals: the figures per horizon and the
//! trade plan's, for all signals and for each group (a year, a regime).
//! What every table needs of the signals — each one's date as an index into
//! the sorted distinct dates, and their order by time — is computed once in
//! [`Signals::new`], so a table is a pass over its members plus linear-time
//! quantiles: sorting dates, times and returns again for each of the ~70
//! tables of a report was 40% of the backtest of `rsi(14) < 30` over 5,000 ×
//! 2,520 bars (benches/backtest.rs). Engine only.

use rayon::prelude::*;
use std::collections::BTreeMap;

use super::{stats, CurvePoint, HorizonStats, Options, Outcome, PlanStats, SignalRecord, Sums};

/// The report's signals, ordered by (symbol, time), with their dates indexed.
pub(super) struct Signals<'a> {
    pub(super) all: &'a [SignalRecord],
    /// `date[i]`: signal i's time as an index into the sorted distinct times.
    date: Vec<usize>,
    dates: usize,
    /// Positions by time; equal times keep (symbol) order.
    by_time: Vec<u32>,
}

impl<'a> Signals<'a> {
    pub(super) fn new(all: &'a [SignalRecord]) -> Signals<'a> {
        let mut times: Vec<i64> = all.iter().map(|s| s.time).collect();
        times.sort_unstable();
        times.dedup();
        let date: Vec<usize> = all
            .iter()
            .map(|s| times.partition_point(|&d| d < s.time))
            .collect();
        // A counting sort by date: stable, so equal times stay in the
        // signals' (symbol) order.
        let mut next = vec![0usize; times.len() + 1];
        for &d in &date {
            next[d + 1] += 1;
        }
        for d in 0..times.len() {
            next[d + 1] += next[d];
        }
        let mut by_time = vec![0u32; all.len()];
        for (i, &d) in date.iter().enumerate() {
            by_time[next[d]] = i as u32;
            next[d] += 1;
        }
        Signals {
            all,
            date,
            dates: times.len(),
            by_time,
        }
    }

    /// Every position, in (symbol, time) order.
    pub(super) fn everyone(&self) -> Vec<u32> {
        (0..self.all.len() as u32).collect()
    }

    /// Positions in time order whose signal `keep` accepts.
    pub(super) fn by_time(&self, keep: impl Fn(&SignalRecord) -> bool) -> Vec<u32> {
        self.by_time
            .iter()
            .copied()
            .filter(|&i| keep(&self.all[i as usize]))
            .collect()
    }
}

/// The figures at every horizon of the options over `members` (positions in
/// (symbol, time) order).
pub(super) fn horizon_table(
    signals: &Signals,
    members: &[u32],
    opts: &Options,
    base: &Sums,
) -> Vec<HorizonStats> {
    // One task per horizon (results in horizon order): the whole set's
    // table was the longest of the four jobs `aggregate` runs side by side.
    opts.horizons
        .par_iter()
        .enumerate()
        .map(|(j, &h)| horizon_stats(signals, members, j, h, base.0[j]))
        .collect()
}

/// The figures at horizon `h` (the options' `j`-th) over `members`.
fn horizon_stats(
    signals: &Signals,
    members: &[u32],
    j: usize,
    h: usize,
    (base_sum, base_n): (f64, usize),
) -> HorizonStats {
    let mut values = Vec::with_capacity(members.len());
    let mut cluster = Vec::with_capacity(members.len());
    let mut seen = vec![false; signals.dates];
    // Members come grouped by symbol (ordered by symbol, then time), so a
    // change of name is a new symbol; a set of names cost a third of the
    // sequential merge on 170k signals (benches/backtest.rs).
    let (mut symbols, mut last) = (0, None);
    for &i in members {
        let s = &signals.all[i as usize];
        if let Some(Some(r)) = s.returns.get(j) {
            let d = signals.date[i as usize];
            values.push(*r);
            cluster.push(d);
            seen[d] = true;
            if last != Some(s.symbol.as_str()) {
                symbols += 1;
                last = Some(s.symbol.as_str());
            }
        }
    }
    let n = values.len();
    let mean = (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
    let baseline_mean = (base_n > 0).then(|| base_sum / base_n as f64);
    let win_pct =
        (n > 0).then(|| 100.0 * values.iter().filter(|&&r| r > 0.0).count() as f64 / n as f64);
    let profit_factor = stats::profit_factor(&values);
    let ci95 = stats::cluster_ci95(&values, &cluster, signals.dates);
    // Last: selecting a quantile reorders the values.
    let mut q = |p| stats::quantile_select(&mut values, p);
    let (median, p25, p75) = (q(0.5), q(0.25), q(0.75));
    HorizonStats {
        h,
        signals: n,
        symbols,
        dates: seen.iter().filter(|&&s| s).count(),
        win_pct,
        mean,
        median,
        p25,
        p75,
        profit_factor,
        baseline_mean,
        baseline_count: base_n,
        excess: mean.zip(baseline_mean).map(|(m, b)| m - b),
        ci95,
    }
}

/// The trade plan's figures over `members` (positions in time order, equal
/// times in symbol order: the order trades are taken in for the R curve and
/// its drawdown), with the curve itself only when asked for.
pub(super) fn plan_stats(
    signals: &Signals,
    members: &[u32],
    opts: &Options,
    with_curve: bool,
) -> PlanStats {
    let mut p = PlanStats {
        side: opts.side,
        hold: opts.hold,
        trades: 0,
        wins: 0,
        win_pct: None,
        avg_r: None,
        expectancy: None,
        max_drawdown_r: None,
        exits: BTreeMap::new(),
        no_plan: 0,
        no_entry: 0,
        opened_outside: 0,
        unfinished: 0,
        curve: Vec::new(),
    };
    let (mut cum, mut peak, mut dd, mut sum_ret) = (0.0f64, 0.0f64, 0.0f64, 0.0);
    for &i in members {
        let s = &signals.all[i as usize];
        let t = match &s.trade {
            Outcome::Closed(t) => t,
            Outcome::NoPlan => {
                p.no_plan += 1;
                continue;
            }
            Outcome::NoEntry => {
                p.no_entry += 1;
                continue;
            }
            Outcome::OpenedOutside => {
                p.opened_outside += 1;
                continue;
            }
            Outcome::Unfinished => {
                p.unfinished += 1;
                continue;
            }
        };
        p.trades += 1;
        cum += t.r;
        peak = peak.max(cum);
        dd = dd.max(peak - cum);
        sum_ret += t.ret;
        if t.r > 0.0 {
            p.wins += 1;
        }
        *p.exits.entry(t.exit_reason.label()).or_insert(0) += 1;
        if with_curve {
            p.curve.push(CurvePoint {
                time: s.time,
                symbol: s.symbol.clone(),
                r: t.r,
                cum_r: cum,
            });
        }
    }
    let n = p.trades;
    if n == 0 {
        return p;
    }
    p.win_pct = Some(100.0 * p.wins as f64 / n as f64);
    p.avg_r = Some(cum / n as f64);
    p.expectancy = Some(sum_ret / n as f64);
    p.max_drawdown_r = Some(dd);
    p
}
