//! Live scanning of a Binance universe, sans I/O: which kline streams to open,
//! how to read their frames, and the state machine that turns frames, socket
//! events, timer ticks and REST answers into commands. No I/O, no clock, no
//! randomness of its own; must not import any browser crate. The browser
//! driver (`crate::web`) owns the sockets, timers, REST fetches, IndexedDB and
//! the worker pool, and does what [`Live`] says.
//!
//! The flow:
//! 1. After the first full scan the driver builds a [`LiveConfig`] (symbols,
//!    interval, each series' newest closed bar) and calls [`Live::start`]:
//!    one [`Command::Open`] per [`ConnectionPlan`] (≤ 1,024 streams each).
//! 2. Each frame goes to [`Live::on_text`]. A kline with `k.x` (closed) for
//!    the bar after the series' last is appended at once
//!    ([`Command::Append`]); the driver appends, persists, marks the symbol
//!    dirty and re-scans it, then diffs the table with [`Marks::apply`].
//! 3. A frame whose bar is further ahead means bars were missed (a reconnect,
//!    a freeze, a dropped message, a close never seen): the machine asks for
//!    exactly those by REST ([`Command::FetchGap`]), holds the symbol's newer
//!    closed bars, and appends all of them in order once [`Live::on_gap`]
//!    answers. A bar is only ever appended with final values; nothing is
//!    appended twice (by open time).
//! 4. Sockets: [`Live::on_close`] schedules a reconnect with jittered
//!    exponential backoff; [`Live::on_timer`] (about every second) opens due
//!    reconnects, replaces silent sockets and rotates each one before
//!    Binance's 24-hour cut (the replacement opens first, the old one closes
//!    once the new one delivers); `serverShutdown` rotates at once;
//!    [`Live::on_resume`] after a page freeze cuts waits short. Connection
//!    attempts stay under Binance's 300 per 5 minutes.
//! 5. [`Live::stop`] closes everything; the status ([`Live::status`]) feeds
//!    the status line.

pub mod diff;
pub mod message;
pub mod series;
pub mod session;
pub mod streams;
pub mod wire;

pub use diff::{Changes, LogEntry, Mark, Marks};
pub use message::{parse, Kline, Message, MessageError};
pub use series::append_closed;
pub use session::{ClosedBar, Command, ConnState, Live, LiveConfig, LiveStatus};
pub use streams::{
    connections, stream_name, ConnectionPlan, StreamError, DEFAULT_STREAM_BASE,
    MAX_STREAMS_PER_CONNECTION,
};

#[cfg(test)]
mod session_tests;
