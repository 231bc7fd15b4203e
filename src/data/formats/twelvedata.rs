//! Twelve Data `time_series`: `{"meta":{..},"values":[{"datetime","open",
//! "high","low","close","volume"}],"status":"ok"}` (values newest first, all
//! strings) into `Bars`, its error shape `{"code":401,"message":..,
//! "status":"error"}`, the URL builder and the `Authorization` header that
//! carries the user's key (never the URL). No I/O, no browser crate.
//!
//! Datetimes are `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, read as UTC (the URL
//! asks for `timezone=UTC`). A missing `volume` (forex, indices) is 0.

use super::{
    check_base, check_symbol, date_range, encode_component, Cell, FormatError, Reader, Service,
};
use crate::engine::bars::{Bars, Columns};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

/// The public API host.
pub const BASE: &str = "https://api.twelvedata.com";
/// The most values one request returns.
pub const MAX_OUTPUT_SIZE: u32 = 5000;

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    code: Option<Cell>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    values: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    datetime: Option<Cell>,
    #[serde(default)]
    open: Option<Cell>,
    #[serde(default)]
    high: Option<Cell>,
    #[serde(default)]
    low: Option<Cell>,
    #[serde(default)]
    close: Option<Cell>,
    #[serde(default)]
    volume: Option<Cell>,
}

/// Parses a `time_series` answer into ascending bars. Values sent newest
/// first are reversed; errors name the value's index as sent
/// (`values[3].close`). `status` other than `ok` is [`FormatError::Service`]
/// with the code and message.
pub fn parse_time_series(symbol: &str, body: &[u8]) -> Result<Bars, FormatError> {
    let r = Reader {
        service: Service::TwelveData,
        symbol,
    };
    if r.first_byte(body)? != b'{' {
        return Err(FormatError::shape(
            r.service,
            symbol,
            "body",
            "expected a JSON object",
        ));
    }
    let resp: Response = r.json(body)?;
    let status = resp.status.as_deref().map(str::trim);
    if !matches!(status, Some(s) if s.eq_ignore_ascii_case("ok")) {
        let code = resp.code.as_ref().and_then(Cell::integer);
        let message = resp.message.unwrap_or_else(|| match status {
            Some(_) => "no message".to_string(),
            None => "the response has no status".to_string(),
        });
        return Err(FormatError::service_error(
            r.service, symbol, code, status, &message,
        ));
    }
    let values = resp.values.unwrap_or_default();
    let n = values.len();
    let mut rows = Vec::with_capacity(n);
    for (i, v) in values.iter().enumerate() {
        let path = |f: &str| format!("values[{i}].{f}");
        let time = datetime(&r, v.datetime.as_ref(), &path("datetime"))?;
        let volume = match &v.volume {
            None | Some(Cell::Null) => 0.0,
            cell => r.number(cell.as_ref(), &path("volume"))?,
        };
        rows.push((
            time,
            r.number(v.open.as_ref(), &path("open"))?,
            r.number(v.high.as_ref(), &path("high"))?,
            r.number(v.low.as_ref(), &path("low"))?,
            r.number(v.close.as_ref(), &path("close"))?,
            volume,
        ));
    }
    let newest_first = n > 1 && rows[0].0 > rows[n - 1].0;
    if newest_first {
        rows.reverse();
    }
    let mut cols = Columns::with_capacity(n);
    for &(t, o, h, l, c, v) in &rows {
        cols.push(t, o, h, l, c, v);
    }
    r.bars(cols, |i| {
        let sent = if newest_first { n - 1 - i } else { i };
        format!("values[{sent}]")
    })
}

fn datetime(r: &Reader<'_>, cell: Option<&Cell>, path: &str) -> Result<i64, FormatError> {
    let parsed = match cell {
        Some(Cell::Text(s)) => {
            let s = s.trim();
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok())
                .map(|t| t.and_utc().timestamp_millis())
        }
        _ => None,
    };
    match (parsed, cell) {
        (Some(ms), _) => Ok(ms),
        (None, None) => Err(FormatError::shape(
            r.service,
            r.symbol,
            path,
            "the value is missing",
        )),
        (None, Some(c)) => Err(FormatError::Value {
            service: r.service,
            symbol: r.symbol.to_string(),
            path: path.to_string(),
            expected: "a date (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
            text: c.text(),
        }),
    }
}

/// The daily `time_series` URL for `symbol` from `from` to `to` (epoch ms,
/// as UTC dates), a full page, UTC times. The key is not in it: it goes in
/// [`auth_header`].
pub fn time_series_url(
    base: &str,
    symbol: &str,
    from: i64,
    to: i64,
) -> Result<String, FormatError> {
    let base = base.trim().trim_end_matches('/');
    check_base(Service::TwelveData, base)?;
    let symbol = check_symbol(Service::TwelveData, base, symbol)?.to_ascii_uppercase();
    let (start, end) = date_range(Service::TwelveData, base, from, to)?;
    Ok(format!(
        "{base}/time_series?symbol={}&interval=1day&start_date={start}&end_date={end}&outputsize={MAX_OUTPUT_SIZE}&timezone=UTC",
        encode_component(&symbol),
    ))
}

/// The request header that carries the key (`Authorization: apikey <key>`,
/// which Twelve Data accepts in place of the `apikey` parameter). An empty
/// key is an error naming the (redacted) base.
pub fn auth_header(base: &str, api_key: &str) -> Result<(&'static str, String), FormatError> {
    super::authorization(Service::TwelveData, base, api_key, "apikey")
}
