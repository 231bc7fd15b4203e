//! Polygon aggregates v2 (`/v2/aggs/ticker/{sym}/range/1/day/{from}/{to}`):
//! `{"results":[{"t","o","h","l","c","v",..}],"status","resultsCount","next_url"}`
//! into `Bars`, its error shapes, paging through `next_url` (on the
//! configured base's origin only), the URL builders and the `Authorization`
//! header that carries the user's key (never the URL). No I/O, no browser
//! crate.
//!
//! `status` `OK` and `DELAYED` (a free plan's 15-minute delay) are answers;
//! anything else (`ERROR`, `NOT_AUTHORIZED`, `NOT_FOUND`) or an `error`
//! field is [`FormatError::Service`] with the service's message. A bar's
//! time is `t` as sent: the window's start in ms (for daily bars Polygon
//! sends midnight US Eastern, i.e. 04:00 or 05:00 UTC).

use super::{
    check_base, check_symbol, date_range, encode_component, Cell, FormatError, Reader, Service,
};
use crate::engine::bars::{Bars, Columns};
use serde::Deserialize;

/// The public API host.
pub const BASE: &str = "https://api.polygon.io";
/// The most base aggregates one request returns.
pub const MAX_LIMIT: u32 = 50_000;

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    results: Option<Vec<Aggregate>>,
    #[serde(default)]
    next_url: Option<String>,
}

#[derive(Deserialize)]
struct Aggregate {
    #[serde(default)]
    t: Option<Cell>,
    #[serde(default)]
    o: Option<Cell>,
    #[serde(default)]
    h: Option<Cell>,
    #[serde(default)]
    l: Option<Cell>,
    #[serde(default)]
    c: Option<Cell>,
    #[serde(default)]
    v: Option<Cell>,
}

/// One page of aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatesPage {
    pub bars: Bars,
    /// The next page's URL as sent (check it with [`next_page_url`]);
    /// `None` on the last page.
    pub next_url: Option<String>,
}

/// Parses one aggregates answer. No `results` (or an empty array) with an
/// OK status is [`FormatError::Empty`].
pub fn parse_aggregates(symbol: &str, body: &[u8]) -> Result<AggregatesPage, FormatError> {
    let r = Reader {
        service: Service::Polygon,
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
    let ok_status = matches!(status, Some(s) if s.eq_ignore_ascii_case("OK") || s.eq_ignore_ascii_case("DELAYED"));
    if !ok_status || resp.error.is_some() {
        let message = resp.error.or(resp.message).unwrap_or_else(|| match status {
            Some(_) => "no message".to_string(),
            None => "the response has no status".to_string(),
        });
        return Err(FormatError::service_error(
            r.service, symbol, None, status, &message,
        ));
    }
    let results = resp.results.unwrap_or_default();
    let mut cols = Columns::with_capacity(results.len());
    for (i, a) in results.iter().enumerate() {
        let path = |f: &str| format!("results[{i}].{f}");
        cols.push(
            r.integer(a.t.as_ref(), &path("t"))?,
            r.number(a.o.as_ref(), &path("o"))?,
            r.number(a.h.as_ref(), &path("h"))?,
            r.number(a.l.as_ref(), &path("l"))?,
            r.number(a.c.as_ref(), &path("c"))?,
            r.number(a.v.as_ref(), &path("v"))?,
        );
    }
    let bars = r.bars(cols, |i| format!("results[{i}]"))?;
    let next_url = resp.next_url.filter(|u| !u.trim().is_empty());
    Ok(AggregatesPage { bars, next_url })
}

/// The daily aggregates URL for `symbol` from `from` to `to` (epoch ms,
/// taken as their UTC dates, both included), adjusted, ascending, a full
/// page. The key is not in it: it goes in [`auth_header`].
pub fn aggregates_url(base: &str, symbol: &str, from: i64, to: i64) -> Result<String, FormatError> {
    let base = base.trim().trim_end_matches('/');
    check_base(Service::Polygon, base)?;
    let symbol = check_symbol(Service::Polygon, base, symbol)?.to_ascii_uppercase();
    let (from_date, to_date) = date_range(Service::Polygon, base, from, to)?;
    Ok(format!(
        "{base}/v2/aggs/ticker/{}/range/1/day/{from_date}/{to_date}?adjusted=true&sort=asc&limit={MAX_LIMIT}",
        encode_component(&symbol),
    ))
}

/// The request header that carries the key (`Authorization: Bearer <key>`,
/// which Polygon accepts in place of the `apiKey` parameter). An empty key
/// is an error naming the (redacted) base.
pub fn auth_header(base: &str, api_key: &str) -> Result<(&'static str, String), FormatError> {
    super::authorization(Service::Polygon, base, api_key, "Bearer")
}

/// The URL of the page the server named in `next_url`, followed only on the
/// configured `base`'s origin (scheme, host and port): a server must not
/// send the key elsewhere. Any key parameter the server echoed back is
/// dropped (the key goes in [`auth_header`]). Errors show URLs redacted.
pub fn next_page_url(base: &str, next_url: &str) -> Result<String, FormatError> {
    let next = next_url.trim();
    check_base(Service::Polygon, next)?;
    let parsed = url::Url::parse(next)
        .map_err(|e| FormatError::request(Service::Polygon, next, format!("next_url: {e}")))?;
    let home = url::Url::parse(base.trim())
        .map_err(|e| FormatError::request(Service::Polygon, base, format!("base: {e}")))?;
    if parsed.origin() != home.origin() {
        return Err(FormatError::request(
            Service::Polygon,
            next,
            format!(
                "next_url leaves the configured base {} (another host): not followed, the key is not sent",
                home.origin().ascii_serialization()
            ),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FormatError::request(
            Service::Polygon,
            next,
            "next_url carries credentials: not followed",
        ));
    }
    // The parsed form, not the text: `https://@api.polygon.io/…` (an empty
    // user part, found by the json_polygon fuzz target) is the base's origin
    // but is a URL `fetch` refuses; its normalised form is not.
    Ok(strip_key(parsed.as_str()))
}

/// `url` without any `apiKey=` parameter.
fn strip_key(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, q),
        None => return url.to_string(),
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            !(name.eq_ignore_ascii_case("apikey") || name.eq_ignore_ascii_case("api_key"))
        })
        .collect();
    if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    }
}
