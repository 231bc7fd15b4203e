//! The backtest of a scan over history (SPEC §2.7): signals at every bar of
//! every symbol from the scan's compiled plan (computed once per symbol, then
//! evaluated bar by bar), forward returns against the universe's baseline,
//! the trade plan's outcome per signal, and the figures by year and by market
//! regime. Engine only: must not import any browser crate, files or the CLI.
//!
//! Definitions (the contract the tests check):
//! - A **signal** is the first bar t of each run of consecutive bars where the
//!   scan is true; an undefined condition counts as not true. Runs are found
//!   on the whole history; `from`/`to` then keep the signals whose bar t is
//!   inside the window.
//! - Entry is open[t+1]; the return at horizon h is close[t+h] / open[t+1] − 1,
//!   counted only when bar t+h exists.
//! - The **baseline** at h is the same return at every bar where the scan is
//!   defined (true or false), of the same symbols, in the same window.
//! - Sums run in a fixed order so every figure is the same on every run and
//!   thread count: signals are ordered by (symbol, time); the baseline is the
//!   sum over symbols (by name) of each symbol's sum over its bars (in time
//!   order), divided by the count.
//! - See [`stats`] for the quantile (linear, as numpy's default), the profit
//!   factor and the 95% interval (cluster-robust by signal date), and
//!   [`trade`] for the trade rules.
//!
//! Symbols run in parallel on the current rayon pool (the outer loop only);
//! each symbol's work is sequential and its results merged in symbol order.

mod groups;
pub mod market;
mod notes;
pub mod params;
pub mod path;
pub mod progress;
pub mod stats;
mod tables;
pub mod trade;
pub mod walk;
mod year;

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::bars::Bars;
use super::indicators::atr;
use super::lang::Scan;
use super::score::{trade_plan, Settings, Side};
use groups::{by_regime, by_year};
pub use market::{RegimeSeries, RegimeSource, REGIME_LABELS};
use notes::notes;
pub use path::AveragePath;
pub use progress::{Ended, Stepper, Watch};
use tables::{horizon_table, plan_stats, Signals};
pub use trade::{Exit, Outcome, Trade};
pub use year::year_of;
use year::YearOf;

/// Default forward horizons, in bars.
pub const DEFAULT_HORIZONS: [usize; 4] = [1, 5, 10, 20];
/// Default number of bars a trade is held at most.
pub const DEFAULT_HOLD: usize = 20;
/// Fewer signals than this at a horizon earns a sample-size note.
pub const FEW_SIGNALS: usize = 30;

/// What to backtest and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Forward horizons in bars (each ≥ 1), reported in this order.
    pub horizons: Vec<usize>,
    /// Bars a trade is held at most (≥ 1).
    pub hold: usize,
    /// Long, or short (the plan mirrored).
    pub side: Side,
    /// Keep signals (and baseline bars) at or after this time (epoch ms).
    pub from: Option<i64>,
    /// Keep signals (and baseline bars) at or before this time (epoch ms).
    pub to: Option<i64>,
    /// The trade plan's settings (only R matters to the outcome).
    pub settings: Settings,
    /// The benchmark symbol the regime is read from when the universe has it.
    pub benchmark: String,
    /// Keep only signals (and baseline bars) at or after each symbol's bar
    /// `split_index(len, f)`: the out-of-sample part of a walk-forward split.
    pub after_fraction: Option<f64>,
}

/// The first bar of the later part when a history of `len` bars is split at
/// fraction `f` (0–1) of its bars.
pub fn split_index(len: usize, f: f64) -> usize {
    ((len as f64 * f.clamp(0.0, 1.0)).floor() as usize).min(len)
}

impl Default for Options {
    fn default() -> Self {
        Options {
            horizons: DEFAULT_HORIZONS.to_vec(),
            hold: DEFAULT_HOLD,
            side: Side::Long,
            from: None,
            to: None,
            settings: Settings::default(),
            benchmark: "SPY".to_string(),
            after_fraction: None,
        }
    }
}

