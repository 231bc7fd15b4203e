//! Market-data response formats: parsing what Binance, Coinbase, Polygon and
//! Twelve Data answer (and user files: CSV, ZIP, symbol lists) into validated
//! `Bars`, and building the request URLs. Pure Rust, no I/O: the browser side
//! fetches the bytes and hands them here. Must not import any browser crate.
//!
//! Shared decisions:
//! - Every parser reads typed structs with `serde_json`; each leaf value is a
//!   [`Cell`] that accepts any JSON value, so a wrong value is reported with
//!   its JSON path (`[3][1]`, `results[2].o`, `values[0].close`) and its text,
//!   instead of serde's bare "invalid type".
//! - Prices may come as numbers or as decimal strings. `"NaN"`, `"inf"` and
//!   negative prices are passed on to [`Bars::new`], whose rejection is mapped
//!   back to the row's JSON path ([`FormatError::InvalidBar`]).
//! - Rows are never sorted away: out-of-order or duplicate times are an error,
//!   except where a service documents its own order (Coinbase and Twelve Data
//!   answer newest first; those are reversed, and Coinbase pages are merged).
//! - Nothing here panics on any input.
//! - API keys: every URL or text that goes into an error passes through
//!   [`redact`], so a key never reaches a log or an error row.

pub mod binance;
pub mod coinbase;
pub mod import;
pub mod polygon;
pub mod twelvedata;

use crate::data::csv::CsvError;
use crate::engine::bars::{Bars, BarsError, Columns, Rule};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::str::FromStr;

/// The longest offending text an error message repeats.
const MAX_TEXT: usize = 80;

/// Which service a response or URL belongs to (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Binance,
    Coinbase,
    Polygon,
    TwelveData,
    /// A user's URL template answering CSV.
    Csv,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Binance => "Binance",
            Service::Coinbase => "Coinbase",
            Service::Polygon => "Polygon",
            Service::TwelveData => "Twelve Data",
            Service::Csv => "CSV",
        })
    }
}

/// Why a response (or a request's arguments) could not become bars: what and
/// where — service, symbol, JSON path, offending text cut to 80 characters.
/// Every text field has been through [`redact`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The body is not JSON (or is cut short).
    #[error("{service}: {symbol}: the response is not valid JSON (line {line}, column {column}): {message}")]
    Json {
        service: Service,
        symbol: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON has an unexpected shape at the top level or at `path`.
    #[error("{service}: {symbol}: {path}: {message}")]
    Shape {
        service: Service,
        symbol: String,
        path: String,
        message: String,
    },
    /// One value at `path` is not what the format says (`text` is what was there).
    #[error("{service}: {symbol}: {path}: `{text}` is not {expected}")]
    Value {
        service: Service,
        symbol: String,
        path: String,
        expected: &'static str,
        text: String,
    },
    /// The service answered with its error shape.
    #[error("{service}: {symbol}: the service answered an error{}{}: {message}",
        code.map(|c| format!(" {c}")).unwrap_or_default(),
        status.as_ref().map(|s| format!(" (status {s})")).unwrap_or_default())]
    Service {
        service: Service,
        symbol: String,
        code: Option<i64>,
        status: Option<String>,
        message: String,
    },
    /// A well-formed answer with no bars in it.
    #[error("{service}: {symbol}: the response has no bars")]
    Empty { service: Service, symbol: String },
    /// A bar that [`Bars::new`] rejected, mapped back to its JSON path.
    #[error("{service}: {}: {path}: {}", source.symbol, source.rule.describe())]
    InvalidBar {
        service: Service,
        path: String,
        source: BarsError,
    },
    /// A CSV answer (URL template with the CSV format) that the CSV reader refused.
    #[error("{0}")]
    Csv(#[from] CsvError),
    /// A request that cannot be built (bad template, base, symbol or range).
    /// `url` is redacted.
    #[error("{service}: cannot build the request for `{url}`: {message}")]
    Request {
        service: Service,
        url: String,
        message: String,
    },
}

impl FormatError {
    /// A request error whose URL (or template) is always redacted.
    pub fn request(service: Service, url: &str, message: impl Into<String>) -> FormatError {
        FormatError::Request {
            service,
            url: shorten(&redact(url)),
            message: redact(&message.into()),
        }
    }

