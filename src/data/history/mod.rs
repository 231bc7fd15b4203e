//! This device's scan history and what is learned from it (issue 9): per-run
//! records, decayed per-(scan, symbol) match counts, the learned fetch order
//! and the duration / match-count prediction. Pure data code: no I/O, no
//! clock, no browser crate (`web_sys`, `js_sys`, `wasm_bindgen`, `leptos`,
//! `gloo`) and nothing from `crate::web` or `crate::ui`. The browser keeps the
//! bytes of [`History::to_bytes`] in its own IndexedDB store and calls
//! [`rank`] before fetching and [`History::predict`] before Run.
//!
//! - [`record`]: [`RunRecord`], [`SymbolStats`], [`History`] (bounded, LRU,
//!   schema-versioned bytes).
//! - [`rank`](mod@rank): [`Order`] and the learned order (decayed Beta–Bernoulli
//!   with Thompson draws over an empirical-Bayes prior, divided by fetch cost).
//! - [`predict`]: non-negative least squares on this device's runs, match
//!   count from the symbols' match chances, "too tight" / "too broad".
//! - [`margin`]: how close a scan came to matching at a bar (for near misses).

pub mod margin;
pub mod predict;
pub mod rank;
pub mod record;

pub use margin::{MarginScan, StaleEval};
pub use predict::{
    fit_duration, nnls, Accuracy, DurationModel, Features, Prediction, Warning, MIN_RUNS_FOR_RANGE,
    MIN_RUNS_TO_FIT,
};
pub use rank::{
    rank, Candidate, Order, UnknownOrder, EXPLORATION_SHARE, MIN_CLASS_TRIALS, NEAR_MISS_MARGIN,
};
pub use record::{
    class_of, Counts, History, Limits, RunRecord, ScanHistory, SymbolOutcome, SymbolStats,
    HALF_LIFE_SCANS, MAX_RUNS_PER_SCAN, PRIOR_RATE, PRIOR_STRENGTH, SCHEMA_VERSION,
};

use crate::data::fnv1a_64;
use std::fmt;

/// Identifies a scan for the history: the canonical scan text (what
/// `Scan::display` prints, so spacing and case do not split a history), the
/// source and the interval, hashed with FNV-1a 64 (stable across builds and
/// platforms, unlike `std`'s hasher).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// The fingerprint of `scan_text` (canonical form) on `source` at `interval`.
    pub fn new(scan_text: &str, source: &str, interval: &str) -> Fingerprint {
        // The unit separator cannot occur in any of the three parts' usual
        // text, so ("a", "bc") and ("ab", "c") hash apart.
        let joined = format!("{scan_text}\u{1f}{source}\u{1f}{interval}");
        Fingerprint(fnv1a_64(joined.as_bytes()))
    }

    /// 16 lowercase hex digits, for IndexedDB keys and logs.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Why history bytes could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The bytes are not a history at all (truncated, another format, garbage).
    #[error("scan history bytes are malformed: {0}")]
    Malformed(String),
    /// A history written by another schema version; the caller drops it and
    /// starts a new one (history is a cache of experience, not user data).
    #[error("scan history has schema {found}, this build reads schema {expected}")]
    Schema { found: u32, expected: u32 },
    /// Well-formed bytes whose values break an invariant (negative counts, NaN).
    #[error("scan history is invalid: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_each_part_and_are_stable() {
        let a = Fingerprint::new("rsi(14) < 30", "sample", "1d");
        assert_eq!(a, Fingerprint::new("rsi(14) < 30", "sample", "1d"));
        assert_ne!(a, Fingerprint::new("rsi(14) < 30", "polygon", "1d"));
        assert_ne!(a, Fingerprint::new("rsi(14) < 30", "sample", "1h"));
        assert_ne!(a, Fingerprint::new("rsi(14) < 31", "sample", "1d"));
        assert_eq!(a.hex().len(), 16);
        // FNV-1a's published test vector: the empty input hashes to the offset basis.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
