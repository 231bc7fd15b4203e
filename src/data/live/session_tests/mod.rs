//! The live session's rules, one test each: frames, closed bars and gaps
//! here; the sockets' lifecycle (backoff, attempts, stalls, rotation,
//! shutdown, resume) in `sockets`; the randomized simulation in `sim`.
//! Test-only.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::session::*;
use super::streams::DEFAULT_STREAM_BASE;
use crate::data::interval::Interval;

const P: i64 = 60_000;
/// A minute boundary.
const T0: i64 = 1_700_000_040_000;

/// The final values of `sym`'s bar at `t`.
fn truth(sym: usize, t: i64) -> ClosedBar {
    let base = 100.0 + sym as f64 * 10.0 + ((t / P) % 37) as f64;
    ClosedBar {
        open_ms: t,
        open: base,
        high: base + 2.0,
        low: base - 1.0,
        close: base + 1.0,
        volume: ((t / P) % 100) as f64,
    }
}

/// A forming update of `sym`'s bar at `t` (values differ from the final ones).
fn partial(sym: usize, t: i64) -> ClosedBar {
    let b = truth(sym, t);
    ClosedBar {
        high: b.open + 1.5,
        low: b.open - 0.5,
        close: b.open + 0.5,
        ..b
    }
}

fn frame_of(symbol: &str, interval: &str, b: &ClosedBar, closed: bool) -> String {
    format!(
        r#"{{"stream":"{s}@kline_{interval}","data":{{"e":"kline","E":1,"s":"{S}","k":{{"t":{t},"T":{tc},"s":"{S}","i":"{interval}","o":"{o}","c":"{c}","h":"{h}","l":"{l}","v":"{v}","x":{closed}}}}}}}"#,
        s = symbol.to_ascii_lowercase(),
        S = symbol,
        t = b.open_ms,
        tc = b.open_ms + P - 1,
        o = b.open,
        c = b.close,
        h = b.high,
        l = b.low,
        v = b.volume,
    )
}

const SYMS: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

fn sym_index(symbol: &str) -> usize {
    SYMS.iter().position(|s| *s == symbol).unwrap()
}

/// A closed (or forming) frame for `symbol`'s bar at `t`, values from `truth`.
fn closed(symbol: &str, t: i64) -> String {
    frame_of(symbol, "1m", &truth(sym_index(symbol), t), true)
}
fn forming(symbol: &str, t: i64) -> String {
    frame_of(symbol, "1m", &partial(sym_index(symbol), t), false)
}

fn config(symbols: &[&str], last_open: &[(&str, i64)]) -> LiveConfig {
    let mut c = LiveConfig::new(
        DEFAULT_STREAM_BASE,
        Interval::M1,
        symbols.iter().map(|s| s.to_string()).collect(),
    );
    c.last_open = last_open.iter().map(|(s, t)| (s.to_string(), *t)).collect();
    c.seed = 7;
    c
}

/// BTCUSDT with bars up to T0, started and open on socket 0 at T0 + 1 s.
fn open_btc() -> Live {
    let mut live = Live::new(config(&["BTCUSDT"], &[("BTCUSDT", T0)])).unwrap();
    let cmds = live.start(T0 + 1_000);
    assert!(matches!(cmds.as_slice(), [Command::Open { conn: 0, .. }]));
    assert!(live.on_open(0, T0 + 1_100).is_empty());
    live
}

fn append(symbol: &str, ts: &[i64]) -> Command {
    Command::Append {
        symbol: symbol.into(),
        bars: ts.iter().map(|&t| truth(sym_index(symbol), t)).collect(),
    }
}

fn fetch(symbol: &str, start_ms: i64, end_ms: i64) -> Command {
    Command::FetchGap {
        symbol: symbol.into(),
        start_ms,
        end_ms,
    }
}

fn bars(symbol: &str, ts: impl IntoIterator<Item = i64>) -> Vec<ClosedBar> {
    ts.into_iter()
        .map(|t| truth(sym_index(symbol), t))
        .collect()
}

