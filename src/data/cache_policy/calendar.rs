//! Days, sessions and periods in UTC epoch ms: the calendar arithmetic the
//! cache policy counts in (which days have a session, which period a time
//! falls in, when a period opens) and the dates its messages print. Pure
//! arithmetic; no clock, no browser crate.

use std::fmt;

use crate::data::interval::Interval;

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
    /// a trading day the provider had no bar for (see [`Freshness`](super::Freshness) for why
    /// that costs no refetch, and [`append_tail`](super::append_tail) for the gap allowance).
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

    /// Whether period `period` of `interval` (the bar opening at
    /// `period × interval`) has a session: whether its UTC day has one.
    pub fn trades_in(self, interval: Interval, period: i64) -> bool {
        self.trades_on(period_day(interval, period))
    }

    /// Periods of `interval` with a session strictly between periods `a` and
    /// `b` (0 when `b <= a + 1`). For daily bars, [`Calendar::sessions_between`].
    /// O(1): whole days are counted by the day calendar.
    pub fn periods_between(self, interval: Interval, a: i64, b: i64) -> i64 {
        let per_day = periods_per_day(interval);
        if per_day == 1 {
            return self.sessions_between(a, b);
        }
        let (lo, hi) = (a.saturating_add(1), b);
        if hi <= lo {
            return 0;
        }
        match self {
            Calendar::Crypto => hi.saturating_sub(lo),
            Calendar::Weekdays => {
                let (first_day, last_day) = (lo.div_euclid(per_day), hi.div_euclid(per_day));
                let in_day = |day: i64, n: i64| if self.trades_on(day) { n } else { 0 };
                if first_day == last_day {
                    return in_day(first_day, hi - lo);
                }
                // The rest of the first day, the whole days between, the
                // start of the last day.
                in_day(first_day, per_day - lo.rem_euclid(per_day))
                    .saturating_add(
                        self.sessions_between(first_day, last_day)
                            .saturating_mul(per_day),
                    )
                    .saturating_add(in_day(last_day, hi.rem_euclid(per_day)))
            }
        }
    }

    /// [`Calendar::allowed_missing_sessions`] in periods of `interval`: a
    /// missing session is a whole day of them.
    pub fn allowed_missing_periods(self, interval: Interval) -> i64 {
        self.allowed_missing_sessions() * periods_per_day(interval)
    }
}

/// How many periods of `interval` a day holds (every interval divides a day).
fn periods_per_day(interval: Interval) -> i64 {
    (DAY_MS / interval.ms()).max(1)
}

/// The UTC day of period `period` of `interval`.
fn period_day(interval: Interval, period: i64) -> i64 {
    period.div_euclid(periods_per_day(interval))
}

/// The period of `interval` that `ms` falls in (`open_of(ms) / P`).
pub fn period_of(interval: Interval, ms: i64) -> i64 {
    ms.div_euclid(interval.ms())
}

/// When period `period` of `interval` opens, in epoch ms.
pub fn period_start(interval: Interval, period: i64) -> i64 {
    period.saturating_mul(interval.ms())
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

/// A UTC time to the minute, for messages about intraday bars
/// (`2024-03-15 13:05 UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minute(pub i64);

impl fmt::Display for Minute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M UTC")),
            None => write!(f, "{} ms", self.0),
        }
    }
}
