//! Where bars come from in the browser: the source ids and their settings,
//! each source's universe (typed or imported symbols, Binance's top pairs,
//! the bundled sample's list), the files imported into this page, and the
//! synthetic market (generated on the workers, always labelled synthetic).
//! Fetching a symbol's bars is `web::feeds`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::data::synthetic;
use crate::engine::bars::Bars;
use crate::engine::run::{BarSource, Loaded, SymbolError};

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
    pub format: crate::data::formats::Format,
    /// The typed, pasted or imported universe, already filtered by the form's
    /// sector / industry / market-cap filters. Empty for Binance = top N.
    pub universe: Vec<crate::data::formats::import::UniverseEntry>,
    /// Binance: how many USDT pairs by 24 h quote volume when no universe is given.
    pub binance_top: usize,
    pub api_key: Option<String>,
    /// Requests per minute for this source (None = the source's default).
    pub per_minute: Option<u32>,
    /// Refresh the still-open session after this many minutes.
    pub refresh_minutes: u32,
}

/// The key is never printed, not even in a debug dump of a job.
impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field(
                "url_template",
                &crate::data::formats::redact(&self.url_template),
            )
            .field("format", &self.format)
            .field("universe", &self.universe.len())
            .field("binance_top", &self.binance_top)
            .field("api_key", &self.api_key.as_ref().map(|_| "REDACTED"))
            .field("per_minute", &self.per_minute)
            .field("refresh_minutes", &self.refresh_minutes)
            .finish()
    }
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            url_template: String::new(),
            format: Default::default(),
            universe: Vec::new(),
            binance_top: 50,
            api_key: None,
            per_minute: None,
            refresh_minutes: 15,
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

    /// Sources that need the user's API key.
    pub fn needs_key(self) -> bool {
        matches!(self, SourceId::Polygon | SourceId::TwelveData)
    }

    /// The option value: `sample`, `synthetic-5000`, …
    pub fn value(self) -> String {
        match self {
            SourceId::Sample => "sample".into(),
            SourceId::Synthetic(n) => format!("synthetic-{n}"),
            SourceId::Url => "url".into(),
            SourceId::Binance => "binance".into(),
            SourceId::Coinbase => "coinbase".into(),
            SourceId::Polygon => "polygon".into(),
            SourceId::TwelveData => "twelvedata".into(),
            SourceId::Import => "import".into(),
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
            SourceId::Binance => "Binance — crypto daily klines (no key)".into(),
            SourceId::Coinbase => "Coinbase — crypto daily candles (no key)".into(),
            SourceId::Polygon => "Polygon — stock aggregates (your API key)".into(),
            SourceId::TwelveData => "Twelve Data — time series (your API key)".into(),
            SourceId::Import => "Imported files — CSV or ZIP dropped on this page".into(),
        }
    }

    pub fn is_synthetic(self) -> bool {
        matches!(self, SourceId::Synthetic(_))
    }

    /// The cache's name for this source (fetched sources only).
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

/// Why a request failed: what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: {message}")]
    Parse { url: String, message: String },
}

/// GETs `url` (relative to the page) and returns the body's bytes.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, FetchError> {
    let net = |message: String| FetchError::Network {
        url: url.to_string(),
        message,
    };
    let window = web_sys::window().ok_or_else(|| net("no window".into()))?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| net(js_message(&e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| net("not a response".into()))?;
    if !resp.ok() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: resp.status(),
        });
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| net(js_message(&e)))?)
        .await
        .map_err(|e| net(js_message(&e)))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

pub(crate) fn js_message(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "request failed".into())
}

