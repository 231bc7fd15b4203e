//! The live session's state machine, sans I/O: it is told what happened
//! (a socket opened, a frame arrived, a socket closed, a timer ticked, the
//! page resumed, a REST gap answered) with the time, and answers with
//! [`Command`]s (open or close a socket, fetch a gap, append closed bars).
//! Every decision — which bars are final, which are missing, when to
//! reconnect, rotate or give up on a silent socket — is made here and tested
//! natively. No I/O, no clock, no randomness of its own; no browser crate.
//!
//! Sockets: every [`Command::Open`] names a new socket number `conn` (never
//! reused), so a late event from a socket the machine already closed or
//! replaced cannot be mistaken for its successor's; such events are ignored.
//! Each entry of the connection plan ([`Live::plan`]) has one socket, and two
//! for a moment while it rotates.

use std::collections::{BTreeMap, HashMap};

use rand::{RngCore, SeedableRng};
use rand_pcg::Pcg64;

use super::message::{self, Kline, Message};
use super::streams::{self, ConnectionPlan, StreamError};
use crate::data::formats::binance;
use crate::data::interval::Interval;

mod klines;
mod types;

pub use types::{ClosedBar, Command, ConnState, LiveConfig, LiveStatus};

/// No message for this long on a socket: it is dead (Binance pings every
/// 20 s and pushes each kline every 2 s).
pub const DEFAULT_STALL_MS: i64 = 60_000;
/// Reconnect proactively after this long (Binance cuts connections at 24 h).
pub const DEFAULT_ROTATE_MS: i64 = (23 * 60 + 50) * 60_000;
/// The first reconnect waits up to this long; each failure doubles it.
pub const BACKOFF_BASE_MS: i64 = 1_000;
/// The longest reconnect (or gap retry) wait.
pub const BACKOFF_CAP_MS: i64 = 60_000;
/// A socket open this long that is still delivering resets the backoff.
pub const HEALTHY_MS: i64 = 30_000;
/// Connection attempts (opens, reconnects, rotations) may come in a burst of
/// this many …
pub const ATTEMPT_BURST: i64 = 5;
/// … and then one per this long: at most 5 + 300 000 / 1 100 = 277 attempts
/// in any 5 minutes, under Binance's 300 per IP.
pub const ATTEMPT_EVERY_MS: i64 = 1_100;
/// The most closed bars one gap fetch asks for (one Binance klines page).
pub const MAX_GAP_BARS: i64 = binance::MAX_LIMIT as i64;
/// Closed bars kept per symbol while its gap is pending; beyond it the oldest
/// are dropped (and fetched later as part of a gap).
pub const MAX_BUFFERED: usize = 1_000;
/// A gap answer without the range's newest bar is retried this many times
/// (REST may lag the stream by a moment) before the bar is taken as absent
/// (an exchange outage leaves real holes in its history).
pub const MAX_SHORT_ANSWERS: u32 = 2;
/// The longest `last_error` text.
pub const MAX_ERROR_CHARS: usize = 200;

/// One socket the machine opened and has not closed.
#[derive(Debug, Clone)]
struct Socket {
    id: usize,
    /// When the Open command went out.
    started_ms: i64,
    /// When it opened (or delivered its first frame).
    opened_ms: Option<i64>,
    last_message_ms: Option<i64>,
}

impl Socket {
    /// The last sign of life: its newest frame, else its start.
    fn last_activity(&self) -> i64 {
        self.last_message_ms.unwrap_or(self.started_ms)
    }
}

/// One plan entry: its current socket and, while rotating, the replacement.
#[derive(Debug, Clone)]
struct Entry {
    plan: ConnectionPlan,
    primary: Option<Socket>,
    successor: Option<Socket>,
    /// Consecutive failures (0 after a healthy stretch).
    attempt: u32,
    /// Without a primary: when to open one.
    open_at: Option<i64>,
    /// With a primary: when to open its replacement.
    rotate_at: Option<i64>,
    /// Whether a socket was ever opened (the next is a reconnect).
    ever_opened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    InFlight { start_ms: i64, end_ms: i64 },
    RetryAt(i64),
}

/// One symbol's bars as far as the machine knows them.
#[derive(Debug, Clone, Default)]
struct Series {
    symbol: String,
    /// Newest open time settled: in the series, or known absent (REST said so).
    settled: Option<i64>,
    /// The last bar appended (to tell a revised duplicate from a repeat).
    last_bar: Option<ClosedBar>,
    /// Newest forming open time seen on the current socket.
    forming: Option<i64>,
    /// Newest open time known to have closed at the server.
    known_closed: Option<i64>,
    /// Closed bars not yet appended (after a hole), by open time.
    buffer: BTreeMap<i64, ClosedBar>,
    gap: Option<Gap>,
    gap_attempt: u32,
    short_answers: u32,
}

