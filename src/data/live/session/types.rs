//! The live session's vocabulary: what it is configured with
//! ([`LiveConfig`]), the bars it hands on ([`ClosedBar`]), what it tells the
//! driver to do ([`Command`]) and what the status line shows ([`LiveStatus`],
//! [`ConnState`]). The state machine that uses them is [`super::Live`].

use std::collections::HashMap;

use super::super::message::Kline;
use super::{DEFAULT_ROTATE_MS, DEFAULT_STALL_MS};
use crate::data::interval::Interval;

/// What a live session streams and how it behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// The stream host, e.g. [`super::super::streams::DEFAULT_STREAM_BASE`].
    pub base: String,
    pub interval: Interval,
    pub symbols: Vec<String>,
    /// Open time of each symbol's newest CLOSED bar already in its series
    /// (absent: no bars; the first closed message starts the series).
    pub last_open: HashMap<String, i64>,
    /// No message for this long on a socket → it is closed and reconnected.
    pub stall_ms: i64,
    /// Replace a socket this long after it opened.
    pub rotate_ms: i64,
    /// Seeds the backoff jitter.
    pub seed: u64,
}

impl LiveConfig {
    /// A config with the default stall, rotation and seed, no bars yet.
    pub fn new(base: &str, interval: Interval, symbols: Vec<String>) -> LiveConfig {
        LiveConfig {
            base: base.to_string(),
            interval,
            symbols,
            last_open: HashMap::new(),
            stall_ms: DEFAULT_STALL_MS,
            rotate_ms: DEFAULT_ROTATE_MS,
            seed: 0,
        }
    }
}

/// A bar with final values (from a closed kline or from REST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosedBar {
    pub open_ms: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl ClosedBar {
    pub(super) fn of(k: &Kline) -> ClosedBar {
        ClosedBar {
            open_ms: k.open_ms,
            open: k.open,
            high: k.high,
            low: k.low,
            close: k.close,
            volume: k.volume,
        }
    }

    /// Why this bar cannot go into a series (`None`: it can).
    pub(super) fn problem(&self, interval: Interval) -> Option<&'static str> {
        let (o, h, l, c, v) = (self.open, self.high, self.low, self.close, self.volume);
        if interval.open_of(self.open_ms) != self.open_ms {
            Some("open time is not on an interval boundary")
        } else if !(o.is_finite() && h.is_finite() && l.is_finite() && c.is_finite())
            || !v.is_finite()
        {
            Some("value is NaN or infinite")
        } else if o <= 0.0 || h <= 0.0 || l <= 0.0 || c <= 0.0 {
            Some("price must be positive")
        } else if v < 0.0 {
            Some("volume is negative")
        } else if h < l || h < o.max(c) || l > o.min(c) {
            Some("high/low do not contain open and close")
        } else {
            None
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open socket `conn` (a new number) to `url`.
    Open { conn: usize, url: String },
    /// Close socket `conn`; its later events are ignored.
    Close { conn: usize },
    /// Fetch closed bars by REST: open times from `start_ms` to `end_ms`,
    /// both inclusive (Binance klines `startTime`/`endTime`; at most
    /// [`super::MAX_GAP_BARS`]). Every bar in the range has closed at the server.
    /// The driver answers with [`super::Live::on_gap`].
    FetchGap {
        symbol: String,
        start_ms: i64,
        end_ms: i64,
    },
    /// Closed bars to append to `symbol`'s series (ascending, each newer than
    /// its last bar): the driver appends, persists, marks the symbol dirty and
    /// re-scans it.
    Append {
        symbol: String,
        bars: Vec<ClosedBar>,
    },
}

/// One plan entry's connection, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Opening (or waiting for its turn to open, the first time).
    Connecting,
    Open,
    /// Lost; the `attempt`-th reconnect is due at `at_ms`.
    Reconnecting {
        attempt: u32,
        at_ms: i64,
    },
    /// Not started, or stopped.
    Closed,
}

/// Counters and state for the status line. Every counter is exact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveStatus {
    /// One per plan entry.
    pub connections: Vec<ConnState>,
    /// Streams subscribed (symbols).
    pub streams: usize,
    /// The time of the newest frame on any socket.
    pub last_message_ms: Option<i64>,
    /// Closed bars from the stream appended.
    pub bars_received: u64,
    /// Gap answers accepted.
    pub gaps_filled: u64,
    /// Bars from gap answers appended.
    pub gap_bars: u64,
    /// Frames that could not be read, or klines for another symbol or interval.
    pub malformed: u64,
    /// Forming updates older than one already seen (ignored).
    pub out_of_order: u64,
    /// Updates for a bar already in the series (never appended twice).
    pub duplicates: u64,
    /// Valid frames that are neither klines nor `serverShutdown`.
    pub ignored: u64,
    /// Sockets opened to replace a lost one.
    pub reconnects: u64,
    /// Sockets opened to replace an old one (24 h limit, `serverShutdown`).
    pub rotations: u64,
    pub last_error: Option<String>,
}
