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
use crate::data::formats::{self, FormatError};
use crate::data::interval::Interval;
use crate::engine::bars::{Bars, Columns};
use crate::engine::run::SymbolError;

mod binance;
mod coinbase;
mod polygon;
mod twelvedata;

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
mod tests;
