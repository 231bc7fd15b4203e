//! Which WebSocket connections a live Binance scan opens: kline stream names,
//! the combined-stream URLs (at most 1,024 streams each) and the checks on the
//! base and the symbols behind them. Pure data code: no I/O, no browser crate.

use crate::data::interval::Interval;

/// Binance's limit on streams per connection.
pub const MAX_STREAMS_PER_CONNECTION: usize = 1024;
/// The market-data-only stream host (no key).
pub const DEFAULT_STREAM_BASE: &str = "wss://data-stream.binance.vision";

/// Why connections could not be planned, or a live session not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    #[error("stream base {base:?}: {reason}")]
    BadBase { base: String, reason: &'static str },
    #[error("symbol {index} ({symbol:?}): not a Binance symbol (ASCII letters and digits only)")]
    BadSymbol { index: usize, symbol: String },
    #[error("no symbols to stream")]
    NoSymbols,
    /// A live setting out of range (`stall_ms`, `rotate_ms`, `last_open`).
    #[error("live setting {field}: {reason}")]
    Config { field: String, reason: String },
}

/// One combined-stream connection: its URL and the symbols (upper-case) it
/// carries, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPlan {
    pub url: String,
    pub symbols: Vec<String>,
}

/// The kline stream of `symbol` at `interval`: `btcusdt@kline_5m` (Binance
/// stream names are lower-case).
pub fn stream_name(symbol: &str, interval: Interval) -> String {
    format!("{}@kline_{}", symbol.to_ascii_lowercase(), interval.name())
}

/// Checks a stream base: `ws://` or `wss://`, a host, no query or fragment.
/// Returns it without trailing slashes.
pub fn check_base(base: &str) -> Result<&str, StreamError> {
    let bad = |reason| StreamError::BadBase {
        base: base.chars().take(120).collect(),
        reason,
    };
    let trimmed = base.trim();
    let rest = trimmed
        .strip_prefix("wss://")
        .or_else(|| trimmed.strip_prefix("ws://"))
        .ok_or_else(|| bad("must start with ws:// or wss://"))?;
    if rest.contains(['?', '#']) {
        return Err(bad("must not have a query or fragment"));
    }
    if rest.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces"));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    Ok(trimmed.trim_end_matches('/'))
}

/// Validates symbols (ASCII letters and digits), upper-cases them and drops
/// repeats (first one kept, order kept).
pub fn clean_symbols(symbols: &[String]) -> Result<Vec<String>, StreamError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(symbols.len());
    for (index, symbol) in symbols.iter().enumerate() {
        let s = symbol.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StreamError::BadSymbol {
                index,
                symbol: symbol.chars().take(40).collect(),
            });
        }
        let upper = s.to_ascii_uppercase();
        if seen.insert(upper.clone()) {
            out.push(upper);
        }
    }
    if out.is_empty() {
        return Err(StreamError::NoSymbols);
    }
    Ok(out)
}

/// The connections that stream `symbols` at `interval` from `base`: one
/// `<base>/stream?streams=a/b/…` per [`MAX_STREAMS_PER_CONNECTION`] symbols.
pub fn connections(
    base: &str,
    symbols: &[String],
    interval: Interval,
) -> Result<Vec<ConnectionPlan>, StreamError> {
    let base = check_base(base)?;
    let symbols = clean_symbols(symbols)?;
    Ok(symbols
        .chunks(MAX_STREAMS_PER_CONNECTION)
        .map(|chunk| {
            let streams: Vec<String> = chunk.iter().map(|s| stream_name(s, interval)).collect();
            ConnectionPlan {
                url: format!("{base}/stream?streams={}", streams.join("/")),
                symbols: chunk.to_vec(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_stream_name_is_the_lower_case_symbol_and_the_interval() {
        assert_eq!(stream_name("BTCUSDT", Interval::M5), "btcusdt@kline_5m");
        assert_eq!(stream_name("ethusdt", Interval::D1), "ethusdt@kline_1d");
    }

    #[test]
    fn a_few_symbols_make_one_combined_url_deduplicated_in_order() {
        let plans = connections(
            "wss://data-stream.binance.vision/",
            &strings(&["btcusdt", "ETHUSDT", "BTCUSDT", " solusdt "]),
            Interval::M1,
        )
        .unwrap();
        assert_eq!(
            plans,
            vec![ConnectionPlan {
                url: "wss://data-stream.binance.vision/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m/solusdt@kline_1m".into(),
                symbols: strings(&["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
            }]
        );
    }

    #[test]
    fn symbols_beyond_1024_go_to_a_second_connection() {
        let symbols: Vec<String> = (0..1025).map(|i| format!("S{i}USDT")).collect();
        let plans = connections("ws://127.0.0.1:9000", &symbols, Interval::H1).unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].symbols.len(), 1024);
        assert_eq!(plans[1].symbols, strings(&["S1024USDT"]));
        assert_eq!(
            plans[1].url,
            "ws://127.0.0.1:9000/stream?streams=s1024usdt@kline_1h"
        );
        assert_eq!(plans[0].url.matches("@kline_1h").count(), 1024);
    }

    #[test]
    fn a_base_that_is_not_a_websocket_url_or_has_a_query_is_refused() {
        for (base, reason) in [
            (
                "https://data-stream.binance.vision",
                "must start with ws:// or wss://",
            ),
            (
                "data-stream.binance.vision",
                "must start with ws:// or wss://",
            ),
            ("wss://", "has no host"),
            ("wss:///stream", "has no host"),
            ("wss://host/?x=1", "must not have a query or fragment"),
            ("wss://host#a", "must not have a query or fragment"),
            ("wss://ho st", "must not contain spaces"),
        ] {
            assert_eq!(
                connections(base, &strings(&["BTCUSDT"]), Interval::M1),
                Err(StreamError::BadBase {
                    base: base.into(),
                    reason
                }),
                "{base}"
            );
        }
    }

    #[test]
    fn a_symbol_that_could_break_the_url_is_refused_with_its_index() {
        assert_eq!(
            connections(
                DEFAULT_STREAM_BASE,
                &strings(&["BTCUSDT", "ETH/USDT"]),
                Interval::M1
            ),
            Err(StreamError::BadSymbol {
                index: 1,
                symbol: "ETH/USDT".into()
            })
        );
        assert!(matches!(
            connections(DEFAULT_STREAM_BASE, &strings(&[""]), Interval::M1),
            Err(StreamError::BadSymbol { index: 0, .. })
        ));
        assert_eq!(
            connections(DEFAULT_STREAM_BASE, &[], Interval::M1),
            Err(StreamError::NoSymbols)
        );
    }
}
