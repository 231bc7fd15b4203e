//! Per-source loading of one symbol's daily bars over the network, through
//! the fetch layer (`web::fetch`): the URL template, the bundled sample,
//! Binance klines (paged, with the main host as a fallback), Coinbase candles
//! (300-day pages, newest first), Polygon aggregates (`next_url` paging) and
//! Twelve Data time series. Parsing is `data::formats`; a response that does
//! not parse is an error with its position, never bars. Page only.

use crate::data::cache_policy::{Calendar, DAY_MS};
use crate::data::csv::read_bars;
use crate::data::fetch_policy::{Failure, SourceKind, SourcePolicy};
use crate::data::formats::{self, binance, coinbase, polygon, twelvedata, FormatError};
use crate::engine::bars::{Bars, Columns};
use crate::engine::run::SymbolError;

use super::fetch::{fetch_with_policy, AbortRegistry, SourceGate};
use super::sources::{sample_url, SourceConfig, SourceId};

/// History asked for when nothing is cached (days back from today):
/// Coinbase takes four 300-candle pages, Twelve Data one page.
const HISTORY_DAYS: i64 = 1_000;
/// Polygon's free plan serves two years of history.
const POLYGON_HISTORY_DAYS: i64 = 730;
/// Paging stops after this many pages of one symbol (a server looping its
/// `next_url` must not keep a scan busy forever).
const MAX_PAGES: usize = 50;

/// What one symbol's load brought.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// `None` only for a tail request that found no new bars (a holiday, or
    /// nothing published yet): the cached bars stand.
    pub bars: Option<Bars>,
    /// Body bytes received, all pages and retries' final answers.
    pub bytes: u64,
}

/// One fetched source for one scan: its configuration, its gate (limits,
/// retries, redaction) and the scan's abort registry.
pub struct Feed {
    source: SourceId,
    config: SourceConfig,
    gate: SourceGate,
    aborts: AbortRegistry,
}

