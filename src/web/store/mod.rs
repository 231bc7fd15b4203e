//! The bar cache: each (source, endpoint, symbol, interval)'s bars as
//! `data::codec` bytes, in IndexedDB ([`idb`]) or, when IndexedDB is
//! unavailable (private mode, blocked, a newer database) or caching is off,
//! in a bounded memory store for this page only ([`memory`]). A corrupt or
//! old-schema entry is dropped and reported as a miss, so it is refetched.
//! Must not be imported by `engine` or `data`; `JsValue` stays in `idb.rs`.
//!
//! Database [`DB_NAME`] at [`DB_VERSION`] holds two object stores, both keyed
//! by [`CacheKey::id`]:
//! - [`BARS_STORE`]: the codec bytes as a `Uint8Array` (bytes, not JS objects:
//!   about 4× faster to move than structured-cloned objects);
//! - [`META_STORE`]: a small `{ bytes, bars, savedAt, lastUsed }` object per
//!   entry. It is read once, when the store opens, into an in-memory LRU index
//!   ([`index::LruIndex`]); from then on sizes, save times, stats and eviction
//!   decisions come from the index, and a write never reads metadata back.
//!
//! Last uses are marked in memory ([`BarStore::touch`], synchronous) and
//! written in one transaction by [`BarStore::flush_touches`] (a large batch,
//! or dropping the store, flushes too). A scan's loader marks with
//! [`BarStore::mark_used_at`] and writes them in slices once its reads are
//! over ([`BarStore::flush_touches_in_background`]): one put per entry cost
//! the page and the database more than reading the bars did. A last use is
//! only written when it moved [`index::LAST_USE_GRANULARITY_MS`] from the one
//! stored, so scans repeated within minutes write nothing.
//!
//! A batch of keys that one key range covers (a scan's chunk: same source and
//! endpoint prefix, few other entries between) is read with two requests over
//! the range rather than a `get` per key ([`BarStore::get_entries`]).
//!
//! [`BarStore::put_within`] keeps the store under a byte quota: it evicts the
//! least-recently-used entries before writing, and when the browser refuses
//! the write anyway ([`StoreError::QuotaExceeded`]) it frees a quarter of the
//! bytes held, least recently used first, and tries once more.
//!
//! Opening an older database version drops every store it had and creates the
//! current ones (version 3 added the endpoint to the key, so entries keyed
//! without one are dropped): this is a cache, refetching is always correct.

// The key and the error type are their own files (`key.rs`, `error.rs`);
// this one is the store: opening, reads, writes, eviction.
mod bench;
mod encoded;
mod error;
mod idb;
pub mod index;
mod key;
mod memory;
mod touches;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::data::cache_policy::LruEntry;
use crate::data::codec;
pub use crate::data::fnv1a_64;
use crate::engine::bars::Bars;

use self::idb::{IdbBackend, RawEntry};
pub use self::index::EntryMeta;
use self::index::LruIndex;
use self::memory::MemoryBackend;

pub use self::bench::{time_reload_and_read, ReadTiming};
pub use self::encoded::EncodedEntry;
pub use self::error::StoreError;
pub use self::key::CacheKey;
pub use self::memory::MEMORY_CAPACITY_BYTES;

/// The default byte quota of the bar cache (decimal, like browsers' quotas).
pub const DEFAULT_QUOTA_BYTES: u64 = 200_000_000;

/// The IndexedDB database name used by the app.
pub const DB_NAME: &str = "technic";
/// The database layout version. Bump it when stores or keys change: an older
/// database then has its stores dropped and recreated on open.
/// 2: bars and metadata stores keyed `source|symbol|interval`;
/// 3: keyed `source|endpoint-hash|symbol|interval` ([`CacheKey::id`]).
pub const DB_VERSION: u32 = 3;
/// Object store of codec bytes per cache key.
pub const BARS_STORE: &str = "bars";
/// Object store of `{ bytes, bars, savedAt, lastUsed }` per cache key.
pub const META_STORE: &str = "meta";

/// Pending last uses that trigger a write without waiting for
/// [`BarStore::flush_touches`], so a long run of [`BarStore::touch`]es never
/// holds an unbounded batch (the loader's [`BarStore::mark_used_at`] does not
/// write until its scan has loaded).
pub const TOUCH_BATCH_LIMIT: usize = 1_000;

