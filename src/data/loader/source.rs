//! The data sources the page offers, their settings, and what follows from
//! each: its request limits ([`SourceId::policy`]), its trading calendar,
//! the bar intervals it serves ([`SourceConfig::interval_for`]), whether it
//! can be asked for a date range, and the endpoint identity a
//! cache entry is keyed by ([`SourceConfig::endpoint`]). Pure data: the web
//! layer re-exports these (`web::config`), the UI builds them.

use crate::data::cache_policy::Calendar;
use crate::data::fetch_policy::{RetryPolicy, SourcePolicy};
use crate::data::formats::{self, binance, coinbase, import::UniverseEntry, polygon, twelvedata};
use crate::data::interval::Interval;

/// Seed and length of the synthetic market, fixed so every run and every
/// device sees the same bars.
pub const SYNTHETIC_SEED: u64 = 7;
pub const SYNTHETIC_BARS: usize = 300;

/// A data source the page offers (the `source` select's option values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceId {
    Sample,
    Synthetic(usize),
    /// The user's own files behind a URL template (`http://host/{symbol}.csv`).
    Url,
    /// Binance klines (key-less; universe: top N USDT pairs by 24 h quote volume).
    Binance,
    /// Coinbase Exchange candles (key-less).
    Coinbase,
    /// Polygon aggregates (needs the user's key).
    Polygon,
    /// Twelve Data time_series (needs the user's key).
    TwelveData,
    /// Files the user dropped or picked (CSV or ZIP), held in this page.
    Import,
}

/// What the form says about the chosen source beyond its id. The API key is
/// kept only in this browser (localStorage) and never reaches the URL hash, an
/// export, a log or an error message.
#[derive(Clone, PartialEq)]
pub struct SourceConfig {
    /// `{symbol}` is replaced by each symbol (URL source).
    pub url_template: String,
    pub format: formats::Format,
    /// The chosen service's own base URL (a mirror or a test server), empty
    /// for the service's public host. Each keyed service has its own field in
    /// the form, so a base set for one service never receives another's key.
    pub base: String,
    /// The typed, pasted or imported universe, already filtered by the form's
    /// sector / industry / market-cap filters. Empty for Binance = top N.
    pub universe: Vec<UniverseEntry>,
    /// Binance: how many USDT pairs by 24 h quote volume when no universe is given.
    pub binance_top: usize,
    pub api_key: Option<String>,
    /// Requests per minute for this source (None = the source's default).
    pub per_minute: Option<u32>,
    /// One request is given up (aborted, then retried as a timeout) after
    /// this many seconds (None = the source's default, 15 s).
    pub timeout_s: Option<u32>,
    /// Refresh the still-open session after this many minutes.
    pub refresh_minutes: u32,
    /// The bar length asked for. Only the crypto sources serve others than
    /// daily ([`SourceId::offers_intervals`]); read it through
    /// [`SourceConfig::interval_for`], which is daily for every other source.
    pub interval: Interval,
}

/// The key is never printed, not even in a debug dump of a job.
impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("url_template", &formats::redact(&self.url_template))
            .field("format", &self.format)
            .field("base", &formats::redact(&self.base))
            .field("universe", &self.universe.len())
            .field("binance_top", &self.binance_top)
            .field("api_key", &self.api_key.as_ref().map(|_| "REDACTED"))
            .field("per_minute", &self.per_minute)
            .field("timeout_s", &self.timeout_s)
            .field("refresh_minutes", &self.refresh_minutes)
            .field("interval", &self.interval)
            .finish()
    }
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            url_template: String::new(),
            format: Default::default(),
            base: String::new(),
            universe: Vec::new(),
            binance_top: 50,
            api_key: None,
            per_minute: None,
            timeout_s: None,
            refresh_minutes: 15,
            interval: Interval::D1,
        }
    }
}

impl SourceConfig {
    /// The service base to use: the form's base for the chosen service,
    /// else the service's public host (`default`). Only `base` is read: the
    /// URL source's template is never taken for a keyed service's host, so a
    /// key goes only where its own service's field points.
    pub fn base_or(&self, default: &str) -> String {
        let own = self.base.trim();
        if own.is_empty() {
            default.to_string()
        } else {
            own.trim_end_matches('/').to_string()
        }
    }

