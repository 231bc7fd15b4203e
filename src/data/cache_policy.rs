//! Cache policy for daily bars, as pure decisions the browser cache layer
//! calls: is a cached entry fresh, which tail is missing, how a fetched tail is
//! merged in, and which entries to evict when the quota is hit. No I/O and no
//! clock of its own (times are passed in, UTC epoch ms). Must not import any
//! browser crate.
//!
//! **Session simplification.** A daily bar is identified by its UTC date
//! (`floor(time / 1 day)`), and the bar dated D counts as closed once
//! D+1 00:00 UTC has passed. For US stocks that is a few hours after the real
//! close (after-hours trading included), so a closed bar is final; for crypto
//! (daily candles open at 00:00 UTC on Binance and Coinbase) it is exact.
//! Exchange holidays and half days are not modelled (see [`Calendar`]), and a
//! provider that stamps daily bars at local midnight east of UTC would have
//! its dates shifted by one; the sources we read stamp 00:00 UTC or a US time.

use std::fmt;

use crate::engine::bars::{Bars, BarsError, Columns};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day number (days since 1970-01-01) of an epoch-ms time.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// When a day starts (00:00 UTC), in epoch ms.
pub fn day_start(day: i64) -> i64 {
    day.saturating_mul(DAY_MS)
}

/// Which days have a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Calendar {
    /// Every day (crypto trades 24/7).
    Crypto,
    /// Monday to Friday (stocks). Holidays are not known: a holiday looks like
    /// a trading day the provider had no bar for (see [`Freshness`] for why
    /// that costs no refetch, and [`append_tail`] for the gap allowance).
    Weekdays,
}

impl Calendar {
    /// Whether `day` (a UTC day number) has a session.
    pub fn trades_on(self, day: i64) -> bool {
        match self {
            Calendar::Crypto => true,
            // 1970-01-01 was a Thursday: weekday 0 = Monday … 6 = Sunday.
            Calendar::Weekdays => (day + 3).rem_euclid(7) < 5,
        }
    }

    /// Sessions strictly between two days (0 when `b <= a + 1`).
    pub fn sessions_between(self, a: i64, b: i64) -> i64 {
        let first = a + 1;
        if b <= first {
            return 0;
        }
        match self {
            Calendar::Crypto => b - first,
            Calendar::Weekdays => {
                let span = b - first;
                let full_weeks = span / 7;
                let rest = (0..span % 7)
                    .filter(|&i| self.trades_on(first + full_weeks * 7 + i))
                    .count() as i64;
                full_weeks * 5 + rest
            }
        }
    }

    /// Missing sessions a tail may skip right after the cached bars and still
    /// count as a continuation: none for crypto; one for stocks (a holiday
    /// such as Good Friday or a Monday holiday).
    pub fn allowed_missing_sessions(self) -> i64 {
        match self {
            Calendar::Crypto => 0,
            Calendar::Weekdays => 1,
        }
    }
}

/// How fresh a cached entry must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessRule {
    pub calendar: Calendar,
    /// The current (open) session is refetched once the entry is this old.
    pub open_session_max_age_ms: i64,
}

impl FreshnessRule {
    /// 15 minutes for the open session.
    pub fn new(calendar: Calendar) -> FreshnessRule {
        FreshnessRule {
            calendar,
            open_session_max_age_ms: 15 * 60 * 1000,
        }
    }
}

/// What to do with a cached entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use it as it is.
    Fresh,
    /// Use it after fetching bars from `from_ms` (00:00 UTC of a day) on and
    /// merging them with [`append_tail`].
    NeedsTail { from_ms: i64 },
    /// Unusable (dates in the future, saved before its own last bar existed,
    /// saved "in the future"): drop it and fetch the whole series.
    Refetch,
}

