//! One symbol's daily bars from one service, over a [`Transport`]: the URL
//! template, the bundled sample, Binance klines (paged forward for a tail or
//! back to a depth or the listing start, with the main host as a fallback
//! when the data host cannot be reached), Coinbase candles
//! (300-day pages, newest first), Polygon aggregates (`next_url` paging, on
//! the configured base's origin only) and Twelve Data time series. Keys go
//! in an `Authorization` header where the service accepts one, never in a
//! URL. Parsing is `data::formats`; a response that does not parse is an
//! error row with its position, never bars.

use super::request::{fetch, FetchError, Gate, Request, Transport};
use super::source::{SourceConfig, SourceId};
use super::symbol::Fetcher;
use super::Clock;
use crate::data::cache_policy::DAY_MS;
use crate::data::csv::read_bars;
use crate::data::fetch_policy::Failure;
use crate::data::formats::{self, binance, coinbase, polygon, twelvedata, FormatError};
use crate::engine::bars::{Bars, Columns};
use crate::engine::run::SymbolError;

/// History asked for when nothing is cached (days back from today):
/// Coinbase takes four 300-candle pages, Twelve Data one page.
const HISTORY_DAYS: i64 = 1_000;
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
        }
    }

    async fn binance_klines(
        &self,
        base: &str,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let mut request = binance::KlinesRequest::daily(base, symbol);
        request.start_time = from_ms;
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let url = request.url().map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = match binance::parse_klines(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if from_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            // Without a start time Binance sends the newest page: that is
            // the history we want, and nothing follows it.
            let next = from_ms.and_then(|_| request.next_page(&page));
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
        let mut request = binance::KlinesRequest::daily(base, symbol);
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
        let base = self.config.base_or(coinbase::BASE);
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or(now - HISTORY_DAYS * DAY_MS);
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        // Newest first: a page with no candles means the product was not
        // listed yet, so older pages are not asked for.
        for range in coinbase::page_ranges(from, now).into_iter().rev() {
            let url =
                coinbase::candles_url(&base, symbol, range).map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = coinbase::parse_candles(symbol, &body).map_err(|e| self.parse_error(e))?;
            let empty = page.is_empty();
            pages.push(page);
            if empty {
                break;
            }
        }
        match coinbase::merge_pages(symbol, &pages) {
            Ok(bars) => Ok(Fetched {
                bars: Some(bars),
                bytes,
            }),
            Err(FormatError::Empty { .. }) if from_ms.is_some() => {
                Ok(Fetched { bars: None, bytes })
            }
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