    /// The bar interval `source` is loaded at: the chosen one where the
    /// source offers intervals, daily everywhere else.
    pub fn interval_for(&self, source: SourceId) -> Interval {
        if source.offers_intervals() {
            self.interval
        } else {
            Interval::D1
        }
    }

    /// The API key, trimmed ("" when there is none).
    pub fn key(&self) -> &str {
        self.api_key.as_deref().unwrap_or("").trim()
    }

    /// What produced a cache entry of `source` besides its symbol: the URL
    /// template and format, or the service base. The store hashes it into
    /// the entry's key, so bars from one endpoint are never served for
    /// another. Empty for sources whose bars never depend on a setting.
    pub fn endpoint(&self, source: SourceId) -> String {
        match source {
            SourceId::Url => format!(
                "template={};format={}",
                self.url_template.trim(),
                self.format.name()
            ),
            SourceId::Binance => format!("base={}", self.base_or(binance::DATA_API_BASE)),
            SourceId::Coinbase => format!("base={}", self.base_or(coinbase::BASE)),
            SourceId::Polygon => format!("base={}", self.base_or(polygon::BASE)),
            SourceId::TwelveData => format!("base={}", self.base_or(twelvedata::BASE)),
            SourceId::Sample | SourceId::Synthetic(_) | SourceId::Import => String::new(),
        }
    }
}

impl SourceId {
    pub const ALL: [SourceId; 11] = [
        SourceId::Sample,
        SourceId::Synthetic(100),
        SourceId::Synthetic(1_000),
        SourceId::Synthetic(5_000),
        SourceId::Synthetic(10_000),
        SourceId::Url,
        SourceId::Binance,
        SourceId::Coinbase,
        SourceId::Polygon,
        SourceId::TwelveData,
        SourceId::Import,
    ];

    /// Sources that serve bars shorter than a day (1m … 4h): the crypto
    /// exchanges. Every other source is daily only.
    pub fn offers_intervals(self) -> bool {
        matches!(self, SourceId::Binance | SourceId::Coinbase)
    }

    /// Sources that need the user's API key.
    pub fn needs_key(self) -> bool {
        matches!(self, SourceId::Polygon | SourceId::TwelveData)
    }

    /// The option value: `sample`, `synthetic-5000`, …
    pub fn value(self) -> String {
        match self {
            SourceId::Synthetic(n) => format!("synthetic-{n}"),
            other => other.cache_name().into(),
        }
    }

    pub fn parse(value: &str) -> Option<SourceId> {
        SourceId::ALL.into_iter().find(|s| s.value() == value)
    }

    /// What the picker shows; synthetic data always says so.
    pub fn label(self) -> String {
        match self {
            SourceId::Sample => {
                "Sample — AAPL, FB, GOOG, IBM, MSFT daily (2000–2013, public domain)".into()
            }
            SourceId::Synthetic(n) => format!(
                "Synthetic market — {} generated symbols × {SYNTHETIC_BARS} bars (not real prices)",
                group(n)
            ),
            SourceId::Url => {
                "Your files — URL template (CSV, Polygon- or Binance-shaped JSON)".into()
            }
            SourceId::Binance => "Binance — crypto klines, 1m to 1d (no key)".into(),
            SourceId::Coinbase => "Coinbase — crypto candles, 1m to 1d (no key)".into(),
            SourceId::Polygon => "Polygon — stock aggregates (your API key)".into(),
            SourceId::TwelveData => "Twelve Data — time series (your API key)".into(),
            SourceId::Import => "Imported files — CSV or ZIP dropped on this page".into(),
        }
    }

    pub fn is_synthetic(self) -> bool {
        matches!(self, SourceId::Synthetic(_))
    }