    /// The error with every occurrence of each secret (an API key) in its
    /// texts replaced by `•••`: a service may echo the key in its message.
    /// CSV errors quote the user's own files and are kept as they are.
    pub fn redact_secrets(self, secrets: &[&str]) -> FormatError {
        let r = |s: String| crate::data::fetch_policy::redact(&s, secrets);
        match self {
            FormatError::Json {
                service,
                symbol,
                line,
                column,
                message,
            } => FormatError::Json {
                service,
                symbol,
                line,
                column,
                message: r(message),
            },
            FormatError::Shape {
                service,
                symbol,
                path,
                message,
            } => FormatError::Shape {
                service,
                symbol,
                path,
                message: r(message),
            },
            FormatError::Value {
                service,
                symbol,
                path,
                expected,
                text,
            } => FormatError::Value {
                service,
                symbol,
                path,
                expected,
                text: r(text),
            },
            FormatError::Service {
                service,
                symbol,
                code,
                status,
                message,
            } => FormatError::Service {
                service,
                symbol,
                code,
                status: status.map(r),
                message: r(message),
            },
            FormatError::Request {
                service,
                url,
                message,
            } => FormatError::Request {
                service,
                url: r(url),
                message: r(message),
            },
            other => other,
        }
    }

    pub(crate) fn service_error(
        service: Service,
        symbol: &str,
        code: Option<i64>,
        status: Option<&str>,
        message: &str,
    ) -> FormatError {
        FormatError::Service {
            service,
            symbol: symbol.to_string(),
            code,
            status: status.map(|s| shorten(&redact(s))),
            message: shorten(&redact(message)),
        }
    }

    pub(crate) fn shape(service: Service, symbol: &str, path: &str, message: &str) -> FormatError {
        FormatError::Shape {
            service,
            symbol: symbol.to_string(),
            path: path.to_string(),
            message: message.to_string(),
        }
    }

    pub(crate) fn json(service: Service, symbol: &str, e: &serde_json::Error) -> FormatError {
        // serde's message ends with " at line L column C"; the fields carry that.
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => &full[..i],
            None => &full,
        };
        FormatError::Json {
            service,
            symbol: symbol.to_string(),
            line: e.line(),
            column: e.column(),
            message: shorten(&redact(message)),
        }
    }
}

/// The body format a URL-template source expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// A CSV file per symbol (any header the engine's CSV reader takes).
    #[default]
    Csv,
    /// Polygon's aggregates v2 JSON.
    PolygonJson,
    /// Binance's klines JSON (array of arrays).
    BinanceJson,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Csv, Format::PolygonJson, Format::BinanceJson];

    /// The short name used in the UI's select and the URL hash.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::PolygonJson => "polygon",
            Format::BinanceJson => "binance",
        }
    }

    /// The format called `name` (case-insensitive; `polygon-json`,
    /// `binance-json` and `json` for Polygon are accepted too).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "polygon" | "polygon-json" | "polygonjson" | "json" => Some(Format::PolygonJson),
            "binance" | "binance-json" | "binancejson" => Some(Format::BinanceJson),
            _ => None,
        }
    }

    /// Parses one symbol's response body in this format.
    pub fn parse(self, symbol: &str, body: &[u8]) -> Result<Bars, FormatError> {
        match self {
            Format::Csv => Ok(super::csv::read_bars(symbol, body)?),
            Format::PolygonJson => polygon::parse_aggregates(symbol, body).map(|page| page.bars),
            Format::BinanceJson => binance::parse_klines(symbol, body),
        }
    }
}

/// The error of [`Format::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data format `{0}` (expected csv, polygon or binance)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::from_name(s).ok_or_else(|| UnknownFormat(shorten(s)))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `Authorization` header that carries a keyed service's `api_key` under
/// `scheme` (`Bearer` for Polygon, `apikey` for Twelve Data), so the key never
/// stands in a URL. An empty key is an error naming the (redacted) base.
pub(crate) fn authorization(
    service: Service,
    base: &str,
    api_key: &str,
    scheme: &str,
) -> Result<(&'static str, String), FormatError> {
    let key = api_key.trim();
    if key.is_empty() {
        return Err(FormatError::request(
            service,
            base,
            "no API key (enter one in the source settings)",
        ));
    }
    Ok(("Authorization", format!("{scheme} {key}")))
}