#[test]
fn start_opens_one_socket_per_plan_entry_and_only_once() {
    let symbols: Vec<String> = (0..1025).map(|i| format!("S{i}USDT")).collect();
    let mut live = Live::new(LiveConfig::new("wss://example.test", Interval::M5, symbols)).unwrap();
    assert_eq!(live.status().connections, vec![ConnState::Closed; 2]);
    assert_eq!(live.status().streams, 1025);
    let cmds = live.start(0);
    assert_eq!(cmds.len(), 2);
    assert!(
        matches!(&cmds[1], Command::Open { conn: 1, url } if url.ends_with("s1024usdt@kline_5m"))
    );
    assert_eq!(live.status().connections, vec![ConnState::Connecting; 2]);
    assert!(live.start(10).is_empty());
    live.on_open(0, 20);
    assert_eq!(
        live.status().connections,
        vec![ConnState::Open, ConnState::Connecting]
    );
}

#[test]
fn settings_out_of_range_are_refused_by_name() {
    let mut c = config(&["BTCUSDT"], &[]);
    c.stall_ms = 0;
    assert!(
        matches!(Live::new(c), Err(super::StreamError::Config { field, .. }) if field == "stall_ms")
    );
    let c = config(&["BTCUSDT"], &[("BTCUSDT", T0 + 1)]);
    assert!(
        matches!(Live::new(c), Err(super::StreamError::Config { field, .. }) if field == "last_open[BTCUSDT]")
    );
    let mut c = config(&["BTCUSDT"], &[]);
    c.base = "https://x".into();
    assert!(matches!(
        Live::new(c),
        Err(super::StreamError::BadBase { .. })
    ));
}

#[test]
fn a_closed_kline_for_the_next_bar_is_appended_at_once() {
    let mut live = open_btc();
    assert_eq!(
        live.on_text(0, &closed("BTCUSDT", T0 + P), T0 + 2 * P),
        vec![append("BTCUSDT", &[T0 + P])]
    );
    assert_eq!(live.status().bars_received, 1);
    assert_eq!(live.status().last_message_ms, Some(T0 + 2 * P));
}

#[test]
fn forming_updates_are_never_appended() {
    let mut live = open_btc();
    for i in 0..5 {
        assert!(live
            .on_text(0, &forming("BTCUSDT", T0 + P), T0 + P + i * 2_000)
            .is_empty());
    }
    assert_eq!(live.status().bars_received, 0);
}

#[test]
fn a_repeated_closed_kline_is_counted_as_a_duplicate_and_never_appended_twice() {
    let mut live = open_btc();
    live.on_text(0, &closed("BTCUSDT", T0 + P), T0 + 2 * P);
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + P), T0 + 2 * P + 5)
        .is_empty());
    // Older than the series' last bar, forming or closed.
    assert!(live
        .on_text(0, &forming("BTCUSDT", T0), T0 + 2 * P + 6)
        .is_empty());
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 - P), T0 + 2 * P + 7)
        .is_empty());
    assert_eq!(live.status().duplicates, 3);
    assert_eq!(live.status().bars_received, 1);
    assert_eq!(
        live.status().last_error,
        None,
        "identical repeats are silent"
    );
    // The same bar with other values: still not appended, but reported.
    let mut other = truth(0, T0 + P);
    other.close += 0.5;
    other.high += 0.5;
    assert!(live
        .on_text(0, &frame_of("BTCUSDT", "1m", &other, true), T0 + 2 * P + 8)
        .is_empty());
    assert_eq!(live.status().duplicates, 4);
    assert!(live
        .status()
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("other values"));
}

