//! Cache policy for bars of any [`Interval`], as pure decisions the browser
//! cache layer calls: is a cached entry fresh, which tail is missing, how a
//! fetched tail is merged in, and which entries to evict when the quota is
//! hit. No I/O and no clock of its own (times are passed in, UTC epoch ms).
//! Must not import any browser crate.
//!
//! **Periods.** A bar of interval P opening at t covers the period
//! `[t, t + P)` and is closed (final) once `t + P` has passed; periods open on
//! multiples of P since the epoch ([`Interval::open_of`]). Daily bars are the
//! case P = one day, decided exactly as before intervals existed
//! ([`FreshnessRule::decide`], [`append_tail`]); intraday bars use the same
//! decisions counted in periods ([`FreshnessRule::decide_at`],
//! [`append_tail_at`]). A period has a session when its UTC day has one
//! ([`Calendar::trades_in`]): every period for crypto. Stock sources only
//! serve daily bars, so the weekday calendar is never asked about intraday
//! periods in practice; it still answers consistently.
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

use crate::data::interval::Interval;
use crate::engine::bars::{Bars, BarsError, Columns};

mod calendar;

pub use calendar::{day_of, day_start, period_of, period_start, Calendar, Day, Minute, DAY_MS};

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
    /// Use it after fetching bars from `from_ms` (the open of a period:
    /// 00:00 UTC of a day for daily bars) on and merging them with
    /// [`append_tail_at`].
    NeedsTail { from_ms: i64 },
    /// Unusable (dates in the future, saved before its own last bar existed,
    /// saved "in the future"): drop it and fetch the whole series.
    Refetch,
}

impl FreshnessRule {
    /// [`FreshnessRule::decide_at`] for daily bars.
    pub fn decide(&self, last_bar_ms: i64, saved_at_ms: i64, now_ms: i64) -> Freshness {
        self.decide_at(Interval::D1, last_bar_ms, saved_at_ms, now_ms)
    }

    /// Decides for an entry of `interval` bars whose newest bar is at
    /// `last_bar_ms`, written at `saved_at_ms`, looked at `now_ms` (all UTC
    /// epoch ms). "Period" is a day for daily bars.
    ///
    /// - The last bar was the open period when saved (saved before it
    ///   closed): refetch it (`from` = its open) once it has closed or the
    ///   entry is older than the max age; else fresh.
    /// - Otherwise `from` is the period after the last bar, and a tail is
    ///   needed when a period with a session closed after the save (its bar
    ///   was not final or not there yet), or when the current period has a
    ///   session and the entry is older than the max age. A period that had
    ///   already closed when the entry was saved and has no bar in it does
    ///   not exist for the provider (a holiday, a halt, a minute without
    ///   trades), so it never causes a refetch.
    pub fn decide_at(
        &self,
        interval: Interval,
        last_bar_ms: i64,
        saved_at_ms: i64,
        now_ms: i64,
    ) -> Freshness {
        let period = |ms| period_of(interval, ms);
        let start = |p| period_start(interval, p);
        let current = period(now_ms);
        let last = period(last_bar_ms);
        if saved_at_ms > now_ms || last > current || saved_at_ms < start(last) {
            return Freshness::Refetch;
        }
        let age = now_ms.saturating_sub(saved_at_ms);
        let stale = age >= self.open_session_max_age_ms;
        let last_closes_at = start(last + 1);
        if saved_at_ms < last_closes_at {
            // The last bar was the open period when saved.
            return if now_ms >= last_closes_at || stale {
                Freshness::NeedsTail {
                    from_ms: start(last),
                }
            } else {
                Freshness::Fresh
            };
        }
        let tail = Freshness::NeedsTail {
            from_ms: last_closes_at,
        };
        // Periods with a session that closed after the save: those in
        // [max(last + 1, period(saved)), current).
        let first = (last + 1).max(period(saved_at_ms));
        if self.calendar.periods_between(interval, first - 1, current) > 0 {
            return tail;
        }
        if current > last && self.calendar.trades_in(interval, current) && stale {
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
    /// [`TailError::Gap`] of intraday bars.
    #[error(
        "tail leaves a gap: cached {interval} bars end {cached_last}, tail starts {tail_first} \
         ({missing} period(s) missing)"
    )]
    IntradayGap {
        interval: Interval,
        cached_last: Minute,
        tail_first: Minute,
        missing: i64,
    },
    /// [`TailError::Backwards`] of intraday bars.
    #[error(
        "tail goes backwards: it ends {tail_last}, before the cached {interval} bars end \
         {cached_last}"
    )]
    IntradayBackwards {
        interval: Interval,
        cached_last: Minute,
        tail_last: Minute,
    },
    #[error("merged bars are invalid: {0}")]
    Invalid(BarsError),
}