/// Fills a URL template such as `http://host/data/{symbol}.csv` for one
/// symbol (percent-encoded). The template must contain `{symbol}` and start
/// with `http://` or `https://`; errors show the template redacted.
pub fn expand_template(template: &str, symbol: &str) -> Result<String, FormatError> {
    let t = template.trim();
    check_base(Service::Csv, t)?;
    if !t.contains("{symbol}") {
        return Err(FormatError::request(
            Service::Csv,
            t,
            "the template has no {symbol} placeholder",
        ));
    }
    let symbol = check_symbol(Service::Csv, t, symbol)?;
    Ok(t.replace("{symbol}", &encode_component(symbol)))
}

/// Replaces the value of every `apikey` / `apiKey` / `api_key` parameter in
/// `text` (a URL or any message that may quote one) with `REDACTED`. The
/// name is matched case-insensitively; the value runs to the next `&`, `#`,
/// whitespace, quote or angle bracket.
pub fn redact(text: &str) -> String {
    const NAMES: [&[u8]; 2] = [b"apikey=", b"api_key="];
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let hit = NAMES.iter().find(|name| {
            bytes.len() - i >= name.len() && bytes[i..i + name.len()].eq_ignore_ascii_case(name)
        });
        let Some(name) = hit else {
            i += 1;
            continue;
        };
        let value_start = i + name.len();
        let value_end = bytes[value_start..]
            .iter()
            .position(|&b| {
                matches!(
                    b,
                    b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b' ' | b'\t' | b'\n' | b'\r'
                )
            })
            .map_or(bytes.len(), |p| value_start + p);
        // Both ends sit next to ASCII bytes, so they are char boundaries.
        out.push_str(&text[copied..value_start]);
        if value_end > value_start {
            out.push_str("REDACTED");
        }
        copied = value_end;
        i = value_end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text for a message: at most 80 characters.
pub(crate) fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_TEXT).collect();
    if s.chars().nth(MAX_TEXT).is_some() {
        out.push('…');
    }
    out
}

/// A base URL (or template) must be http(s); `url` is only quoted redacted.
pub(crate) fn check_base(service: Service, url: &str) -> Result<(), FormatError> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(FormatError::request(
            service,
            url,
            "the URL must start with http:// or https://",
        ))
    }
}

/// A symbol must be non-empty after trimming; returns it trimmed.
pub(crate) fn check_symbol<'a>(
    service: Service,
    url: &str,
    symbol: &'a str,
) -> Result<&'a str, FormatError> {
    let s = symbol.trim();
    if s.is_empty() || s.len() > 64 || s.chars().any(char::is_control) {
        Err(FormatError::request(
            service,
            url,
            format!("`{}` is not a symbol", shorten(s)),
        ))
    } else {
        Ok(s)
    }
}

/// `YYYY-MM-DD` of a UTC epoch-ms time (`None` outside chrono's range).
/// A request's `from..=to` (epoch ms) as two ISO dates, or the error naming
/// the service and its (redacted) base: dates out of range, or a range that
/// ends before it starts.
pub(crate) fn date_range(
    service: Service,
    base: &str,
    from: i64,
    to: i64,
) -> Result<(String, String), FormatError> {
    let (Some(start), Some(end)) = (iso_date(from), iso_date(to)) else {
        return Err(FormatError::request(
            service,
            base,
            "the dates are out of range",
        ));
    };
    if to < from {
        return Err(FormatError::request(
            service,
            base,
            format!("the range ends ({end}) before it starts ({start})"),
        ));
    }
    Ok((start, end))
}