/// A live session. See the module doc.
#[derive(Debug, Clone)]
pub struct Live {
    interval: Interval,
    stall_ms: i64,
    rotate_ms: i64,
    entries: Vec<Entry>,
    series: Vec<Series>,
    index: HashMap<String, usize>,
    next_id: usize,
    /// Connection-attempt limiter (GCRA's theoretical arrival time).
    attempt_tat: i64,
    rng: Pcg64,
    started: bool,
    stopped: bool,
    /// Gaps waiting for a retry (skip the scan when zero).
    retries_waiting: usize,
    status: LiveStatus,
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        return text;
    }
    let mut out: String = text.chars().take(MAX_ERROR_CHARS - 1).collect();
    out.push('…');
    out
}

impl Live {
    /// Plans the connections and checks the settings.
    pub fn new(config: LiveConfig) -> Result<Live, StreamError> {
        let plan = streams::connections(&config.base, &config.symbols, config.interval)?;
        let bad = |field: &str, reason: String| StreamError::Config {
            field: field.to_string(),
            reason,
        };
        if config.stall_ms <= 0 {
            return Err(bad(
                "stall_ms",
                format!("{} is not positive", config.stall_ms),
            ));
        }
        if config.rotate_ms <= 0 {
            return Err(bad(
                "rotate_ms",
                format!("{} is not positive", config.rotate_ms),
            ));
        }
        let mut last_open = HashMap::new();
        for (symbol, &t) in &config.last_open {
            if config.interval.open_of(t) != t {
                return Err(bad(
                    &format!("last_open[{symbol}]"),
                    format!("{t} is not on a {} boundary", config.interval),
                ));
            }
            last_open.insert(symbol.trim().to_ascii_uppercase(), t);
        }
        let mut series = Vec::new();
        let mut index = HashMap::new();
        for symbol in plan.iter().flat_map(|p| p.symbols.iter()) {
            index.insert(symbol.clone(), series.len());
            series.push(Series {
                symbol: symbol.clone(),
                settled: last_open.get(symbol).copied(),
                ..Series::default()
            });
        }
        let entries: Vec<Entry> = plan
            .into_iter()
            .map(|plan| Entry {
                plan,
                primary: None,
                successor: None,
                attempt: 0,
                open_at: None,
                rotate_at: None,
                ever_opened: false,
            })
            .collect();
        let status = LiveStatus {
            connections: vec![ConnState::Closed; entries.len()],
            streams: series.len(),
            ..LiveStatus::default()
        };
        Ok(Live {
            interval: config.interval,
            stall_ms: config.stall_ms,
            rotate_ms: config.rotate_ms,
            entries,
            series,
            index,
            next_id: 0,
            attempt_tat: i64::MIN,
            rng: Pcg64::seed_from_u64(config.seed),
            started: false,
            stopped: false,
            retries_waiting: 0,
            status,
        })
    }

    /// The connections, one per plan entry (status [`LiveStatus::connections`]
    /// is in the same order).
    pub fn plan(&self) -> Vec<&ConnectionPlan> {
        self.entries.iter().map(|e| &e.plan).collect()
    }

    pub fn status(&self) -> &LiveStatus {
        &self.status
    }

    /// Opens every connection (as fast as the attempt limit allows; the rest
    /// follow from [`Live::on_timer`]). A second call does nothing.
    pub fn start(&mut self, now_ms: i64) -> Vec<Command> {
        if self.started || self.stopped {
            return Vec::new();
        }
        self.started = true;
        for e in &mut self.entries {
            e.open_at = Some(now_ms);
        }
        self.finish(now_ms, Vec::new())
    }

