//! Watching a backtest from another thread: the count of symbols done (the
//! caller polls it, as a scan's page polls `run::Progress`), and a stop flag
//! checked between symbols. A stopped backtest ends as [`Ended::Stopped`], a
//! value, not an error. Engine only.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{AveragePath, Report};

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
        // At each horizon the path is the horizon table's figures: the
        // baseline summed in the same order (exactly), the signals' mean
        // summed per symbol first (to rounding).
        for h in &report.horizons {
            let k = h.h - 1;
            assert_eq!(path.baseline[k], h.baseline_mean, "baseline at {}", h.h);
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
