//! The results table's live marks after each re-scan: which rows entered
//! (`New`), which stopped matching (`Dropped`, kept one more bar), which are
//! removed, and a bounded log of entries and exits. Pure data code: no I/O,
//! no browser crate.

use std::collections::{HashMap, HashSet};

/// The most log entries kept (oldest dropped first).
pub const MAX_LOG: usize = 500;

/// A row's live mark (`data-live="new"` / `"dropped"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Started matching at its latest re-scan.
    New,
    /// Stopped matching at its latest re-scan; removed at the next one
    /// unless it matches again.
    Dropped,
}

/// One entry into (`entered`) or exit from the matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The open time of the bar whose close caused it.
    pub bar_open_ms: i64,
    /// When the re-scan ran.
    pub at_ms: i64,
    pub symbol: String,
    pub entered: bool,
}

/// What one [`Marks::apply`] changed, each list in the order re-scanned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Started matching: new rows, marked [`Mark::New`].
    pub entered: Vec<String>,
    /// Stopped matching: rows kept, marked [`Mark::Dropped`].
    pub exited: Vec<String>,
    /// Dropped rows that still do not match: to be removed.
    pub removed: Vec<String>,
    /// Still matching: rows updated in place (a `New` mark clears).
    pub updated: Vec<String>,
}

/// The rows shown and their marks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Marks {
    /// Every shown row; `None`: matching, unmarked.
    rows: HashMap<String, Option<Mark>>,
    log: Vec<LogEntry>,
}

impl Marks {
    /// The first full scan's matches, unmarked.
    pub fn new(matching: impl IntoIterator<Item = String>) -> Marks {
        Marks {
            rows: matching.into_iter().map(|s| (s, None)).collect(),
            log: Vec::new(),
        }
    }

    /// After re-scanning `rescanned` (their bar `bar_open_ms` closed):
    /// `matching` holds those of them that match now (others in it are not
    /// looked at). A symbol that starts matching enters (`New`); one that
    /// stops exits (`Dropped`, the row stays); a `Dropped` row is removed at
    /// its next re-scan if it still does not match, and enters again if it
    /// does; a `New` mark clears at the next re-scan that still matches.
    pub fn apply(
        &mut self,
        rescanned: &[String],
        matching: &HashSet<String>,
        bar_open_ms: i64,
        at_ms: i64,
    ) -> Changes {
        let mut changes = Changes::default();
        let mut seen = HashSet::new();
        for symbol in rescanned {
            if !seen.insert(symbol.as_str()) {
                continue;
            }
            let now = matching.contains(symbol);
            let before = self.rows.get(symbol).copied();
            let entered = match (before, now) {
                (None | Some(Some(Mark::Dropped)), true) => {
                    self.rows.insert(symbol.clone(), Some(Mark::New));
                    changes.entered.push(symbol.clone());
                    Some(true)
                }
                (Some(None | Some(Mark::New)), true) => {
                    self.rows.insert(symbol.clone(), None);
                    changes.updated.push(symbol.clone());
                    None
                }
                (Some(None | Some(Mark::New)), false) => {
                    self.rows.insert(symbol.clone(), Some(Mark::Dropped));
                    changes.exited.push(symbol.clone());
                    Some(false)
                }
                (Some(Some(Mark::Dropped)), false) => {
                    self.rows.remove(symbol);
                    changes.removed.push(symbol.clone());
                    None
                }
                (None, false) => None,
            };
            if let Some(entered) = entered {
                self.log.push(LogEntry {
                    bar_open_ms,
                    at_ms,
                    symbol: symbol.clone(),
                    entered,
                });
            }
        }
        if self.log.len() > MAX_LOG {
            let extra = self.log.len() - MAX_LOG;
            self.log.drain(..extra);
        }
        changes
    }

    /// The row's mark (`None`: not shown, or shown unmarked).
    pub fn mark(&self, symbol: &str) -> Option<Mark> {
        self.rows.get(symbol).copied().flatten()
    }