    /// The cache's name for this source.
    pub fn cache_name(self) -> &'static str {
        match self {
            SourceId::Sample => "sample",
            SourceId::Synthetic(_) => "synthetic",
            SourceId::Url => "url",
            SourceId::Binance => "binance",
            SourceId::Coinbase => "coinbase",
            SourceId::Polygon => "polygon",
            SourceId::TwelveData => "twelvedata",
            SourceId::Import => "import",
        }
    }

    /// Whether bars come over the network (through a feed and the cache).
    pub fn is_fetched(self) -> bool {
        !matches!(self, SourceId::Synthetic(_) | SourceId::Import)
    }

    /// Defaults per source, below each service's documented free limit:
    /// - Binance: 6,000 request weight per minute per IP, klines weigh 2 →
    ///   600/min leaves room for the other tabs and the universe call.
    /// - Coinbase Exchange public endpoints: 10 requests/s per IP → 300/min.
    /// - Polygon free tier: 5 requests per minute.
    /// - Twelve Data free (Basic) plan: 8 API credits per minute.
    /// - URL template and sample: the user's own or bundled static files, no
    ///   limit; six in flight matches a browser's HTTP/1.1 connections per
    ///   host. Bundled files are not transient: retried once at most.
    pub fn policy(self) -> SourcePolicy {
        match self {
            SourceId::Binance => SourcePolicy::new(6, Some(600)),
            SourceId::Coinbase => SourcePolicy::new(4, Some(300)),
            SourceId::Polygon => SourcePolicy::new(2, Some(5)),
            SourceId::TwelveData => SourcePolicy::new(2, Some(8)),
            SourceId::Url => SourcePolicy::new(6, None),
            SourceId::Sample | SourceId::Synthetic(_) | SourceId::Import => SourcePolicy {
                retry: RetryPolicy {
                    max_attempts: 2,
                    ..RetryPolicy::default()
                },
                ..SourcePolicy::new(6, None)
            },
        }
    }

    /// The source's policy with the user's requests-per-minute and
    /// per-request timeout overrides.
    pub fn policy_with(self, config: &SourceConfig) -> SourcePolicy {
        let mut policy = match config.per_minute {
            Some(n) if n > 0 => self.policy().with_per_minute(Some(n)),
            _ => self.policy(),
        };
        if let Some(s) = config.timeout_s.filter(|&s| s > 0) {
            policy.retry.timeout_ms = u64::from(s) * 1000;
        }
        policy
    }

    /// Which days have a session: every day for crypto, weekdays otherwise.
    pub fn calendar(self) -> Calendar {
        match self {
            SourceId::Binance | SourceId::Coinbase => Calendar::Crypto,
            _ => Calendar::Weekdays,
        }
    }

    /// Whether the source can be asked for a date range (a tail); the URL
    /// template and the sample cannot, so a stale entry is refetched whole.
    pub fn supports_range(self) -> bool {
        matches!(
            self,
            SourceId::Binance | SourceId::Coinbase | SourceId::Polygon | SourceId::TwelveData
        )
    }

    /// Whether the source can be asked for bars back from a time, so a run
    /// can ask for a depth (a backtest's bars per symbol) and a shallow
    /// entry can get its head: Binance klines (`endTime`, 1,000 a page).
    pub fn pages_back(self) -> bool {
        self == SourceId::Binance
    }

    /// Whether a cached entry never goes stale (the bundled sample never changes).
    pub fn is_immutable(self) -> bool {
        self == SourceId::Sample
    }
}

fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_values_round_trip() {
        for s in SourceId::ALL {
            assert_eq!(SourceId::parse(&s.value()), Some(s));
        }
        assert_eq!(SourceId::parse("nope"), None);
    }

    #[test]
    fn the_endpoint_names_the_template_and_format_or_the_base() {
        let mut c = SourceConfig {
            url_template: "http://a/{symbol}.csv".into(),
            ..SourceConfig::default()
        };
        assert_eq!(
            c.endpoint(SourceId::Url),
            "template=http://a/{symbol}.csv;format=csv"
        );
        assert_eq!(c.endpoint(SourceId::Polygon), "base=https://api.polygon.io");
        // Regression (issue 7): a plain URL in the template field is not a
        // keyed service's host.
        c.url_template = "http://127.0.0.1:9".into();
        assert_eq!(c.endpoint(SourceId::Polygon), "base=https://api.polygon.io");
        c.base = "http://127.0.0.1:9/".into();
        assert_eq!(c.endpoint(SourceId::Polygon), "base=http://127.0.0.1:9");
        assert_eq!(c.endpoint(SourceId::Sample), "");
    }

    #[test]
    fn only_the_crypto_sources_load_at_the_chosen_interval() {
        let c = SourceConfig {
            interval: Interval::M5,
            ..SourceConfig::default()
        };
        assert_eq!(SourceConfig::default().interval, Interval::D1);
        for s in SourceId::ALL {
            let want = if s.offers_intervals() {
                Interval::M5
            } else {
                Interval::D1
            };
            assert_eq!(c.interval_for(s), want, "{s:?}");
        }
        assert!(SourceId::Binance.offers_intervals() && SourceId::Coinbase.offers_intervals());
    }
}