/// A backtest that cannot run, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    #[error("no symbols to backtest")]
    NoSymbols,
    #[error("no horizons: give at least one, e.g. 1,5,10,20")]
    NoHorizons,
    #[error("horizon {0} is not a number of bars ≥ 1")]
    BadHorizon(usize),
    #[error("the holding period must be at least 1 bar")]
    BadHold,
    #[error("the window is empty: from ({from}) is after to ({to})")]
    EmptyWindow { from: i64, to: i64 },
    #[error("symbol {0} appears twice")]
    DuplicateSymbol(String),
    /// Stopped through its [`Watch`] (only [`backtest`] reports it this way;
    /// [`backtest_watched`] returns [`Ended::Stopped`]).
    #[error("the backtest was stopped")]
    Stopped,
}

/// One signal and what followed it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRecord {
    pub symbol: String,
    /// Bar index of the signal in its symbol's bars.
    pub index: usize,
    /// The signal bar's time (epoch ms).
    pub time: i64,
    /// Calendar year (UTC) of the signal bar.
    pub year: i32,
    /// Regime code at the signal (index into [`REGIME_LABELS`]).
    pub regime: u8,
    /// Return at each horizon of the options (`None` past the data's end).
    pub returns: Vec<Option<f64>>,
    pub trade: Outcome,
}

/// The figures of one horizon over a set of signals.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonStats {
    pub h: usize,
    /// Signals whose bar t+h exists.
    pub signals: usize,
    /// Distinct symbols among them.
    pub symbols: usize,
    /// Distinct signal dates (the interval's clusters).
    pub dates: usize,
    /// Percent (0–100) of returns above 0.
    pub win_pct: Option<f64>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    pub profit_factor: Option<f64>,
    pub baseline_mean: Option<f64>,
    /// Bars in the baseline.
    pub baseline_count: usize,
    /// mean − baseline mean.
    pub excess: Option<f64>,
    /// 95% interval of the mean, cluster-robust by signal date.
    pub ci95: Option<(f64, f64)>,
}

/// One point of the cumulative R curve (trades in signal-time order).
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    pub time: i64,
    pub symbol: String,
    pub r: f64,
    pub cum_r: f64,
}

/// The trade plan's outcome over a set of signals.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStats {
    pub side: Side,
    pub hold: usize,
    /// Trades taken and closed.
    pub trades: usize,
    pub wins: usize,
    pub win_pct: Option<f64>,
    pub avg_r: Option<f64>,
    /// Mean return per trade as a fraction of the entry (the same trades as
    /// `avg_r`, in price terms rather than risk units).
    pub expectancy: Option<f64>,
    /// Largest fall of cumulative R from a running peak (starting at 0), ≥ 0.
    pub max_drawdown_r: Option<f64>,
    pub exits: BTreeMap<&'static str, usize>,
    pub no_plan: usize,
    pub no_entry: usize,
    pub opened_outside: usize,
    pub unfinished: usize,
    pub curve: Vec<CurvePoint>,
}

/// Figures of one group of signals (a year or a regime).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub signals: usize,
    pub horizons: Vec<HorizonStats>,
    pub plan: PlanStats,
}

/// The whole backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub horizons: Vec<HorizonStats>,
    pub plan: PlanStats,
    pub by_year: Vec<Group>,
    pub by_regime: Vec<Group>,
    /// Every signal, ordered by (symbol, time).
    pub signals: Vec<SignalRecord>,
    pub regime_source: RegimeSource,
    pub symbols: usize,
    /// Bars of all symbols (the work done).
    pub bars: usize,
    /// Survivorship and sample-size statements, for the reader.
    pub notes: Vec<String>,
}

/// Sum and count of returns per horizon.
#[derive(Debug, Clone, Default)]
struct Sums(Vec<(f64, usize)>);

impl Sums {
    fn new(k: usize) -> Sums {
        Sums(vec![(0.0, 0); k])
    }
    fn add_all(&mut self, other: &Sums) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            a.0 += b.0;
            a.1 += b.1;
        }
    }
}

/// One symbol's share of the backtest.
struct SymbolRun {
    signals: Vec<SignalRecord>,
    base: Sums,
    base_year: Vec<(i32, Sums)>,
    base_regime: Vec<Sums>,
    /// Sums of the return at each bar offset 1..=path_len after a signal's
    /// entry, and after every baseline bar's.
    path_signals: path::PathSums,
    path_base: path::PathSums,
}

