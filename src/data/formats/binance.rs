//! Binance spot REST shapes: klines (`/api/v3/klines`) into `Bars`, the 24h
//! ticker list (`/api/v3/ticker/24hr`) into the top USDT pairs by quote
//! volume, and the klines URL for paging (forward from a start time, or back
//! from an end time to the symbol's listing). No I/O, no browser crate.
//!
//! A kline is `[openTime, "open", "high", "low", "close", "volume",
//! closeTime, "quoteVolume", trades, "takerBase", "takerQuote", "ignore"]`;
//! only the first six are read (the bar's time is the open time, in ms). The
//! documented error shape is `{"code": -1121, "msg": "Invalid symbol."}`.

use super::{check_base, check_symbol, encode_component, Cell, FormatError, Reader, Service};
use crate::data::interval::Interval;
use crate::engine::bars::{Bars, Columns};
use serde::Deserialize;

/// The market-data-only host (no key, CORS-enabled).
pub const DATA_API_BASE: &str = "https://data-api.binance.vision";
/// The main API host.
pub const API_BASE: &str = "https://api.binance.com";
/// The most klines one request returns.
pub const MAX_LIMIT: u32 = 1000;

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    msg: Option<String>,
}

fn reader(symbol: &str) -> Reader<'_> {
    Reader {
        service: Service::Binance,
        symbol,
    }
}

/// The `{"code":..,"msg":..}` error shape (or any other object) as an error.
fn object_error(r: &Reader<'_>, body: &[u8]) -> FormatError {
    match r.json::<ApiError>(body) {
        Ok(ApiError { code, msg }) => match msg {
            Some(msg) => FormatError::service_error(r.service, r.symbol, code, None, &msg),
            None => FormatError::shape(
                r.service,
                r.symbol,
                "body",
                "expected an array, found an object without `msg`",
            ),
        },
        Err(e) => e,
    }
}

/// Parses a klines answer into bars (ascending by open time, as Binance sends
/// them; any disorder is an error at its index). An empty array is
/// [`FormatError::Empty`].
pub fn parse_klines(symbol: &str, body: &[u8]) -> Result<Bars, FormatError> {
    let r = reader(symbol);
    if r.first_byte(body)? == b'{' {
        return Err(object_error(&r, body));
    }
    let rows: Vec<Vec<Cell>> = r.json(body)?;
    let mut cols = Columns::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let path = |j: usize| format!("[{i}][{j}]");
        let time = r.integer(row.first(), &path(0))?;
        let mut v = [0.0; 5];
        for (j, slot) in v.iter_mut().enumerate() {
            *slot = r.number(row.get(j + 1), &path(j + 1))?;
        }
        cols.push(time, v[0], v[1], v[2], v[3], v[4]);
    }
    r.bars(cols, |i| format!("[{i}]"))
}

/// One USDT pair of the 24h ticker list.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticker {
    pub symbol: String,
    /// 24-hour volume in the quote asset (USDT).
    pub quote_volume: f64,
}

#[derive(Deserialize)]
struct TickerRow {
    #[serde(default)]
    symbol: Option<Cell>,
    #[serde(default, rename = "quoteVolume")]
    quote_volume: Option<Cell>,
}

/// The `n` USDT pairs with the largest 24-hour quote volume, largest first
/// (ties by symbol). Pairs other than `…USDT` are ignored; a USDT pair whose
/// `quoteVolume` is missing, not a number or negative is an error at its index.
pub fn top_usdt_pairs(body: &[u8], n: usize) -> Result<Vec<Ticker>, FormatError> {
    let r = reader("24hr ticker");
    if r.first_byte(body)? == b'{' {
        return Err(object_error(&r, body));
    }
    let rows: Vec<TickerRow> = r.json(body)?;
    let mut pairs = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(Cell::Text(symbol)) = &row.symbol else {
            return Err(FormatError::shape(
                r.service,
                r.symbol,
                &format!("[{i}].symbol"),
                "missing or not a string",
            ));
        };
        if !symbol.ends_with("USDT") || symbol.len() <= 4 {
            continue;
        }
        let path = format!("[{i}].quoteVolume");
        let quote_volume = r.number(row.quote_volume.as_ref(), &path)?;
        if !(quote_volume.is_finite() && quote_volume >= 0.0) {
            return Err(FormatError::Value {
                service: r.service,
                symbol: r.symbol.to_string(),
                path,
                expected: "a finite volume of zero or more",
                text: quote_volume.to_string(),
            });
        }
        pairs.push(Ticker {
            symbol: symbol.clone(),
            quote_volume,
        });
    }
    pairs.sort_by(|a, b| {
        b.quote_volume
            .total_cmp(&a.quote_volume)
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    pairs.truncate(n);
    Ok(pairs)
}

/// One klines request: times are UTC epoch ms, both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KlinesRequest<'a> {
    /// [`DATA_API_BASE`], [`API_BASE`] or a stand-in server (no trailing path).
    pub base: &'a str,
    pub symbol: &'a str,
    /// Binance's interval name ([`Interval::name`]: `1m` … `1d`).
    pub interval: &'a str,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Klines per page, clamped to `1..=1000`.
    pub limit: u32,
}

