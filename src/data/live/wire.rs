//! What the owner tab of a live scan tells the tabs that follow it, over
//! their `BroadcastChannel`: each closed bar it appended, and its counters for
//! their status line. Pure serde text; no browser crate (the channel itself
//! is `web::live::tabs`).

use serde::{Deserialize, Serialize};

use super::session::{ClosedBar, ConnState, LiveStatus};

/// A message between the tabs of one live scan.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub enum TabMessage {
    /// Closed bars of a symbol, `[open_ms, o, h, l, c, v]` each.
    Bars { symbol: String, bars: Vec<[f64; 6]> },
    /// The owner's counters, for the followers' status line.
    Status { status: LiveStatusWire },
}

/// The counters a follower shows (the owner's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveStatusWire {
    pub connected: usize,
    pub connections: usize,
    pub streams: usize,
    pub last_message_ms: Option<i64>,
    pub bars_received: u64,
    pub gaps_filled: u64,
    pub gap_bars: u64,
    pub malformed: u64,
    pub out_of_order: u64,
    pub duplicates: u64,
    pub reconnects: u64,
}

pub fn wire_bar(b: &ClosedBar) -> [f64; 6] {
    [b.open_ms as f64, b.open, b.high, b.low, b.close, b.volume]
}

pub fn unwire_bar(b: &[f64; 6]) -> ClosedBar {
    ClosedBar {
        open_ms: b[0] as i64,
        open: b[1],
        high: b[2],
        low: b[3],
        close: b[4],
        volume: b[5],
    }
}

impl LiveStatusWire {
    pub fn from_status(s: &LiveStatus) -> LiveStatusWire {
        LiveStatusWire {
            connected: s
                .connections
                .iter()
                .filter(|c| matches!(c, ConnState::Open))
                .count(),
            connections: s.connections.len(),
            streams: s.streams,
            last_message_ms: s.last_message_ms,
            bars_received: s.bars_received,
            gaps_filled: s.gaps_filled,
            gap_bars: s.gap_bars,
            malformed: s.malformed,
            out_of_order: s.out_of_order,
            duplicates: s.duplicates,
            reconnects: s.reconnects,
        }
    }

    pub fn to_status(&self) -> LiveStatus {
        let mut connections = vec![ConnState::Open; self.connected];
        connections.resize(self.connections.max(self.connected), ConnState::Connecting);
        LiveStatus {
            connections,
            streams: self.streams,
            last_message_ms: self.last_message_ms,
            bars_received: self.bars_received,
            gaps_filled: self.gaps_filled,
            gap_bars: self.gap_bars,
            malformed: self.malformed,
            out_of_order: self.out_of_order,
            duplicates: self.duplicates,
            reconnects: self.reconnects,
            ..LiveStatus::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bars_message_comes_back_as_the_same_closed_bars() {
        let bar = ClosedBar {
            open_ms: 1_764_504_000_000,
            open: 1.5,
            high: 2.25,
            low: 1.25,
            close: 2.0,
            volume: 1e9 + 0.125,
        };
        let text = serde_json::to_string(&TabMessage::Bars {
            symbol: "BTCUSDT".into(),
            bars: vec![wire_bar(&bar)],
        })
        .unwrap();
        assert!(text.starts_with(r#"{"t":"bars","#), "{text}");
        match serde_json::from_str(&text).unwrap() {
            TabMessage::Bars { symbol, bars } => {
                assert_eq!(symbol, "BTCUSDT");
                assert_eq!(bars.iter().map(unwire_bar).collect::<Vec<_>>(), vec![bar]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_status_message_keeps_the_counters_and_how_many_connections_are_open() {
        let status = LiveStatus {
            connections: vec![ConnState::Open, ConnState::Connecting],
            streams: 1_500,
            last_message_ms: Some(42),
            bars_received: 7,
            gaps_filled: 1,
            gap_bars: 3,
            malformed: 2,
            out_of_order: 1,
            duplicates: 4,
            reconnects: 5,
            ..LiveStatus::default()
        };
        let text = serde_json::to_string(&TabMessage::Status {
            status: LiveStatusWire::from_status(&status),
        })
        .unwrap();
        let TabMessage::Status { status: back } = serde_json::from_str(&text).unwrap() else {
            panic!("{text}");
        };
        assert_eq!(back.to_status(), status);
    }
}