/// Runs the backtest of `scan` over `universe` (symbol, bars) on the current
/// rayon pool.
pub fn backtest(
    scan: &Scan,
    universe: &[(&str, &Bars)],
    opts: &Options,
) -> Result<Report, BacktestError> {
    match backtest_watched(scan, universe, opts, 0, &Watch::new())? {
        Ended::Done { report, .. } => Ok(*report),
        // Nobody else holds this watch, so nothing can have stopped it.
        Ended::Stopped { .. } => Err(BacktestError::Stopped),
    }
}

/// [`backtest`] with per-symbol progress and a stop (both through `watch`,
/// checked between symbols), and the average path after a signal and of the
/// baseline at every bar offset `1..=path_len` (0: none).
pub fn backtest_watched(
    scan: &Scan,
    universe: &[(&str, &Bars)],
    opts: &Options,
    path_len: usize,
    watch: &Watch,
) -> Result<Ended, BacktestError> {
    let Prepared { order, regimes } = prepare(universe, opts)?;
    watch.set_total(order.len());
    let runs: Vec<Option<SymbolRun>> = order
        .par_iter()
        .map_init(
            || Scratch::new(scan),
            |scratch, (symbol, bars)| {
                if watch.is_stopped() {
                    return None;
                }
                let run = run_symbol(scan, symbol, bars, scratch, (opts, path_len), &regimes);
                watch.symbol_done();
                Some(run)
            },
        )
        .collect();
    if watch.is_stopped() {
        return Ok(Ended::Stopped {
            done: watch.done(),
            total: order.len(),
        });
    }
    Ok(aggregate(
        &order,
        regimes,
        runs.into_iter().flatten(),
        opts,
        path_len,
    ))
}

/// The checked, ordered universe and its regime series.
struct Prepared<'a> {
    order: Vec<(&'a str, &'a Bars)>,
    regimes: RegimeSeries,
}

fn prepare<'a>(
    universe: &[(&'a str, &'a Bars)],
    opts: &Options,
) -> Result<Prepared<'a>, BacktestError> {
    if universe.is_empty() {
        return Err(BacktestError::NoSymbols);
    }
    if opts.horizons.is_empty() {
        return Err(BacktestError::NoHorizons);
    }
    if let Some(&h) = opts.horizons.iter().find(|&&h| h == 0) {
        return Err(BacktestError::BadHorizon(h));
    }
    if opts.hold == 0 {
        return Err(BacktestError::BadHold);
    }
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            return Err(BacktestError::EmptyWindow { from, to });
        }
    }
    let mut order: Vec<(&str, &Bars)> = universe.to_vec();
    order.sort_by(|a, b| a.0.cmp(b.0));
    if let Some(w) = order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(BacktestError::DuplicateSymbol(w[0].0.to_string()));
    }

    let regimes = match order.iter().find(|(s, _)| *s == opts.benchmark) {
        Some((s, bars)) => RegimeSeries::from_bars(RegimeSource::Benchmark(s.to_string()), bars),
        None => RegimeSeries::equal_weighted(&order.iter().map(|(_, b)| *b).collect::<Vec<_>>()),
    };

    Ok(Prepared { order, regimes })
}

/// Merges the symbols' runs (in symbol order) into the report and the path.
fn aggregate(
    order: &[(&str, &Bars)],
    regimes: RegimeSeries,
    runs: impl Iterator<Item = SymbolRun>,
    opts: &Options,
    path_len: usize,
) -> Ended {
    let k = opts.horizons.len();
    let mut base = Sums::new(k);
    let mut base_year: BTreeMap<i32, Sums> = BTreeMap::new();
    let mut base_regime: Vec<Sums> = vec![Sums::new(k); REGIME_LABELS.len()];
    // Sized once: growing it by doubling moved the 170k signals of the
    // benchmark several times, on one thread, after the parallel part.
    let runs: Vec<SymbolRun> = runs.collect();
    let mut signals = Vec::with_capacity(runs.iter().map(|r| r.signals.len()).sum());
    let mut path = AveragePath::new(path_len);
    for run in runs {
        base.add_all(&run.base);
        path.add(&run.path_signals, &run.path_base);
        for (y, s) in &run.base_year {
            base_year
                .entry(*y)
                .or_insert_with(|| Sums::new(k))
                .add_all(s);
        }
        for (acc, s) in base_regime.iter_mut().zip(&run.base_regime) {
            acc.add_all(s);
        }
        signals.extend(run.signals);
    }

    let table = Signals::new(&signals);
    let ((horizons, plan), (by_year, by_regime)) = rayon::join(
        || {
            rayon::join(
                || horizon_table(&table, &table.everyone(), opts, &base),
                || plan_stats(&table, &table.by_time(|_| true), opts, true),
            )
        },
        || {
            rayon::join(
                || by_year(&table, opts, &base_year),
                || by_regime(&table, opts, &base_regime),
            )
        },
    );

    let notes = notes(order, &signals, &horizons, &regimes.source);
    let report = Report {
        horizons,
        plan,
        by_year,
        by_regime,
        signals,
        regime_source: regimes.source,
        symbols: order.len(),
        bars: order.iter().map(|(_, b)| b.len()).sum(),
        notes,
    };
    Ended::Done {
        report: Box::new(report),
        path,
    }
}