impl<'a> KlinesRequest<'a> {
    /// Daily klines for `symbol`, a full page, no time bounds.
    pub fn daily(base: &'a str, symbol: &'a str) -> Self {
        KlinesRequest::at(base, symbol, Interval::D1)
    }

    /// Klines of `interval` for `symbol`, a full page, no time bounds.
    pub fn at(base: &'a str, symbol: &'a str, interval: Interval) -> Self {
        KlinesRequest {
            base,
            symbol,
            interval: interval.name(),
            start_time: None,
            end_time: None,
            limit: MAX_LIMIT,
        }
    }

    /// The request URL. The symbol is upper-cased (Binance's spelling).
    pub fn url(&self) -> Result<String, FormatError> {
        let base = self.base.trim().trim_end_matches('/');
        check_base(Service::Binance, base)?;
        let symbol = check_symbol(Service::Binance, base, self.symbol)?.to_ascii_uppercase();
        if let (Some(s), Some(e)) = (self.start_time, self.end_time) {
            if e < s {
                return Err(FormatError::request(
                    Service::Binance,
                    base,
                    format!("endTime {e} is before startTime {s}"),
                ));
            }
        }
        let mut url = format!(
            "{base}/api/v3/klines?symbol={}&interval={}",
            encode_component(&symbol),
            encode_component(self.interval.trim())
        );
        if let Some(s) = self.start_time {
            url.push_str(&format!("&startTime={s}"));
        }
        if let Some(e) = self.end_time {
            url.push_str(&format!("&endTime={e}"));
        }
        url.push_str(&format!("&limit={}", self.limit.clamp(1, MAX_LIMIT)));
        Ok(url)
    }

    /// The request for the page after `page` (a full page means more may
    /// follow): starts one ms after its last open time. `None` when the
    /// page was short, so the range is done.
    pub fn next_page(&self, page: &Bars) -> Option<KlinesRequest<'a>> {
        let limit = self.limit.clamp(1, MAX_LIMIT) as usize;
        let last = *page.time().last()?;
        if page.len() < limit || self.end_time.is_some_and(|e| last >= e) {
            return None;
        }
        Some(KlinesRequest {
            start_time: Some(last.saturating_add(1)),
            ..self.clone()
        })
    }
}

impl KlinesRequest<'_> {
    /// The request for the page before `page` when paging back (newest
    /// first): ends one ms before its first open time. `None` when the page
    /// was short (the symbol's listing start: Binance has nothing earlier)
    /// or reached `start_time`.
    pub fn prev_page(&self, page: &Bars) -> Option<Self> {
        let limit = self.limit.clamp(1, MAX_LIMIT) as usize;
        let first = *page.time().first()?;
        if page.len() < limit || self.start_time.is_some_and(|s| first <= s) {
            return None;
        }
        Some(KlinesRequest {
            end_time: Some(first.saturating_sub(1)),
            ..self.clone()
        })
    }

    /// Checks that every kline of `page` opens within the asked range: a
    /// server that ignores `startTime`/`endTime` would otherwise have the
    /// pager ask the same page again, or merge bars that were not asked for.
    pub fn check_page(&self, symbol: &str, page: &Bars) -> Result<(), FormatError> {
        let outside = page.time().iter().position(|&t| {
            self.start_time.is_some_and(|s| t < s) || self.end_time.is_some_and(|e| t > e)
        });
        match outside {
            None => Ok(()),
            Some(i) => Err(FormatError::shape(
                Service::Binance,
                symbol,
                &format!("[{i}][0]"),
                &format!(
                    "open time {} is outside the asked range ({} to {})",
                    page.time()[i],
                    self.start_time.map_or("any".into(), |s| s.to_string()),
                    self.end_time.map_or("any".into(), |e| e.to_string()),
                ),
            )),
        }
    }
}

/// The 24h ticker list URL (all symbols) for a base.
pub fn ticker_24hr_url(base: &str) -> Result<String, FormatError> {
    let base = base.trim().trim_end_matches('/');
    check_base(Service::Binance, base)?;
    Ok(format!("{base}/api/v3/ticker/24hr"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_klines_request_names_its_interval_and_pages_in_steps_of_it() {
        let base = "http://127.0.0.1:9";
        let five = KlinesRequest {
            start_time: Some(1_700_000_100_000),
            end_time: Some(1_700_000_100_000 + 3 * 300_000),
            limit: 2,
            ..KlinesRequest::at(base, "btcusdt", Interval::M5)
        };
        assert_eq!(
            five.url().unwrap(),
            "http://127.0.0.1:9/api/v3/klines?symbol=BTCUSDT&interval=5m\
             &startTime=1700000100000&endTime=1700001000000&limit=2"
        );
        let page = crate::data::synthetic::bars(1, 1, 2);
        let mut cols = page.into_columns();
        cols.time = vec![1_700_000_100_000, 1_700_000_400_000];
        let page = Bars::new("BTCUSDT", cols).unwrap();
        let next = five.next_page(&page).unwrap();
        assert_eq!(next.start_time, Some(1_700_000_400_001));
        assert_eq!(next.interval, "5m");
        assert_eq!(KlinesRequest::daily(base, "X").interval, "1d");
        assert_eq!(KlinesRequest::at(base, "X", Interval::H4).interval, "4h");
    }
}