/// Keys read at once below which one `get` per key is used rather than a
/// range read.
const RANGE_READ_MIN: usize = 16;

/// Last uses per transaction of a background flush
/// ([`BarStore::flush_touches_in_background`]): each put costs the page
/// ~50 µs to issue, so a slice stays well under a frame.
pub const TOUCH_SLICE: usize = 200;
/// The pause between two slices of a background flush, so frames and other
/// reads get the page and the database in between.
pub const TOUCH_SLICE_PAUSE_MS: u32 = 20;

/// Which store is in use (the status line says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    IndexedDb,
    /// IndexedDB is unavailable; bars live in memory for this page only.
    Memory {
        reason: String,
    },
}

/// Entries and bytes held, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: u64,
}

/// What the IndexedDB backend has done since opening (all zero for the
/// memory store): lets tests and benchmarks check that the metadata is read
/// once and that last uses go out in batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounters {
    /// Full reads of the metadata store (1: the index, at open).
    pub index_loads: usize,
    /// Metadata records read, by index loads and by reads of entries the
    /// index did not know (written by another tab).
    pub meta_records_read: usize,
    pub read_transactions: usize,
    pub write_transactions: usize,
}

/// A cache hit with what the freshness rule needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedEntry {
    pub bars: Bars,
    /// When the entry was written (epoch ms; 0 when its metadata is missing,
    /// which the freshness rule treats as too old to trust).
    pub saved_at_ms: i64,
    /// Encoded size.
    pub bytes: u64,
}

enum Backend {
    /// Shared with a background flush of last uses (the connection closes
    /// when both are done with it).
    IndexedDb(Rc<IdbBackend>),
    Memory(MemoryBackend),
}

pub struct BarStore {
    kind: StoreKind,
    backend: Backend,
    /// Shared with a background flush of last uses.
    index: Rc<RefCell<LruIndex>>,
    /// Entries dropped by reads because they failed to decode.
    dropped: Cell<usize>,
    /// A background flush is running (it writes whatever is dirty until
    /// nothing is, so one at a time is enough).
    flushing: Rc<Cell<bool>>,
}

impl Drop for BarStore {
    fn drop(&mut self) {
        // Pending last uses go out before the connection closes (closing
        // waits for issued transactions).
        self.start_flush();
    }
}

impl BarStore {
    /// Opens (or creates/upgrades) the app's IndexedDB database; falls back to memory.
    pub async fn open() -> BarStore {
        BarStore::open_named(DB_NAME).await
    }

    /// Opens (or creates/upgrades) the database `db_name` at [`DB_VERSION`];
    /// falls back to memory, with the reason, when that fails.
    pub async fn open_named(db_name: &str) -> BarStore {
        match BarStore::try_open_named(db_name).await {
            Ok(store) => store,
            // The status line shows the reason after "memory cache".
            Err(StoreError::Unavailable(reason)) => BarStore::in_memory(&reason),
            Err(why) => BarStore::in_memory(&why.to_string()),
        }
    }

    /// Opens the database `db_name` and reads its index, or says why not.
    pub async fn try_open_named(db_name: &str) -> Result<BarStore, StoreError> {
        let (backend, entries) = IdbBackend::open(db_name).await?;
        Ok(BarStore {
            kind: StoreKind::IndexedDb,
            backend: Backend::IndexedDb(Rc::new(backend)),
            index: Rc::new(RefCell::new(LruIndex::from_entries(entries))),
            dropped: Cell::new(0),
            flushing: Rc::default(),
        })
    }

    /// A memory-only store (this page only) of [`MEMORY_CAPACITY_BYTES`],
    /// e.g. when the user turned caching off.
    pub fn in_memory(reason: &str) -> BarStore {
        BarStore::in_memory_with_capacity(reason, MEMORY_CAPACITY_BYTES)
    }

    /// A memory-only store holding at most `capacity_bytes` of bars; a
    /// write past it fails with [`StoreError::QuotaExceeded`], like a full
    /// browser quota.
    pub fn in_memory_with_capacity(reason: &str, capacity_bytes: u64) -> BarStore {
        BarStore {
            kind: StoreKind::Memory {
                reason: reason.to_string(),
            },
            backend: Backend::Memory(MemoryBackend::new(capacity_bytes)),
            index: Rc::default(),
            dropped: Cell::new(0),
            flushing: Rc::default(),
        }
    }