impl FreshnessRule {
    /// Decides for an entry whose newest bar is at `last_bar_ms`, written at
    /// `saved_at_ms`, looked at `now_ms` (all UTC epoch ms).
    ///
    /// - The last bar was the open session when saved (saved before its day
    ///   ended): refetch it (`from` = its day) once its day has closed or the
    ///   entry is older than the max age; else fresh.
    /// - Otherwise `from` is the day after the last bar, and a tail is needed
    ///   when a session closed after the save (its bar was not final or not
    ///   there yet), or when today's session is open and the entry is older
    ///   than the max age. A session that had already closed when the entry
    ///   was saved and has no bar in it does not exist for the provider (a
    ///   holiday, a halt), so it never causes a refetch.
    pub fn decide(&self, last_bar_ms: i64, saved_at_ms: i64, now_ms: i64) -> Freshness {
        let today = day_of(now_ms);
        let last_day = day_of(last_bar_ms);
        if saved_at_ms > now_ms || last_day > today || saved_at_ms < day_start(last_day) {
            return Freshness::Refetch;
        }
        let age = now_ms - saved_at_ms;
        let stale = age >= self.open_session_max_age_ms;
        let last_closes_at = day_start(last_day + 1);
        if saved_at_ms < last_closes_at {
            // The last bar was the open session when saved.
            return if now_ms >= last_closes_at || stale {
                Freshness::NeedsTail {
                    from_ms: day_start(last_day),
                }
            } else {
                Freshness::Fresh
            };
        }
        let tail = Freshness::NeedsTail {
            from_ms: last_closes_at,
        };
        // Closed sessions that closed after the save: days in
        // [max(last_day + 1, day_of(saved_at)), today). Any 7 days hold a
        // session, so looking at 7 of them is enough.
        let first = (last_day + 1).max(day_of(saved_at_ms));
        let end = today.min(first.saturating_add(7));
        if (first..end).any(|d| self.calendar.trades_on(d)) {
            return tail;
        }
        if today > last_day && self.calendar.trades_on(today) && stale {
            return tail;
        }
        Freshness::Fresh
    }
}

/// Why a fetched tail cannot be merged into the cached bars. The caller then
/// drops the entry and fetches the whole series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TailError {
    #[error(
        "tail leaves a gap: cached bars end {cached_last}, tail starts {tail_first} \
         ({missing} session(s) missing)"
    )]
    Gap {
        cached_last: Day,
        tail_first: Day,
        missing: i64,
    },
    #[error("tail goes backwards: it ends {tail_last}, before the cached bars end {cached_last}")]
    Backwards { cached_last: Day, tail_last: Day },
    #[error("merged bars are invalid: {0}")]
    Invalid(BarsError),
}

/// A UTC date, for messages (`2024-03-15`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub i64);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::DateTime::from_timestamp_millis(day_start(self.0)) {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%d")),
            None => write!(f, "day {}", self.0),
        }
    }
}

/// Merges a fetched `tail` into `cached`. The tail is authoritative for its
/// time range: every cached bar at or after the tail's first bar is replaced
/// by the tail (newer values win, and a bar the provider no longer has is
/// dropped). The tail must reach at least the cached last bar (else it goes
/// backwards) and must start no later than the first session after the
/// cached bars, allowing [`Calendar::allowed_missing_sessions`] (else it
/// leaves a gap). The result is validated through [`Bars::new`].
pub fn append_tail(cached: &Bars, tail: &Bars, calendar: Calendar) -> Result<Bars, TailError> {
    let (Some(&cached_last), Some(&tail_first), Some(&tail_last)) = (
        cached.time().last(),
        tail.time().first(),
        tail.time().last(),
    ) else {
        // An empty side (only `Bars::default()` can be): nothing to merge.
        return Ok(if tail.is_empty() { cached } else { tail }.clone());
    };
    if tail_last < cached_last {
        return Err(TailError::Backwards {
            cached_last: Day(day_of(cached_last)),
            tail_last: Day(day_of(tail_last)),
        });
    }
    if tail_first > cached_last {
        let missing = calendar.sessions_between(day_of(cached_last), day_of(tail_first));
        if missing > calendar.allowed_missing_sessions() {
            return Err(TailError::Gap {
                cached_last: Day(day_of(cached_last)),
                tail_first: Day(day_of(tail_first)),
                missing,
            });
        }
    }
    let keep = cached.time().partition_point(|&t| t < tail_first);
    let mut cols = Columns::with_capacity(keep + tail.len());
    for (src, range) in [(cached, 0..keep), (tail, 0..tail.len())] {
        cols.time.extend_from_slice(&src.time()[range.clone()]);
        cols.open.extend_from_slice(&src.open()[range.clone()]);
        cols.high.extend_from_slice(&src.high()[range.clone()]);
        cols.low.extend_from_slice(&src.low()[range.clone()]);
        cols.close.extend_from_slice(&src.close()[range.clone()]);
        cols.volume.extend_from_slice(&src.volume()[range]);
    }
    Bars::new("", cols).map_err(TailError::Invalid)
}