/// The symbols of a source, in the order they are scanned. `feed` is the
/// scan's feed for the source (Binance asks it for the 24-hour ticker).
/// Fetched sources other than Binance scan the typed or imported universe.
pub async fn universe(
    source: SourceId,
    config: &SourceConfig,
    feed: Option<&super::feeds::Feed>,
) -> Result<Vec<String>, FetchError> {
    let typed = || -> Vec<String> { config.universe.iter().map(|e| e.symbol.clone()).collect() };
    let need_universe = || FetchError::Network {
        url: source.value(),
        message: "no symbols: type, paste or import a universe first".into(),
    };
    match source {
        SourceId::Url | SourceId::Coinbase | SourceId::Polygon | SourceId::TwelveData => {
            let symbols = typed();
            if symbols.is_empty() {
                Err(need_universe())
            } else {
                Ok(symbols)
            }
        }
        SourceId::Binance => {
            let symbols = typed();
            if !symbols.is_empty() {
                return Ok(symbols);
            }
            let Some(feed) = feed else {
                return Err(need_universe());
            };
            feed.binance_top_pairs()
                .await
                .map_err(|e| FetchError::Network {
                    url: "Binance 24-hour ticker".into(),
                    message: e.to_string(),
                })
        }
        SourceId::Import => {
            let mut symbols = imported_universe();
            // The universe box (with its sector/industry/cap filters) narrows
            // the imported files when it names any of them.
            let wanted: std::collections::HashSet<String> = typed().into_iter().collect();
            if symbols.iter().any(|s| wanted.contains(s)) {
                symbols.retain(|s| wanted.contains(s));
            }
            if symbols.is_empty() {
                Err(FetchError::Network {
                    url: source.value(),
                    message: "no imported files: drop CSV or ZIP files on the page first".into(),
                })
            } else {
                Ok(symbols)
            }
        }
        SourceId::Synthetic(n) => Ok((0..n).map(synthetic::symbol_name).collect()),
        SourceId::Sample => {
            #[derive(serde::Deserialize)]
            struct Entry {
                symbol: String,
            }
            #[derive(serde::Deserialize)]
            struct Universe {
                symbols: Vec<Entry>,
            }
            let url = "data/universe.json";
            let bytes = fetch_bytes(url).await?;
            let u: Universe = serde_json::from_slice(&bytes).map_err(|e| FetchError::Parse {
                url: url.into(),
                message: e.to_string(),
            })?;
            Ok(u.symbols.into_iter().map(|e| e.symbol).collect())
        }
    }
}

/// Bars imported from the user's files, held in this page (memory only:
/// imports are not cached, the files are the source).
static IMPORTED: Mutex<Vec<(String, Arc<Bars>)>> = Mutex::new(Vec::new());

/// Replaces the imported symbols (call after `formats::import::import_files`
/// with the accepted results, in the order to scan them).
pub fn set_imported(symbols: Vec<(String, Arc<Bars>)>) {
    *IMPORTED.lock().unwrap_or_else(|p| p.into_inner()) = symbols;
}

/// The imported symbols, in import order.
pub fn imported_universe() -> Vec<String> {
    IMPORTED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(s, _)| s.clone())
        .collect()
}

/// One imported symbol's bars.
pub fn imported_bars(symbol: &str) -> Option<Arc<Bars>> {
    IMPORTED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(s, _)| s == symbol)
        .map(|(_, b)| b.clone())
}

/// The URL of a sample symbol's CSV.
pub fn sample_url(symbol: &str) -> String {
    format!("data/{symbol}.csv")
}

/// The synthetic market, generated on the workers on first use and kept in
/// memory for later scans (the "warm cache" of a generated source).
pub struct SyntheticSource {
    bars: Vec<OnceLock<Arc<Bars>>>,
}

impl SyntheticSource {
    /// The shared instance for a market of `n` symbols. Called on the page only.
    pub fn shared(n: usize) -> Arc<SyntheticSource> {
        static MARKETS: OnceLock<Mutex<HashMap<usize, Arc<SyntheticSource>>>> = OnceLock::new();
        let markets = MARKETS.get_or_init(Default::default);
        // Only the page touches this map, so the lock is never contended.
        let mut map = markets.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(n)
            .or_insert_with(|| {
                Arc::new(SyntheticSource {
                    bars: (0..n).map(|_| OnceLock::new()).collect(),
                })
            })
            .clone()
    }
}

impl BarSource for SyntheticSource {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        let index: usize = symbol
            .trim_start_matches("SYN")
            .parse()
            .map_err(|_| SymbolError::NoData)?;
        let slot = self.bars.get(index).ok_or(SymbolError::NoData)?;
        let mut generated = false;
        let bars = slot.get_or_init(|| {
            generated = true;
            Arc::new(synthetic::bars(SYNTHETIC_SEED, index, SYNTHETIC_BARS))
        });
        Ok(Loaded {
            bars: bars.clone(),
            from_cache: !generated,
            bytes: 0,
        })
    }
}