    pub fn kind(&self) -> &StoreKind {
        &self.kind
    }

    /// What the index knows of the entry under `key` (no read): whether it
    /// is there, its save time and newest bar. The scan order's cache check.
    pub fn cached_meta(&self, key: &CacheKey) -> Option<EntryMeta> {
        self.index.borrow().get(&key.id()).copied()
    }

    /// How many entries reads have dropped as corrupt or old since opening.
    pub fn dropped_entries(&self) -> usize {
        self.dropped.get()
    }

    pub fn counters(&self) -> StoreCounters {
        match &self.backend {
            Backend::IndexedDb(db) => db.counters(),
            Backend::Memory(_) => StoreCounters::default(),
        }
    }

    /// The cached bars, or `None` on a miss (a corrupt entry is deleted and is a miss).
    pub async fn get(&self, key: &CacheKey) -> Result<Option<Bars>, StoreError> {
        Ok(self.get_entry(key).await?.map(|e| e.bars))
    }

    /// The cached bars with their save time, or `None` on a miss (a corrupt
    /// or old-schema entry is deleted and is a miss).
    pub async fn get_entry(&self, key: &CacheKey) -> Result<Option<CachedEntry>, StoreError> {
        let mut found = self.get_entries(std::slice::from_ref(key)).await?;
        Ok(found.pop().flatten())
    }

    /// Several entries in one transaction, in the order of `keys` (`None`
    /// for a miss; corrupt entries are deleted and are misses). Much faster
    /// than one `get_entry` per key for a warm scan; read a few hundred keys
    /// at a time to bound the memory held at once.
    pub async fn get_entries(
        &self,
        keys: &[CacheKey],
    ) -> Result<Vec<Option<CachedEntry>>, StoreError> {
        self.read_checked(keys, |key, id, bytes| {
            let (bars, size) = decode_entry(key, id, bytes.as_deref())?;
            let count = bars.len() as u64;
            Ok((bars, size, count))
        })
        .await
        .map(|found| {
            found
                .into_iter()
                .map(|hit| {
                    hit.map(|(bars, saved_at_ms, bytes)| CachedEntry {
                        bars,
                        saved_at_ms,
                        bytes,
                    })
                })
                .collect()
        })
    }

    /// Reads `keys` in one transaction and checks each entry's bytes with
    /// `check` (which says what it made of them, their size and bar count);
    /// answers `(made, saved at, size)` in the order of `keys`, `None` for
    /// a miss. Entries `check` refuses are deleted and are misses.
    async fn read_checked<T>(
        &self,
        keys: &[CacheKey],
        mut check: impl FnMut(&CacheKey, &str, Option<Vec<u8>>) -> Result<(T, u64, u64), StoreError>,
    ) -> Result<Vec<Option<(T, i64, u64)>>, StoreError> {
        let ids: Vec<String> = keys.iter().map(CacheKey::id).collect();
        let raws: Vec<Option<RawEntry>> = match &self.backend {
            Backend::Memory(m) => m
                .read(&ids)
                .into_iter()
                .map(|b| {
                    b.map(|bytes| RawEntry {
                        bytes: Some(bytes),
                        meta: None,
                    })
                })
                .collect(),
            Backend::IndexedDb(db) => {
                // Metadata only for entries the index does not know
                // (written by another tab since this one opened).
                let with_meta: Vec<bool> = {
                    let index = self.index.borrow();
                    ids.iter().map(|id| index.get(id).is_none()).collect()
                };
                match self.range_to_read(&ids, &with_meta) {
                    Some((lower, upper)) => {
                        let mut found: HashMap<String, Option<Vec<u8>>> =
                            db.read_range(lower, upper).await?.into_iter().collect();
                        ids.iter()
                            .map(|id| found.remove(id).map(|bytes| RawEntry { bytes, meta: None }))
                            .collect()
                    }
                    None => db.read(&ids, &with_meta).await?,
                }
            }
        };

        let mut out = Vec::with_capacity(keys.len());
        let mut drop_ids = Vec::new();
        for ((key, id), raw) in keys.iter().zip(ids).zip(raws) {
            let Some(raw) = raw else {
                // Metadata without bars (an interrupted write elsewhere): forget it.
                if self.index.borrow().get(&id).is_some() {
                    drop_ids.push(id);
                }
                out.push(None);
                continue;
            };
            match check(key, &id, raw.bytes) {
                Ok((made, bytes, bars)) => {
                    let mut index = self.index.borrow_mut();
                    let saved_at = match index.get(&id) {
                        Some(m) => m.saved_at_ms,
                        None => {
                            let meta = raw.meta.unwrap_or(EntryMeta {
                                bytes,
                                bars,
                                saved_at_ms: 0.0,
                                last_used_ms: 0.0,
                                last_time_ms: None,
                            });
                            index.insert(id, meta);
                            meta.saved_at_ms
                        }
                    };
                    out.push(Some((made, saved_at as i64, bytes)));
                }
                Err(why) => {
                    web_sys::console::warn_1(&format!("bar cache: dropped {why}").into());
                    self.dropped.set(self.dropped.get() + 1);
                    drop_ids.push(id);
                    out.push(None);
                }
            }
        }
        if !drop_ids.is_empty() {
            self.delete_ids(&drop_ids).await?;
        }
        Ok(out)
    }

