//! The live session's socket rules, one test each: reconnect backoff and its
//! reset, Binance's attempt budget, stalls, rotation before 24 h, server
//! shutdown, resume after a freeze. Test-only.

use super::*;

#[test]
fn a_lost_socket_reconnects_after_a_jittered_exponential_backoff_capped_at_60_s() {
    let mut live = open_btc();
    let url = live.plan()[0].url.clone();
    let mut now = T0 + 2_000;
    for attempt in 1..=9u32 {
        let conn = attempt as usize;
        let ceiling = (BACKOFF_BASE_MS << (attempt - 1)).min(BACKOFF_CAP_MS);
        let immediate = live.on_close(conn - 1, now);
        let (at, cmds) = match live.status().connections[0] {
            // A jitter of 0 ms: the reconnect goes out with the close.
            _ if !immediate.is_empty() => (now, immediate),
            ConnState::Reconnecting { attempt: a, at_ms } => {
                assert_eq!(a, attempt);
                assert!(
                    at_ms - now <= ceiling,
                    "attempt {attempt}: {} > {ceiling}",
                    at_ms - now
                );
                until_command(&mut live, now, ceiling + 1_200).unwrap()
            }
            other => panic!("attempt {attempt}: {other:?}"),
        };
        assert_eq!(
            cmds,
            vec![Command::Open {
                conn,
                url: url.clone()
            }]
        );
        assert_eq!(live.status().connections[0], ConnState::Connecting);
        assert_eq!(live.status().reconnects, u64::from(attempt));
        now = at + 10;
    }
}

#[test]
fn the_backoff_resets_after_a_socket_has_delivered_for_30_s() {
    let mut live = open_btc();
    let mut now = T0 + 2_000;
    let mut conn = 0;
    for _ in 0..5 {
        live.on_close(conn, now);
        let (at, _) = until_command(&mut live, now, 70_000).unwrap();
        conn += 1;
        now = at + 10;
    }
    live.on_open(conn, now);
    live.on_text(conn, &forming("BTCUSDT", T0 + P), now + HEALTHY_MS);
    live.on_close(conn, now + HEALTHY_MS + 1);
    assert!(
        matches!(live.status().connections[0], ConnState::Reconnecting { attempt: 1, at_ms }
        if at_ms - (now + HEALTHY_MS + 1) <= BACKOFF_BASE_MS)
    );
}

#[test]
fn connection_attempts_stay_under_binances_300_per_5_minutes() {
    let mut live = open_btc();
    let mut opens = vec![T0 + 1_000];
    let mut conn = 0;
    // A socket that fails the moment it opens, for 20 minutes, with
    // on_resume (which cuts waits short) after every failure.
    let mut now = T0 + 2_000;
    while now < T0 + 20 * P {
        live.on_close(conn, now);
        for c in live.on_resume(now).into_iter().chain(live.on_timer(now)) {
            if let Command::Open { conn: c, .. } = c {
                conn = c;
                opens.push(now);
            }
        }
        now += 100;
    }
    assert!(opens.len() > 100, "it did keep trying: {}", opens.len());
    for (i, &t) in opens.iter().enumerate() {
        let in_window = opens[i..].iter().take_while(|&&u| u < t + 300_000).count();
        assert!(
            in_window <= 300,
            "{in_window} attempts within 5 minutes of {t}"
        );
        let in_second = opens[i..].iter().take_while(|&&u| u < t + 1_000).count();
        assert!(in_second <= ATTEMPT_BURST as usize);
    }
}

