//! Coinbase Exchange candles (`/products/{id}/candles`): one page of
//! `[[time, low, high, open, close, volume], ...]` (time in epoch seconds,
//! newest first, at most 300 per page), merging pages into ascending `Bars`,
//! the page ranges that cover a time range at a granularity, and four-hour
//! bars built from hourly candles. No I/O, no browser crate.
//!
//! Paging: a request may not ask for more than 300 candles. Each page spans
//! 300 candles counting both ends, and the next page starts on the previous
//! page's last candle, so whether the service treats `end` as inclusive or
//! not, no candle falls between pages; the overlap is deduplicated when
//! merging. The documented error shape is `{"message": "NotFound"}`.
//!
//! Granularities: Coinbase serves 60, 300, 900, 3600, 21600 and 86400
//! seconds, so 1m, 5m, 15m, 1h and 1d are asked for as they are; it has no
//! four-hour candles, so 4h bars are hourly candles aggregated
//! ([`aggregate`], [`granularity`]).

use super::{
    check_base, check_symbol, encode_component, iso_time, Cell, FormatError, Reader, Service,
};
use crate::data::interval::Interval;
use crate::engine::bars::{Bars, Columns};
use serde::Deserialize;

/// The public Exchange API host.
pub const BASE: &str = "https://api.exchange.coinbase.com";
/// Daily candles.
pub const GRANULARITY: i64 = 86_400;
/// The candle lengths (seconds) the service accepts.
pub const GRANULARITIES: [i64; 6] = [60, 300, 900, 3_600, 21_600, 86_400];
/// The most candles one request may cover.
pub const MAX_CANDLES: i64 = 300;
/// The most pages [`page_ranges_at`] returns (the newest): far more than any
/// load asks for, and a bound on a nonsense range at one-minute candles.
pub const MAX_RANGE_PAGES: usize = 10_000;

/// The candle length (seconds) to ask for `interval`'s bars: its own length,
/// except four hours, which the service does not serve: hourly candles, to
/// be [`aggregate`]d.
pub fn granularity(interval: Interval) -> i64 {
    match interval {
        Interval::H4 => 3_600,
        other => other.ms() / 1000,
    }
}

/// `interval`'s bars from candles of [`granularity`]`(interval)`: the
/// candles as they are, or four-hour bars built from hourly ones.
pub fn bars_at(symbol: &str, interval: Interval, candles: Bars) -> Result<Bars, FormatError> {
    if granularity(interval) * 1000 == interval.ms() {
        Ok(candles)
    } else {
        aggregate(symbol, &candles, interval)
    }
}

/// Bars of `interval` from shorter bars (hourly candles into 4h bars): each
/// bar of `bars` goes to the `interval` bar that contains its open time
/// (for 4h, the bars open at 00, 04, 08, 12, 16 and 20 UTC). Open = the
/// first bar's open, high = the highest high, low = the lowest low, close =
/// the last bar's close, volume = the sum. A bar whose shorter bars are not
/// all there (an hour without trades, the first or the still-open bar of
/// the range) is still a bar, of the ones that are: an hour with no trades
/// has no candle at Coinbase, so requiring all four would drop real bars of
/// thin products. No bars is [`FormatError::Empty`].
pub fn aggregate(symbol: &str, bars: &Bars, interval: Interval) -> Result<Bars, FormatError> {
    let mut cols = Columns::with_capacity(bars.len() / 4 + 1);
    for i in 0..bars.len() {
        let t = interval.open_of(bars.time()[i]);
        let (open, high, low, close, volume) = (
            bars.open()[i],
            bars.high()[i],
            bars.low()[i],
            bars.close()[i],
            bars.volume()[i],
        );
        match cols.time.last() {
            Some(&last) if last == t => {
                let k = cols.len() - 1;
                cols.high[k] = cols.high[k].max(high);
                cols.low[k] = cols.low[k].min(low);
                cols.close[k] = close;
                cols.volume[k] += volume;
            }
            _ => cols.push(t, open, high, low, close, volume),
        }
    }
    reader(symbol).bars(cols, |i| format!("{interval} bar {i}"))
}

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

