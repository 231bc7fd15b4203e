//! The randomized simulation of the live session: a server with faults
//! (drops, repeats, reordering, stalls, freezes, shutdowns, failed fetches)
//! against the state machine, ending with each symbol's appended bars equal
//! to the server's closed bars. Test-only.

use super::*;

/// A socket as the simulated network sees it.
struct SimSocket {
    /// When the handshake completes (None: open).
    connect_at: Option<i64>,
    fails: bool,
    /// Frames on their way to the client.
    queue: VecDeque<String>,
    /// Frames held back, with when they are delivered (after the frames of
    /// that second).
    late: Vec<(i64, String)>,
    /// Silently dead: delivers nothing, never closes.
    stalled: bool,
    /// The server closes it at this time (after `serverShutdown`).
    close_at: Option<i64>,
}

struct Sim {
    rng: Pcg64,
    chaos: bool,
    sockets: BTreeMap<usize, SimSocket>,
    /// Gap requests: symbol → (answer time, start, end).
    gaps: BTreeMap<String, (i64, i64, i64)>,
    appended: HashMap<String, Vec<ClosedBar>>,
    opens: Vec<i64>,
    /// The server's clock (ticks every 2 s).
    server_ms: i64,
}

impl Sim {
    fn chance(&mut self, p: f64) -> bool {
        self.chaos && self.rng.random_bool(p)
    }

    fn handle(&mut self, cmds: Vec<Command>, now: i64) {
        for cmd in cmds {
            match cmd {
                Command::Open { conn, url } => {
                    assert!(url.contains("btcusdt@kline_1m"));
                    assert!(!self.sockets.contains_key(&conn), "socket {conn} reused");
                    self.opens.push(now);
                    let delay = self.rng.random_range(20..400);
                    let fails = self.chance(0.1);
                    self.sockets.insert(
                        conn,
                        SimSocket {
                            connect_at: Some(now + delay),
                            fails,
                            queue: VecDeque::new(),
                            late: Vec::new(),
                            stalled: false,
                            close_at: None,
                        },
                    );
                }
                Command::Close { conn } => {
                    assert!(
                        self.sockets.remove(&conn).is_some(),
                        "close of unknown {conn}"
                    );
                }
                Command::FetchGap {
                    symbol,
                    start_ms,
                    end_ms,
                } => {
                    assert!(start_ms <= end_ms && (end_ms - start_ms) / P < MAX_GAP_BARS);
                    assert!(
                        end_ms + P <= self.server_ms,
                        "{symbol}: asked for bar {end_ms}, not closed at {}",
                        self.server_ms
                    );
                    let prior = self.gaps.insert(
                        symbol.clone(),
                        (now + self.rng.random_range(50..3_000), start_ms, end_ms),
                    );
                    assert!(prior.is_none(), "{symbol}: two gaps in flight");
                }
                Command::Append { symbol, bars } => {
                    let sym = sym_index(&symbol);
                    let series = self.appended.entry(symbol.clone()).or_default();
                    for b in bars {
                        assert_eq!(b, truth(sym, b.open_ms), "{symbol}: not the final values");
                        if let Some(last) = series.last() {
                            assert!(
                                b.open_ms > last.open_ms,
                                "{symbol}: {} after {}",
                                b.open_ms,
                                last.open_ms
                            );
                        }
                        series.push(b);
                    }
                }
            }
        }
    }
}