#[test]
fn a_closed_kline_after_missed_bars_fetches_exactly_the_missing_ones_then_appends_all_in_order() {
    let mut live = open_btc();
    // Bars T0+P and T0+2P were missed; T0+3P closes.
    let cmds = live.on_text(0, &closed("BTCUSDT", T0 + 3 * P), T0 + 4 * P);
    assert_eq!(cmds, vec![fetch("BTCUSDT", T0 + P, T0 + 2 * P)]);
    let cmds = live.on_gap(
        "BTCUSDT",
        Ok(bars("BTCUSDT", [T0 + P, T0 + 2 * P])),
        T0 + 4 * P + 300,
    );
    assert_eq!(
        cmds,
        vec![append("BTCUSDT", &[T0 + P, T0 + 2 * P, T0 + 3 * P])]
    );
    let s = live.status();
    assert_eq!((s.gaps_filled, s.gap_bars, s.bars_received), (1, 2, 1));
}

#[test]
fn a_bar_whose_close_was_never_seen_is_fetched_not_guessed_from_its_forming_update() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + P), T0 + P + 2_000);
    // The next bar forms: T0+P closed, but its x:true never came.
    let cmds = live.on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 2 * P + 2_000);
    assert_eq!(cmds, vec![fetch("BTCUSDT", T0 + P, T0 + P)]);
    let cmds = live.on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), T0 + 2 * P + 2_500);
    assert_eq!(cmds, vec![append("BTCUSDT", &[T0 + P])]);
}

#[test]
fn frames_during_a_pending_gap_are_held_and_only_one_gap_is_in_flight() {
    let mut live = open_btc();
    let cmds = live.on_text(0, &closed("BTCUSDT", T0 + 3 * P), T0 + 4 * P);
    assert_eq!(cmds.len(), 1);
    // More bars close while the fetch is out; a repeat of one replaces it.
    assert!(live
        .on_text(0, &forming("BTCUSDT", T0 + 4 * P), T0 + 4 * P + 2_000)
        .is_empty());
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + 4 * P), T0 + 5 * P)
        .is_empty());
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + 4 * P), T0 + 5 * P + 1)
        .is_empty());
    assert!(live
        .on_text(0, &forming("BTCUSDT", T0 + 6 * P), T0 + 6 * P + 1)
        .is_empty());
    // The answer also carries a bar the stream already delivered.
    let cmds = live.on_gap(
        "BTCUSDT",
        Ok(bars("BTCUSDT", [T0 + 2 * P, T0 + P, T0 + 3 * P])),
        T0 + 6 * P + 2,
    );
    // T0+5P is still missing (its close was never seen): the next gap.
    assert_eq!(
        cmds,
        vec![
            fetch("BTCUSDT", T0 + 5 * P, T0 + 5 * P),
            append("BTCUSDT", &[T0 + P, T0 + 2 * P, T0 + 3 * P, T0 + 4 * P]),
        ]
    );
    assert_eq!(live.status().duplicates, 0);
    assert_eq!(
        live.status().gap_bars,
        2,
        "T0+3P from REST is not counted twice"
    );
}

#[test]
fn a_failed_gap_is_retried_with_backoff_and_frames_stay_held() {
    let mut live = open_btc();
    live.on_text(0, &closed("BTCUSDT", T0 + 2 * P), T0 + 3 * P);
    let now = T0 + 3 * P + 100;
    assert!(live
        .on_gap("BTCUSDT", Err("HTTP 503".into()), now)
        .is_empty());
    assert!(live
        .status()
        .last_error
        .as_deref()
        .unwrap()
        .contains("HTTP 503"));
    // Stray answers while waiting are ignored.
    assert!(live
        .on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), now + 1)
        .is_empty());
    // The first retry comes within 1 s (full jitter), from the timer.
    let mut retry = None;
    for ms in (0..=1_000).step_by(100) {
        let cmds = live.on_timer(now + ms);
        if !cmds.is_empty() {
            retry = Some(cmds);
            break;
        }
    }
    assert_eq!(retry, Some(vec![fetch("BTCUSDT", T0 + P, T0 + P)]));
    let cmds = live.on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), now + 2_000);
    assert_eq!(cmds, vec![append("BTCUSDT", &[T0 + P, T0 + 2 * P])]);
}

