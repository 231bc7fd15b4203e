//! The loader's real parts, wired: the IndexedDB [`BarStore`] behind the
//! loader's store trait (entries keyed by source, endpoint, symbol and
//! interval), `fetch` as the transport, the page's clock; and the loop that
//! loads a scan's symbols (imported files from memory, fetched sources up to
//! their in-flight bound, in scan order) into the workers' slots. Every
//! decision is in `data::loader`; this file only connects.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use futures::StreamExt;

use crate::data::codec;
use crate::data::loader::{self, load_symbol_landed, EntryKey, Feed, Landed, LoadPlan, Slots};
use crate::engine::bars::Bars;
use crate::engine::run::{Loaded, SymbolError};

use super::fetch::BrowserTransport;
use super::sources::imported_bars;
use super::store::{
    BarStore, CacheKey, CachedEntry, EncodedEntry, StoreError, DEFAULT_QUOTA_BYTES,
};
use super::time::{now_ms, WebClock};

/// A service feed as the page runs it.
pub type WebFeed = Feed<BrowserTransport, WebClock>;

fn cache_key(key: &EntryKey) -> CacheKey {
    CacheKey::new(&key.source, &key.endpoint, &key.symbol, &key.interval)
}

impl loader::CachedBars for CachedEntry {
    fn bars(&self) -> &Bars {
        &self.bars
    }
    fn saved_at_ms(&self) -> i64 {
        self.saved_at_ms
    }
    fn into_bars(self) -> Bars {
        self.bars
    }
}

impl loader::BarStore for BarStore {
    type Entry = CachedEntry;
    type Error = StoreError;

    async fn get(&self, key: &EntryKey) -> Result<Option<CachedEntry>, StoreError> {
        self.get_entry(&cache_key(key)).await
    }

    async fn put(&self, key: &EntryKey, bars: &Bars) -> Result<(), StoreError> {
        self.put_within(&cache_key(key), bars, DEFAULT_QUOTA_BYTES)
            .await
            .map(|_evicted| ())
    }

    /// Marks the entry's last use in memory only; `load_all` writes the
    /// scan's marks in the background once its loads are over.
    async fn touch(
        &self,
        key: &EntryKey,
        _entry: &CachedEntry,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.mark_used_at(&cache_key(key), now_ms as f64);
        Ok(())
    }
}

/// Keys read from IndexedDB in one transaction, ahead of the symbols that
/// need them: one transaction per symbol made a warm 5,000-symbol scan after
/// a reload take 8.6–11.6 s to all rows (`node scripts/bench-browser.mjs
/// --only idb`), while the store reads 5,000 entries in batches in ~1.1 s.
const READ_AHEAD: usize = 256;

/// Batch reads issued at once: the next chunk is read while one is handed
/// out.
const READS_IN_FLIGHT: usize = 2;

/// A hit as a scan's chunk reads it: still encoded, so a fresh one goes to
/// the worker as bytes ([`loader::CachedBars::into_encoded`]). Decoded here,
/// on the page, only when the loader needs the bars themselves (a tail to
/// merge, a head to prepend).
struct Hit {
    symbol: String,
    entry: EncodedEntry,
    decoded: OnceCell<Bars>,
}

impl Hit {
    fn decode(&self) -> Bars {
        // The store checked the frame and times when it read the entry; bars
        // that still fail (a faulty encoder) read as none, and the loader
        // refetches them whole.
        codec::decode(&self.symbol, &self.entry.bytes).unwrap_or_default()
    }
}

impl loader::CachedBars for Hit {
    fn bars(&self) -> &Bars {
        self.decoded.get_or_init(|| self.decode())
    }
    fn saved_at_ms(&self) -> i64 {
        self.entry.saved_at_ms
    }
    fn into_bars(mut self) -> Bars {
        self.decoded.take().unwrap_or_else(|| self.decode())
    }
    fn bar_count(&self) -> usize {
        self.entry.bars
    }
    fn last_time(&self) -> Option<i64> {
        Some(self.entry.last_time)
    }
    fn into_encoded(self) -> Result<Vec<u8>, Self> {
        Ok(self.entry.bytes)
    }
}

/// The store as one chunk of a scan reads it: entries read ahead in one
/// batch are handed out once each; anything else goes to the store.
struct ReadAhead<'a> {
    store: &'a BarStore,
    entries: RefCell<HashMap<String, EncodedEntry>>,
}