/// One cache entry as the eviction policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LruEntry<K> {
    pub key: K,
    pub size_bytes: u64,
    pub last_used_ms: i64,
}

/// The new entry alone does not fit the quota: it is not cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "entry of {} is larger than the whole cache quota of {}: not cached",
    Bytes(*size_bytes),
    Bytes(*quota_bytes)
)]
pub struct TooLarge {
    pub size_bytes: u64,
    pub quota_bytes: u64,
}

/// A byte count for messages (`1.5 MB`, decimal units like browsers' quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
        if self.0 < 1000 {
            return write!(f, "{} B", self.0);
        }
        let mut v = self.0 as f64 / 1000.0;
        let mut unit = 0;
        while v >= 1000.0 && unit + 1 < UNITS.len() {
            v /= 1000.0;
            unit += 1;
        }
        write!(f, "{v:.1} {}", UNITS[unit])
    }
}

/// Least-recently-used eviction under a byte quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lru {
    pub quota_bytes: u64,
}

impl Lru {
    /// The keys to evict, least recently used first (ties: the order given),
    /// so that `entries` plus a new entry `(new_key, new_size)` fit the quota
    /// (filling it exactly is fine). An existing entry with `new_key` is being
    /// overwritten: its old size does not count and it is never evicted.
    pub fn evictions<K: Clone + PartialEq>(
        &self,
        entries: &[LruEntry<K>],
        new_key: &K,
        new_size: u64,
    ) -> Result<Vec<K>, TooLarge> {
        if new_size > self.quota_bytes {
            return Err(TooLarge {
                size_bytes: new_size,
                quota_bytes: self.quota_bytes,
            });
        }
        let mut others: Vec<&LruEntry<K>> = entries.iter().filter(|e| &e.key != new_key).collect();
        let mut used = others
            .iter()
            .fold(0u64, |sum, e| sum.saturating_add(e.size_bytes));
        let budget = self.quota_bytes - new_size;
        others.sort_by_key(|e| e.last_used_ms); // stable: ties keep their order
        let mut evict = Vec::new();
        for e in others {
            if used <= budget {
                break;
            }
            used = used.saturating_sub(e.size_bytes);
            evict.push(e.key.clone());
        }
        Ok(evict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_was_a_thursday() {
        // 1970-01-01 Thu, 01-03 Sat, 01-04 Sun, 01-05 Mon.
        let w = Calendar::Weekdays;
        assert!(w.trades_on(0));
        assert!(!w.trades_on(2));
        assert!(!w.trades_on(3));
        assert!(w.trades_on(4));
        assert!(!w.trades_on(-4)); // 1969-12-28, a Sunday
    }

    #[test]
    fn sessions_between_counts_only_weekdays() {
        let w = Calendar::Weekdays;
        // Fri 1970-01-02 (day 1) → Mon 01-05 (day 4): only a weekend between.
        assert_eq!(w.sessions_between(1, 4), 0);
        // Fri → Tue: Monday between.
        assert_eq!(w.sessions_between(1, 5), 1);
        // Brute force over a range of spans.
        for a in -10..10 {
            for b in a..a + 30 {
                let brute = (a + 1..b).filter(|&d| w.trades_on(d)).count() as i64;
                assert_eq!(w.sessions_between(a, b), brute, "{a}..{b}");
            }
        }
        assert_eq!(Calendar::Crypto.sessions_between(1, 5), 3);
    }

    #[test]
    fn byte_counts_read_in_decimal_units() {
        assert_eq!(Bytes(999).to_string(), "999 B");
        assert_eq!(Bytes(1_500_000).to_string(), "1.5 MB");
    }

    #[test]
    fn a_day_prints_as_a_date() {
        assert_eq!(Day(19_797).to_string(), "2024-03-15");
    }
}