#[test]
fn gap_bars_outside_the_range_asked_for_are_dropped_so_a_forming_bar_is_never_appended() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 2 * P + 1);
    let mut answer = bars("BTCUSDT", [T0, T0 + P]);
    answer.push(partial(0, T0 + 2 * P)); // the forming bar, as REST serves it
    let cmds = live.on_gap("BTCUSDT", Ok(answer), T0 + 2 * P + 2);
    assert_eq!(cmds, vec![append("BTCUSDT", &[T0 + P])]);
    assert_eq!(live.status().gap_bars, 1);
}

#[test]
fn an_invalid_gap_bar_fails_the_answer_and_is_retried() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 2 * P + 1);
    let mut bad = truth(0, T0 + P);
    bad.high = bad.low - 1.0;
    assert!(live
        .on_gap("BTCUSDT", Ok(vec![bad]), T0 + 2 * P + 2)
        .is_empty());
    assert!(live
        .status()
        .last_error
        .as_deref()
        .unwrap()
        .contains("high/low"));
    assert_eq!(live.status().gaps_filled, 0);
}

#[test]
fn a_gap_answer_without_its_newest_bar_is_asked_again_then_taken_as_a_hole() {
    let mut live = open_btc();
    live.on_text(0, &closed("BTCUSDT", T0 + 3 * P), T0 + 4 * P);
    let mut now = T0 + 4 * P;
    for _ in 0..MAX_SHORT_ANSWERS {
        // REST lags: T0+2P is not there yet.
        assert!(live
            .on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), now)
            .is_empty());
        let (at, cmds) = until_command(&mut live, now, 4_000).unwrap();
        assert_eq!(cmds, vec![fetch("BTCUSDT", T0 + P, T0 + 2 * P)]);
        now = at;
    }
    // Still absent: the exchange has a hole there; the series goes on.
    let cmds = live.on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), now);
    assert_eq!(cmds, vec![append("BTCUSDT", &[T0 + P, T0 + 3 * P])]);
    // A late frame for the hole is a duplicate, not an append.
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + 2 * P), now + 1)
        .is_empty());
    assert_eq!(live.status().duplicates, 1);
}

#[test]
fn a_long_gap_is_fetched_in_pages_of_at_most_1000_bars() {
    let mut live = open_btc();
    let t = T0 + 2_500 * P;
    // (The session's clock stays near the socket's open: only frames date bars.)
    let cmds = live.on_text(0, &closed("BTCUSDT", t), T0 + 2_000);
    assert_eq!(cmds, vec![fetch("BTCUSDT", T0 + P, T0 + 1_000 * P)]);
    let cmds = live.on_gap(
        "BTCUSDT",
        Ok(bars("BTCUSDT", (1..=1_000).map(|i| T0 + i * P))),
        T0 + 2_001,
    );
    assert!(
        matches!(&cmds[0], Command::FetchGap { start_ms, end_ms, .. }
        if *start_ms == T0 + 1_001 * P && *end_ms == T0 + 2_000 * P)
    );
    assert!(matches!(&cmds[1], Command::Append { bars, .. } if bars.len() == 1_000));
    let cmds = live.on_gap(
        "BTCUSDT",
        Ok(bars("BTCUSDT", (1_001..=2_000).map(|i| T0 + i * P))),
        T0 + 2_002,
    );
    assert_eq!(cmds[0], fetch("BTCUSDT", T0 + 2_001 * P, T0 + 2_499 * P));
    let cmds = live.on_gap(
        "BTCUSDT",
        Ok(bars("BTCUSDT", (2_001..=2_499).map(|i| T0 + i * P))),
        T0 + 2_003,
    );
    assert!(matches!(&cmds[..], [Command::Append { bars, .. }]
        if bars.len() == 500 && bars.last().map(|b| b.open_ms) == Some(t)));
    assert_eq!(live.status().gap_bars, 2_499);
}

