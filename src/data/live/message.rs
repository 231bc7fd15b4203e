//! One text frame of a Binance kline stream, read into a typed [`Message`]:
//! a kline (its bar's values and whether it closed), a `serverShutdown`
//! notice, or anything else (ignored). Every malformed field is reported with
//! its JSON path. Pure data code: no I/O, no browser crate.
//!
//! A combined stream wraps each event as `{"stream": …, "data": {event}}`; a
//! raw stream (`/ws/<stream>`) sends the event itself. Both are accepted, and
//! paths name what was sent (`data.k.c` or `k.c`).

use serde_json::{Map, Value};

use crate::data::interval::Interval;

/// The longest offending text an error repeats.
const MAX_TEXT: usize = 60;

/// One kline update: the bar opening at `open_ms`, as it stands (`closed`:
/// final values, Binance's `k.x`; otherwise the bar is still forming).
#[derive(Debug, Clone, PartialEq)]
pub struct Kline {
    /// Upper-case, as Binance's `k.s`.
    pub symbol: String,
    pub interval: Interval,
    /// `k.t`, always on an interval boundary (checked).
    pub open_ms: i64,
    /// `k.T`: the bar's last millisecond as Binance sends it (open + length − 1).
    pub close_ms: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub closed: bool,
}

/// What one frame says.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Kline(Kline),
    /// The server will close this connection soon (a planned disconnect).
    ServerShutdown,
    /// Valid JSON that is none of the above: a subscription reply
    /// (`{"result":null,"id":1}`), another event type.
    Ignored,
}

/// Why a frame could not be read. `path` is the JSON path of the field
/// (`data.k.c`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("{path}: missing")]
    Missing { path: String },
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: String,
    },
    #[error("{path}: {problem} ({text})")]
    BadValue {
        path: String,
        problem: &'static str,
        text: String,
    },
    #[error("{path}: unknown interval `{name}`: expected one of 1m, 5m, 15m, 1h, 4h, 1d")]
    UnknownInterval { path: String, name: String },
    /// The bar's values contradict each other (`high` below `low`, …).
    #[error("{path}: {problem}")]
    Inconsistent { path: String, problem: &'static str },
}

/// Cuts a text to [`MAX_TEXT`] characters for an error.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_TEXT).collect();
    if text.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => excerpt(&n.to_string()),
        Value::String(s) => format!("{:?}", excerpt(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Reads one frame (wrapped or raw). Never panics.
pub fn parse(text: &str) -> Result<Message, MessageError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| MessageError::NotJson(excerpt(&e.to_string())))?;
    let Value::Object(top) = &value else {
        return Err(MessageError::WrongType {
            path: "(message)".into(),
            expected: "an object",
            found: kind(&value),
        });
    };
    match top.get("data") {
        Some(Value::Object(data)) => event(data, "data."),
        Some(other) => Err(MessageError::WrongType {
            path: "data".into(),
            expected: "an object",
            found: kind(other),
        }),
        None => event(top, ""),
    }
}

/// One event object; `prefix` is its path (`data.` or empty).
fn event(obj: &Map<String, Value>, prefix: &str) -> Result<Message, MessageError> {
    match obj.get("e") {
        Some(Value::String(e)) if e == "kline" => {}
        Some(Value::String(e)) if e == "serverShutdown" => return Ok(Message::ServerShutdown),
        _ => return Ok(Message::Ignored),
    }
    let k_path = format!("{prefix}k");
    let k = match obj.get("k") {
        Some(Value::Object(k)) => k,
        Some(other) => {
            return Err(MessageError::WrongType {
                path: k_path,
                expected: "an object",
                found: kind(other),
            })
        }
        None => return Err(MessageError::Missing { path: k_path }),
    };
    let f = Fields { k, path: &k_path };
    let symbol = f.string("s")?;
    if symbol.is_empty() || !symbol.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(f.bad("s", "not a symbol (ASCII letters and digits)", &symbol));
    }
    let interval_name = f.string("i")?;
    let interval: Interval = interval_name
        .parse()
        .map_err(|_| MessageError::UnknownInterval {
            path: f.at("i"),
            name: excerpt(&interval_name),
        })?;
    let open_ms = f.integer("t")?;
    if interval.open_of(open_ms) != open_ms {
        return Err(f.bad(
            "t",
            "open time is not on an interval boundary",
            &open_ms.to_string(),
        ));
    }
    let close_ms = f.integer("T")?;
    if close_ms <= open_ms {
        return Err(f.bad(
            "T",
            "close time is not after the open time",
            &close_ms.to_string(),
        ));
    }
    let open = f.price("o")?;
    let high = f.price("h")?;
    let low = f.price("l")?;
    let close = f.price("c")?;
    let volume = f.decimal("v")?;
    if volume < 0.0 {
        return Err(f.bad("v", "negative volume", &volume.to_string()));
    }
    let closed = match k.get("x") {
        Some(Value::Bool(x)) => *x,
        Some(other) => {
            return Err(MessageError::WrongType {
                path: f.at("x"),
                expected: "true or false",
                found: kind(other),
            })
        }
        None => return Err(MessageError::Missing { path: f.at("x") }),
    };
    let problem = if high < low {
        Some("high is below low")
    } else if high < open.max(close) {
        Some("high is below open or close")
    } else if low > open.min(close) {
        Some("low is above open or close")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(MessageError::Inconsistent {
            path: k_path,
            problem,
        });
    }
    Ok(Message::Kline(Kline {
        symbol: symbol.to_ascii_uppercase(),
        interval,
        open_ms,
        close_ms,
        open,
        high,
        low,
        close,
        volume,
        closed,
    }))
}

