//! One symbol's bars from one service, over a [`Transport`], at the
//! configured interval ([`SourceConfig::interval_for`]: daily except for the
//! crypto sources): the URL template, the bundled sample, Binance klines
//! (paged forward for a tail or a time range, back to a depth or the listing
//! start, with the main host as a fallback when the data host cannot be
//! reached), Coinbase candles (300-candle pages, newest first; 4h bars built
//! from hourly candles), Polygon aggregates (`next_url` paging, on the
//! configured base's origin only) and Twelve Data time series. Keys go in an
//! `Authorization` header where the service accepts one, never in a URL.
//! Parsing is `data::formats`; a response that does not parse is an error
//! row with its position, never bars.

use super::request::{fetch, FetchError, Gate, Request, Transport};
use super::source::{SourceConfig, SourceId};
use super::symbol::Fetcher;
use super::Clock;
use crate::data::cache_policy::DAY_MS;
use crate::data::csv::read_bars;
use crate::data::fetch_policy::Failure;
use crate::data::formats::{self, binance, coinbase, polygon, twelvedata, FormatError};
use crate::data::interval::Interval;
use crate::engine::bars::{Bars, Columns};
use crate::engine::run::SymbolError;

/// History asked for when nothing is cached (days back from today): Twelve
/// Data takes one page.
const HISTORY_DAYS: i64 = 1_000;
/// Coinbase's history when nothing is cached, in bars of the interval back
/// from now: four 300-candle pages (fourteen of hourly candles for 4h bars).
const COINBASE_HISTORY_BARS: i64 = 1_000;
/// Polygon's free plan serves two years of history.
const POLYGON_HISTORY_DAYS: i64 = 730;
/// Paging stops after this many pages of one symbol (a server looping its
/// `next_url` must not keep a scan busy forever); paging back, it also
/// bounds the depth asked for (50,000 Binance klines).
const MAX_PAGES: usize = 50;

/// Which klines a Binance load asks for.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// From a time on (a tail, paged forward), or the newest page.
    From(Option<i64>),
    /// Up to `bars` bars opening before `before_ms`, paged back.
    Back { bars: usize, before_ms: Option<i64> },
    /// The bars opening from `start` to `end` (both included), paged forward.
    Between { start: i64, end: i64 },
}

/// What one symbol's load brought.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// `None` only for a tail request that found no new bars (a holiday, or
    /// nothing published yet): the cached bars stand.
    pub bars: Option<Bars>,
    /// Body bytes received, all pages and retries' final answers.
    pub bytes: u64,
}

impl From<FetchError> for SymbolError {
    fn from(e: FetchError) -> SymbolError {
        match e {
            FetchError::Stopped => SymbolError::Stopped,
            FetchError::Failed(Failure::RateLimited { retry_after_ms }) => {
                SymbolError::RateLimited {
                    retry_after_secs: retry_after_ms.map(|ms| ms as f64 / 1000.0),
                }
            }
            FetchError::Failed(f) => SymbolError::FetchFailed(f),
        }
    }
}

/// One fetched source for one scan: its configuration, its gate (limits,
/// retries, redaction), the transport and the clock.
pub struct Feed<T, C> {
    source: SourceId,
    config: SourceConfig,
    gate: Gate,
    transport: T,
    clock: C,
}

impl<T: Transport, C: Clock> Feed<T, C> {
    /// `on_retry` is called for each retried request (the progress counter).
    pub fn new(
        source: SourceId,
        config: SourceConfig,
        transport: T,
        clock: C,
        on_retry: impl Fn() + 'static,
    ) -> Feed<T, C> {
        let policy = source.policy_with(&config);
        let secrets = config.api_key.iter().cloned().collect();
        Feed {
            source,
            gate: Gate::new(policy, secrets, on_retry),
            config,
            transport,
            clock,
        }
    }