#[test]
fn a_kline_for_an_unsubscribed_symbol_or_another_interval_is_malformed_and_named() {
    let mut live = open_btc();
    assert!(live
        .on_text(0, &closed("ETHUSDT", T0 + P), T0 + 2 * P)
        .is_empty());
    assert!(live
        .status()
        .last_error
        .as_deref()
        .unwrap()
        .contains("ETHUSDT, which is not subscribed"));
    let five = frame_of(
        "BTCUSDT",
        "5m",
        &truth(0, Interval::M5.open_of(T0 + 10 * P)),
        true,
    );
    assert!(live.on_text(0, &five, T0 + 6 * P).is_empty());
    assert!(live
        .status()
        .last_error
        .as_deref()
        .unwrap()
        .contains("interval 5m, expected 1m"));
    assert_eq!(live.status().malformed, 2);
    assert_eq!(live.status().bars_received, 0);
}

#[test]
fn unreadable_frames_are_counted_with_a_bounded_error_and_the_session_goes_on() {
    let mut live = open_btc();
    live.on_text(0, "not json at all", T0 + P);
    let huge = format!(r#"{{"e":"kline","k":{{"s":"{}"}}}}"#, "X".repeat(10_000));
    live.on_text(0, &huge, T0 + P + 1);
    let bad_price = closed("BTCUSDT", T0 + P).replace(r#""c":""#, r#""c":"-"#);
    live.on_text(0, &bad_price, T0 + P + 2);
    let s = live.status();
    assert_eq!(s.malformed, 3);
    let err = s.last_error.as_deref().unwrap();
    assert!(err.contains("data.k.c"), "{err}");
    assert!(err.chars().count() <= MAX_ERROR_CHARS);
    live.on_text(0, r#"{"result":null,"id":1}"#, T0 + P + 3);
    assert_eq!(live.status().ignored, 1);
    assert_eq!(
        live.on_text(0, &closed("BTCUSDT", T0 + P), T0 + 2 * P),
        vec![append("BTCUSDT", &[T0 + P])]
    );
    assert_eq!(live.status().connections, vec![ConnState::Open]);
}

#[test]
fn an_older_forming_update_after_a_newer_one_is_out_of_order_and_ignored() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 2 * P + 1);
    live.on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), T0 + 2 * P + 2);
    assert!(
        live.on_text(0, &forming("BTCUSDT", T0 + 3 * P), T0 + 3 * P + 1)
            .len()
            == 1
    );
    assert!(live
        .on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 3 * P + 2)
        .is_empty());
    assert_eq!(live.status().out_of_order, 1);
    // A late close is final data, not out of order: it fills the gap at once.
    let cmds = live.on_text(0, &closed("BTCUSDT", T0 + 2 * P), T0 + 3 * P + 3);
    assert_eq!(cmds, vec![append("BTCUSDT", &[T0 + 2 * P])]);
    assert_eq!(live.status().out_of_order, 1);
}

#[test]
fn a_symbol_without_bars_starts_at_its_first_closed_kline() {
    let mut live = Live::new(config(&["SOLUSDT"], &[])).unwrap();
    live.start(T0);
    live.on_open(0, T0);
    // Forming updates of any age ask for nothing: there is no series to extend.
    assert!(live.on_text(0, &forming("SOLUSDT", T0), T0 + 1).is_empty());
    assert!(live
        .on_text(0, &forming("SOLUSDT", T0 + 3 * P), T0 + 3 * P + 1)
        .is_empty());
    assert_eq!(
        live.on_text(0, &closed("SOLUSDT", T0 + 3 * P), T0 + 4 * P),
        vec![append("SOLUSDT", &[T0 + 3 * P])]
    );
    assert_eq!(
        live.on_text(0, &closed("SOLUSDT", T0 + 5 * P), T0 + 6 * P),
        vec![fetch("SOLUSDT", T0 + 4 * P, T0 + 4 * P)]
    );
}

/// Ticks the timer every 100 ms from `from` until a command comes (at most
/// `max_ms`); returns the time and the commands.
fn until_command(live: &mut Live, from: i64, max_ms: i64) -> Option<(i64, Vec<Command>)> {
    (from..=from + max_ms).step_by(100).find_map(|t| {
        let cmds = live.on_timer(t);
        (!cmds.is_empty()).then_some((t, cmds))
    })
}

mod sim;
mod sockets;