#[test]
fn a_socket_silent_for_stall_ms_is_closed_and_reconnected() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + P), T0 + P);
    assert!(live.on_timer(T0 + P + DEFAULT_STALL_MS - 1).is_empty());
    let cmds = live.on_timer(T0 + P + DEFAULT_STALL_MS);
    assert_eq!(cmds.first(), Some(&Command::Close { conn: 0 }));
    let reopened = if cmds.len() == 2 {
        (T0 + P + DEFAULT_STALL_MS, cmds[1].clone())
    } else {
        assert!(matches!(
            live.status().connections[0],
            ConnState::Reconnecting { attempt: 1, .. }
        ));
        let (at, cmds) = until_command(&mut live, T0 + P + DEFAULT_STALL_MS, 1_200).unwrap();
        (at, cmds[0].clone())
    };
    assert!(matches!(reopened.1, Command::Open { conn: 1, .. }));
    // A socket that never opens is silent too.
    assert_eq!(live.status().connections[0], ConnState::Connecting);
    assert!(live.on_timer(reopened.0 + DEFAULT_STALL_MS - 1).is_empty());
    let cmds = live.on_timer(reopened.0 + DEFAULT_STALL_MS);
    assert_eq!(cmds.first(), Some(&Command::Close { conn: 1 }));
}

/// BTCUSDT open on socket 0, rotated: returns the live session with socket 1
/// opening as the replacement, at `T0 + rotate`.
#[test]
fn rotation_opens_the_replacement_first_and_closes_the_old_socket_once_it_delivers() {
    let mut c = config(&["BTCUSDT"], &[("BTCUSDT", T0)]);
    c.rotate_ms = 10 * P;
    let mut live = Live::new(c).unwrap();
    live.start(T0);
    live.on_open(0, T0);
    live.on_text(0, &forming("BTCUSDT", T0 + P), T0 + P);
    live.on_text(0, r#"{"result":null,"id":1}"#, T0 + 10 * P - 2);
    assert!(live.on_timer(T0 + 10 * P - 1).is_empty());
    let cmds = live.on_timer(T0 + 10 * P);
    assert!(matches!(cmds.as_slice(), [Command::Open { conn: 1, .. }]));
    assert_eq!(live.status().rotations, 1);
    assert_eq!(live.status().reconnects, 0);
    // Both sockets carry the stream for a moment: the old one still counts.
    live.on_open(1, T0 + 10 * P + 100);
    assert_eq!(
        live.on_text(0, &closed("BTCUSDT", T0 + P), T0 + 10 * P + 200),
        vec![append("BTCUSDT", &[T0 + P])]
    );
    assert_eq!(live.status().connections, vec![ConnState::Open]);
    // The new one delivers the same bar: the old socket closes, no double.
    assert_eq!(
        live.on_text(1, &closed("BTCUSDT", T0 + P), T0 + 10 * P + 300),
        vec![Command::Close { conn: 0 }]
    );
    assert_eq!(live.status().duplicates, 1);
    // A late frame from the old socket is ignored.
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + 2 * P), T0 + 10 * P + 400)
        .is_empty());
    assert!(live.on_close(0, T0 + 10 * P + 500).is_empty());
    assert_eq!(
        live.on_text(1, &closed("BTCUSDT", T0 + 2 * P), T0 + 10 * P + 600),
        vec![append("BTCUSDT", &[T0 + 2 * P])]
    );
    // The next rotation is rotate_ms after the replacement opened.
    live.on_text(1, r#"{"result":null,"id":1}"#, T0 + 20 * P - 1);
    assert!(live.on_timer(T0 + 20 * P).is_empty());
    assert!(matches!(
        live.on_timer(T0 + 20 * P + 100).as_slice(),
        [Command::Open { conn: 2, .. }]
    ));
}

#[test]
fn server_shutdown_opens_the_replacement_at_once() {
    let mut live = open_btc();
    let cmds = live.on_text(
        0,
        r#"{"stream":"x","data":{"e":"serverShutdown","E":1}}"#,
        T0 + 5_000,
    );
    assert!(matches!(cmds.as_slice(), [Command::Open { conn: 1, .. }]));
    // The old socket closes before the new one delivers: the new one takes over.
    assert!(live.on_close(0, T0 + 6_000).is_empty());
    assert_eq!(live.status().connections, vec![ConnState::Connecting]);
    assert_eq!(live.status().reconnects, 0);
    live.on_open(1, T0 + 6_500);
    assert_eq!(live.status().connections, vec![ConnState::Open]);
}