/// [`append_tail_at`] for daily bars.
pub fn append_tail(cached: &Bars, tail: &Bars, calendar: Calendar) -> Result<Bars, TailError> {
    append_tail_at(cached, tail, calendar, Interval::D1)
}

/// Merges a fetched `tail` of `interval` bars into `cached`. The tail is
/// authoritative for its time range: every cached bar at or after the
/// tail's first bar is replaced by the tail (newer values win, and a bar the
/// provider no longer has is dropped). The tail must reach at least the
/// cached last bar (else it goes backwards) and must start no later than the
/// first period with a session after the cached bars, allowing
/// [`Calendar::allowed_missing_periods`] (else it leaves a gap). The result
/// is validated through [`Bars::new`].
pub fn append_tail_at(
    cached: &Bars,
    tail: &Bars,
    calendar: Calendar,
    interval: Interval,
) -> Result<Bars, TailError> {
    let (Some(&cached_last), Some(&tail_first), Some(&tail_last)) = (
        cached.time().last(),
        tail.time().first(),
        tail.time().last(),
    ) else {
        // An empty side (only `Bars::default()` can be): nothing to merge.
        return Ok(if tail.is_empty() { cached } else { tail }.clone());
    };
    let daily = interval.is_daily();
    if tail_last < cached_last {
        return Err(if daily {
            TailError::Backwards {
                cached_last: Day(day_of(cached_last)),
                tail_last: Day(day_of(tail_last)),
            }
        } else {
            TailError::IntradayBackwards {
                interval,
                cached_last: Minute(cached_last),
                tail_last: Minute(tail_last),
            }
        });
    }
    if tail_first > cached_last {
        let missing = calendar.periods_between(
            interval,
            period_of(interval, cached_last),
            period_of(interval, tail_first),
        );
        if missing > calendar.allowed_missing_periods(interval) {
            return Err(if daily {
                TailError::Gap {
                    cached_last: Day(day_of(cached_last)),
                    tail_first: Day(day_of(tail_first)),
                    missing,
                }
            } else {
                TailError::IntradayGap {
                    interval,
                    cached_last: Minute(cached_last),
                    tail_first: Minute(tail_first),
                    missing,
                }
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

    // ------------------------------------------------------------ intervals

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    /// 2024-03-15 00:00 UTC, a Friday.
    const FRI: i64 = 19_797 * DAY_MS;

    /// `decide` as it was before intervals (days only), kept as the oracle
    /// that daily decisions did not change.
    fn daily_before_intervals(
        rule: &FreshnessRule,
        last_bar_ms: i64,
        saved_at_ms: i64,
        now_ms: i64,
    ) -> Freshness {
        let today = day_of(now_ms);
        let last_day = day_of(last_bar_ms);
        if saved_at_ms > now_ms || last_day > today || saved_at_ms < day_start(last_day) {
            return Freshness::Refetch;
        }
        let stale = now_ms - saved_at_ms >= rule.open_session_max_age_ms;
        let last_closes_at = day_start(last_day + 1);
        if saved_at_ms < last_closes_at {
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
        let first = (last_day + 1).max(day_of(saved_at_ms));
        let end = today.min(first.saturating_add(7));
        if (first..end).any(|d| rule.calendar.trades_on(d)) {
            return tail;
        }
        if today > last_day && rule.calendar.trades_on(today) && stale {
            return tail;
        }
        Freshness::Fresh
    }

    #[test]
    fn daily_decisions_are_the_same_as_before_intervals_on_random_entries() {
        // A small xorshift: the same cases every run.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: i64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as i64
        };
        for calendar in [Calendar::Crypto, Calendar::Weekdays] {
            for _ in 0..20_000 {
                let rule = FreshnessRule {
                    calendar,
                    open_session_max_age_ms: [0, 15 * MINUTE, 100 * HOUR][next(3) as usize],
                };
                let last = FRI + next(20) * DAY_MS - 10 * DAY_MS + next(3) * HOUR;
                let saved = last - DAY_MS + next(12 * DAY_MS);
                let now = saved - HOUR + next(12 * DAY_MS);
                assert_eq!(
                    rule.decide(last, saved, now),
                    daily_before_intervals(&rule, last, saved, now),
                    "{calendar:?} last {last} saved {saved} now {now}"
                );
                assert_eq!(
                    rule.decide(last, saved, now),
                    rule.decide_at(Interval::D1, last, saved, now)
                );
            }
        }
    }

    #[test]
    fn a_one_minute_bar_saved_open_is_refetched_once_its_minute_has_closed() {
        let rule = FreshnessRule::new(Calendar::Crypto);
        let bar = FRI + 13 * HOUR + 5 * MINUTE; // 13:05
        let saved = bar + 20_000; // 13:05:20, the bar still open
        let d = |now| rule.decide_at(Interval::M1, bar, saved, now);
        assert_eq!(d(bar + 59_999), Freshness::Fresh);
        assert_eq!(d(bar + MINUTE), Freshness::NeedsTail { from_ms: bar });
        // Saved after it closed and nothing closed since: fresh.
        let closed_save = bar + MINUTE + 1;
        assert_eq!(
            rule.decide_at(Interval::M1, bar, closed_save, bar + 2 * MINUTE - 1),
            Freshness::Fresh
        );
    }

    #[test]
    fn a_five_minute_tail_starts_at_the_first_missing_period() {
        let rule = FreshnessRule::new(Calendar::Crypto);
        let bar = FRI + 9 * HOUR + 55 * MINUTE; // the 09:55 bar, closed at 10:00
        let saved = FRI + 10 * HOUR + 2 * MINUTE;
        let tail = Freshness::NeedsTail {
            from_ms: FRI + 10 * HOUR,
        };
        // The 10:00 bar was open at the save: fresh until it closes…
        assert_eq!(
            rule.decide_at(Interval::M5, bar, saved, FRI + 10 * HOUR + 4 * MINUTE),
            Freshness::Fresh
        );
        // …then a tail from 10:00, however young the entry.
        assert_eq!(
            rule.decide_at(Interval::M5, bar, saved, FRI + 10 * HOUR + 5 * MINUTE),
            tail
        );
        // Hours later the tail still starts at 10:00.
        assert_eq!(
            rule.decide_at(Interval::M5, bar, saved, FRI + 15 * HOUR),
            tail
        );
    }

    #[test]
    fn four_hour_bars_open_at_00_04_08_12_16_20_utc_and_close_four_hours_later() {
        let rule = FreshnessRule::new(Calendar::Crypto);
        let bar = FRI + 8 * HOUR;
        let saved = FRI + 9 * HOUR; // during the 08:00 bar
        let d = |now| rule.decide_at(Interval::H4, bar, saved, now);
        assert_eq!(d(saved + 14 * MINUTE), Freshness::Fresh);
        // Older than the 15-minute max age: the open bar is refetched.
        assert_eq!(
            d(saved + 15 * MINUTE),
            Freshness::NeedsTail { from_ms: bar }
        );
        assert_eq!(d(FRI + 12 * HOUR), Freshness::NeedsTail { from_ms: bar });
        // Bars stamped in the future are unusable.
        assert_eq!(
            rule.decide_at(Interval::H4, FRI + 12 * HOUR, saved, saved + MINUTE),
            Freshness::Refetch
        );
    }

    #[test]
    fn intraday_periods_between_counts_the_periods_of_trading_days() {
        for interval in [Interval::M15, Interval::H1, Interval::H4] {
            let p = interval.ms();
            let per_day = DAY_MS / p;
            for calendar in [Calendar::Crypto, Calendar::Weekdays] {
                for a in -3 * per_day..3 * per_day {
                    for b in (a - 2..a + 10 * per_day).step_by(7) {
                        let brute = (a + 1..b)
                            .filter(|&k| calendar.trades_on((k * p).div_euclid(DAY_MS)))
                            .count() as i64;
                        assert_eq!(
                            calendar.periods_between(interval, a, b),
                            brute,
                            "{interval} {calendar:?} {a}..{b}"
                        );
                    }
                }
            }
        }
        assert_eq!(Calendar::Crypto.periods_between(Interval::M5, 10, 13), 2);
        assert_eq!(Calendar::Weekdays.allowed_missing_periods(Interval::H4), 6);
        assert_eq!(Calendar::Weekdays.allowed_missing_periods(Interval::D1), 1);
    }

    fn every(interval: Interval, first: i64, n: i64) -> Bars {
        let mut cols = Columns::with_capacity(n as usize);
        for k in 0..n {
            let c = 100.0 + k as f64;
            cols.push(first + k * interval.ms(), c, c + 1.0, c - 1.0, c, 10.0);
        }
        Bars::new("X", cols).unwrap()
    }

    #[test]
    fn an_intraday_tail_joins_from_the_next_period_and_a_missing_period_is_a_gap() {
        let cached = every(Interval::M5, FRI, 10); // 00:00 … 00:45
        let next = every(Interval::M5, FRI + 10 * 5 * MINUTE, 4);
        let merged = append_tail_at(&cached, &next, Calendar::Crypto, Interval::M5).unwrap();
        assert_eq!(merged.len(), 14);
        let skipped = every(Interval::M5, FRI + 11 * 5 * MINUTE, 4);
        let err = append_tail_at(&cached, &skipped, Calendar::Crypto, Interval::M5).unwrap_err();
        assert_eq!(
            err,
            TailError::IntradayGap {
                interval: Interval::M5,
                cached_last: Minute(FRI + 45 * MINUTE),
                tail_first: Minute(FRI + 55 * MINUTE),
                missing: 1,
            }
        );
        assert_eq!(
            err.to_string(),
            "tail leaves a gap: cached 5m bars end 2024-03-15 00:45 UTC, tail starts \
             2024-03-15 00:55 UTC (1 period(s) missing)"
        );
        let old = every(Interval::M5, FRI - HOUR, 3);
        assert!(matches!(
            append_tail_at(&cached, &old, Calendar::Crypto, Interval::M5),
            Err(TailError::IntradayBackwards { .. })
        ));
        // Four-hour bars: the tail replaces the open 08:00 bar and goes on.
        let h4 = every(Interval::H4, FRI, 3); // 00, 04, 08
        let tail = every(Interval::H4, FRI + 8 * HOUR, 2); // 08, 12
        let merged = append_tail_at(&h4, &tail, Calendar::Crypto, Interval::H4).unwrap();
        assert_eq!(
            merged.time(),
            &[FRI, FRI + 4 * HOUR, FRI + 8 * HOUR, FRI + 12 * HOUR]
        );
        assert_eq!(merged.close()[2], 100.0, "the tail's 08:00 bar wins");
    }
}