/// Buffers a worker reuses from one symbol to the next.
pub(super) struct Scratch {
    ws: super::lang::Workspace,
    codes: Vec<u8>,
    atr_14: Vec<f64>,
    /// The symbol's baseline bars: defined, inside the window, with a next
    /// bar to enter at.
    counted: Vec<u32>,
    /// Its signal bars (first of a run, defined, inside the window).
    starts: Vec<u32>,
    /// Runs of `counted` in one calendar year: (year, start, end).
    years: Vec<(i32, usize, usize)>,
}

impl Scratch {
    pub(super) fn new(scan: &Scan) -> Scratch {
        Scratch {
            ws: scan.workspace(),
            codes: Vec::new(),
            atr_14: Vec::new(),
            counted: Vec::new(),
            starts: Vec::new(),
            years: Vec::new(),
        }
    }
}

/// One symbol: the condition at every bar first, then each horizon's
/// baseline sums as its own pass over the counted bars. Each sum still adds
/// its returns in time order (the same numbers as the definitions' loop),
/// but a pass keeps its few sums in registers: one loop over bars updating
/// every horizon's sums in memory was ~40% of the backtest
/// (benches/backtest.rs).
fn run_symbol(
    scan: &Scan,
    symbol: &str,
    bars: &Bars,
    s: &mut Scratch,
    (opts, path_len): (&Options, usize),
    regimes: &RegimeSeries,
) -> SymbolRun {
    let k = opts.horizons.len();
    let mut out = SymbolRun {
        signals: Vec::new(),
        base: Sums::new(k),
        base_year: Vec::new(),
        base_regime: vec![Sums::new(k); REGIME_LABELS.len()],
        path_signals: path::PathSums::new(path_len),
        path_base: path::PathSums::new(path_len),
    };
    let (time, open, close) = (bars.time(), bars.open(), bars.close());
    let n = bars.len();
    regimes.codes_for(time, &mut s.codes);
    let (from, to) = (opts.from.unwrap_or(i64::MIN), opts.to.unwrap_or(i64::MAX));
    let first = opts.after_fraction.map_or(0, |f| split_index(n, f));
    s.counted.clear();
    s.starts.clear();
    let mut prep = scan.prepare(bars, &mut s.ws, &opts.settings);
    let mut was_true = false;
    for (t, &at) in time.iter().enumerate() {
        let cond = prep.condition_at(t);
        let starts_run = cond == Some(true) && !was_true;
        was_true = cond == Some(true);
        if cond.is_none() || at < from || at > to || t < first {
            continue;
        }
        if t + 1 < n {
            s.counted.push(t as u32);
        }
        if starts_run {
            s.starts.push(t as u32);
        }
    }

    let mut years = YearOf::new();
    s.years.clear();
    for (i, &t) in s.counted.iter().enumerate() {
        let year = years.at(time[t as usize]);
        match s.years.last_mut() {
            Some((y, _, end)) if *y == year => *end = i + 1,
            _ => s.years.push((year, i, i + 1)),
        }
    }
    out.base_year = s.years.iter().map(|&(y, ..)| (y, Sums::new(k))).collect();
    for (j, &h) in opts.horizons.iter().enumerate() {
        // Bars whose t+h exists: a prefix of the counted bars.
        let reach = s.counted.partition_point(|&t| (t as usize) + h < n);
        let mut all = (0.0, 0);
        let mut regime = [(0.0, 0); REGIME_LABELS.len()];
        for (y, &(_, lo, hi)) in s.years.iter().enumerate() {
            let mut year = (0.0, 0);
            for &t in &s.counted[lo.min(reach)..hi.min(reach)] {
                let t = t as usize;
                let r = close[t + h] / open[t + 1] - 1.0;
                all.0 += r;
                all.1 += 1;
                year.0 += r;
                year.1 += 1;
                let g = &mut regime[usize::from(s.codes[t])];
                g.0 += r;
                g.1 += 1;
            }
            out.base_year[y].1 .0[j] = year;
        }
        out.base.0[j] = all;
        for (sums, g) in out.base_regime.iter_mut().zip(regime) {
            sums.0[j] = g;
        }
    }
    if path_len > 0 {
        for &t in &s.counted {
            let t = t as usize;
            out.path_base.add(close, t, open[t + 1]);
        }
    }

    // ATR(14) for the plans, computed once per symbol on its first signal.
    s.atr_14.clear();
    for &t in &s.starts {
        let t = t as usize;
        if path_len > 0 && t + 1 < n {
            out.path_signals.add(close, t, open[t + 1]);
        }
        let returns = opts
            .horizons
            .iter()
            .map(|&h| (t + h < n).then(|| close[t + h] / open[t + 1] - 1.0))
            .collect();
        let plan = {
            if s.atr_14.is_empty() {
                s.atr_14.resize(n, f64::NAN);
                atr(bars.high(), bars.low(), close, 14, &mut s.atr_14);
            }
            let (c, f) = (close[t], plan_inputs(bars, t, &s.atr_14));
            let extreme = match opts.side {
                Side::Long => bars.low()[t],
                Side::Short => bars.high()[t],
            };
            trade_plan(opts.side, c, extreme, c * f.0, f.1, &opts.settings)
        };
        out.signals.push(SignalRecord {
            symbol: symbol.to_string(),
            index: t,
            time: time[t],
            year: years.at(time[t]),
            regime: s.codes[t],
            returns,
            trade: trade::simulate(bars, t, plan.as_ref(), opts.hold),
        });
    }
    out
}

