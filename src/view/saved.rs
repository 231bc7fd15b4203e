//! Saved scans (named, kept in this browser) and the list of past runs
//! (time, scan, source, symbols, matches, duration) with re-run. The scans
//! are `view::share::SharedScan`s, so a saved scan never holds a key. Pure:
//! the page stores the JSON bytes in IndexedDB (`web::history_store`).

use super::share::SharedScan;

/// Past runs kept (the oldest go first).
pub const MAX_RUNS: usize = 100;
/// Saved scans kept.
pub const MAX_SAVED: usize = 200;
/// Characters of a saved scan's name.
pub const MAX_NAME: usize = 80;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedScan {
    pub name: String,
    pub scan: SharedScan,
    pub saved_at_ms: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PastRun {
    pub time_ms: f64,
    pub scan: SharedScan,
    pub symbols: usize,
    pub matches: usize,
    pub duration_ms: f64,
    /// How it ended (`completed`, `stopped`, …).
    pub reason: String,
}

/// A name as it is kept: trimmed, at most [`MAX_NAME`] characters; `None`
/// when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let name: String = name.trim().chars().take(MAX_NAME).collect();
    (!name.is_empty()).then_some(name)
}

/// Saves `scan` under `name`, replacing a scan of the same name; the newest
/// first; at most [`MAX_SAVED`].
pub fn save(list: &mut Vec<SavedScan>, name: &str, scan: SharedScan, now_ms: f64) -> Option<()> {
    let name = clean_name(name)?;
    list.retain(|s| s.name != name);
    list.insert(
        0,
        SavedScan {
            name,
            scan,
            saved_at_ms: now_ms,
        },
    );
    list.truncate(MAX_SAVED);
    Some(())
}

/// Adds a run, the newest first; at most [`MAX_RUNS`].
pub fn push_run(list: &mut Vec<PastRun>, run: PastRun) {
    list.insert(0, run);
    list.truncate(MAX_RUNS);
}

/// Stored bytes as a list; bytes that do not read are an empty list.
pub fn from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Vec<T> {
    serde_json::from_slice(bytes).unwrap_or_default()
}

pub fn to_bytes<T: serde::Serialize>(list: &[T]) -> Vec<u8> {
    serde_json::to_vec(list).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(expr: &str) -> SharedScan {
        SharedScan {
            expr: expr.into(),
            source: "sample".into(),
            ..SharedScan::default()
        }
    }

    #[test]
    fn saving_under_a_name_replaces_that_name_and_puts_it_first() {
        let mut list = Vec::new();
        save(&mut list, "  oversold ", scan("rsi(14) < 30"), 1.0).unwrap();
        save(&mut list, "trend", scan("close > sma(close, 200)"), 2.0).unwrap();
        save(&mut list, "oversold", scan("rsi(14) < 25"), 3.0).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "oversold");
        assert_eq!(list[0].scan.expr, "rsi(14) < 25");
        assert_eq!(
            save(&mut list, "   ", scan("x"), 4.0),
            None,
            "no name, nothing saved"
        );
        assert_eq!(clean_name(&"n".repeat(500)).unwrap().len(), MAX_NAME);
    }

    #[test]
    fn lists_are_bounded_and_round_trip_and_bad_bytes_read_as_empty() {
        let mut runs = Vec::new();
        for i in 0..MAX_RUNS + 5 {
            push_run(
                &mut runs,
                PastRun {
                    time_ms: i as f64,
                    scan: scan("close > 0"),
                    symbols: 5,
                    matches: i,
                    duration_ms: 10.0,
                    reason: "completed".into(),
                },
            );
        }
        assert_eq!(runs.len(), MAX_RUNS);
        assert_eq!(runs[0].matches, MAX_RUNS + 4, "newest first");
        let back: Vec<PastRun> = from_bytes(&to_bytes(&runs));
        assert_eq!(back, runs);
        assert!(from_bytes::<PastRun>(b"{nope").is_empty());
    }
}