    /// Entries and exits, oldest first, at most [`MAX_LOG`].
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// Whether the row is shown: matching, or dropped and not yet removed.
    pub fn is_shown(&self, symbol: &str) -> bool {
        self.rows.contains_key(symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> HashSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }
    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_symbol_that_starts_matching_enters_marked_new_and_the_mark_clears_next_bar() {
        let mut m = Marks::new(list(&["BTC"]));
        let c = m.apply(&list(&["BTC", "ETH"]), &set(&["BTC", "ETH"]), 100, 101);
        assert_eq!(c.entered, list(&["ETH"]));
        assert_eq!(c.updated, list(&["BTC"]));
        assert_eq!(m.mark("ETH"), Some(Mark::New));
        assert_eq!(m.mark("BTC"), None);
        assert!(m.is_shown("ETH"));
        let c = m.apply(&list(&["ETH"]), &set(&["ETH"]), 200, 201);
        assert_eq!(c.updated, list(&["ETH"]));
        assert_eq!(m.mark("ETH"), None);
        assert!(m.is_shown("ETH"));
    }

    #[test]
    fn a_symbol_that_stops_matching_stays_dropped_for_one_bar_then_is_removed() {
        let mut m = Marks::new(list(&["BTC", "ETH"]));
        let c = m.apply(&list(&["BTC"]), &set(&[]), 100, 101);
        assert_eq!(c.exited, list(&["BTC"]));
        assert_eq!(m.mark("BTC"), Some(Mark::Dropped));
        assert!(m.is_shown("BTC"));
        // ETH was not re-scanned: untouched.
        assert!(m.is_shown("ETH"));
        let c = m.apply(&list(&["BTC"]), &set(&[]), 200, 201);
        assert_eq!(c.removed, list(&["BTC"]));
        assert!(!m.is_shown("BTC"));
        assert_eq!(m.mark("BTC"), None);
        // A third non-matching re-scan changes nothing.
        let c = m.apply(&list(&["BTC"]), &set(&[]), 300, 301);
        assert_eq!(c, Changes::default());
    }

    #[test]
    fn a_dropped_row_that_matches_again_enters_again() {
        let mut m = Marks::new(list(&["BTC"]));
        m.apply(&list(&["BTC"]), &set(&[]), 100, 101);
        let c = m.apply(&list(&["BTC"]), &set(&["BTC"]), 200, 201);
        assert_eq!(c.entered, list(&["BTC"]));
        assert_eq!(m.mark("BTC"), Some(Mark::New));
        let entered: Vec<bool> = m.log().iter().map(|e| e.entered).collect();
        assert_eq!(entered, vec![false, true]);
    }

    #[test]
    fn a_new_row_that_stops_matching_at_once_is_dropped() {
        let mut m = Marks::new(Vec::new());
        m.apply(&list(&["SOL"]), &set(&["SOL"]), 100, 101);
        let c = m.apply(&list(&["SOL"]), &set(&[]), 200, 201);
        assert_eq!(c.exited, list(&["SOL"]));
        assert_eq!(m.mark("SOL"), Some(Mark::Dropped));
    }

    #[test]
    fn matches_outside_the_rescanned_list_and_repeats_in_it_are_not_counted() {
        let mut m = Marks::new(Vec::new());
        let c = m.apply(&list(&["A", "A"]), &set(&["A", "B"]), 100, 101);
        assert_eq!(c.entered, list(&["A"]));
        assert!(!m.is_shown("B"));
        assert_eq!(m.log().len(), 1);
    }

    #[test]
    fn the_log_records_entries_and_exits_with_times_and_keeps_the_newest_500() {
        let mut m = Marks::new(Vec::new());
        m.apply(&list(&["A"]), &set(&["A"]), 100, 150);
        assert_eq!(
            m.log(),
            &[LogEntry {
                bar_open_ms: 100,
                at_ms: 150,
                symbol: "A".into(),
                entered: true
            }]
        );
        for i in 0..600 {
            let matching = if i % 2 == 0 { set(&[]) } else { set(&["A"]) };
            m.apply(&list(&["A"]), &matching, 200 + i, 250 + i);
        }
        assert_eq!(m.log().len(), MAX_LOG);
        assert_eq!(m.log().last().map(|e| e.bar_open_ms), Some(799));
        let opens: Vec<i64> = m.log().iter().map(|e| e.bar_open_ms).collect();
        assert!(opens.windows(2).all(|w| w[0] < w[1]), "newest last");
    }
}