impl Feed {
    /// `on_retry` is called for each retried request (the progress counter).
    pub fn new(
        source: SourceId,
        config: SourceConfig,
        aborts: AbortRegistry,
        on_retry: impl Fn() + 'static,
    ) -> Feed {
        let policy = policy_for(source, &config);
        let secrets = config
            .api_key
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| k.trim().to_string())
            .collect();
        Feed {
            source,
            gate: SourceGate::new(policy, secrets, on_retry),
            config,
            aborts,
        }
    }

    pub fn source(&self) -> SourceId {
        self.source
    }

    pub fn aborts(&self) -> &AbortRegistry {
        &self.aborts
    }

    pub fn gate(&self) -> &SourceGate {
        &self.gate
    }

    /// How many symbols load at once (the source's in-flight bound).
    pub fn max_in_flight(&self) -> usize {
        self.gate.policy().max_in_flight.max(1)
    }

    /// Which days have a session: every day for crypto, weekdays otherwise.
    pub fn calendar(&self) -> Calendar {
        match self.source {
            SourceId::Binance | SourceId::Coinbase => Calendar::Crypto,
            _ => Calendar::Weekdays,
        }
    }

    /// Whether the source can be asked for a date range (a tail); the URL
    /// template and the sample cannot, so a stale entry is refetched whole.
    pub fn supports_range(&self) -> bool {
        matches!(
            self.source,
            SourceId::Binance | SourceId::Coinbase | SourceId::Polygon | SourceId::TwelveData
        )
    }

    /// Whether a cached entry never goes stale (the bundled sample never changes).
    pub fn is_immutable(&self) -> bool {
        self.source == SourceId::Sample
    }

    /// The API base: the service's host, or a stand-in server when the URL
    /// field holds a plain base (no `{symbol}`), as the loopback tests do.
    fn base(&self, default: &str) -> String {
        let t = self.config.url_template.trim();
        if !t.is_empty() && !t.contains("{symbol}") {
            t.trim_end_matches('/').to_string()
        } else {
            default.to_string()
        }
    }

    fn key(&self) -> &str {
        self.config.api_key.as_deref().unwrap_or("").trim()
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, SymbolError> {
        fetch_with_policy(url, &self.gate, &self.aborts)
            .await
            .map_err(SymbolError::from)
    }

    /// A response that did not parse: an error row with the position.
    fn parse_error(&self, e: FormatError) -> SymbolError {
        let failure = Failure::Parse {
            line: None,
            message: e.to_string(),
        };
        self.gate.redact_failure(failure).into()
    }

    /// A request that could not even be built (bad template, no key).
    fn request_error(&self, e: FormatError) -> SymbolError {
        SymbolError::FetchFailed(self.gate.redact(&e.to_string()))
    }

    /// Loads `symbol`'s bars: from `from_ms` on when given (a tail; sources
    /// without ranges load everything), else the whole history.
    pub async fn load(&self, symbol: &str, from_ms: Option<i64>) -> Result<Fetched, SymbolError> {
        let from_ms = from_ms.filter(|_| self.supports_range());
        match self.source {
            SourceId::Url => self.load_template(symbol).await,
            SourceId::Sample => {
                let body = self.get(&sample_url(symbol)).await?;
                let bars = read_bars(symbol, &body).map_err(|e| self.parse_error(e.into()))?;
                Ok(whole(bars, &body))
            }
            SourceId::Binance => self.load_binance(symbol, from_ms).await,
            SourceId::Coinbase => self.load_coinbase(symbol, from_ms).await,
            SourceId::Polygon => self.load_polygon(symbol, from_ms).await,
            SourceId::TwelveData => self.load_twelvedata(symbol, from_ms).await,
            SourceId::Synthetic(_) | SourceId::Import => Err(SymbolError::NoData),
        }
    }

    async fn load_template(&self, symbol: &str) -> Result<Fetched, SymbolError> {
        let url = formats::expand_template(&self.config.url_template, symbol)
            .map_err(|e| self.request_error(e))?;
        let body = self.get(&url).await?;
        let bars = self
            .config
            .format
            .parse(symbol, &body)
            .map_err(|e| self.parse_error(e))?;
        Ok(whole(bars, &body))
    }

    async fn load_binance(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let overridden = self.base(binance::DATA_API_BASE);
        if overridden != binance::DATA_API_BASE {
            return self.binance_klines(&overridden, symbol, from_ms).await;
        }
        match self
            .binance_klines(binance::DATA_API_BASE, symbol, from_ms)
            .await
        {
            // The data host unreachable (blocked, down): the main host serves
            // the same klines.
            Err(SymbolError::FetchFailed(m))
                if m.contains("network error") && !self.aborts.is_aborted() =>
            {
                self.binance_klines(binance::API_BASE, symbol, from_ms)
                    .await
            }
            other => other,
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
            let body = self.get(&url).await?;
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

    async fn load_coinbase(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let base = self.base(coinbase::BASE);
        let now = js_sys::Date::now() as i64;
        let from = from_ms.unwrap_or(now - HISTORY_DAYS * DAY_MS);
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        // Newest first: a page with no candles means the product was not
        // listed yet, so older pages are not asked for.
        for range in coinbase::page_ranges(from, now).into_iter().rev() {
            let url =
                coinbase::candles_url(&base, symbol, range).map_err(|e| self.request_error(e))?;
            let body = self.get(&url).await?;
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
        let base = self.base(polygon::BASE);
        let now = js_sys::Date::now() as i64;
        let from = from_ms.unwrap_or(now - POLYGON_HISTORY_DAYS * DAY_MS);
        let mut url = polygon::aggregates_url(&base, symbol, from, now, self.key())
            .map_err(|e| self.request_error(e))?;
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let body = self.get(&url).await?;
            bytes += body.len() as u64;
            let page = match polygon::parse_aggregates(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if from_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            pages.push(page.bars);
            match page.next_url {
                Some(next) if pages.len() < MAX_PAGES => {
                    url = polygon::next_page_url(&next, self.key())
                        .map_err(|e| self.request_error(e))?;
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
        let base = self.base(twelvedata::BASE);
        let now = js_sys::Date::now() as i64;
        let from = from_ms.unwrap_or(now - HISTORY_DAYS * DAY_MS);
        let url = twelvedata::time_series_url(&base, symbol, from, now, self.key())
            .map_err(|e| self.request_error(e))?;
        let body = self.get(&url).await?;
        match twelvedata::parse_time_series(symbol, &body) {
            Ok(bars) => Ok(whole(bars, &body)),
            Err(FormatError::Empty { .. }) if from_ms.is_some() => Ok(Fetched {
                bars: None,
                bytes: body.len() as u64,
            }),
            Err(e) => Err(self.parse_error(e)),
        }
    }

    /// Binance's top `binance_top` USDT pairs by 24-hour quote volume.
    pub async fn binance_top_pairs(&self) -> Result<Vec<String>, SymbolError> {
        let n = self.config.binance_top.max(1);
        let overridden = self.base(binance::DATA_API_BASE);
        let mut bases = vec![overridden.clone()];
        if overridden == binance::DATA_API_BASE {
            bases.push(binance::API_BASE.to_string());
        }
        let mut last = SymbolError::NoData;
        for base in bases {
            let url = binance::ticker_24hr_url(&base).map_err(|e| self.request_error(e))?;
            match self.get(&url).await {
                Ok(body) => {
                    return binance::top_usdt_pairs(&body, n)
                        .map(|pairs| pairs.into_iter().map(|t| t.symbol).collect())
                        .map_err(|e| self.parse_error(e));
                }
                Err(e) => last = e,
            }
            if self.aborts.is_aborted() {
                break;
            }
        }
        Err(last)
    }
}

/// The source's limits with the user's requests-per-minute override.
pub fn policy_for(source: SourceId, config: &SourceConfig) -> SourcePolicy {
    let kind = match source {
        SourceId::Binance => SourceKind::Binance,
        SourceId::Coinbase => SourceKind::Coinbase,
        SourceId::Polygon => SourceKind::Polygon,
        SourceId::TwelveData => SourceKind::TwelveData,
        SourceId::Url => SourceKind::UrlTemplate,
        SourceId::Sample | SourceId::Synthetic(_) | SourceId::Import => SourceKind::Sample,
    };
    let policy = SourcePolicy::for_kind(kind);
    match config.per_minute {
        Some(n) if n > 0 => policy.with_per_minute(Some(n)),
        _ => policy,
    }
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
    Bars::new(symbol, cols)
        .map(Some)
        .map_err(|e| SymbolError::Invalid(e.to_string()))
}
