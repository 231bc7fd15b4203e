//! Where bars come from in the browser besides the network: the files
//! imported into this page (found by symbol through a map) and the synthetic
//! market (generated on the workers, always labelled synthetic; one market
//! size kept in memory at a time). Fetching a symbol's bars is
//! `data::loader::feed` over `web::fetch`; a source's universe is
//! `web::universe`. The source ids and settings are re-exported from
//! `web::config` for the UI.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// The synthetic market: generated on the workers as a scan loads it, then
/// kept in memory by the idle workers once the scan is over, for later scans
/// of the same size (the "warm cache" of a generated source). Only the last
/// size used is kept: switching sizes frees the previous market once its
/// scan is over.
///
/// Why not keep the bars as the first scan makes them (2026-12-03, this VM):
/// the market is ~73 MB of fresh wasm memory for synthetic-5000, and the
/// first write to each 4 KiB page costs a page fault of ~8 µs (node, 5,000 ×
/// 300 bars generated and kept in fresh memory: 147 ns a bar, against 55 in
/// memory the allocator recycles), about twice the generating. CDP profiles
/// of the cold scan gave ~140 ms of the workers' time to faulting the market
/// in, while the page waited for rows. Generated for the scan alone, the bars
/// live in recycled memory and the faults fall in the workers' idle time
/// after it ([`SyntheticSource::keep`]); a scan that starts before the market
/// is kept uses what is kept and generates the rest.
///
/// Symbols are generated in pairs (`2k`, `2k + 1`: `synthetic::bars_pair`,
/// the two series in the lanes of one simd128 vector, bit for bit the single
/// symbols' bars), about 1.7× cheaper a bar than one at a time in V8; a
/// partner made for a scan waits in its pair's slot until it is loaded.
pub struct SyntheticSource {
    /// The kept market, pair by pair.
    kept: Vec<OnceLock<Pair>>,
    /// Per pair: the symbol generated with its partner for a scan and not
    /// loaded yet (its load counts as generated, not as a cache hit; the
    /// single-threaded build keeps the pair then).
    waiting: Vec<Mutex<Option<Waiting>>>,
    /// Whether a load keeps what it generates (no workers to keep the market
    /// after the scan: the single-threaded build).
    keep_on_load: bool,
    n: usize,
}

/// Symbols `2k` and `2k + 1` (none past the market's last symbol).
type Pair = (Arc<Bars>, Option<Arc<Bars>>);

/// A symbol's index and its pair, made for a scan with its partner.
type Waiting = (usize, Pair);

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
                let pairs = n.div_ceil(2);
                let source = Arc::new(SyntheticSource {
                    kept: (0..pairs).map(|_| OnceLock::new()).collect(),
                    waiting: (0..pairs).map(|_| Mutex::new(None)).collect(),
                    keep_on_load: !super::pool::is_threaded(),
                    n,
                });
                *market = Some((n, source.clone()));
                source
            }
        }
    }

    /// Pair `k`'s bars, generated.
    fn generate(&self, k: usize) -> Pair {
        let first = 2 * k;
        if first + 1 < self.n {
            let (a, b) = synthetic::bars_pair(SYNTHETIC_SEED, (first, first + 1), SYNTHETIC_BARS);
            (Arc::new(a), Some(Arc::new(b)))
        } else {
            (
                Arc::new(synthetic::bars(SYNTHETIC_SEED, first, SYNTHETIC_BARS)),
                None,
            )
        }
    }

    /// Keeps the pairs not kept yet, on the calling pool's workers, until
    /// `stop()` says other work wants them (checked between pairs, ~30 µs).
    /// Called on a worker once a scan of this market is over.
    ///
    /// The memory the pairs will take is mapped first, out of the allocator's
    /// lock: touched a page at a time in a few large blocks, then freed for
    /// the pairs. Why (CDP CPU profiles of both workers during a cold
    /// synthetic-5000 scan in a fresh Chromium, 2026-12-02): the allocator's
    /// first write into each new 4 KiB page (a chunk header) took the page
    /// fault while holding the allocator's global spin lock, so the other
    /// worker and the page spun on it (~40 ms per worker, ~25 ms on the
    /// page). The room also grows the memory once, not in ~1,150 steps of
    /// 64 KiB.
    pub fn keep(&self, stop: impl Fn() -> bool + Sync) {
        use rayon::prelude::*;
        let missing = self.kept.iter().filter(|p| p.get().is_none()).count();
        if missing == 0 {
            // Kept already (every scan after the first): no worker woken.
            return;
        }
        let room = reserve_room(new_room(missing * 2 * SYMBOL_BYTES));
        room.into_par_iter().for_each(|mut piece| {
            if !stop() {
                touch(&mut piece);
            }
        });
        (0..self.kept.len())
            .into_par_iter()
            .with_min_len(8)
            .for_each(|k| {
                if !stop() && self.kept[k].get().is_none() {
                    let _ = self.kept[k].set(self.generate(k));
                    // A partner left waiting (a stopped scan's) is now kept.
                    drop(self.waiting[k].lock().map(|mut w| w.take()));
                }
            });
    }
}

