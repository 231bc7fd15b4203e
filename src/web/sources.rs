//! Where bars come from in the browser besides the network: the files
//! imported into this page (found by symbol through a map) and the synthetic
//! market (generated on the workers, always labelled synthetic; one market
//! size kept in memory at a time). Fetching a symbol's bars is
//! `data::loader::feed` over `web::fetch`; a source's universe is
//! `web::universe`. The source ids and settings are re-exported from
//! `web::config` for the UI.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
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
///
/// Symbols are generated in pairs (`2k`, `2k + 1`: `synthetic::bars_pair`,
/// the two series in the lanes of one simd128 vector, bit for bit the single
/// symbols' bars), about 1.7× cheaper a bar than one at a time in V8.
pub struct SyntheticSource {
    pairs: Vec<OnceLock<Pair>>,
    /// Generated with its partner and not handed out yet: its first load
    /// counts as generated, not as a cache hit.
    fresh: Vec<AtomicBool>,
    n: usize,
    /// The rest of the room reserved for the market, pieces in address order
    /// (see [`SyntheticSource::prefault`]).
    room: Mutex<Vec<Vec<u8>>>,
}

/// Symbols `2k` and `2k + 1` (none past the market's last symbol).
type Pair = (Arc<Bars>, Option<Arc<Bars>>);

/// Pieces of the room reserved for a market (the first is freed at once).
const ROOM_PIECES: usize = 16;

/// Bytes a generated symbol takes: six columns of 8-byte values, the
/// allocator's headers, the shared `Bars` (a little over, never under).
const SYMBOL_BYTES: usize = SYNTHETIC_BARS * 48 + 256;

impl SyntheticSource {
    /// The shared instance for a market of `n` symbols. Called on the page only.
    pub fn shared(n: usize) -> Arc<SyntheticSource> {
        static MARKET: Mutex<Option<(usize, Arc<SyntheticSource>)>> = Mutex::new(None);
        // Only the page touches this, so the lock is never contended.
        let mut market = MARKET.lock().unwrap_or_else(|p| p.into_inner());
        match market.as_ref() {
            Some((size, source)) if *size == n => source.clone(),
            _ => {
                // The previous market goes first, so its memory can be reused.
                *market = None;
                let source = Arc::new(SyntheticSource {
                    pairs: (0..n.div_ceil(2)).map(|_| OnceLock::new()).collect(),
                    fresh: (0..n).map(|_| AtomicBool::new(false)).collect(),
                    n,
                    room: Mutex::new(reserve_room(new_room(n * SYMBOL_BYTES))),
                });
                *market = Some((n, source.clone()));
                source
            }
        }
    }

    /// Touches the market's reserved room a piece at a time, freeing each
    /// piece once touched; run it on a worker beside the scan (the scan's
    /// first allocations take the first piece, freed on the page).
    ///
    /// Why (CDP CPU profiles of both workers during a cold synthetic-5000
    /// scan in a fresh Chromium, 2026-12-02): the market's ~73 MB are fresh wasm
    /// memory, and the allocator's first write into each new 4 KiB page
    /// (a chunk header) took the page fault (2–3.5 µs a page in this VM:
    /// ~45 ms per worker) while holding the allocator's global spin lock, so
    /// the other worker and the page spun on it (another ~40 ms per worker,
    /// ~25 ms on the page). Touched here, out of the lock and in parallel
    /// with the scan, the pages are mapped before the allocator hands them
    /// out. The room also means the memory grows once, not in ~1,150 steps
    /// of 64 KiB. Later calls (the room is gone) do nothing.
    pub fn prefault(&self) {
        let pieces = std::mem::take(&mut *self.room.lock().unwrap_or_else(|p| p.into_inner()));
        for mut piece in pieces {
            for page in piece.spare_capacity_mut().chunks_mut(4096) {
                // A volatile write, so it is not dropped as dead before the free.
                // SAFETY: `page` is a live, exclusively borrowed part of the
                // piece's spare capacity.
                unsafe { std::ptr::write_volatile(page.as_mut_ptr(), MaybeUninit::new(0)) };
            }
        }
    }

    /// Frees the reserved room untouched (no workers to touch it beside a
    /// scan on the page).
    pub fn release_room(&self) {
        drop(std::mem::take(
            &mut *self.room.lock().unwrap_or_else(|p| p.into_inner()),
        ));
    }
}

/// How much of a market's `bytes` to reserve: what no earlier market of
/// this page has had. A smaller or equal market reuses the memory an earlier
/// one freed (already mapped, and the allocator's to hand out); reserving it
/// again would grow the memory past the gaps the markets in between left
/// (the memory benchmark's synthetic-5000 after synthetic-1000 grew 79 →
/// 141 MB). Called on the page only.
fn new_room(bytes: usize) -> usize {
    static LARGEST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    bytes.saturating_sub(LARGEST.fetch_max(bytes, Ordering::Relaxed))
}

/// `bytes` reserved in [`ROOM_PIECES`] consecutive allocations, the first
/// freed at once (the scan starts in it); the others are freed by
/// [`SyntheticSource::prefault`] or [`SyntheticSource::release_room`].
fn reserve_room(bytes: usize) -> Vec<Vec<u8>> {
    if bytes == 0 {
        return Vec::new();
    }
    let piece = bytes.div_ceil(ROOM_PIECES);
    let mut pieces: Vec<Vec<u8>> = (0..ROOM_PIECES)
        .map(|_| Vec::with_capacity(piece))
        .collect();
    pieces.remove(0);
    pieces
}

impl BarSource for SyntheticSource {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        // `strip_prefix`, not `trim_start_matches`: the pattern searcher cost
        // ~1.5 ms a 5,000-symbol scan in wasm (a worker's CPU profile).
        let index: usize = symbol
            .strip_prefix("SYN")
            .and_then(|n| n.parse().ok())
            .filter(|&i| i < self.n)
            .ok_or(SymbolError::NoData)?;
        let mut generated = false;
        let (even, odd) = self.pairs[index / 2].get_or_init(|| {
            generated = true;
            let first = index & !1;
            if first + 1 < self.n {
                let (a, b) =
                    synthetic::bars_pair(SYNTHETIC_SEED, (first, first + 1), SYNTHETIC_BARS);
                self.fresh[index ^ 1].store(true, Ordering::Relaxed);
                (Arc::new(a), Some(Arc::new(b)))
            } else {
                let single = synthetic::bars(SYNTHETIC_SEED, first, SYNTHETIC_BARS);
                (Arc::new(single), None)
            }
        });
        let bars = if index.is_multiple_of(2) {
            Some(even)
        } else {
            odd.as_ref()
        };
        let fresh = !generated
            && self.fresh[index].load(Ordering::Relaxed)
            && self.fresh[index].swap(false, Ordering::Relaxed);
        Ok(Loaded {
            bars: bars.ok_or(SymbolError::NoData)?.clone(),
            from_cache: !(generated || fresh),
            bytes: 0,
        })
    }
}