/// The `k` object and its path, for typed reads with paths in errors.
struct Fields<'a> {
    k: &'a Map<String, Value>,
    path: &'a str,
}

impl Fields<'_> {
    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn bad(&self, key: &str, problem: &'static str, text: &str) -> MessageError {
        MessageError::BadValue {
            path: self.at(key),
            problem,
            text: excerpt(text),
        }
    }

    fn get(&self, key: &str) -> Result<&Value, MessageError> {
        self.k
            .get(key)
            .ok_or_else(|| MessageError::Missing { path: self.at(key) })
    }

    fn string(&self, key: &str) -> Result<String, MessageError> {
        match self.get(key)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(MessageError::WrongType {
                path: self.at(key),
                expected: "a string",
                found: kind(other),
            }),
        }
    }

    fn integer(&self, key: &str) -> Result<i64, MessageError> {
        let v = self.get(key)?;
        v.as_i64().ok_or_else(|| MessageError::WrongType {
            path: self.at(key),
            expected: "an integer (ms)",
            found: kind(v),
        })
    }

    /// A finite decimal, as a string (Binance's form) or a JSON number.
    fn decimal(&self, key: &str) -> Result<f64, MessageError> {
        let (x, text) = match self.get(key)? {
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(x) => (x, s.clone()),
                Err(_) => return Err(self.bad(key, "not a decimal number", s)),
            },
            Value::Number(n) => match n.as_f64() {
                Some(x) => (x, n.to_string()),
                None => return Err(self.bad(key, "not a decimal number", &n.to_string())),
            },
            other => {
                return Err(MessageError::WrongType {
                    path: self.at(key),
                    expected: "a decimal string",
                    found: kind(other),
                })
            }
        };
        if !x.is_finite() {
            return Err(self.bad(key, "not finite", &text));
        }
        Ok(x)
    }

    /// A finite decimal above zero.
    fn price(&self, key: &str) -> Result<f64, MessageError> {
        let x = self.decimal(key)?;
        if x <= 0.0 {
            return Err(self.bad(key, "price must be positive", &x.to_string()));
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"stream":"btcusdt@kline_5m","data":{"e":"kline","E":1672515782136,"s":"BTCUSDT","k":{"t":1672515600000,"T":1672515899999,"s":"BTCUSDT","i":"5m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0010","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}"#;

    /// The example frame with `k.<key>` replaced by `value` (raw JSON), or
    /// removed when `value` is `None`.
    fn with(key: &str, value: Option<&str>) -> String {
        let mut v: Value = serde_json::from_str(EXAMPLE).unwrap();
        let k = v["data"]["k"].as_object_mut().unwrap();
        match value {
            Some(raw) => {
                k.insert(key.into(), serde_json::from_str(raw).unwrap());
            }
            None => {
                k.remove(key);
            }
        }
        v.to_string()
    }

    #[test]
    fn a_wrapped_kline_is_read_with_every_field() {
        let Ok(Message::Kline(k)) = parse(EXAMPLE) else {
            panic!("{:?}", parse(EXAMPLE))
        };
        assert_eq!(
            k,
            Kline {
                symbol: "BTCUSDT".into(),
                interval: Interval::M5,
                open_ms: 1_672_515_600_000,
                close_ms: 1_672_515_899_999,
                open: 0.001,
                high: 0.0025,
                low: 0.001,
                close: 0.002,
                volume: 1000.0,
                closed: false,
            }
        );
    }

    #[test]
    fn a_raw_event_is_read_like_a_wrapped_one_and_errors_name_paths_without_data() {
        let v: Value = serde_json::from_str(EXAMPLE).unwrap();
        let raw = v["data"].to_string();
        assert_eq!(parse(&raw), parse(EXAMPLE));
        let mut bad = v["data"].clone();
        bad["k"]["x"] = Value::from("yes");
        assert!(matches!(
            parse(&bad.to_string()),
            Err(MessageError::WrongType { path, .. }) if path == "k.x"
        ));
    }

    #[test]
    fn a_closed_kline_says_so_and_a_lower_case_symbol_is_upper_cased() {
        let text = with("x", Some("true"));
        let text = text.replace(r#""s":"BTCUSDT","i""#, r#""s":"ethusdt","i""#);
        let Ok(Message::Kline(k)) = parse(&text) else {
            panic!()
        };
        assert!(k.closed);
        assert_eq!(k.symbol, "ETHUSDT");
    }

    #[test]
    fn server_shutdown_is_recognised_wrapped_or_raw() {
        assert_eq!(
            parse(r#"{"e":"serverShutdown","E":1}"#),
            Ok(Message::ServerShutdown)
        );
        assert_eq!(
            parse(r#"{"stream":"x","data":{"e":"serverShutdown","E":1}}"#),
            Ok(Message::ServerShutdown)
        );
    }

    #[test]
    fn subscription_replies_and_other_events_are_ignored_not_errors() {
        for text in [
            r#"{"result":null,"id":1}"#,
            r#"{"e":"trade","E":1,"s":"BTCUSDT"}"#,
            r#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#,
            r#"{}"#,
        ] {
            assert_eq!(parse(text), Ok(Message::Ignored), "{text}");
        }
    }

    #[test]
    fn text_that_is_not_json_or_not_an_object_is_an_error() {
        assert!(matches!(parse("{\"e\":"), Err(MessageError::NotJson(_))));
        assert!(matches!(parse(""), Err(MessageError::NotJson(_))));
        assert!(matches!(
            parse("[1,2]"),
            Err(MessageError::WrongType {
                expected: "an object",
                ..
            })
        ));
        assert!(matches!(
            parse(r#"{"stream":"a","data":3}"#),
            Err(MessageError::WrongType { path, .. }) if path == "data"
        ));
    }

    fn path_of(e: MessageError) -> String {
        match e {
            MessageError::Missing { path }
            | MessageError::WrongType { path, .. }
            | MessageError::BadValue { path, .. }
            | MessageError::UnknownInterval { path, .. }
            | MessageError::Inconsistent { path, .. } => path,
            MessageError::NotJson(_) => "(not json)".into(),
        }
    }

    #[test]
    fn every_missing_kline_field_is_named_by_its_path() {
        for key in ["s", "i", "t", "T", "o", "h", "l", "c", "v", "x"] {
            let err = parse(&with(key, None)).unwrap_err();
            assert_eq!(
                err,
                MessageError::Missing {
                    path: format!("data.k.{key}")
                }
            );
        }
        let no_k = r#"{"stream":"a","data":{"e":"kline","k":null}}"#;
        assert_eq!(path_of(parse(no_k).unwrap_err()), "data.k");
        let no_k = r#"{"e":"kline"}"#;
        assert_eq!(parse(no_k), Err(MessageError::Missing { path: "k".into() }));
    }

    #[test]
    fn each_ill_typed_or_impossible_value_is_named_by_its_path() {
        let cases = [
            ("c", r#""abc""#, "data.k.c"),
            ("c", r#"null"#, "data.k.c"),
            ("o", r#""NaN""#, "data.k.o"),
            ("h", r#""inf""#, "data.k.h"),
            ("l", r#""-0.5""#, "data.k.l"),
            ("o", r#""0""#, "data.k.o"),
            ("v", r#""-1""#, "data.k.v"),
            ("t", r#""1672515600000""#, "data.k.t"),
            ("t", r#"1672515600000.5"#, "data.k.t"),
            ("t", r#"1672515600001"#, "data.k.t"),
            ("T", r#"1"#, "data.k.T"),
            ("s", r#""BTC/USDT""#, "data.k.s"),
            ("s", r#"7"#, "data.k.s"),
            ("x", r#"1"#, "data.k.x"),
        ];
        for (key, raw, path) in cases {
            let err = parse(&with(key, Some(raw))).unwrap_err();
            assert_eq!(path_of(err.clone()), path, "{key}={raw}: {err}");
            assert!(err.to_string().starts_with(path), "{err}");
        }
    }

    #[test]
    fn an_unknown_interval_is_its_own_error() {
        let err = parse(&with("i", Some(r#""2h""#))).unwrap_err();
        assert_eq!(
            err,
            MessageError::UnknownInterval {
                path: "data.k.i".into(),
                name: "2h".into()
            }
        );
        assert!(err.to_string().contains("unknown interval `2h`"), "{err}");
    }

    #[test]
    fn prices_that_contradict_each_other_are_inconsistent() {
        for (key, raw, problem) in [
            ("h", r#""0.0009""#, "high is below low"),
            ("h", r#""0.0018""#, "high is below open or close"),
            ("l", r#""0.0011""#, "low is above open or close"),
        ] {
            let text = with(key, Some(raw));
            assert_eq!(
                parse(&text),
                Err(MessageError::Inconsistent {
                    path: "data.k".into(),
                    problem
                }),
                "{key}={raw}"
            );
        }
    }

    #[test]
    fn a_huge_bad_value_is_cut_in_the_error() {
        let long = format!("\"{}\"", "9".repeat(500) + "x");
        let err = parse(&with("c", Some(&long))).unwrap_err();
        assert!(err.to_string().len() < 150, "{err}");
    }
}