    /// Socket `conn` opened.
    pub fn on_open(&mut self, conn: usize, now_ms: i64) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        let rotate_ms = self.rotate_ms;
        if let Some((e, primary)) = self.find(conn) {
            let entry = &mut self.entries[e];
            let socket = if primary {
                entry.primary.as_mut()
            } else {
                entry.successor.as_mut()
            };
            if let Some(s) = socket {
                if s.opened_ms.is_none() {
                    s.opened_ms = Some(now_ms);
                    if primary {
                        entry.rotate_at = Some(now_ms.saturating_add(rotate_ms));
                    }
                }
            }
        }
        self.finish(now_ms, Vec::new())
    }

    /// A text frame arrived on socket `conn`.
    pub fn on_text(&mut self, conn: usize, text: &str, now_ms: i64) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        let mut out = Vec::new();
        let Some((e, was_primary)) = self.find(conn) else {
            return self.finish(now_ms, out);
        };
        self.status.last_message_ms = Some(
            self.status
                .last_message_ms
                .map_or(now_ms, |t| t.max(now_ms)),
        );
        let rotate_ms = self.rotate_ms;
        let entry = &mut self.entries[e];
        {
            let s = if was_primary {
                entry.primary.as_mut()
            } else {
                entry.successor.as_mut()
            };
            if let Some(s) = s {
                s.last_message_ms = Some(now_ms);
                let first = s.opened_ms.is_none();
                let opened = *s.opened_ms.get_or_insert(now_ms);
                if was_primary && first {
                    entry.rotate_at = Some(opened.saturating_add(rotate_ms));
                }
                if now_ms - opened >= HEALTHY_MS {
                    entry.attempt = 0;
                }
            }
        }
        if !was_primary {
            // The replacement delivers: it takes over, the old socket goes.
            if let Some(old) = entry.primary.take() {
                out.push(Command::Close { conn: old.id });
            }
            entry.primary = entry.successor.take();
            let opened = entry
                .primary
                .as_ref()
                .and_then(|s| s.opened_ms)
                .unwrap_or(now_ms);
            entry.rotate_at = Some(opened.saturating_add(rotate_ms));
        }
        match message::parse(text) {
            Err(err) => {
                self.status.malformed += 1;
                self.status.last_error = Some(cut(format!("connection {conn}: {err}")));
            }
            Ok(Message::Ignored) => self.status.ignored += 1,
            Ok(Message::ServerShutdown) => {
                let entry = &mut self.entries[e];
                if entry.successor.is_none() {
                    entry.rotate_at = Some(now_ms);
                }
            }
            Ok(Message::Kline(k)) => self.on_kline(conn, &k, &mut out),
        }
        self.finish(now_ms, out)
    }

    /// Socket `conn` closed (or failed).
    pub fn on_close(&mut self, conn: usize, now_ms: i64) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        if let Some((e, primary)) = self.find(conn) {
            if primary {
                self.lose_primary(e, now_ms);
            } else {
                self.lose_successor(e, now_ms);
            }
        }
        self.finish(now_ms, Vec::new())
    }

    /// The driver's tick (about every second): due reconnects, rotations and
    /// gap retries; silent sockets are closed and reconnected.
    pub fn on_timer(&mut self, now_ms: i64) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        self.finish(now_ms, Vec::new())
    }

    /// The page is visible or running again after a freeze: waits are cut
    /// short (reconnects and gap retries are due now), and a socket silent for
    /// `stall_ms` is replaced at once. Bars missed meanwhile show up as gaps
    /// at each symbol's next frame.
    pub fn on_resume(&mut self, now_ms: i64) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        for e in &mut self.entries {
            if e.primary.is_none() {
                if let Some(at) = &mut e.open_at {
                    *at = (*at).min(now_ms);
                }
            }
        }
        for s in &mut self.series {
            if let Some(Gap::RetryAt(at)) = &mut s.gap {
                *at = (*at).min(now_ms);
            }
        }
        self.finish(now_ms, Vec::new())
    }

    /// Closes every socket; every later call returns nothing.
    pub fn stop(&mut self) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        self.stopped = true;
        let mut out = Vec::new();
        for e in &mut self.entries {
            for s in [e.primary.take(), e.successor.take()].into_iter().flatten() {
                out.push(Command::Close { conn: s.id });
            }
            e.open_at = None;
            e.rotate_at = None;
        }
        self.refresh_connections();
        out
    }

    /// The entry holding socket `conn`, and whether it is the primary.
    fn find(&self, conn: usize) -> Option<(usize, bool)> {
        self.entries.iter().enumerate().find_map(|(i, e)| {
            if e.primary.as_ref().is_some_and(|s| s.id == conn) {
                Some((i, true))
            } else if e.successor.as_ref().is_some_and(|s| s.id == conn) {
                Some((i, false))
            } else {
                None
            }
        })
    }

    /// Full-jitter exponential backoff for the `attempt`-th try (1-based).
    fn backoff(&mut self, attempt: u32) -> i64 {
        let shift = attempt.saturating_sub(1).min(16);
        let ceiling = (BACKOFF_BASE_MS << shift).min(BACKOFF_CAP_MS);
        (self.rng.next_u64() % (ceiling as u64 + 1)) as i64
    }

    /// Takes a connection attempt from the limiter, if one is free now.
    fn take_attempt(&mut self, now_ms: i64) -> bool {
        let tat = self.attempt_tat.max(now_ms);
        if tat - now_ms > (ATTEMPT_BURST - 1) * ATTEMPT_EVERY_MS {
            return false;
        }
        self.attempt_tat = tat + ATTEMPT_EVERY_MS;
        true
    }

    fn new_socket(&mut self, now_ms: i64) -> Socket {
        let id = self.next_id;
        self.next_id += 1;
        Socket {
            id,
            started_ms: now_ms,
            opened_ms: None,
            last_message_ms: None,
        }
    }

    /// Entry `e` lost its primary socket: the replacement takes over if
    /// there is one, else a reconnect is scheduled. Forming bars of its
    /// symbols are forgotten (a close we missed shows up as a gap).
    fn lose_primary(&mut self, e: usize, now_ms: i64) {
        self.entries[e].primary = None;
        for sym in &self.entries[e].plan.symbols {
            if let Some(&i) = self.index.get(sym) {
                self.series[i].forming = None;
            }
        }
        if let Some(next) = self.entries[e].successor.take() {
            let entry = &mut self.entries[e];
            entry.rotate_at = Some(
                next.opened_ms
                    .unwrap_or(now_ms)
                    .saturating_add(self.rotate_ms),
            );
            entry.primary = Some(next);
            return;
        }
        let attempt = self.entries[e].attempt.saturating_add(1);
        let at = now_ms.saturating_add(self.backoff(attempt));
        let entry = &mut self.entries[e];
        entry.attempt = attempt;
        entry.open_at = Some(at);
        entry.rotate_at = None;
    }

    /// Entry `e`'s replacement socket failed: the old one carries on, and
    /// the replacement is tried again after a backoff.
    fn lose_successor(&mut self, e: usize, now_ms: i64) {
        let attempt = self.entries[e].attempt.saturating_add(1);
        let at = now_ms.saturating_add(self.backoff(attempt));
        let entry = &mut self.entries[e];
        entry.successor = None;
        entry.attempt = attempt;
        entry.rotate_at = Some(at);
    }

    /// Runs what is due at `now_ms` and refreshes the status.
    fn finish(&mut self, now_ms: i64, mut out: Vec<Command>) -> Vec<Command> {
        if self.started && !self.stopped {
            self.pump(now_ms, &mut out);
        }
        self.refresh_connections();
        out
    }

    fn pump(&mut self, now_ms: i64, out: &mut Vec<Command>) {
        for e in 0..self.entries.len() {
            // Silent sockets are dead.
            let stall = self.stall_ms;
            let silent = |s: &Option<Socket>| {
                s.as_ref()
                    .filter(|s| now_ms - s.last_activity() >= stall)
                    .map(|s| s.id)
            };
            if let Some(id) = silent(&self.entries[e].successor) {
                out.push(Command::Close { conn: id });
                self.lose_successor(e, now_ms);
            }
            if let Some(id) = silent(&self.entries[e].primary) {
                out.push(Command::Close { conn: id });
                self.lose_primary(e, now_ms);
            }
            let entry = &self.entries[e];
            if entry.primary.is_none() && entry.open_at.is_some_and(|at| at <= now_ms) {
                if self.take_attempt(now_ms) {
                    let socket = self.new_socket(now_ms);
                    out.push(Command::Open {
                        conn: socket.id,
                        url: self.entries[e].plan.url.clone(),
                    });
                    let entry = &mut self.entries[e];
                    if entry.ever_opened {
                        self.status.reconnects += 1;
                    }
                    entry.ever_opened = true;
                    entry.primary = Some(socket);
                    entry.open_at = None;
                    entry.rotate_at = None;
                }
            } else if entry.primary.is_some()
                && entry.successor.is_none()
                && entry.rotate_at.is_some_and(|at| at <= now_ms)
                && self.take_attempt(now_ms)
            {
                let socket = self.new_socket(now_ms);
                out.push(Command::Open {
                    conn: socket.id,
                    url: self.entries[e].plan.url.clone(),
                });
                self.status.rotations += 1;
                let entry = &mut self.entries[e];
                entry.successor = Some(socket);
                entry.rotate_at = None;
            }
        }
        if self.retries_waiting > 0 {
            for i in 0..self.series.len() {
                if let Some(Gap::RetryAt(at)) = self.series[i].gap {
                    if at <= now_ms {
                        self.series[i].gap = None;
                        self.retries_waiting -= 1;
                        self.advance(i, Vec::new(), out);
                    }
                }
            }
        }
    }

    fn refresh_connections(&mut self) {
        let started = self.started && !self.stopped;
        self.status.connections = self
            .entries
            .iter()
            .map(|e| match &e.primary {
                _ if !started => ConnState::Closed,
                Some(s) if s.opened_ms.is_some() => ConnState::Open,
                Some(_) => ConnState::Connecting,
                None => match e.open_at {
                    Some(_) if e.attempt == 0 => ConnState::Connecting,
                    Some(at_ms) => ConnState::Reconnecting {
                        attempt: e.attempt,
                        at_ms,
                    },
                    None => ConnState::Closed,
                },
            })
            .collect();
    }
}
