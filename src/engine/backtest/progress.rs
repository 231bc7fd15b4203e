//! Watching a backtest from another thread: the count of symbols done (the
//! caller polls it, as a scan's page polls `run::Progress`), and a stop flag
//! checked between symbols. A stopped backtest ends as [`Ended::Stopped`], a
//! value, not an error. Engine only.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{aggregate, prepare, run_symbol, Options, Prepared, Scratch, SymbolRun};
use super::{AveragePath, BacktestError, Report};
use crate::engine::bars::Bars;
use crate::engine::lang::Scan;

/// Shared between the backtest and whoever watches it.
#[derive(Debug, Default)]
pub struct Watch {
    done: AtomicUsize,
    total: AtomicUsize,
    stop: AtomicBool,
}

impl Watch {
    pub fn new() -> Watch {
        Watch::default()
    }

    /// Asks the backtest to stop; symbols already started finish.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Symbols finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Symbols to do (0 until the backtest has checked its input).
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Sets the count of symbols done, for a host that runs a [`Stepper`]
    /// and reports its progress through the same watch.
    pub fn set_done(&self, n: usize) {
        self.done.store(n, Ordering::Relaxed);
    }

    pub(super) fn set_total(&self, n: usize) {
        self.total.store(n, Ordering::Relaxed);
    }

    pub(super) fn symbol_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// How a watched backtest ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    Done {
        report: Box<Report>,
        path: AveragePath,
    },
    /// Stopped through the watch after `done` of `total` symbols.
    Stopped { done: usize, total: usize },
}

/// A backtest run a few symbols at a time on the calling thread, for a host
/// that must not block (the single-threaded page runs one slice per frame).
/// The same symbols in the same order as [`super::backtest_watched`], so the
/// same report.
pub struct Stepper<'a> {
    scan: &'a Scan,
    opts: &'a Options,
    path_len: usize,
    prepared: Prepared<'a>,
    runs: Vec<SymbolRun>,
    scratch: Scratch,
}

impl<'a> Stepper<'a> {
    /// Checks the input and builds the regime series (the one step over the
    /// whole universe at once).
    pub fn new(
        scan: &'a Scan,
        universe: &[(&'a str, &'a Bars)],
        opts: &'a Options,
        path_len: usize,
    ) -> Result<Stepper<'a>, BacktestError> {
        Ok(Stepper {
            scan,
            opts,
            path_len,
            prepared: prepare(universe, opts)?,
            runs: Vec::new(),
            scratch: Scratch::new(scan),
        })
    }

    pub fn total(&self) -> usize {
        self.prepared.order.len()
    }

    pub fn done(&self) -> usize {
        self.runs.len()
    }

    /// Runs up to `max` more symbols; returns whether any are left.
    pub fn step(&mut self, max: usize) -> bool {
        let start = self.runs.len();
        let end = (start + max).min(self.total());
        for &(symbol, bars) in &self.prepared.order[start..end] {
            let run = run_symbol(
                self.scan,
                symbol,
                bars,
                &mut self.scratch,
                (self.opts, self.path_len),
                &self.prepared.regimes,
            );
            self.runs.push(run);
        }
        self.runs.len() < self.total()
    }

    /// The report, once every symbol is done; stopped otherwise.
    pub fn finish(self) -> Ended {
        let total = self.total();
        if self.runs.len() < total {
            return Ended::Stopped {
                done: self.runs.len(),
                total,
            };
        }
        let Prepared { order, regimes } = self.prepared;
        aggregate(
            &order,
            regimes,
            self.runs.into_iter(),
            self.opts,
            self.path_len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{backtest, backtest_watched, Options};
    use super::*;
    use crate::data::synthetic;
    use crate::engine::bars::Bars;
    use crate::engine::lang::Scan;

    fn market(n: usize) -> (Vec<String>, Vec<Bars>) {
        let names = (0..n).map(synthetic::symbol_name).collect();
        (names, (0..n).map(|i| synthetic::bars(7, i, 400)).collect())
    }

    #[test]
    fn a_watched_run_counts_every_symbol_and_reports_what_backtest_reports() {
        let (names, bars) = market(12);
        let u: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&bars).collect();
        let scan = Scan::compile("rsi(14) < 35", &[]).unwrap();
        let opts = Options::default();
        let watch = Watch::new();
        let Ended::Done { report, path } = backtest_watched(&scan, &u, &opts, 20, &watch).unwrap()
        else {
            panic!("not stopped, so it must finish");
        };
        assert_eq!((watch.done(), watch.total()), (12, 12));
        assert_eq!(*report, backtest(&scan, &u, &opts).unwrap());
        assert_eq!(path.len(), 20);
        // At each horizon the path is the horizon table's figures (to
        // rounding: the path multiplies by 1 / entry, and sums the signals
        // per symbol first).
        for h in &report.horizons {
            let k = h.h - 1;
            let (a, b) = (path.baseline[k].unwrap(), h.baseline_mean.unwrap());
            assert!((a - b).abs() < 1e-12, "baseline at {}: {a} vs {b}", h.h);
            assert_eq!(path.baseline_counts[k], h.baseline_count);
            assert_eq!(path.signal_counts[k], h.signals, "signals at {}", h.h);
            let (a, b) = (path.signals[k].unwrap(), h.mean.unwrap());
            assert!((a - b).abs() < 1e-12, "mean at {}: {a} vs {b}", h.h);
        }
    }

    #[test]
    fn a_stopped_watch_ends_as_stopped_not_as_an_error() {
        let (names, bars) = market(5);
        let u: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&bars).collect();
        let scan = Scan::compile("rsi(14) < 35", &[]).unwrap();
        let watch = Watch::new();
        watch.stop();
        let ended = backtest_watched(&scan, &u, &Options::default(), 5, &watch).unwrap();
        assert_eq!(ended, Ended::Stopped { done: 0, total: 5 });
        // Bad input is still an error, stopped or not.
        assert!(backtest_watched(&scan, &[], &Options::default(), 5, &watch).is_err());
    }

    #[test]
    fn stepping_gives_the_parallel_report_and_stopping_early_is_stopped() {
        let (names, bars) = market(7);
        let u: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&bars).collect();
        let scan = Scan::compile("rsi(14) < 35", &[]).unwrap();
        let opts = Options::default();
        let whole = backtest_watched(&scan, &u, &opts, 10, &Watch::new()).unwrap();
        let mut stepper = Stepper::new(&scan, &u, &opts, 10).unwrap();
        let mut steps = 0;
        while stepper.step(3) {
            steps += 1;
        }
        assert_eq!((steps, stepper.done()), (2, 7));
        assert_eq!(stepper.finish(), whole);
        let mut early = Stepper::new(&scan, &u, &opts, 10).unwrap();
        early.step(2);
        assert_eq!(early.finish(), Ended::Stopped { done: 2, total: 7 });
    }

    #[test]
    fn no_path_asked_gives_an_empty_path() {
        let (names, bars) = market(2);
        let u: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&bars).collect();
        let scan = Scan::compile("close > sma(close, 10)", &[]).unwrap();
        match backtest_watched(&scan, &u, &Options::default(), 0, &Watch::new()).unwrap() {
            Ended::Done { path, .. } => assert!(path.is_empty()),
            Ended::Stopped { .. } => panic!("nobody stopped it"),
        }
    }
}
