//! Date and time cells as UTC epoch milliseconds: `YYYY-MM-DD` (or `/`) with
//! an optional clock and offset, Stooq's `YYYYMMDD` and `HHMMSS`, and epoch
//! numbers told apart by magnitude (the module docs of `csv` list the forms).
//! Pure byte parsing: imports nothing of the reader.

use chrono::{DateTime, NaiveDate};

pub(super) const MS_PER_DAY: i64 = 86_400_000;

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        b.iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')),
    )
}

/// Midnight UTC of a calendar date, in epoch ms.
fn date_ms(y: &[u8], m: &[u8], d: &[u8]) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(digits(y)? as i32, digits(m)?, digits(d)?)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A timestamp cell as UTC epoch ms (see the module docs for the formats).
pub(super) fn parse_time(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        if let Some(ms) = date_ms(&b[0..4], &b[4..6], &b[6..8]) {
            return Some(ms);
        }
    }
    if b.iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.'))
        && b.iter().any(u8::is_ascii_digit)
        && !(b.len() >= 10 && (b[4] == b'-'))
    {
        return parse_epoch(b);
    }
    if b.len() < 10 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    let midnight = date_ms(&b[0..4], &b[5..7], &b[8..10])?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(midnight);
    }
    if !matches!(rest[0], b' ' | b'T' | b't') {
        return None;
    }
    let (of_day, rest) = parse_clock(rest[1..].trim_ascii_start())?;
    let offset = parse_offset(rest.trim_ascii())?;
    Some(midnight + of_day - offset)
}

/// Epoch seconds, ms, µs or ns, told apart by magnitude.
fn parse_epoch(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    if let Ok(v) = s.parse::<i64>() {
        let a = v.unsigned_abs();
        return if a < 100_000_000_000 {
            v.checked_mul(1000)
        } else if a < 100_000_000_000_000 {
            Some(v)
        } else if a < 100_000_000_000_000_000 {
            Some(v / 1000)
        } else {
            Some(v / 1_000_000)
        };
    }
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    let ms = if a < 1e11 {
        v * 1000.0
    } else if a < 1e14 {
        v
    } else if a < 1e17 {
        v / 1000.0
    } else {
        v / 1e6
    };
    if ms.abs() < 9.0e18 {
        Some(ms.round() as i64)
    } else {
        None
    }
}

/// `HH:MM[:SS[.fff…]]` at the start of `b`: (ms into the day, the rest).
fn parse_clock(b: &[u8]) -> Option<(i64, &[u8])> {
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = i64::from(digits(&b[0..2])?);
    let m = i64::from(digits(&b[3..5])?);
    let mut rest = &b[5..];
    let mut s = 0;
    let mut frac_ms = 0;
    if rest.first() == Some(&b':') {
        s = i64::from(digits(rest.get(1..3)?)?);
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut scale = 100;
            for &d in rest[1..1 + n].iter().take(3) {
                frac_ms += i64::from(d - b'0') * scale;
                scale /= 10;
            }
            rest = &rest[1 + n..];
        }
    }
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some((((h * 60 + m) * 60 + s) * 1000 + frac_ms, rest))
}

/// `""`, `Z`, `UTC` or `±HH[:MM]` / `±HHMM`, as ms to subtract.
fn parse_offset(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.eq_ignore_ascii_case(b"z") || b.eq_ignore_ascii_case(b"utc") {
        return Some(0);
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = match rest.len() {
        2 => (digits(rest)?, 0),
        4 => (digits(&rest[0..2])?, digits(&rest[2..4])?),
        5 if rest[2] == b':' => (digits(&rest[0..2])?, digits(&rest[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 60 + i64::from(m)) * 60_000)
}

/// A separate time-of-day cell: `HH:MM[:SS]` or Stooq's `HHMMSS`.
pub(super) fn parse_time_of_day_cell(b: &[u8]) -> Option<i64> {
    if b.len() == 6 && b.iter().all(u8::is_ascii_digit) {
        let (h, m, s) = (digits(&b[0..2])?, digits(&b[2..4])?, digits(&b[4..6])?);
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        return Some(i64::from((h * 60 + m) * 60 + s) * 1000);
    }
    let (ms, rest) = parse_clock(b)?;
    if rest.is_empty() && ms < MS_PER_DAY {
        Some(ms)
    } else {
        None
    }
}

/// A timestamp for messages: the date alone at midnight UTC.
pub(super) fn show_time(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) if ms.rem_euclid(MS_PER_DAY) == 0 => t.format("%Y-%m-%d").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn date_forms_agree_on_the_same_day() {
        let day = parse_time(b"2020-01-02").unwrap();
        assert_eq!(day, 1_577_923_200_000);
        assert_eq!(parse_time(b"20200102"), Some(day));
        assert_eq!(parse_time(b"2020/01/02"), Some(day));
        assert_eq!(parse_time(b"1577923200"), Some(day));
        assert_eq!(parse_time(b"1577923200000"), Some(day));
        assert_eq!(parse_time(b"2020-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_time(b"2020-01-02 01:30:15.5"), Some(day + 5_415_500));
        assert_eq!(parse_time(b"2020-01-01 19:00:00-05:00"), Some(day));
    }

    #[test]
    fn impossible_dates_and_clocks_are_refused() {
        for bad in [
            &b"2020-02-30"[..],
            b"2020-13-01",
            b"2020-01-02 24:00",
            b"2020-01-02X10:00",
            b"yesterday",
            b"",
            b"2020-01-02 10:00+99:00",
        ] {
            assert_eq!(parse_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