pub(crate) fn iso_date(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d").to_string())
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a UTC epoch-ms time.
pub(crate) fn iso_time(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// One JSON leaf value of any type, kept so that conversion errors can say
/// what was found where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Null,
    /// A bool, array or object where a number or string was expected.
    Other(&'static str),
}

impl Cell {
    /// The cell as written, for an error message.
    fn text(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Text(s) => shorten(&redact(s)),
            Cell::Null => "null".to_string(),
            Cell::Other(what) => (*what).to_string(),
        }
    }

    /// A price or volume: a JSON number or a decimal string. `NaN`/`inf`
    /// strings parse here and are refused later by `Bars::new`.
    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            Cell::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// An integer (epoch time): a JSON integer, an integral float or an
    /// integer string.
    pub(crate) fn integer(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(*f as i64),
            Cell::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct CellVisitor;
        impl<'de> Visitor<'de> for CellVisitor {
            type Value = Cell;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Cell, E> {
                Ok(Cell::Other("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
                Ok(i64::try_from(v).map_or(Cell::Float(v as f64), Cell::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Cell, E> {
                Ok(Cell::Text(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Cell, D2::Error> {
                Cell::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell::Other("an object"))
            }
        }
        d.deserialize_any(CellVisitor)
    }
}

/// Where bars are being read from, for converting cells with good errors.
pub(crate) struct Reader<'a> {
    pub service: Service,
    pub symbol: &'a str,
}

impl Reader<'_> {
    fn value_error(&self, path: &str, expected: &'static str, cell: &Cell) -> FormatError {
        FormatError::Value {
            service: self.service,
            symbol: self.symbol.to_string(),
            path: path.to_string(),
            expected,
            text: cell.text(),
        }
    }

    fn missing(&self, path: &str) -> FormatError {
        FormatError::shape(self.service, self.symbol, path, "the value is missing")
    }

    /// A price or volume at `path` (missing cell: an error).
    pub(crate) fn number(&self, cell: Option<&Cell>, path: &str) -> Result<f64, FormatError> {
        let cell = cell.ok_or_else(|| self.missing(path))?;
        cell.number()
            .ok_or_else(|| self.value_error(path, "a number", cell))
    }

    /// An integer epoch time at `path`.
    pub(crate) fn integer(&self, cell: Option<&Cell>, path: &str) -> Result<i64, FormatError> {
        let cell = cell.ok_or_else(|| self.missing(path))?;
        cell.integer()
            .ok_or_else(|| self.value_error(path, "an integer time", cell))
    }

    /// Parses a JSON body into `T`, mapping serde's error.
    pub(crate) fn json<'de, T: Deserialize<'de>>(&self, body: &'de [u8]) -> Result<T, FormatError> {
        serde_json::from_slice(body).map_err(|e| FormatError::json(self.service, self.symbol, &e))
    }

    /// The first non-blank byte of the body (`[` or `{` tells the success
    /// shape from the error shape); an empty body is an error.
    pub(crate) fn first_byte(&self, body: &[u8]) -> Result<u8, FormatError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        body.iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace())
            .ok_or_else(|| {
                FormatError::shape(self.service, self.symbol, "body", "the response is empty")
            })
    }

    /// Validates rows into `Bars`; a rejected row is reported at
    /// `path_of(row)`, no rows at all as [`FormatError::Empty`].
    pub(crate) fn bars(
        &self,
        cols: Columns,
        path_of: impl Fn(usize) -> String,
    ) -> Result<Bars, FormatError> {
        Bars::new(self.symbol, cols).map_err(|e| match (e.rule, e.row) {
            (Rule::Empty, _) => FormatError::Empty {
                service: self.service,
                symbol: self.symbol.to_string(),
            },
            (_, Some(row)) => FormatError::InvalidBar {
                service: self.service,
                path: path_of(row),
                source: e,
            },
            (_, None) => FormatError::InvalidBar {
                service: self.service,
                path: "body".to_string(),
                source: e,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_every_key_spelling_and_keeps_the_rest() {
        let url = "https://x/y?apiKey=abc123&b=1#APIKEY=zz";
        assert_eq!(
            redact(url),
            "https://x/y?apiKey=REDACTED&b=1#APIKEY=REDACTED"
        );
        assert_eq!(redact("a api_key=k9 b"), "a api_key=REDACTED b");
        assert_eq!(redact("no key here ✓"), "no key here ✓");
        assert_eq!(redact("apikey="), "apikey=");
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn encode_component_escapes_reserved_bytes() {
        assert_eq!(encode_component("BRK/B x&y"), "BRK%2FB%20x%26y");
        assert_eq!(encode_component("BTC-USD"), "BTC-USD");
    }
}
