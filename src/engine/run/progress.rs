//! The run's counters: per-stage progress counted from real work as it
//! happens (never from a clock), a copy for display, and each position's
//! outcome for the scan history. Plain atomics, shared by the workers and
//! the page; no browser crate.

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Per-stage counters, updated from real work as it happens (never from a clock).
#[derive(Debug, Default)]
pub struct Progress {
    /// Universe stage: symbols resolved (the run's input length).
    pub universe: AtomicUsize,
    /// Data stage.
    pub cache_hits: AtomicUsize,
    pub fetched: AtomicUsize,
    pub data_failed: AtomicUsize,
    pub bytes: AtomicU64,
    /// Requests retried by the fetch layer (timeouts, 5xx, 429), all symbols.
    pub retries: AtomicUsize,
    /// Compute stage.
    pub done: AtomicUsize,
    pub matches: AtomicUsize,
    pub errors: AtomicUsize,
    /// Rank stage: 1 once the run is over and its rows are final.
    pub ranked: AtomicUsize,
    /// What became of each position, for the scan history (see
    /// [`Progress::outcomes`]); sized by the run.
    evaluated: OnceLock<Box<[AtomicU8]>>,
}

/// A position's outcome as [`Progress`] records it.
const NOT_EVALUATED: u8 = 0;
const NO_MATCH: u8 = 1;
const MATCHED: u8 = 2;

/// A consistent-enough copy of [`Progress`] for display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProgressSnapshot {
    pub universe: usize,
    pub cache_hits: usize,
    pub fetched: usize,
    pub data_failed: usize,
    pub bytes: u64,
    pub retries: usize,
    pub done: usize,
    pub matches: usize,
    pub errors: usize,
    pub ranked: usize,
}

impl Progress {
    /// Sizes the per-position record (a second call keeps the first size).
    pub fn track(&self, positions: usize) {
        let _ = self.evaluated.set(
            (0..positions)
                .map(|_| AtomicU8::new(NOT_EVALUATED))
                .collect(),
        );
    }

    pub(super) fn record(&self, position: usize, matched: bool) {
        if let Some(slot) = self.evaluated.get().and_then(|v| v.get(position)) {
            slot.store(if matched { MATCHED } else { NO_MATCH }, Ordering::Relaxed);
        }
    }

    /// Each position's outcome once the run is over: `Some(true)` matched
    /// (also a match past the match limit, which is not emitted),
    /// `Some(false)` evaluated without a match, `None` not evaluated (an
    /// error row, too few bars, or cut off by a stop). What the scan history
    /// counts as trials; a match is never a row's absence.
    pub fn outcomes(&self) -> Vec<Option<bool>> {
        self.evaluated.get().map_or_else(Vec::new, |v| {
            v.iter()
                .map(|o| match o.load(Ordering::Relaxed) {
                    MATCHED => Some(true),
                    NO_MATCH => Some(false),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let r = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        ProgressSnapshot {
            universe: r(&self.universe),
            cache_hits: r(&self.cache_hits),
            fetched: r(&self.fetched),
            data_failed: r(&self.data_failed),
            bytes: self.bytes.load(Ordering::Relaxed),
            retries: r(&self.retries),
            done: r(&self.done),
            matches: r(&self.matches),
            errors: r(&self.errors),
            ranked: r(&self.ranked),
        }
    }
}

impl ProgressSnapshot {
    /// Overall completion in 0..=1: a weighted sum of stage fractions (data 45%,
    /// compute 45%, universe 5%, rank 5%).
    pub fn fraction(&self) -> f64 {
        if self.universe == 0 {
            return self.ranked as f64;
        }
        let n = self.universe as f64;
        let data = ((self.cache_hits + self.fetched + self.data_failed) as f64 / n).min(1.0);
        let compute = (self.done as f64 / n).min(1.0);
        0.05 + 0.45 * data + 0.45 * compute + 0.05 * self.ranked.min(1) as f64
    }
}