impl<'a> ReadAhead<'a> {
    /// Reads the entries of `symbols` in one transaction. A failed batch
    /// read leaves the map empty: each symbol then reads its own entry.
    async fn read(store: &'a BarStore, plan: &LoadPlan, symbols: &[String]) -> ReadAhead<'a> {
        let keys: Vec<CacheKey> = symbols.iter().map(|s| cache_key(&plan.key(s))).collect();
        let mut entries = HashMap::new();
        match store.get_encoded_entries(&keys).await {
            Ok(found) => {
                for (key, entry) in keys.iter().zip(found) {
                    if let Some(entry) = entry {
                        entries.insert(key.id(), entry);
                    }
                }
            }
            Err(e) => warn(format!("cache: batch read failed, reading one by one: {e}")),
        }
        ReadAhead {
            store,
            entries: RefCell::new(entries),
        }
    }
}

impl loader::BarStore for ReadAhead<'_> {
    type Entry = Hit;
    type Error = StoreError;

    async fn get(&self, key: &EntryKey) -> Result<Option<Hit>, StoreError> {
        let symbol = key.symbol.clone();
        let key = cache_key(key);
        let ahead = self.entries.borrow_mut().remove(&key.id());
        let entry = match ahead {
            Some(entry) => Some(entry),
            None => self
                .store
                .get_encoded_entries(std::slice::from_ref(&key))
                .await?
                .pop()
                .flatten(),
        };
        Ok(entry.map(|entry| Hit {
            symbol,
            entry,
            decoded: OnceCell::new(),
        }))
    }

    async fn put(&self, key: &EntryKey, bars: &Bars) -> Result<(), StoreError> {
        loader::BarStore::put(self.store, key, bars).await
    }

    async fn touch(&self, key: &EntryKey, _entry: &Hit, now_ms: i64) -> Result<(), StoreError> {
        self.store.mark_used_at(&cache_key(key), now_ms as f64);
        Ok(())
    }
}

fn warn(note: String) {
    web_sys::console::warn_1(&note.into());
}

/// Fills every slot with an imported symbol's bars, then closes the slots.
pub fn fill_imported(symbols: &[String], slots: &Slots) {
    for (i, symbol) in symbols.iter().enumerate() {
        let loaded = imported_bars(symbol)
            .map(|bars| Loaded {
                bars,
                from_cache: true,
                bytes: 0,
            })
            .ok_or(SymbolError::NoData);
        slots.fill(i, loaded);
    }
    slots.close();
}

/// Loads every symbol through the cache and the feed, up to the source's
/// in-flight bound at once (symbols start in scan order; each slot is filled
/// as its symbol completes and wakes a worker), then closes the slots. A
/// stop ends it early: unfilled slots read as stopped, never as errors.
/// Returns each position's fetch time in ms (`None`: served from the cache,
/// or not loaded), for the scan history's cost estimates.
pub async fn load_all(
    feed: &WebFeed,
    plan: &LoadPlan,
    symbols: &[String],
    slots: &Slots,
    store: &BarStore,
) -> Vec<Option<f64>> {
    let mut fetch_ms = vec![None; symbols.len()];
    let clock = WebClock;
    let stopped = || feed.transport().aborts.is_aborted();
    // Chunks of READ_AHEAD symbols: one batch read from the cache each, then
    // up to the source's in-flight bound at once within the chunk. The next
    // chunks' reads are already issued while one is handed out, so the
    // database reads while the page decodes and fills slots.
    let mut reads = futures::stream::iter(symbols.chunks(READ_AHEAD))
        .take_while(|_| futures::future::ready(!stopped()))
        .map(|chunk| async move { (ReadAhead::read(store, plan, chunk).await, chunk) })
        .buffered(READS_IN_FLIGHT)
        .enumerate();
    while let Some((c, (ahead, chunk))) = reads.next().await {
        if stopped() {
            break;
        }
        let ahead = &ahead;
        futures::stream::iter(chunk.iter().enumerate())
            .take_while(|_| futures::future::ready(!stopped()))
            .map(|(i, symbol)| {
                let clock = &clock;
                async move {
                    let t0 = now_ms();
                    let loaded = load_symbol_landed(ahead, feed, clock, plan, symbol, &warn).await;
                    let fetched = matches!(&loaded, Ok(Landed::Loaded(l)) if !l.from_cache);
                    (c * READ_AHEAD + i, loaded, fetched.then(|| now_ms() - t0))
                }
            })
            .buffer_unordered(feed.max_in_flight())
            .for_each(|(i, loaded, took)| {
                if !matches!(loaded, Err(SymbolError::Stopped)) {
                    slots.fill_landed(i, loaded);
                }
                if let Some(slot) = fetch_ms.get_mut(i) {
                    *slot = took;
                }
                futures::future::ready(())
            })
            .await;
    }
    slots.close();
    // The scan's last-use marks go out once its loads are over, in slices
    // (they cost the page and the database more than the reads did).
    store.flush_touches_in_background();
    fetch_ms
}