/// Bytes a generated symbol takes: six columns of 8-byte values, the
/// allocator's headers, the shared `Bars` (a little over, never under).
const SYMBOL_BYTES: usize = SYNTHETIC_BARS * 48 + 256;

/// Blocks the room for a market is reserved in.
const ROOM_PIECES: usize = 16;

/// How much of a market's `bytes` to reserve: what no earlier market of
/// this page has had. A smaller or equal market reuses the memory an earlier
/// one freed (already mapped, and the allocator's to hand out); reserving it
/// again would grow the memory past the gaps the markets in between left
/// (the memory benchmark's synthetic-5000 after synthetic-1000 grew 79 →
/// 141 MB).
fn new_room(bytes: usize) -> usize {
    static LARGEST: AtomicUsize = AtomicUsize::new(0);
    bytes.saturating_sub(LARGEST.fetch_max(bytes, Ordering::Relaxed))
}

/// `bytes` reserved in [`ROOM_PIECES`] consecutive allocations, untouched.
fn reserve_room(bytes: usize) -> Vec<Vec<u8>> {
    if bytes == 0 {
        return Vec::new();
    }
    let piece = bytes.div_ceil(ROOM_PIECES);
    (0..ROOM_PIECES)
        .map(|_| Vec::with_capacity(piece))
        .collect()
}

/// Writes a byte into each 4 KiB page of `piece`'s spare capacity, so the
/// pages are mapped (freed, they stay mapped for the allocator to reuse).
fn touch(piece: &mut Vec<u8>) {
    for page in piece.spare_capacity_mut().chunks_mut(4096) {
        // A volatile write, so it is not dropped as dead before the free.
        // SAFETY: `page` is a live, exclusively borrowed part of the piece's
        // spare capacity.
        unsafe { std::ptr::write_volatile(page.as_mut_ptr(), MaybeUninit::new(0)) };
    }
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
        let k = index / 2;
        let pick = |(even, odd): &Pair| {
            if index.is_multiple_of(2) {
                Some(even.clone())
            } else {
                odd.clone()
            }
        };
        // Kept: no lock (a scan of a kept market is 5,000 of these).
        if let Some(pair) = self.kept[k].get() {
            return Ok(Loaded {
                bars: pick(pair).ok_or(SymbolError::NoData)?,
                from_cache: true,
                bytes: 0,
            });
        }
        // Held while the pair is made, so a worker wanting the partner at the
        // same time waits for it (~30 µs) rather than making it again.
        let mut slot = self.waiting[k].lock().unwrap_or_else(|p| p.into_inner());
        let (bars, from_cache) = match slot.take() {
            Some((waiting, pair)) if waiting == index => {
                if self.keep_on_load {
                    let _ = self.kept[k].set(pair.clone());
                }
                (pick(&pair), false)
            }
            other => {
                *slot = other;
                match self.kept[k].get() {
                    Some(pair) => (pick(pair), true),
                    None => {
                        let pair = self.generate(k);
                        let partner = index ^ 1;
                        if partner < self.n {
                            *slot = Some((partner, pair.clone()));
                        } else if self.keep_on_load {
                            let _ = self.kept[k].set(pair.clone());
                        }
                        (pick(&pair), false)
                    }
                }
            }
        };
        Ok(Loaded {
            bars: bars.ok_or(SymbolError::NoData)?,
            from_cache,
            bytes: 0,
        })
    }
}
