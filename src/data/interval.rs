//! Bar intervals: the lengths a crypto source can be scanned at (`1m` …
//! `1d`), spelled as the page's `interval` select, Binance's klines and its
//! kline streams spell them. Bars open on multiples of the interval since the
//! epoch (UTC), so a bar's period and its close time follow from its open
//! time alone. No I/O, no browser crate.

use std::fmt;
use std::str::FromStr;

/// One bar's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Interval {
    M1,
    M5,
    M15,
    H1,
    H4,
    /// Daily bars: what every source serves, and the default.
    #[default]
    D1,
}

impl Interval {
    /// Every interval, shortest first (the select's options).
    pub const ALL: [Interval; 6] = [
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::H4,
        Interval::D1,
    ];

    /// The name as written: the select's value, Binance's `interval`
    /// parameter, the kline stream's suffix and the cache key's interval.
    pub fn name(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
        }
    }

    /// Its length in milliseconds.
    pub fn ms(self) -> i64 {
        const MINUTE: i64 = 60_000;
        match self {
            Interval::M1 => MINUTE,
            Interval::M5 => 5 * MINUTE,
            Interval::M15 => 15 * MINUTE,
            Interval::H1 => 60 * MINUTE,
            Interval::H4 => 240 * MINUTE,
            Interval::D1 => 1_440 * MINUTE,
        }
    }

    /// Whether this is the daily interval (the only one stock sources have).
    pub fn is_daily(self) -> bool {
        self == Interval::D1
    }

    /// The open time of the bar that contains `ms`.
    pub fn open_of(self, ms: i64) -> i64 {
        ms.div_euclid(self.ms()) * self.ms()
    }

    /// When the bar opening at `open_ms` closes (the next bar's open time).
    pub fn close_of(self, open_ms: i64) -> i64 {
        self.open_of(open_ms).saturating_add(self.ms())
    }

    /// The newest bar that has closed by `now_ms` (its open time): the bar
    /// before the one still forming.
    pub fn last_closed_open(self, now_ms: i64) -> i64 {
        self.open_of(now_ms) - self.ms()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An interval name that is not one of [`Interval::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interval `{0}`: expected one of 1m, 5m, 15m, 1h, 4h, 1d")]
pub struct UnknownInterval(pub String);

impl FromStr for Interval {
    type Err = UnknownInterval;
    fn from_str(s: &str) -> Result<Interval, UnknownInterval> {
        let s = s.trim();
        Interval::ALL
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| UnknownInterval(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_interval() {
        for i in Interval::ALL {
            assert_eq!(i.name().parse::<Interval>(), Ok(i));
        }
        assert_eq!(
            "2h".parse::<Interval>(),
            Err(UnknownInterval("2h".to_string()))
        );
        assert_eq!(Interval::default(), Interval::D1);
    }

    #[test]
    fn bars_open_on_multiples_of_their_length_since_the_epoch() {
        let t = 1_700_000_123_456; // 2023-11-14T22:15:23.456Z
        assert_eq!(Interval::M5.open_of(t), 1_700_000_100_000);
        assert_eq!(Interval::M5.close_of(1_700_000_100_000), 1_700_000_400_000);
        assert_eq!(Interval::H4.open_of(t), 1_699_992_000_000); // 20:00 UTC
        assert_eq!(Interval::D1.open_of(t), 1_699_920_000_000); // 00:00 UTC
        assert_eq!(Interval::M1.last_closed_open(t), 1_700_000_040_000);
        // Before the epoch too.
        assert_eq!(Interval::M1.open_of(-1), -60_000);
    }
}