/// The score's two plan inputs at bar `t` (SPEC §2.4): ATR(14) ÷ close and
/// the 20-bar mean of close × volume, computed as `score::features_at` does
/// (same kernel, same summation order, so the plan is identical) but without
/// the rest of the score, which costs O(t) per call: a per-signal score made
/// the backtest of `rsi(14) < 30` about four times slower (benches/backtest.rs).
fn plan_inputs(bars: &Bars, t: usize, atr_14: &[f64]) -> (f64, f64) {
    let (close, volume) = (bars.close(), bars.volume());
    let atr_pct = atr_14[t] / close[t];
    let dollar_vol_20 = if t + 1 >= 20 {
        (t + 1 - 20..=t).map(|j| close[j] * volume[j]).sum::<f64>() / 20.0
    } else {
        f64::NAN
    };
    (atr_pct, dollar_vol_20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bars::Columns;
    use crate::engine::score::score_at;

    #[test]
    fn plan_inputs_equal_the_scores_features_exactly() {
        let mut c = Columns::default();
        for i in 0..300 {
            let x = i as f64;
            let close = 50.0 + 10.0 * (x / 17.0).sin() + x / 30.0;
            let open = close * (1.0 + 0.01 * (x / 5.0).cos());
            c.push(
                i,
                open,
                open.max(close) * 1.02,
                open.min(close) * 0.97,
                close,
                1000.0 + x,
            );
        }
        let bars = Bars::new("T", c).unwrap();
        let mut atr_14 = vec![f64::NAN; bars.len()];
        atr(bars.high(), bars.low(), bars.close(), 14, &mut atr_14);
        for t in [0, 13, 14, 19, 20, 150, 299] {
            let f = score_at(&bars, t, &Settings::default()).features;
            let (a, d) = plan_inputs(&bars, t, &atr_14);
            assert_eq!(a.to_bits(), f.atr_pct_14.to_bits(), "atr at {t}");
            assert_eq!(
                d.to_bits(),
                f.dollar_vol_20.to_bits(),
                "dollar volume at {t}"
            );
        }
    }
}
