//! The words of a live scan: its status line (connection state, streams,
//! last message age, bars received, gaps filled, faults) and its log lines
//! (entries and exits with the bar's close time). Pure text from the live
//! core's counters; no DOM, no browser crate.

use crate::data::interval::Interval;
use crate::data::live::{ConnState, LiveStatus, LogEntry};

/// The connection state in one word, for the status line and `data-state`.
pub fn state_word(status: &LiveStatus, following: bool) -> &'static str {
    if following {
        return "following";
    }
    let c = &status.connections;
    if c.is_empty() || c.iter().all(|s| matches!(s, ConnState::Closed)) {
        "off"
    } else if c.iter().all(|s| matches!(s, ConnState::Open)) {
        "connected"
    } else if c
        .iter()
        .any(|s| matches!(s, ConnState::Reconnecting { .. }))
    {
        "reconnecting"
    } else {
        "connecting"
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "Connected · 50 streams · last message 2 s ago · 12 bars · 1 gap filled
/// (3 bars) · 2 malformed": faults are named only when there were some.
pub fn status_line(status: &LiveStatus, following: bool, now_ms: i64) -> String {
    let word = state_word(status, following);
    let mut parts = vec![match word {
        "following" => "Following the tab that holds the connection".to_string(),
        "reconnecting" => {
            let next = status
                .connections
                .iter()
                .filter_map(|s| match s {
                    ConnState::Reconnecting { attempt, at_ms } => Some((*attempt, *at_ms)),
                    _ => None,
                })
                .min_by_key(|&(_, at)| at);
            match next {
                Some((attempt, at)) => format!(
                    "Reconnecting (attempt {attempt}, in {} s)",
                    ((at - now_ms).max(0) + 999) / 1000
                ),
                None => "Reconnecting".to_string(),
            }
        }
        "connected" => "Connected".to_string(),
        "connecting" => "Connecting".to_string(),
        _ => "Off".to_string(),
    }];
    parts.push(plural(status.streams as u64, "stream", "streams"));
    if let Some(last) = status.last_message_ms {
        parts.push(format!(
            "last message {} s ago",
            ((now_ms - last).max(0)) / 1000
        ));
    }
    parts.push(plural(status.bars_received, "bar", "bars"));
    if status.gaps_filled > 0 {
        parts.push(format!(
            "{} filled ({})",
            plural(status.gaps_filled, "gap", "gaps"),
            plural(status.gap_bars, "bar", "bars")
        ));
    }
    for (n, what) in [
        (status.malformed, "malformed"),
        (status.out_of_order, "out of order"),
        (status.duplicates, "duplicate"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if status.reconnects > 0 {
        parts.push(plural(status.reconnects, "reconnect", "reconnects"));
    }
    parts.join(" · ")
}

/// A bar's close time as the log shows it: `2026-11-30 12:05 UTC`.
pub fn close_time(bar_open_ms: i64, interval: Interval) -> String {
    chrono::DateTime::from_timestamp_millis(interval.close_of(bar_open_ms)).map_or_else(
        || bar_open_ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// "2026-11-30 12:05 UTC  BTCUSDT entered" / "… left".
pub fn log_line(entry: &LogEntry, interval: Interval) -> String {
    format!(
        "{}  {} {}",
        close_time(entry.bar_open_ms, interval),
        entry.symbol,
        if entry.entered { "entered" } else { "left" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(connections: Vec<ConnState>) -> LiveStatus {
        LiveStatus {
            connections,
            streams: 50,
            last_message_ms: Some(10_000),
            bars_received: 12,
            ..LiveStatus::default()
        }
    }

    #[test]
    fn a_connected_scan_says_so_with_its_streams_age_and_bars() {
        let s = status(vec![ConnState::Open]);
        assert_eq!(state_word(&s, false), "connected");
        assert_eq!(
            status_line(&s, false, 12_500),
            "Connected · 50 streams · last message 2 s ago · 12 bars"
        );
    }

    #[test]
    fn faults_and_gaps_are_named_only_when_there_were_some() {
        let mut s = status(vec![ConnState::Open]);
        s.gaps_filled = 1;
        s.gap_bars = 3;
        s.malformed = 2;
        s.duplicates = 1;
        s.reconnects = 1;
        assert_eq!(
            status_line(&s, false, 10_000),
            "Connected · 50 streams · last message 0 s ago · 12 bars · 1 gap filled (3 bars) \
             · 2 malformed · 1 duplicate · 1 reconnect"
        );
    }

    #[test]
    fn a_reconnecting_scan_names_its_attempt_and_wait() {
        let s = status(vec![
            ConnState::Open,
            ConnState::Reconnecting {
                attempt: 3,
                at_ms: 14_200,
            },
        ]);
        assert_eq!(state_word(&s, false), "reconnecting");
        assert!(status_line(&s, false, 10_000).starts_with("Reconnecting (attempt 3, in 5 s)"));
        assert_eq!(state_word(&s, true), "following");
        assert_eq!(state_word(&status(vec![]), false), "off");
    }

    #[test]
    fn log_lines_show_the_bars_close_time_in_utc() {
        let entry = LogEntry {
            bar_open_ms: 1_764_504_000_000, // 2025-11-30 12:00 UTC
            at_ms: 0,
            symbol: "BTCUSDT".into(),
            entered: true,
        };
        assert_eq!(
            log_line(&entry, Interval::M5),
            "2025-11-30 12:05 UTC  BTCUSDT entered"
        );
    }
}