    /// The key range to read `ids` with when one range read serves them
    /// ([`IdbBackend::read_range`]): enough keys to be worth it, no metadata
    /// to read along, no key twice, and few other entries in the range (at
    /// most a quarter more than asked for, by the index). `None`: one `get`
    /// per key.
    fn range_to_read<'a>(
        &self,
        ids: &'a [String],
        with_meta: &[bool],
    ) -> Option<(&'a str, &'a str)> {
        if ids.len() < RANGE_READ_MIN || with_meta.iter().any(|&m| m) {
            return None;
        }
        let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        let (lower, upper) = (sorted[0], sorted[sorted.len() - 1]);
        let in_range = self.index.borrow().count_between(lower, upper);
        (in_range <= ids.len() + ids.len() / 4).then_some((lower, upper))
    }

    /// Stores complete, validated bars (never call it with a partial
    /// response), evicting nothing: a full quota is an error. `Bars` are
    /// validated on construction; empty bars are refused, since they could
    /// never be read back.
    pub async fn put(&self, key: &CacheKey, bars: &Bars) -> Result<(), StoreError> {
        let (id, bytes, meta) = encode_entry(key, bars)?;
        self.write_entry(&id, &bytes, meta, Vec::new(), false)
            .await
            .map(drop)
    }

    /// Stores complete, validated bars while keeping the whole cache within
    /// `quota_bytes`: least-recently-used entries are evicted first (decided
    /// from the in-memory index), and when the browser still refuses the
    /// write (its own quota), a quarter of the bytes held (least recently
    /// used first) go too and the write is tried once more. Returns how many
    /// entries were evicted. An entry larger than the quota is not stored.
    pub async fn put_within(
        &self,
        key: &CacheKey,
        bars: &Bars,
        quota_bytes: u64,
    ) -> Result<usize, StoreError> {
        let (id, bytes, meta) = encode_entry(key, bars)?;
        let evict = self
            .index
            .borrow()
            .evictions(&id, meta.bytes, quota_bytes)
            .map_err(|source| StoreError::TooLarge {
                key: id.clone(),
                source,
            })?;
        self.write_entry(&id, &bytes, meta, evict, true).await
    }

    /// Writes one entry after deleting `evict`, all in one transaction. The
    /// index is updated before the write, so writes running at the same time
    /// see the room as taken; a write that fails changed nothing, and the
    /// index is put back.
    async fn write_entry(
        &self,
        id: &str,
        bytes: &[u8],
        meta: EntryMeta,
        mut evict: Vec<String>,
        retry_on_quota: bool,
    ) -> Result<usize, StoreError> {
        let mut undo = Undo {
            id,
            meta,
            previous: None,
            evicted: Vec::new(),
        };
        {
            let mut index = self.index.borrow_mut();
            undo.evicted = evict
                .iter()
                .filter_map(|e| Some((e.clone(), index.remove(e)?)))
                .collect();
            undo.previous = index.insert(id.to_string(), meta);
        }
        let first = self.backend_write(&evict, Some((id, bytes, meta))).await;
        match first {
            Ok(()) => return Ok(evict.len()),
            Err(StoreError::QuotaExceeded) if retry_on_quota => {}
            Err(e) => {
                undo.apply(&mut self.index.borrow_mut());
                return Err(e);
            }
        }
        // The browser's quota is smaller than ours: make room and try once more.
        let more: Vec<(String, EntryMeta)> = {
            let mut index = self.index.borrow_mut();
            // A quarter of what the other entries hold, and at least room for this one.
            let others = index.total_bytes().saturating_sub(meta.bytes);
            let free = (others / 4).max(meta.bytes);
            index
                .least_recent(free, id)
                .into_iter()
                .filter_map(|e| Some((e.clone(), index.remove(&e)?)))
                .collect()
        };
        if more.is_empty() {
            undo.apply(&mut self.index.borrow_mut());
            return Err(StoreError::QuotaExceeded);
        }
        evict.extend(more.iter().map(|(e, _)| e.clone()));
        undo.evicted.extend(more);
        match self.backend_write(&evict, Some((id, bytes, meta))).await {
            Ok(()) => Ok(evict.len()),
            Err(e) => {
                undo.apply(&mut self.index.borrow_mut());
                Err(e)
            }
        }
    }

    async fn backend_write(
        &self,
        deletes: &[String],
        put: Option<(&str, &[u8], EntryMeta)>,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::IndexedDb(db) => db.write(deletes, put).await,
            Backend::Memory(m) => m.write(deletes, put.map(|(id, bytes, _)| (id, bytes))),
        }
    }

    /// Every entry's key id, size and last use (least recently used first),
    /// from the in-memory index.
    pub async fn lru_entries(&self) -> Result<Vec<LruEntry<String>>, StoreError> {
        Ok(self.index.borrow().entries())
    }

    /// Removes entries by key id, in one transaction.
    async fn delete_ids(&self, ids: &[String]) -> Result<(), StoreError> {
        {
            let mut index = self.index.borrow_mut();
            for id in ids {
                index.remove(id);
            }
        }
        self.backend_write(ids, None).await
    }

    /// Removes one entry (no error when it is absent).
    pub async fn delete(&self, key: &CacheKey) -> Result<(), StoreError> {
        self.delete_ids(&[key.id()]).await
    }

    /// Entries and bytes held, from the in-memory index (no database read).
    pub async fn stats(&self) -> Result<CacheStats, StoreError> {
        let index = self.index.borrow();
        Ok(CacheStats {
            entries: index.len(),
            bytes: index.total_bytes(),
        })
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        self.index.borrow_mut().clear();
        match &self.backend {
            Backend::IndexedDb(db) => db.clear().await,
            Backend::Memory(m) => {
                m.clear();
                Ok(())
            }
        }
    }
}

