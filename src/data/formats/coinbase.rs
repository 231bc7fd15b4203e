//! Coinbase Exchange candles (`/products/{id}/candles`): one page of
//! `[[time, low, high, open, close, volume], ...]` (time in epoch seconds,
//! newest first, at most 300 per page), merging pages into ascending `Bars`,
//! and the page ranges that cover a date range. No I/O, no browser crate.
//!
//! Paging: a request may not ask for more than 300 candles. Each page spans
//! 300 daily candles counting both ends, and the next page starts on the
//! previous page's last day, so whether the service treats `end` as
//! inclusive or not, no day falls between pages; the overlap is deduplicated
//! when merging. The documented error shape is `{"message": "NotFound"}`.

use super::{
    check_base, check_symbol, encode_component, iso_time, Cell, FormatError, Reader, Service,
};
use crate::engine::bars::{Bars, Columns};
use serde::Deserialize;

/// The public Exchange API host.
pub const BASE: &str = "https://api.exchange.coinbase.com";
/// Daily candles.
pub const GRANULARITY: i64 = 86_400;
/// The most candles one request may cover.
pub const MAX_CANDLES: i64 = 300;

const DAY_MS: i64 = GRANULARITY * 1000;

/// One candle of a page (time in epoch ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candle {
    pub time: i64,
    pub low: f64,
    pub high: f64,
    pub open: f64,
    pub close: f64,
    pub volume: f64,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: Option<String>,
}

fn reader(symbol: &str) -> Reader<'_> {
    Reader {
        service: Service::Coinbase,
        symbol,
    }
}

/// Parses one page as sent (newest first). An empty page is not an error
/// here: a range before the product's listing has none.
pub fn parse_candles(symbol: &str, body: &[u8]) -> Result<Vec<Candle>, FormatError> {
    let r = reader(symbol);
    if r.first_byte(body)? == b'{' {
        return Err(match r.json::<ApiError>(body) {
            Ok(ApiError {
                message: Some(message),
            }) => FormatError::service_error(r.service, symbol, None, None, &message),
            Ok(_) => FormatError::shape(
                r.service,
                symbol,
                "body",
                "expected an array, found an object without `message`",
            ),
            Err(e) => e,
        });
    }
    let rows: Vec<Vec<Cell>> = r.json(body)?;
    let mut page = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let path = |j: usize| format!("[{i}][{j}]");
        let seconds = r.integer(row.first(), &path(0))?;
        let time = seconds
            .checked_mul(1000)
            .ok_or_else(|| FormatError::Value {
                service: r.service,
                symbol: symbol.to_string(),
                path: path(0),
                expected: "an epoch time in seconds",
                text: seconds.to_string(),
            })?;
        let mut v = [0.0; 5];
        for (j, slot) in v.iter_mut().enumerate() {
            *slot = r.number(row.get(j + 1), &path(j + 1))?;
        }
        page.push(Candle {
            time,
            low: v[0],
            high: v[1],
            open: v[2],
            close: v[3],
            volume: v[4],
        });
    }
    Ok(page)
}

/// Merges pages (in any order, each in any order) into ascending bars. A
/// time seen more than once (page overlap) keeps its first occurrence. A
/// candle that `Bars::new` rejects is reported as `page P [i]`; no candles
/// at all is [`FormatError::Empty`].
pub fn merge_pages(symbol: &str, pages: &[Vec<Candle>]) -> Result<Bars, FormatError> {
    let mut all: Vec<(usize, usize, &Candle)> = pages
        .iter()
        .enumerate()
        .flat_map(|(p, page)| page.iter().enumerate().map(move |(i, c)| (p, i, c)))
        .collect();
    // Stable: among equal times the earlier page (and row) comes first.
    all.sort_by_key(|(_, _, c)| c.time);
    all.dedup_by_key(|(_, _, c)| c.time);
    let mut cols = Columns::with_capacity(all.len());
    for (_, _, c) in &all {
        cols.push(c.time, c.open, c.high, c.low, c.close, c.volume);
    }
    reader(symbol).bars(cols, |row| {
        let (p, i, _) = all[row];
        format!("page {p} [{i}]")
    })
}

/// [`parse_candles`] then [`merge_pages`] for a single page.
pub fn parse_single_page(symbol: &str, body: &[u8]) -> Result<Bars, FormatError> {
    let page = parse_candles(symbol, body)?;
    merge_pages(symbol, &[page])
}

/// One request's time range (UTC epoch ms, both ends at midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRange {
    pub start: i64,
    pub end: i64,
}

impl PageRange {
    /// `start` as the ISO 8601 text the API takes.
    pub fn start_iso(&self) -> String {
        iso_time(self.start).unwrap_or_default()
    }

    /// `end` as the ISO 8601 text the API takes.
    pub fn end_iso(&self) -> String {
        iso_time(self.end).unwrap_or_default()
    }
}

/// The pages covering the days from `from` to `to` (epoch ms, both taken
/// down to their UTC midnight, both included), oldest first. Each page spans
/// at most 300 days counting both ends; consecutive pages share one day. A
/// reversed range or one outside ±100,000 years gives no pages.
pub fn page_ranges(from: i64, to: i64) -> Vec<PageRange> {
    const LIMIT: u64 = 3_155_760_000_000_000; // 100,000 years in ms
    if from > to || from.unsigned_abs() > LIMIT || to.unsigned_abs() > LIMIT {
        return Vec::new();
    }
    let first = from.div_euclid(DAY_MS) * DAY_MS;
    let last = to.div_euclid(DAY_MS) * DAY_MS;
    let span = (MAX_CANDLES - 1) * DAY_MS;
    let mut out = Vec::new();
    let mut start = first;
    loop {
        let end = (start + span).min(last);
        out.push(PageRange { start, end });
        if end >= last {
            return out;
        }
        start = end;
    }
}

/// The candles URL for one page of a product such as `BTC-USD` (upper-cased).
pub fn candles_url(base: &str, product: &str, range: PageRange) -> Result<String, FormatError> {
    let base = base.trim().trim_end_matches('/');
    check_base(Service::Coinbase, base)?;
    let product = check_symbol(Service::Coinbase, base, product)?.to_ascii_uppercase();
    if range
        .end
        .checked_sub(range.start)
        .is_none_or(|d| !(0..=(MAX_CANDLES - 1) * DAY_MS).contains(&d))
    {
        return Err(FormatError::request(
            Service::Coinbase,
            base,
            "a page must run forward and cover at most 300 days",
        ));
    }
    let (Some(start), Some(end)) = (iso_time(range.start), iso_time(range.end)) else {
        return Err(FormatError::request(
            Service::Coinbase,
            base,
            "the page's dates are out of range",
        ));
    };
    Ok(format!(
        "{base}/products/{}/candles?granularity={GRANULARITY}&start={}&end={}",
        encode_component(&product),
        encode_component(&start),
        encode_component(&end)
    ))
}
