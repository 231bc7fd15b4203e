//! Walk-forward parameter search (SPEC §2.7): a scan with ranges is expanded
//! into its grid (`params`), each point backtested in-sample, the best chosen
//! by a metric with a minimum signal count, and that one value's
//! out-of-sample figures reported beside the whole in-sample grid, so
//! overfitting is visible. Engine only; grid points run in parallel.
//!
//! The split is by time, per symbol: bar `split_index(len, split)` starts the
//! out-of-sample part. In-sample, each symbol's bars are cut before it, so a
//! signal counts only when its horizon (and its trade) ends before the split;
//! out of sample, signals and baseline bars are those at or after it (the
//! indicators there still read the in-sample history as warm-up).
//!
//! [`optimize_watched`] reports grid points done and stops between them.

use rayon::prelude::*;

use super::params::{ParamScan, RangeError};
use super::{backtest, split_index, BacktestError, HorizonStats, Options, PlanStats, Watch};
use crate::engine::bars::{Bars, Columns};
use crate::engine::lang::{LangError, Scan};

/// What "best" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Mean − baseline mean at the horizon.
    Excess,
    Mean,
    WinPct,
    /// The trade plan's mean return per trade.
    Expectancy,
}

impl Metric {
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "excess" => Some(Metric::Excess),
            "mean" => Some(Metric::Mean),
            "win" | "winPct" | "win%" => Some(Metric::WinPct),
            "expectancy" => Some(Metric::Expectancy),
            _ => None,
        }
    }

    fn value(self, h: &HorizonStats, plan: &PlanStats) -> Option<f64> {
        match self {
            Metric::Excess => h.excess,
            Metric::Mean => h.mean,
            Metric::WinPct => h.win_pct,
            Metric::Expectancy => plan.expectancy,
        }
    }
}

/// Search settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkOptions {
    pub horizon: usize,
    pub metric: Metric,
    /// Fraction of each symbol's bars in sample (0–1, default 0.7).
    pub split: f64,
    /// Fewest in-sample signals a value needs to be chosen.
    pub min_signals: usize,
    /// Side, hold and plan settings for the trade figures.
    pub base: Options,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            horizon: 10,
            metric: Metric::Excess,
            split: 0.7,
            min_signals: 30,
            base: Options::default(),
        }
    }
}