    pub fn source(&self) -> SourceId {
        self.source
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The bar length this feed loads ([`SourceConfig::interval_for`]).
    pub fn interval(&self) -> Interval {
        self.config.interval_for(self.source)
    }

    /// How many symbols load at once (the source's in-flight bound).
    pub fn max_in_flight(&self) -> usize {
        self.gate.policy().max_in_flight.max(1)
    }

    async fn get(&self, request: &Request) -> Result<Vec<u8>, SymbolError> {
        fetch(request, &self.gate, &self.transport, &self.clock)
            .await
            .map_err(SymbolError::from)
    }

    /// A response that did not parse: an error row with the position, no key.
    fn parse_error(&self, e: FormatError) -> SymbolError {
        e.redact_secrets(&self.gate.secrets()).into()
    }

    /// A request that could not be built (bad template or base, no key, a
    /// `next_url` to another host).
    fn request_error(&self, e: FormatError) -> SymbolError {
        SymbolError::FetchFailed(Failure::Request(e.redact_secrets(&self.gate.secrets())))
    }

    /// Loads `symbol`'s bars: from `from_ms` on when given (a tail; sources
    /// without ranges load everything), else the whole history.
    pub async fn load(&self, symbol: &str, from_ms: Option<i64>) -> Result<Fetched, SymbolError> {
        let from_ms = from_ms.filter(|_| self.source.supports_range());
        match self.source {
            SourceId::Url => self.load_template(symbol).await,
            SourceId::Sample => {
                let body = self.get(&Request::get(sample_url(symbol))).await?;
                let bars = read_bars(symbol, &body).map_err(|e| self.parse_error(e.into()))?;
                Ok(whole(bars, &body))
            }
            SourceId::Binance => self.load_binance(symbol, Span::From(from_ms)).await,
            SourceId::Coinbase => self.load_coinbase(symbol, from_ms).await,
            SourceId::Polygon => self.load_polygon(symbol, from_ms).await,
            SourceId::TwelveData => self.load_twelvedata(symbol, from_ms).await,
            SourceId::Synthetic(_) | SourceId::Import => Err(SymbolError::NoData),
        }
    }

    /// Loads `symbol`'s bars that open from `start_ms` to `end_ms` (both
    /// included, epoch ms): the gap a live scan missed while disconnected.
    /// Binance: klines with `startTime`/`endTime`, paged forward, every page
    /// checked to lie in the range; Coinbase: the candle pages covering the
    /// range (for 4h, the hourly candles of every bar in it); any other
    /// source: what [`Feed::load`] brings from `start_ms`, cut to the range.
    /// `bars: None` when the range holds no bar (or is reversed).
    pub async fn load_between(
        &self,
        symbol: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Fetched, SymbolError> {
        if end_ms < start_ms {
            return Ok(Fetched {
                bars: None,
                bytes: 0,
            });
        }
        match self.source {
            SourceId::Binance => {
                self.load_binance(
                    symbol,
                    Span::Between {
                        start: start_ms,
                        end: end_ms,
                    },
                )
                .await
            }
            SourceId::Coinbase => {
                // Every candle of the last bar (a 4h bar's four hours).
                let to = self.interval().close_of(end_ms).saturating_sub(1);
                let fetched = self.coinbase_range(symbol, start_ms, to, true).await?;
                Ok(Fetched {
                    bars: within(symbol, fetched.bars, start_ms, end_ms)?,
                    bytes: fetched.bytes,
                })
            }
            _ => {
                let fetched = self.load(symbol, Some(start_ms)).await?;
                Ok(Fetched {
                    bars: within(symbol, fetched.bars, start_ms, end_ms)?,
                    bytes: fetched.bytes,
                })
            }
        }
    }

    async fn load_template(&self, symbol: &str) -> Result<Fetched, SymbolError> {
        let url = formats::expand_template(&self.config.url_template, symbol)
            .map_err(|e| self.request_error(e))?;
        let body = self.get(&Request::get(url)).await?;
        let bars = self
            .config
            .format
            .parse(symbol, &body)
            .map_err(|e| self.parse_error(e))?;
        Ok(whole(bars, &body))
    }

    /// Loads up to `bars` of `symbol`'s newest bars that open before
    /// `before_ms` (the newest of all when `None`), paging back until it has
    /// them or the service has nothing earlier (the symbol's listing start;
    /// with `before_ms` given, `bars: None` says so). Sources that cannot
    /// page back load their whole history, and have no head.
    pub async fn load_back(
        &self,
        symbol: &str,
        bars: usize,
        before_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        match (self.source, before_ms) {
            (SourceId::Binance, _) => {
                self.load_binance(symbol, Span::Back { bars, before_ms })
                    .await
            }
            (_, None) => self.load(symbol, None).await,
            (_, Some(_)) => Ok(Fetched {
                bars: None,
                bytes: 0,
            }),
        }
    }

    async fn load_binance(&self, symbol: &str, span: Span) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(binance::DATA_API_BASE);
        if base != binance::DATA_API_BASE {
            return self.binance_span(&base, symbol, span).await;
        }
        match self.binance_span(&base, symbol, span).await {
            // The data host unreachable (blocked, down): the main host serves
            // the same klines.
            Err(SymbolError::FetchFailed(Failure::Network(_))) if !self.transport.is_stopped() => {
                self.binance_span(binance::API_BASE, symbol, span).await
            }
            other => other,
        }
    }

    async fn binance_span(
        &self,
        base: &str,
        symbol: &str,
        span: Span,
    ) -> Result<Fetched, SymbolError> {
        match span {
            Span::From(from_ms) => self.binance_klines(base, symbol, from_ms).await,
            Span::Back { bars, before_ms } => {
                self.binance_back(base, symbol, bars, before_ms).await
            }
            Span::Between { start, end } => self.binance_between(base, symbol, start, end).await,
        }
    }

    /// The klines opening from `start` to `end` (both included), paged
    /// forward until a short page, the end or [`MAX_PAGES`]. A page with a
    /// kline outside the range is an error (a server ignoring the range).
    async fn binance_between(
        &self,
        base: &str,
        symbol: &str,
        start: i64,
        end: i64,
    ) -> Result<Fetched, SymbolError> {
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.start_time = Some(start);
        request.end_time = Some(end);
        self.binance_forward(symbol, request, true).await
    }

    /// The klines from `from_ms` on (a tail, paged forward), or the newest
    /// page when `None` (the history we want: nothing follows it).
    async fn binance_klines(
        &self,
        base: &str,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.start_time = from_ms;
        self.binance_forward(symbol, request, from_ms.is_some())
            .await
    }

    /// Asks `request`, then, when `follow` (it has a start time), the pages
    /// after it until a short page, its end time or [`MAX_PAGES`], each
    /// checked to lie within the asked range. An empty page ends a followed
    /// range (nothing newer); the newest page empty is a symbol without bars.
    async fn binance_forward(
        &self,
        symbol: &str,
        mut request: binance::KlinesRequest<'_>,
        follow: bool,
    ) -> Result<Fetched, SymbolError> {
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let url = request.url().map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = match binance::parse_klines(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if follow || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            let next = if follow {
                request
                    .check_page(symbol, &page)
                    .map_err(|e| self.parse_error(e))?;
                request.next_page(&page)
            } else {
                None
            };
            pages.push(page);
            match next {
                Some(n) if pages.len() < MAX_PAGES => request = n,
                _ => break,
            }
        }
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }

    /// Pages back from `before_ms` (exclusive; from the newest kline when
    /// `None`), each page asking for what is still missing (at most 1,000),
    /// until `want` bars, a short or empty page (nothing earlier: the listing
    /// start) or [`MAX_PAGES`].
    async fn binance_back(
        &self,
        base: &str,
        symbol: &str,
        want: usize,
        before_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let want = want.clamp(1, MAX_PAGES * binance::MAX_LIMIT as usize);
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.end_time = before_ms.map(|t| t.saturating_sub(1));
        // Newest first.
        let mut pages: Vec<Bars> = Vec::new();
        let mut have = 0usize;
        let mut bytes = 0u64;
        while have < want && pages.len() < MAX_PAGES {
            request.limit = (want - have).min(binance::MAX_LIMIT as usize) as u32;
            let url = request.url().map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = match binance::parse_klines(symbol, &body) {
                Ok(page) => page,
                // Nothing before the asked end: the listing start. The newest
                // page itself empty is a symbol without bars (an error row).
                Err(FormatError::Empty { .. }) if before_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            request
                .check_page(symbol, &page)
                .map_err(|e| self.parse_error(e))?;
            have += page.len();
            let prev = request.prev_page(&page);
            pages.push(page);
            match prev {
                Some(p) => request = p,
                None => break,
            }
        }
        pages.reverse();
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }

    async fn load_coinbase(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let interval = self.interval();
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or_else(|| {
            interval.open_of(now.saturating_sub(COINBASE_HISTORY_BARS * interval.ms()))
        });
        self.coinbase_range(symbol, from, now, from_ms.is_some())
            .await
    }

    /// The interval's bars from `from` to `to` (candles of
    /// [`coinbase::granularity`], newest page first, aggregated when the
    /// interval is not a granularity). A page with no candles means the
    /// product was not listed yet, so older pages are not asked for. No
    /// candles at all is `bars: None` when `part` (a tail or a range of the
    /// series), else an error row.
    async fn coinbase_range(
        &self,
        symbol: &str,
        from: i64,
        to: i64,
        part: bool,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(coinbase::BASE);
        let interval = self.interval();
        let granularity = coinbase::granularity(interval);
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        for range in coinbase::page_ranges_at(from, to, granularity)
            .into_iter()
            .rev()
        {
            let url = coinbase::candles_url_at(&base, symbol, range, granularity)
                .map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = coinbase::parse_candles(symbol, &body).map_err(|e| self.parse_error(e))?;
            let empty = page.is_empty();
            pages.push(page);
            if empty {
                break;
            }
        }
        let bars = coinbase::merge_pages(symbol, &pages)
            .and_then(|candles| coinbase::bars_at(symbol, interval, candles));
        match bars {
            Ok(bars) => Ok(Fetched {
                bars: Some(bars),
                bytes,
            }),
            Err(FormatError::Empty { .. }) if part => Ok(Fetched { bars: None, bytes }),
            Err(e) => Err(self.parse_error(e)),
        }
    }

    async fn load_polygon(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(polygon::BASE);
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or(now - POLYGON_HISTORY_DAYS * DAY_MS);
        let (name, value) =
            polygon::auth_header(&base, self.config.key()).map_err(|e| self.request_error(e))?;
        let mut url =
            polygon::aggregates_url(&base, symbol, from, now).map_err(|e| self.request_error(e))?;
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let body = self
                .get(&Request::get(url.clone()).with_header(name, value.clone()))
                .await?;
            bytes += body.len() as u64;
            let page = match polygon::parse_aggregates(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if from_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            pages.push(page.bars);
            match page.next_url {
                Some(next) if pages.len() < MAX_PAGES => {
                    // The server names the next page; the key goes with it
                    // only to the base the user configured.
                    url =
                        polygon::next_page_url(&base, &next).map_err(|e| self.request_error(e))?;
                }
                _ => break,
            }
        }
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }

    async fn load_twelvedata(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(twelvedata::BASE);
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or(now - HISTORY_DAYS * DAY_MS);
        let (name, value) =
            twelvedata::auth_header(&base, self.config.key()).map_err(|e| self.request_error(e))?;
        let url = twelvedata::time_series_url(&base, symbol, from, now)
            .map_err(|e| self.request_error(e))?;
        let body = self
            .get(&Request::get(url).with_header(name, value))
            .await?;
        match twelvedata::parse_time_series(symbol, &body) {
            Ok(bars) => Ok(whole(bars, &body)),
            Err(FormatError::Empty { .. }) if from_ms.is_some() => Ok(Fetched {
                bars: None,
                bytes: body.len() as u64,
            }),
            Err(e) => Err(self.parse_error(e)),
        }
    }

    /// Binance's top `binance_top` USDT pairs by 24-hour quote volume (the
    /// data host, then the main host when the data host fails).
    pub async fn binance_top_pairs(&self) -> Result<Vec<String>, SymbolError> {
        let n = self.config.binance_top.max(1);
        let base = self.config.base_or(binance::DATA_API_BASE);
        let mut bases = vec![base.clone()];
        if base == binance::DATA_API_BASE {
            bases.push(binance::API_BASE.to_string());
        }
        let mut last = SymbolError::NoData;
        for base in bases {
            let url = binance::ticker_24hr_url(&base).map_err(|e| self.request_error(e))?;
            match self.get(&Request::get(url)).await {
                Ok(body) => {
                    return binance::top_usdt_pairs(&body, n)
                        .map(|pairs| pairs.into_iter().map(|t| t.symbol).collect())
                        .map_err(|e| self.parse_error(e));
                }
                Err(SymbolError::Stopped) => return Err(SymbolError::Stopped),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl<T: Transport, C: Clock> Fetcher for Feed<T, C> {
    fn fetch(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> impl std::future::Future<Output = Result<Fetched, SymbolError>> {
        self.load(symbol, from_ms)
    }

    fn fetch_back(
        &self,
        symbol: &str,
        bars: usize,
        before_ms: Option<i64>,
    ) -> impl std::future::Future<Output = Result<Fetched, SymbolError>> {
        self.load_back(symbol, bars, before_ms)
    }
}

/// The URL of a bundled sample symbol's CSV (relative to the page).
pub fn sample_url(symbol: &str) -> String {
    format!("data/{symbol}.csv")
}

fn whole(bars: Bars, body: &[u8]) -> Fetched {
    Fetched {
        bars: Some(bars),
        bytes: body.len() as u64,
    }
}

/// The bars of `bars` opening from `start` to `end` (both included); `None`
/// when none do.
fn within(
    symbol: &str,
    bars: Option<Bars>,
    start: i64,
    end: i64,
) -> Result<Option<Bars>, SymbolError> {
    let Some(bars) = bars else {
        return Ok(None);
    };
    let (lo, hi) = (
        bars.time().partition_point(|&t| t < start),
        bars.time().partition_point(|&t| t <= end),
    );
    if lo >= hi {
        return Ok(None);
    }
    if lo == 0 && hi == bars.len() {
        return Ok(Some(bars));
    }
    let c = bars.into_columns();
    let cols = Columns {
        time: c.time[lo..hi].to_vec(),
        open: c.open[lo..hi].to_vec(),
        high: c.high[lo..hi].to_vec(),
        low: c.low[lo..hi].to_vec(),
        close: c.close[lo..hi].to_vec(),
        volume: c.volume[lo..hi].to_vec(),
    };
    Ok(Some(Bars::new(symbol, cols)?))
}

/// Pages (each ascending, in order) as one series; a time not after the
/// previous page's last (an overlap) is dropped. `None` for no pages.
fn concat(symbol: &str, mut pages: Vec<Bars>) -> Result<Option<Bars>, SymbolError> {
    if pages.len() <= 1 {
        return Ok(pages.pop());
    }
    let mut cols = Columns::with_capacity(pages.iter().map(Bars::len).sum());
    let mut last = i64::MIN;
    for page in pages {
        let c = page.into_columns();
        for i in 0..c.time.len() {
            if c.time[i] <= last {
                continue;
            }
            last = c.time[i];
            cols.push(
                c.time[i],
                c.open[i],
                c.high[i],
                c.low[i],
                c.close[i],
                c.volume[i],
            );
        }
    }
    Ok(Some(Bars::new(symbol, cols)?))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;
    use crate::data::loader::request::Attempt;

    /// 2024-03-15 13:07:30 UTC: inside a 5m, 1h and 4h bar alike.
    const NOW: i64 = 19_797 * DAY_MS + 13 * 3_600_000 + 7 * 60_000 + 30_000;
    const HOUR: i64 = 3_600_000;

    struct At(i64);

    impl Clock for At {
        fn now_ms(&self) -> i64 {
            self.0
        }
        async fn sleep(&self, _: u64) {}
        fn random_u64(&self) -> u64 {
            0
        }
    }

    /// A loopback exchange in the documented shapes: Binance klines and
    /// Coinbase candles of any length, every period from 20,000 periods
    /// back to the one still open at `NOW`; logs each URL asked for.
    #[derive(Default)]
    struct Exchange {
        urls: RefCell<Vec<String>>,
    }

    fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
        url.split_once('?')?
            .1
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }

    /// Open times of the periods of `step` ms in `[from, to]` that exist.
    fn periods(step: i64, from: i64, to: i64) -> Vec<i64> {
        let newest = NOW.div_euclid(step) * step;
        let first = (newest - 20_000 * step).max(from.div_euclid(step) * step);
        let first = if first < from { first + step } else { first };
        (0..)
            .map(|k| first + k * step)
            .take_while(|&t| t <= to.min(newest))
            .collect()
    }

    fn price(t: i64) -> f64 {
        100.0 + ((t / 60_000) % 97) as f64
    }

    fn iso(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(&text.replace("%3A", ":"))
            .map(|d| d.timestamp_millis())
            .unwrap_or(i64::MIN)
    }

    impl Exchange {
        fn body(&self, url: &str) -> String {
            if url.contains("/api/v3/klines") {
                let step = query(url, "interval")
                    .and_then(|i| i.parse::<Interval>().ok())
                    .map_or(1, Interval::ms);
                let limit: usize = query(url, "limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(500);
                let start = query(url, "startTime").and_then(|t| t.parse().ok());
                let end = query(url, "endTime").and_then(|t| t.parse().ok());
                let all = periods(step, start.unwrap_or(i64::MIN / 2), end.unwrap_or(i64::MAX));
                let page: &[i64] = match start {
                    Some(_) => &all[..all.len().min(limit)],
                    None => &all[all.len().saturating_sub(limit)..],
                };
                let rows: Vec<String> = page
                    .iter()
                    .map(|&t| {
                        let p = price(t);
                        format!(
                            r#"[{t},"{p}","{}","{}","{p}","10",{},"0",1,"0","0","0"]"#,
                            p + 1.0,
                            p - 1.0,
                            t + step - 1
                        )
                    })
                    .collect();
                format!("[{}]", rows.join(","))
            } else {
                let step = query(url, "granularity")
                    .and_then(|g| g.parse::<i64>().ok())
                    .unwrap_or(1)
                    * 1000;
                let (from, to) = (
                    iso(query(url, "start").unwrap_or("")),
                    iso(query(url, "end").unwrap_or("")),
                );
                let rows: Vec<String> = periods(step, from, to)
                    .iter()
                    .rev()
                    .map(|&t| {
                        let p = price(t);
                        format!("[{},{},{},{p},{p},10]", t / 1000, p - 1.0, p + 1.0)
                    })
                    .collect();
                format!("[{}]", rows.join(","))
            }
        }
    }

    impl Transport for Exchange {
        async fn send(&self, request: &Request, _: u64) -> Result<Vec<u8>, Attempt> {
            self.urls.borrow_mut().push(request.url.clone());
            Ok(self.body(&request.url).into_bytes())
        }
        fn is_stopped(&self) -> bool {
            false
        }
    }

    fn feed(source: SourceId, interval: Interval) -> Feed<Exchange, At> {
        let config = SourceConfig {
            base: "http://127.0.0.1:9".into(),
            interval,
            ..SourceConfig::default()
        };
        Feed::new(source, config, Exchange::default(), At(NOW), || {})
    }

    fn spaced(bars: &Bars, step: i64) -> bool {
        bars.time().windows(2).all(|w| w[1] - w[0] == step)
    }

    #[test]
    fn a_binance_history_at_5m_is_one_page_of_the_newest_1000_five_minute_klines() {
        let f = feed(SourceId::Binance, Interval::M5);
        let bars = block_on(f.load("BTCUSDT", None)).unwrap().bars.unwrap();
        let urls = f.transport().urls.borrow();
        assert_eq!(urls.len(), 1);
        assert!(
            urls[0].contains("interval=5m") && urls[0].contains("limit=1000"),
            "{}",
            urls[0]
        );
        assert_eq!(bars.len(), 1_000);
        assert_eq!(*bars.time().last().unwrap(), Interval::M5.open_of(NOW));
        assert!(spaced(&bars, Interval::M5.ms()));
    }

    #[test]
    fn binance_pages_back_to_a_depth_and_forward_for_a_tail_at_any_interval() {
        let f = feed(SourceId::Binance, Interval::H1);
        let deep = block_on(f.load_back("BTCUSDT", 2_500, None))
            .unwrap()
            .bars
            .unwrap();
        assert_eq!(deep.len(), 2_500);
        assert!(spaced(&deep, HOUR));
        assert_eq!(f.transport().urls.borrow().len(), 3);
        let f = feed(SourceId::Binance, Interval::M1);
        let from = Interval::M1.open_of(NOW) - 1_500 * 60_000;
        let tail = block_on(f.load("BTCUSDT", Some(from)))
            .unwrap()
            .bars
            .unwrap();
        assert_eq!(tail.time()[0], from);
        assert_eq!(tail.len(), 1_501);
        let urls = f.transport().urls.borrow();
        assert_eq!(urls.len(), 2, "{urls:?}");
        assert!(urls.iter().all(|u| u.contains("interval=1m")));
    }

    #[test]
    fn load_between_brings_exactly_the_bars_of_the_range_paged_forward() {
        let f = feed(SourceId::Binance, Interval::M5);
        let step = Interval::M5.ms();
        let end = Interval::M5.last_closed_open(NOW);
        let start = end - 2_399 * step;
        let got = block_on(f.load_between("ETHUSDT", start, end)).unwrap();
        let bars = got.bars.unwrap();
        assert_eq!((bars.len(), bars.time()[0]), (2_400, start));
        assert_eq!(*bars.time().last().unwrap(), end);
        assert!(spaced(&bars, step));
        {
            let urls = f.transport().urls.borrow();
            assert_eq!(urls.len(), 3, "{urls:?}");
            assert!(urls[0].contains(&format!("startTime={start}&endTime={end}")));
            assert!(urls[1].contains(&format!("startTime={}", start + 999 * step + 1)));
        }
        // Nothing in the range (the future), or a reversed range: no bars.
        assert_eq!(
            block_on(f.load_between("ETHUSDT", NOW + HOUR, NOW + 2 * HOUR))
                .unwrap()
                .bars,
            None
        );
        assert_eq!(
            block_on(f.load_between("ETHUSDT", end, start))
                .unwrap()
                .bars,
            None
        );
        // Coinbase: the candle pages covering the range, cut to it.
        let f = feed(SourceId::Coinbase, Interval::M15);
        let end = Interval::M15.last_closed_open(NOW);
        let start = end - 9 * Interval::M15.ms();
        let bars = block_on(f.load_between("BTC-USD", start, end))
            .unwrap()
            .bars
            .unwrap();
        assert_eq!((bars.len(), bars.time()[0]), (10, start));
        assert!(f.transport().urls.borrow()[0].contains("granularity=900"));
    }

    #[test]
    fn coinbase_4h_asks_for_hourly_candles_and_yields_four_hour_bars() {
        let f = feed(SourceId::Coinbase, Interval::H4);
        let bars = block_on(f.load("BTC-USD", None)).unwrap().bars.unwrap();
        let urls = f.transport().urls.borrow();
        assert!(
            urls.iter().all(|u| u.contains("granularity=3600")),
            "{urls:?}"
        );
        // 1,000 four-hour bars of hourly candles: 4,000 candles, 300 a page
        // with one shared per page.
        assert_eq!(urls.len(), 14);
        assert!(bars.time().iter().all(|t| t % (4 * HOUR) == 0));
        assert!(spaced(&bars, 4 * HOUR));
        assert_eq!(bars.len(), 1_001, "the 1,000 back and the bar still open");
        // The open bar (12:00) holds the hours so far: 12:00 and 13:00.
        let last = bars.len() - 1;
        assert_eq!(bars.time()[last], Interval::H4.open_of(NOW));
        assert_eq!(bars.volume()[last], 20.0);
        assert_eq!(bars.volume()[last - 1], 40.0);
    }

    #[test]
    fn a_daily_coinbase_history_still_asks_for_daily_candles() {
        let f = feed(SourceId::Coinbase, Interval::D1);
        let bars = block_on(f.load("BTC-USD", None)).unwrap().bars.unwrap();
        let urls = f.transport().urls.borrow();
        assert!(urls.iter().all(|u| u.contains("granularity=86400")));
        assert_eq!(urls.len(), 4);
        assert!(spaced(&bars, DAY_MS));
        // A stock source ignores the interval.
        assert_eq!(
            feed(SourceId::Polygon, Interval::M5).interval(),
            Interval::D1
        );
    }
}