/// The pages of daily candles covering the days from `from` to `to`
/// ([`page_ranges_at`] at [`GRANULARITY`]).
pub fn page_ranges(from: i64, to: i64) -> Vec<PageRange> {
    page_ranges_at(from, to, GRANULARITY)
}

/// The pages of `granularity`-second candles covering `from` to `to`
/// (epoch ms, both taken down to a candle's start, both included), oldest
/// first. Each page spans at most 300 candles counting both ends;
/// consecutive pages share one candle. A reversed range, one outside
/// ±100,000 years or a granularity of zero or less gives no pages; a range
/// of more than [`MAX_RANGE_PAGES`] pages gives its newest ones.
pub fn page_ranges_at(from: i64, to: i64, granularity: i64) -> Vec<PageRange> {
    const LIMIT: u64 = 3_155_760_000_000_000; // 100,000 years in ms
    if from > to || from.unsigned_abs() > LIMIT || to.unsigned_abs() > LIMIT || granularity <= 0 {
        return Vec::new();
    }
    let step = granularity.saturating_mul(1000);
    let last = to.div_euclid(step) * step;
    let span = (MAX_CANDLES - 1).saturating_mul(step);
    let first = (from.div_euclid(step) * step)
        .max(last.saturating_sub(span.saturating_mul(MAX_RANGE_PAGES as i64)));
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

/// The daily candles URL for one page of a product such as `BTC-USD`
/// (upper-cased).
pub fn candles_url(base: &str, product: &str, range: PageRange) -> Result<String, FormatError> {
    candles_url_at(base, product, range, GRANULARITY)
}

/// The URL for one page of `granularity`-second candles of a product such
/// as `BTC-USD` (upper-cased). The granularity must be one the service
/// serves ([`GRANULARITIES`]) and the page at most 300 of its candles.
pub fn candles_url_at(
    base: &str,
    product: &str,
    range: PageRange,
    granularity: i64,
) -> Result<String, FormatError> {
    let base = base.trim().trim_end_matches('/');
    check_base(Service::Coinbase, base)?;
    let product = check_symbol(Service::Coinbase, base, product)?.to_ascii_uppercase();
    if !GRANULARITIES.contains(&granularity) {
        return Err(FormatError::request(
            Service::Coinbase,
            base,
            format!("granularity {granularity} s is not one of 60, 300, 900, 3600, 21600, 86400"),
        ));
    }
    if range
        .end
        .checked_sub(range.start)
        .is_none_or(|d| !(0..=(MAX_CANDLES - 1) * granularity * 1000).contains(&d))
    {
        let most = if granularity == GRANULARITY {
            "300 days".to_string()
        } else {
            format!("300 candles of {granularity} s")
        };
        return Err(FormatError::request(
            Service::Coinbase,
            base,
            format!("a page must run forward and cover at most {most}"),
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
        "{base}/products/{}/candles?granularity={granularity}&start={}&end={}",
        encode_component(&product),
        encode_component(&start),
        encode_component(&end)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    /// 2024-03-15 00:00 UTC.
    const DAY0: i64 = 19_797 * 86_400_000;

    fn hourly(rows: &[(i64, f64, f64, f64, f64, f64)]) -> Bars {
        let mut cols = Columns::with_capacity(rows.len());
        for &(t, o, h, l, c, v) in rows {
            cols.push(t, o, h, l, c, v);
        }
        Bars::new("BTC-USD", cols).unwrap()
    }

    #[test]
    fn each_interval_asks_for_its_own_granularity_and_four_hours_for_hourly_candles() {
        let got: Vec<i64> = Interval::ALL.into_iter().map(granularity).collect();
        assert_eq!(got, [60, 300, 900, 3_600, 3_600, 86_400]);
        for g in got {
            assert!(GRANULARITIES.contains(&g));
        }
    }

    #[test]
    fn hourly_candles_become_four_hour_bars_aligned_to_00_04_08_utc() {
        let h = hourly(&[
            // 02:00 and 03:00: the 00:00 bar has only its last two hours.
            (DAY0 + 2 * HOUR, 10.0, 12.0, 9.0, 11.0, 1.0),
            (DAY0 + 3 * HOUR, 11.0, 13.0, 10.0, 12.0, 2.0),
            // 04:00 … 07:00: a whole bar.
            (DAY0 + 4 * HOUR, 12.0, 14.0, 11.5, 13.0, 3.0),
            (DAY0 + 5 * HOUR, 13.0, 20.0, 12.5, 14.0, 4.0),
            (DAY0 + 6 * HOUR, 14.0, 15.0, 8.0, 9.0, 5.0),
            (DAY0 + 7 * HOUR, 9.0, 10.0, 8.5, 9.5, 6.0),
            // 09:00 only (08:00 had no trades): the 08:00 bar.
            (DAY0 + 9 * HOUR, 9.5, 9.9, 9.1, 9.8, 7.0),
        ]);
        let four = aggregate("BTC-USD", &h, Interval::H4).unwrap();
        assert_eq!(four.time(), &[DAY0, DAY0 + 4 * HOUR, DAY0 + 8 * HOUR]);
        assert_eq!(four.open(), &[10.0, 12.0, 9.5]);
        assert_eq!(four.high(), &[13.0, 20.0, 9.9]);
        assert_eq!(four.low(), &[9.0, 8.0, 9.1]);
        assert_eq!(four.close(), &[12.0, 9.5, 9.8]);
        assert_eq!(four.volume(), &[3.0, 18.0, 7.0]);
        // Bars at their own granularity are passed through.
        assert_eq!(bars_at("BTC-USD", Interval::H1, h.clone()).unwrap(), h);
        assert_eq!(bars_at("BTC-USD", Interval::H4, h).unwrap(), four);
        assert!(matches!(
            aggregate("BTC-USD", &Bars::default(), Interval::H4),
            Err(FormatError::Empty { .. })
        ));
    }

    #[test]
    fn five_minute_pages_cover_300_candles_each_and_share_their_ends() {
        let step = 300_000;
        let to = DAY0 + 7 * HOUR + 2 * 60_000; // 07:02, inside the 07:00 candle
        let from = to - 1_000 * step;
        let pages = page_ranges_at(from, to, 300);
        assert_eq!(pages.len(), 4, "{pages:?}");
        assert_eq!(pages[0].start, (from / step) * step);
        assert_eq!(pages.last().unwrap().end, DAY0 + 7 * HOUR);
        for p in &pages {
            assert!(p.end - p.start <= 299 * step);
        }
        for w in pages.windows(2) {
            assert_eq!(w[1].start, w[0].end);
        }
        assert_eq!(
            candles_url_at("http://127.0.0.1:9", "btc-usd", pages[3], 300).unwrap(),
            format!(
                "http://127.0.0.1:9/products/BTC-USD/candles?granularity=300&start={}&end={}",
                pages[3].start_iso().replace(':', "%3A"),
                pages[3].end_iso().replace(':', "%3A")
            )
        );
        // A page of 301 five-minute candles, or a granularity the service
        // does not serve, is refused before any request.
        let long = PageRange {
            start: DAY0,
            end: DAY0 + 300 * step,
        };
        assert!(candles_url_at(BASE, "BTC-USD", long, 300)
            .unwrap_err()
            .to_string()
            .contains("300 candles of 300 s"));
        assert!(candles_url_at(BASE, "BTC-USD", pages[0], 14_400)
            .unwrap_err()
            .to_string()
            .contains("granularity 14400"));
        assert!(page_ranges_at(DAY0, DAY0 + HOUR, 0).is_empty());
        // A nonsense range at one-minute candles is cut to its newest pages.
        assert_eq!(page_ranges_at(0, DAY0, 60).len(), MAX_RANGE_PAGES);
    }
}