#[test]
fn a_failed_replacement_leaves_the_old_socket_running_and_is_tried_again() {
    let mut live = open_btc();
    live.on_text(0, r#"{"e":"serverShutdown","E":1}"#, T0 + 5_000);
    assert!(live.on_close(1, T0 + 5_500).is_empty());
    assert_eq!(live.status().connections, vec![ConnState::Open]);
    let (_, cmds) = until_command(&mut live, T0 + 5_500, 1_100).unwrap();
    assert!(matches!(cmds.as_slice(), [Command::Open { conn: 2, .. }]));
    assert_eq!(live.status().rotations, 2);
}

#[test]
fn stop_closes_every_socket_and_later_inputs_do_nothing() {
    let mut live = open_btc();
    live.on_text(0, r#"{"e":"serverShutdown","E":1}"#, T0 + 5_000);
    assert_eq!(
        live.stop(),
        vec![Command::Close { conn: 0 }, Command::Close { conn: 1 }]
    );
    assert_eq!(live.status().connections, vec![ConnState::Closed]);
    let before = live.status().clone();
    assert!(live
        .on_text(0, &closed("BTCUSDT", T0 + P), T0 + 2 * P)
        .is_empty());
    assert!(live.on_close(0, T0 + 2 * P).is_empty());
    assert!(live.on_timer(T0 + 10 * P).is_empty());
    assert!(live.on_resume(T0 + 10 * P).is_empty());
    assert!(live.on_gap("BTCUSDT", Ok(vec![]), T0 + 10 * P).is_empty());
    assert!(live.start(T0 + 10 * P).is_empty());
    assert!(live.stop().is_empty());
    assert_eq!(live.status(), &before);
}

#[test]
fn after_a_freeze_a_silent_socket_is_replaced_and_waits_are_cut_short() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + P), T0 + P);
    // Frozen for 10 minutes: no timer ran. The socket is presumed dead.
    let now = T0 + 11 * P;
    let cmds = live.on_resume(now);
    assert_eq!(cmds.first(), Some(&Command::Close { conn: 0 }));
    // Its reconnect is due at once rather than after the backoff.
    let cmds = if cmds.len() == 2 {
        cmds
    } else {
        live.on_resume(now + 1)
    };
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Open { conn: 1, .. })),
        "{cmds:?}"
    );
    live.on_open(1, now + 100);
    // The first frame shows the bars missed meanwhile: one gap for them.
    assert_eq!(
        live.on_text(1, &forming("BTCUSDT", T0 + 11 * P), now + 200),
        vec![fetch("BTCUSDT", T0 + P, T0 + 10 * P)]
    );
}

#[test]
fn forming_bars_of_a_lost_socket_are_forgotten() {
    let mut live = open_btc();
    live.on_text(0, &forming("BTCUSDT", T0 + 2 * P), T0 + 2 * P + 1);
    live.on_gap("BTCUSDT", Ok(bars("BTCUSDT", [T0 + P])), T0 + 2 * P + 2);
    live.on_close(0, T0 + 2 * P + 3);
    let (t, _) = until_command(&mut live, T0 + 2 * P + 3, 1_200).unwrap();
    live.on_open(1, t);
    // The new socket starts with an update of the bar before: not out of order.
    assert!(live
        .on_text(1, &forming("BTCUSDT", T0 + P + P), t + 1)
        .is_empty());
    assert_eq!(live.status().out_of_order, 0);
}

#[test]
fn last_message_time_is_the_newest_of_any_socket() {
    let symbols: Vec<String> = (0..1025).map(|i| format!("S{i}USDT")).collect();
    let mut live = Live::new(LiveConfig::new(DEFAULT_STREAM_BASE, Interval::M1, symbols)).unwrap();
    live.start(0);
    live.on_text(1, r#"{"result":null,"id":1}"#, 500);
    live.on_text(0, r#"{"result":null,"id":1}"#, 400);
    assert_eq!(live.status().last_message_ms, Some(500));
    assert_eq!(live.status().ignored, 2);
}
