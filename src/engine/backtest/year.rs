//! Calendar years of epoch-ms times, cached per year so a bar-by-bar walk
//! calls chrono only when it crosses a year end. Engine only.

use chrono::{Datelike, NaiveDate};

/// Calendar-year lookup that recomputes only when a bar crosses a year end.
pub(super) struct YearOf {
    year: i32,
    start: i64,
    end: i64,
}

impl YearOf {
    pub(super) fn new() -> YearOf {
        YearOf {
            year: 0,
            start: 1,
            end: 0,
        }
    }
    pub(super) fn at(&mut self, ms: i64) -> i32 {
        if ms < self.start || ms >= self.end {
            let y = chrono::DateTime::from_timestamp_millis(ms).map_or(1970, |d| d.year());
            let ms_of = |y: i32| {
                NaiveDate::from_ymd_opt(y, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp_millis())
            };
            self.year = y;
            // Outside chrono's range the cache is disabled (start > end).
            match (ms_of(y), ms_of(y + 1)) {
                (Some(s), Some(e)) => (self.start, self.end) = (s, e),
                _ => (self.start, self.end) = (1, 0),
            }
        }
        self.year
    }
}

/// Calendar year (UTC) of an epoch-ms time.
pub fn year_of(ms: i64) -> i32 {
    YearOf::new().at(ms)
}