/// A search that cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    #[error("{0}")]
    Range(#[from] RangeError),
    #[error("the scan has no parameter range: write one like {{20..40 step 5}} or {{20, 50}}")]
    NoRange,
    #[error("at {values:?}, the scan `{expr}` does not compile: {error}")]
    Scan {
        values: Vec<f64>,
        expr: String,
        error: LangError,
    },
    #[error("the split must be between 0 and 1 (exclusive), not {0}")]
    BadSplit(f64),
    #[error("{0}")]
    Backtest(#[from] BacktestError),
}

/// One grid point's in-sample figures.
#[derive(Debug, Clone, PartialEq)]
pub struct GridPoint {
    pub values: Vec<f64>,
    pub expr: String,
    pub in_sample: HorizonStats,
    pub in_sample_plan: PlanStats,
    pub metric: Option<f64>,
}

/// The chosen value, in and out of sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    /// Index into the grid.
    pub index: usize,
    pub out_of_sample: HorizonStats,
    pub out_of_sample_plan: PlanStats,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WalkReport {
    pub grid: Vec<GridPoint>,
    /// `None` when no value has `min_signals` in-sample signals and a defined metric.
    pub best: Option<Best>,
}

/// Each symbol's bars before its split.
fn in_sample(universe: &[(&str, &Bars)], split: f64) -> Vec<(String, Bars)> {
    universe
        .iter()
        .filter_map(|(s, b)| {
            let k = split_index(b.len(), split);
            let mut c = Columns::with_capacity(k);
            for i in 0..k {
                c.push(
                    b.time()[i],
                    b.open()[i],
                    b.high()[i],
                    b.low()[i],
                    b.close()[i],
                    b.volume()[i],
                );
            }
            Bars::new(s, c).ok().map(|b| (s.to_string(), b))
        })
        .collect()
}

/// Runs the walk-forward search of `src` (a scan with ranges) over `universe`.
pub fn optimize(
    src: &str,
    universe: &[(&str, &Bars)],
    opts: &WalkOptions,
) -> Result<WalkReport, WalkError> {
    // Nobody else holds this watch, so nothing can stop the search.
    optimize_watched(src, universe, opts, &Watch::new())?
        .ok_or(WalkError::Backtest(BacktestError::Stopped))
}

/// [`optimize`] with progress (grid points done, of the grid's size, through
/// `watch`) and a stop checked between grid points: `Ok(None)` when stopped.
pub fn optimize_watched(
    src: &str,
    universe: &[(&str, &Bars)],
    opts: &WalkOptions,
    watch: &Watch,
) -> Result<Option<WalkReport>, WalkError> {
    let params = ParamScan::parse(src)?;
    if params.is_empty() {
        return Err(WalkError::NoRange);
    }
    if !(opts.split > 0.0 && opts.split < 1.0) {
        return Err(WalkError::BadSplit(opts.split));
    }
    let points = params.grid();
    let scans: Vec<(Vec<f64>, String, Scan)> = points
        .into_iter()
        .map(|values| {
            let expr = params.expr(&values);
            match Scan::compile(&expr, &[]) {
                Ok(scan) => Ok((values, expr, scan)),
                Err(error) => Err(WalkError::Scan {
                    values,
                    expr,
                    error,
                }),
            }
        })
        .collect::<Result<_, _>>()?;
    let head = in_sample(universe, opts.split);
    let head_refs: Vec<(&str, &Bars)> = head.iter().map(|(s, b)| (s.as_str(), b)).collect();
    let bt = Options {
        horizons: vec![opts.horizon],
        after_fraction: None,
        ..opts.base.clone()
    };
    watch.set_total(scans.len());
    let grid: Vec<Option<GridPoint>> = scans
        .par_iter()
        .map(|(values, expr, scan)| {
            if watch.is_stopped() {
                return Ok(None);
            }
            let r = backtest(scan, &head_refs, &bt)?;
            watch.symbol_done();
            let h = r.horizons.into_iter().next().expect("one horizon asked");
            let metric = opts.metric.value(&h, &r.plan);
            let mut plan = r.plan;
            plan.curve.clear();
            Ok(Some(GridPoint {
                values: values.clone(),
                expr: expr.clone(),
                in_sample: h,
                in_sample_plan: plan,
                metric,
            }))
        })
        .collect::<Result<_, WalkError>>()?;
    if watch.is_stopped() {
        return Ok(None);
    }
    let grid: Vec<GridPoint> = grid.into_iter().flatten().collect();
    // The first of equal best values wins (grid order), so ties are stable.
    let mut best: Option<(usize, f64)> = None;
    for (k, p) in grid.iter().enumerate() {
        if p.in_sample.signals < opts.min_signals {
            continue;
        }
        if let Some(m) = p.metric {
            if best.is_none_or(|(_, b)| m > b) {
                best = Some((k, m));
            }
        }
    }
    let best = match best {
        Some((index, _)) => {
            let oos = Options {
                after_fraction: Some(opts.split),
                ..bt
            };
            let r = backtest(&scans[index].2, universe, &oos)?;
            let mut plan = r.plan;
            plan.curve.clear();
            Some(Best {
                index,
                out_of_sample: r.horizons.into_iter().next().expect("one horizon asked"),
                out_of_sample_plan: plan,
            })
        }
        None => None,
    };
    Ok(Some(WalkReport { grid, best }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic;

    #[test]
    fn a_watched_search_counts_grid_points_and_a_stopped_one_is_none() {
        let names: Vec<String> = (0..4).map(synthetic::symbol_name).collect();
        let bars: Vec<Bars> = (0..4).map(|i| synthetic::bars(7, i, 300)).collect();
        let u: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&bars).collect();
        let opts = WalkOptions {
            min_signals: 1,
            ..WalkOptions::default()
        };
        let src = "rsi(14) < {30..40 step 5}";
        let watch = Watch::new();
        let watched = optimize_watched(src, &u, &opts, &watch).unwrap().unwrap();
        assert_eq!((watch.done(), watch.total()), (3, 3));
        assert_eq!(watched, optimize(src, &u, &opts).unwrap());
        let stopped = Watch::new();
        stopped.stop();
        assert_eq!(optimize_watched(src, &u, &opts, &stopped).unwrap(), None);
        // Bad ranges are still errors, stopped or not.
        assert!(optimize_watched("rsi(14) < {40..30}", &u, &opts, &stopped).is_err());
    }
}
