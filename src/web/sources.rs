//! Where bars come from in the browser besides the network: the files
//! imported into this page (found by symbol through a map) and the synthetic
//! market (generated on the workers, always labelled synthetic; one market
//! size kept in memory at a time). Fetching a symbol's bars is
//! `data::loader::feed` over `web::fetch`; a source's universe is
//! `web::universe`. The source ids and settings are re-exported from
//! `web::config` for the UI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::data::synthetic;
use crate::engine::bars::Bars;
use crate::engine::run::{BarSource, Loaded, SymbolError};

pub use super::config::{SourceConfig, SourceId, SYNTHETIC_BARS, SYNTHETIC_SEED};
pub use crate::data::loader::feed::sample_url;

use super::js::js_message;

/// Why a plain GET (the sample's universe list) failed: what and where.
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

/// Bars imported from the user's files, held in this page (memory only:
/// imports are not cached, the files are the source): the scan order, and
/// each symbol's bars by name.
#[derive(Default)]
struct Imported {
    order: Vec<String>,
    bars: HashMap<String, Arc<Bars>>,
}

fn imported() -> std::sync::MutexGuard<'static, Imported> {
    static IMPORTED: OnceLock<Mutex<Imported>> = OnceLock::new();
    IMPORTED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Replaces the imported symbols (call after `formats::import::import_files`
/// with the accepted results, in the order to scan them).
pub fn set_imported(symbols: Vec<(String, Arc<Bars>)>) {
    let mut order = Vec::with_capacity(symbols.len());
    let mut bars = HashMap::with_capacity(symbols.len());
    for (symbol, b) in symbols {
        if bars.insert(symbol.clone(), b).is_none() {
            order.push(symbol);
        }
    }
    *imported() = Imported { order, bars };
}

/// The imported symbols, in import order.
pub fn imported_universe() -> Vec<String> {
    imported().order.clone()
}

/// One imported symbol's bars.
pub fn imported_bars(symbol: &str) -> Option<Arc<Bars>> {
    imported().bars.get(symbol).cloned()
}

/// The synthetic market, generated on the workers on first use and kept in
/// memory for later scans of the same size (the "warm cache" of a generated
/// source). Only the last size used is kept: switching sizes frees the
/// previous market once its scan is over.
pub struct SyntheticSource {
    bars: Vec<OnceLock<Arc<Bars>>>,
}

impl SyntheticSource {
    /// The shared instance for a market of `n` symbols. Called on the page only.
    pub fn shared(n: usize) -> Arc<SyntheticSource> {
        static MARKET: Mutex<Option<(usize, Arc<SyntheticSource>)>> = Mutex::new(None);
        // Only the page touches this, so the lock is never contended.
        let mut market = MARKET.lock().unwrap_or_else(|p| p.into_inner());
        match market.as_ref() {
            Some((size, source)) if *size == n => source.clone(),
            _ => {
                let source = Arc::new(SyntheticSource {
                    bars: (0..n).map(|_| OnceLock::new()).collect(),
                });
                *market = Some((n, source.clone()));
                source
            }
        }
    }
}

impl BarSource for SyntheticSource {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        // `strip_prefix`, not `trim_start_matches`: the pattern searcher cost
        // ~1.5 ms a 5,000-symbol scan in wasm (a worker's CPU profile).
        let index: usize = symbol
            .strip_prefix("SYN")
            .and_then(|n| n.parse().ok())
            .ok_or(SymbolError::NoData)?;
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