/// How to put the index back after a failed write.
struct Undo<'a> {
    id: &'a str,
    meta: EntryMeta,
    previous: Option<EntryMeta>,
    evicted: Vec<(String, EntryMeta)>,
}

impl Undo<'_> {
    fn apply(self, index: &mut LruIndex) {
        for (id, meta) in self.evicted {
            // Unless it was written again meanwhile.
            if index.get(&id).is_none() {
                index.insert(id, meta);
            }
        }
        // Unless another write of the same key replaced ours meanwhile.
        if index.get(self.id) == Some(&self.meta) {
            match self.previous {
                Some(previous) => index.insert(self.id.to_string(), previous),
                None => index.remove(self.id),
            };
        }
    }
}

fn encode_entry(key: &CacheKey, bars: &Bars) -> Result<(String, Vec<u8>, EntryMeta), StoreError> {
    let id = key.id();
    if bars.is_empty() {
        return Err(StoreError::NoBars { key: id });
    }
    let bytes = codec::encode(bars);
    let now = js_sys::Date::now();
    let meta = EntryMeta {
        bytes: bytes.len() as u64,
        bars: bars.len() as u64,
        saved_at_ms: now,
        last_used_ms: now,
        last_time_ms: bars.time().last().copied(),
    };
    Ok((id, bytes, meta))
}

/// Decodes an entry's bytes (`None`: the value is not bytes at all).
fn decode_entry(key: &CacheKey, id: &str, bytes: Option<&[u8]>) -> Result<(Bars, u64), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key: id.to_string(),
        reason,
    };
    let bytes = bytes.ok_or_else(|| corrupt("the value is not a byte array".into()))?;
    codec::decode(&key.symbol, bytes)
        .map(|bars| (bars, bytes.len() as u64))
        .map_err(|e| corrupt(e.to_string()))
}