/// One simulated run: 90 minutes of faults, then 10 calm ones. Returns the
/// status at the end.
fn simulate(seed: u64) -> LiveStatus {
    let mut cfg = config(&SYMS, &[("BTCUSDT", T0 - 5 * P), ("ETHUSDT", T0 - P)]);
    cfg.seed = seed;
    cfg.rotate_ms = 17 * P;
    let mut live = Live::new(cfg).unwrap();
    let mut sim = Sim {
        rng: Pcg64::seed_from_u64(seed),
        chaos: true,
        sockets: BTreeMap::new(),
        gaps: BTreeMap::new(),
        appended: HashMap::new(),
        opens: Vec::new(),
        server_ms: T0,
    };
    let mut now = T0 + 500;
    sim.handle(live.start(now), now);
    let end_chaos = T0 + 90 * P;
    let end = end_chaos + 10 * P;
    let mut frozen_until = i64::MIN;
    while now < end {
        now += 1_000;
        sim.chaos = now < end_chaos;
        // The server: a tick every 2 s; a close as each bar ends.
        while sim.server_ms + 2_000 <= now {
            let prev = sim.server_ms;
            sim.server_ms += 2_000;
            let t = Interval::M1.open_of(sim.server_ms);
            let mut frames = Vec::new();
            for (i, s) in SYMS.iter().enumerate() {
                if Interval::M1.open_of(prev) < t {
                    frames.push(frame_of(s, "1m", &truth(i, t - P), true));
                }
                frames.push(frame_of(s, "1m", &partial(i, t), false));
            }
            for sock in sim.sockets.values_mut() {
                if sock.connect_at.is_none() {
                    sock.queue.extend(frames.iter().cloned());
                }
            }
        }
        if now < frozen_until {
            continue;
        }
        if sim.chance(0.002) {
            // The page freezes: nothing runs on the client for a while.
            frozen_until = now + sim.rng.random_range(20_000..400_000);
            if sim.rng.random_bool(0.5) {
                for sock in sim.sockets.values_mut() {
                    sock.close_at = Some(now + 1_000);
                }
            }
            continue;
        }
        if frozen_until != i64::MIN {
            frozen_until = i64::MIN;
            let cmds = live.on_resume(now);
            sim.handle(cmds, now);
        }
        // The network, socket by socket.
        let ids: Vec<usize> = sim.sockets.keys().copied().collect();
        for id in ids {
            let Some(sock) = sim.sockets.get_mut(&id) else {
                continue;
            };
            if let Some(at) = sock.connect_at {
                if at <= now {
                    if sock.fails {
                        sim.sockets.remove(&id);
                        let cmds = live.on_close(id, now);
                        sim.handle(cmds, now);
                    } else {
                        sock.connect_at = None;
                        let cmds = live.on_open(id, now);
                        sim.handle(cmds, now);
                    }
                }
                continue;
            }
            if sock.close_at.is_some_and(|at| at <= now) {
                sim.sockets.remove(&id);
                let cmds = live.on_close(id, now);
                sim.handle(cmds, now);
                continue;
            }
            let mut frames: Vec<String> = sock.queue.drain(..).collect();
            let (due, later): (Vec<_>, Vec<_>) =
                sock.late.drain(..).partition(|(at, _)| *at <= now);
            sock.late = later;
            frames.extend(due.into_iter().map(|(_, f)| f));
            if sock.stalled {
                continue;
            }
            if sim.chance(0.004) {
                sim.sockets.remove(&id);
                let cmds = live.on_close(id, now);
                sim.handle(cmds, now);
                continue;
            }
            if sim.chance(0.003) {
                if let Some(s) = sim.sockets.get_mut(&id) {
                    s.stalled = true;
                }
                continue;
            }
            if sim.chance(0.002) {
                frames.push(r#"{"stream":"x","data":{"e":"serverShutdown","E":1}}"#.into());
                let at = now + sim.rng.random_range(1_000..20_000);
                if let Some(s) = sim.sockets.get_mut(&id) {
                    s.close_at = Some(at);
                }
            }
            // Faults within the frames: drops, repeats, swaps, garbage.
            let mut out = Vec::new();
            for f in frames {
                if sim.chance(0.03) {
                    continue;
                }
                if sim.chance(0.03) {
                    out.push(f.clone());
                }
                out.push(f);
                if sim.chance(0.01) {
                    out.push("{garbage".into());
                }
            }
            for i in 1..out.len() {
                if sim.chance(0.05) {
                    out.swap(i - 1, i);
                }
            }
            let mut held = Vec::new();
            for f in out {
                if sim.chance(0.03) {
                    held.push((now + sim.rng.random_range(1_000..5_000), f));
                    continue;
                }
                if !sim.sockets.contains_key(&id) {
                    break; // closed by the machine meanwhile (rotation)
                }
                let cmds = live.on_text(id, &f, now);
                sim.handle(cmds, now);
            }
            if let Some(s) = sim.sockets.get_mut(&id) {
                s.late.extend(held);
            }
        }
        // REST answers.
        let due: Vec<String> = sim
            .gaps
            .iter()
            .filter(|(_, (at, _, _))| *at <= now)
            .map(|(s, _)| s.clone())
            .collect();
        for symbol in due {
            let Some((_, start, end_ms)) = sim.gaps.remove(&symbol) else {
                continue;
            };
            let sym = sym_index(&symbol);
            let answer = if sim.chance(0.1) {
                Err("HTTP 503".to_string())
            } else {
                let mut bars: Vec<ClosedBar> = (0..)
                    .map(|k| start + k * P)
                    .take_while(|&t| t <= end_ms)
                    .map(|t| truth(sym, t))
                    .collect();
                if sim.chance(0.2) {
                    // REST also serves the forming bar when asked past `end`.
                    bars.push(partial(sym, Interval::M1.open_of(sim.server_ms)));
                }
                if sim.chance(0.2) {
                    bars.reverse();
                }
                Ok(bars)
            };
            let cmds = live.on_gap(&symbol, answer, now);
            sim.handle(cmds, now);
        }
        let cmds = live.on_timer(now);
        sim.handle(cmds, now);
    }
    // Everything the server closed is in each series, once, in order.
    let last_closed = Interval::M1.open_of(sim.server_ms) - P;
    assert!(
        sim.gaps.is_empty(),
        "seed {seed}: gaps still out: {:?}",
        sim.gaps
    );
    for (i, s) in SYMS.iter().enumerate() {
        let got: Vec<i64> = sim
            .appended
            .get(*s)
            .map_or(vec![], |v| v.iter().map(|b| b.open_ms).collect());
        let first = match i {
            0 => T0 - 4 * P,
            1 => T0,
            _ => *got.first().unwrap_or(&0),
        };
        let want: Vec<i64> = (0..)
            .map(|k| first + k * P)
            .take_while(|&t| t <= last_closed)
            .collect();
        assert_eq!(got, want, "seed {seed}: {s}: bars differ from the server's");
    }
    for (i, &t) in sim.opens.iter().enumerate() {
        let n = sim.opens[i..]
            .iter()
            .take_while(|&&u| u < t + 300_000)
            .count();
        assert!(
            n <= 300,
            "seed {seed}: {n} connection attempts in 5 minutes"
        );
    }
    live.status().clone()
}

#[test]
fn a_simulated_server_with_faults_ends_with_every_closed_bar_appended_exactly_once() {
    let mut totals = LiveStatus::default();
    for seed in 0..60 {
        let s = simulate(seed);
        totals.gaps_filled += s.gaps_filled;
        totals.reconnects += s.reconnects;
        totals.rotations += s.rotations;
        totals.duplicates += s.duplicates;
        totals.out_of_order += s.out_of_order;
        totals.malformed += s.malformed;
    }
    // The faults did happen (so the equality above means something).
    assert!(totals.gaps_filled > 100, "{totals:?}");
    assert!(totals.reconnects > 30, "{totals:?}");
    assert!(totals.rotations > 60, "{totals:?}");
    assert!(
        totals.duplicates > 100 && totals.out_of_order > 10 && totals.malformed > 50,
        "{totals:?}"
    );
}
