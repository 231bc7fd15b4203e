//! The bar cache: IndexedDB (through the `idb` crate) holding each
//! (source, symbol, interval)'s bars as `data::codec` bytes, with a memory
//! fallback when IndexedDB is unavailable (private mode, blocked). A corrupt or
//! old-schema entry is dropped and reported as a miss, so it is refetched.
//!
//! Database [`DB_NAME`] at [`DB_VERSION`] holds two object stores, both keyed
//! by [`CacheKey::id`]:
//! - [`BARS_STORE`]: the codec bytes as a `Uint8Array` (bytes, not JS objects:
//!   about 4× faster to move than structured-cloned objects);
//! - [`META_STORE`]: a small `{ bytes, bars, savedAt, lastUsed }` object per
//!   entry, so sizes and ages can be read without loading any bars (stats,
//!   the freshness rule's `savedAt`, LRU eviction by `lastUsed`).
//!
//! [`BarStore::put_within`] keeps the store under a byte quota: it evicts the
//! least-recently-used entries (`data::cache_policy::Lru`) before writing,
//! and when the browser refuses the write anyway (QuotaExceededError aborts
//! the transaction) it evicts more and retries once.
//!
//! Both are written in one transaction, so they never disagree. Opening an
//! older database version drops every store it had and creates the current
//! ones: this is a cache, refetching is always correct.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::rc::Rc;

use futures::future::{select, Either};
use idb::{Database, Factory, ObjectStoreParams, TransactionMode, TransactionResult};
use wasm_bindgen::{JsCast, JsValue};

use crate::data::cache_policy::{Lru, LruEntry};
use crate::data::codec;
use crate::engine::bars::Bars;

/// The default byte quota of the bar cache (decimal, like browsers' quotas).
pub const DEFAULT_QUOTA_BYTES: u64 = 200_000_000;

/// The IndexedDB database name used by the app.
pub const DB_NAME: &str = "technic";
/// The database layout version. Bump it when stores change: an older database
/// then has its stores dropped and recreated on open. (It starts at 2 so that
/// the upgrade path from an older database is exercised from the first release.)
pub const DB_VERSION: u32 = 2;
/// Object store of codec bytes per cache key.
pub const BARS_STORE: &str = "bars";
/// Object store of `{ bytes, bars, savedAt, lastUsed }` per cache key.
pub const META_STORE: &str = "meta";

/// How long opening may take before the memory store is used instead (an
/// open is blocked while another tab holds an older version open).
const OPEN_TIMEOUT_MS: i32 = 5_000;

/// Which store is in use (the status line says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    IndexedDb,
    /// IndexedDB is unavailable; bars live in memory for this page only.
    Memory {
        reason: String,
    },
}

/// The cache key: one entry per (source, symbol, interval).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub source: String,
    pub symbol: String,
    pub interval: String,
}

impl CacheKey {
    /// The entry of bars produced by `source` at `endpoint` (hashed into the
    /// key; "" for none) for `symbol` at `interval`.
    pub fn new(source: &str, endpoint: &str, symbol: &str, interval: &str) -> CacheKey {
        let source = if endpoint.is_empty() {
            source.to_string()
        } else {
            // FNV-1a: stable across builds and browsers.
            let hash = endpoint.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            format!("{source}#{hash:016x}")
        };
        CacheKey {
            source,
            symbol: symbol.into(),
            interval: interval.into(),
        }
    }

    pub fn daily(source: &str, symbol: &str) -> CacheKey {
        CacheKey {
            source: source.into(),
            symbol: symbol.into(),
            interval: "1d".into(),
        }
    }

    /// The IndexedDB key string: `source|symbol|interval`.
    pub fn id(&self) -> String {
        format!("{}|{}|{}", self.source, self.symbol, self.interval)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("IndexedDB: {0}")]
    Db(String),
}

impl StoreError {
    fn db(context: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::Db(format!("{context}: {e}"))
    }
}

/// Entries and bytes held, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: u64,
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

/// One memory-store entry: the codec bytes and the same metadata IndexedDB keeps.
struct MemoryEntry {
    bytes: Vec<u8>,
    saved_at: f64,
    last_used: f64,
}

enum Backend {
    IndexedDb(Database),
    Memory(RefCell<HashMap<String, MemoryEntry>>),
}

pub struct BarStore {
    kind: StoreKind,
    backend: Backend,
    /// Entries dropped by `get` because they failed to decode (corrupt or old schema).
    dropped: Cell<usize>,
}

impl BarStore {
    /// Opens (or creates/upgrades) the app's IndexedDB database; falls back to memory.
    pub async fn open() -> BarStore {
        BarStore::open_named(DB_NAME).await
    }

    /// Opens (or creates/upgrades) the database `db_name` at [`DB_VERSION`];
    /// falls back to memory, with the reason, when that fails.
    pub async fn open_named(db_name: &str) -> BarStore {
        match open_database(db_name).await {
            Ok(db) => BarStore {
                kind: StoreKind::IndexedDb,
                backend: Backend::IndexedDb(db),
                dropped: Cell::new(0),
            },
            Err(reason) => BarStore::in_memory(&reason),
        }
    }

    /// A memory-only store (this page only), e.g. when the user turned caching off.
    pub fn in_memory(reason: &str) -> BarStore {
        BarStore {
            kind: StoreKind::Memory {
                reason: reason.to_string(),
            },
            backend: Backend::Memory(RefCell::default()),
            dropped: Cell::new(0),
        }
    }

    pub fn kind(&self) -> &StoreKind {
        &self.kind
    }

    /// How many entries `get` has dropped as corrupt or old since opening.
    pub fn dropped_entries(&self) -> usize {
        self.dropped.get()
    }

    /// The cached bars, or `None` on a miss (a corrupt entry is deleted and is a miss).
    pub async fn get(&self, key: &CacheKey) -> Result<Option<Bars>, StoreError> {
        Ok(self.get_entry(key).await?.map(|e| e.bars))
    }

    /// The cached bars with their save time, or `None` on a miss (a corrupt
    /// or old-schema entry is deleted and is a miss).
    pub async fn get_entry(&self, key: &CacheKey) -> Result<Option<CachedEntry>, StoreError> {
        let id = key.id();
        let found = match &self.backend {
            Backend::Memory(map) => map.borrow().get(&id).map(|e| (e.bytes.clone(), e.saved_at)),
            // A value that is not bytes at all is as corrupt as bad bytes.
            Backend::IndexedDb(db) => idb_get(db, &id).await?.map(|(value, meta)| {
                let bytes = value
                    .dyn_into::<js_sys::Uint8Array>()
                    .map(|a| a.to_vec())
                    .unwrap_or_default();
                let saved_at = meta.and_then(|m| read_number(&m, "savedAt")).unwrap_or(0.0);
                (bytes, saved_at)
            }),
        };
        let Some((bytes, saved_at)) = found else {
            return Ok(None);
        };
        match codec::decode(&key.symbol, &bytes) {
            Ok(bars) => Ok(Some(CachedEntry {
                bars,
                saved_at_ms: saved_at as i64,
                bytes: bytes.len() as u64,
            })),
            Err(why) => {
                web_sys::console::warn_1(&format!("bar cache: dropping {id}: {why}").into());
                self.dropped.set(self.dropped.get() + 1);
                self.delete(key).await?;
                Ok(None)
            }
        }
    }

    /// Stores complete, validated bars (never call it with a partial response).
    /// `Bars` are validated on construction; empty bars are refused, since they
    /// could never be read back.
    pub async fn put(&self, key: &CacheKey, bars: &Bars) -> Result<(), StoreError> {
        if bars.is_empty() {
            return Err(StoreError::Db(format!(
                "refusing to cache {}: no bars",
                key.id()
            )));
        }
        let bytes = codec::encode(bars);
        self.put_bytes(&key.id(), &bytes, bars.len()).await
    }

    async fn put_bytes(&self, id: &str, bytes: &[u8], bar_count: usize) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(map) => {
                let now = js_sys::Date::now();
                map.borrow_mut().insert(
                    id.to_string(),
                    MemoryEntry {
                        bytes: bytes.to_vec(),
                        saved_at: now,
                        last_used: now,
                    },
                );
                Ok(())
            }
            Backend::IndexedDb(db) => idb_put(db, id, bytes, bar_count).await,
        }
    }

    /// Stores complete, validated bars while keeping the whole cache within
    /// `quota_bytes`: least-recently-used entries are evicted first, and when
    /// the browser still refuses the write (its own quota), a quarter of the
    /// remaining entries (least recently used) go too and the write is tried
    /// once more. Returns how many entries were evicted. An entry larger
    /// than the quota is not stored (an error).
    pub async fn put_within(
        &self,
        key: &CacheKey,
        bars: &Bars,
        quota_bytes: u64,
    ) -> Result<usize, StoreError> {
        if bars.is_empty() {
            return Err(StoreError::Db(format!(
                "refusing to cache {}: no bars",
                key.id()
            )));
        }
        let id = key.id();
        let bytes = codec::encode(bars);
        let entries = self.lru_entries().await?;
        let evict = Lru { quota_bytes }
            .evictions(&entries, &id, bytes.len() as u64)
            .map_err(|e| StoreError::Db(format!("{id}: {e}")))?;
        self.delete_ids(&evict).await?;
        let mut evicted = evict.len();
        if let Err(first) = self.put_bytes(&id, &bytes, bars.len()).await {
            // Most likely QuotaExceededError: make room and try once more.
            let mut rest = self.lru_entries().await?;
            rest.retain(|e| e.key != id);
            rest.sort_by_key(|e| e.last_used_ms);
            let more: Vec<String> = rest
                .iter()
                .take(rest.len().div_ceil(4))
                .map(|e| e.key.clone())
                .collect();
            if more.is_empty() {
                return Err(first);
            }
            self.delete_ids(&more).await?;
            evicted += more.len();
            self.put_bytes(&id, &bytes, bars.len()).await?;
        }
        Ok(evicted)
    }

    /// Marks an entry (as `get_entry` returned it) as used at `now_ms`, for
    /// LRU eviction. The metadata is rewritten whole rather than read and
    /// updated, so the write needs no second round trip in its transaction.
    pub async fn touch(
        &self,
        key: &CacheKey,
        entry: &CachedEntry,
        now_ms: f64,
    ) -> Result<(), StoreError> {
        let id = key.id();
        match &self.backend {
            Backend::Memory(map) => {
                if let Some(e) = map.borrow_mut().get_mut(&id) {
                    e.last_used = now_ms;
                }
                Ok(())
            }
            Backend::IndexedDb(db) => {
                let meta = meta_object(
                    entry.bytes as f64,
                    entry.bars.len() as f64,
                    entry.saved_at_ms as f64,
                    now_ms,
                )?;
                let tx = db
                    .transaction(&[META_STORE], TransactionMode::ReadWrite)
                    .map_err(|e| StoreError::db("touch", e))?;
                tx.object_store(META_STORE)
                    .map_err(|e| StoreError::db("touch", e))?
                    .put(&meta, Some(&JsValue::from_str(&id)))
                    .map_err(|e| StoreError::db("touch", e))?;
                finish(tx, "touch").await
            }
        }
    }

    /// Every entry's key id, size and last use, for eviction.
    pub async fn lru_entries(&self) -> Result<Vec<LruEntry<String>>, StoreError> {
        match &self.backend {
            Backend::Memory(map) => Ok(map
                .borrow()
                .iter()
                .map(|(id, e)| LruEntry {
                    key: id.clone(),
                    size_bytes: e.bytes.len() as u64,
                    last_used_ms: e.last_used as i64,
                })
                .collect()),
            Backend::IndexedDb(db) => {
                let tx = db
                    .transaction(&[META_STORE], TransactionMode::ReadOnly)
                    .map_err(|e| StoreError::db("listing entries", e))?;
                let store = tx
                    .object_store(META_STORE)
                    .map_err(|e| StoreError::db("listing entries", e))?;
                // Both requests before awaiting either (see `idb_get`).
                let keys = store
                    .get_all_keys(None, None)
                    .map_err(|e| StoreError::db("listing entries", e))?;
                let metas = store
                    .get_all(None, None)
                    .map_err(|e| StoreError::db("listing entries", e))?;
                // Listeners on both before awaiting (see `idb_get`).
                let (keys, metas) =
                    futures::future::join(keys.into_future(), metas.into_future()).await;
                let keys = keys.map_err(|e| StoreError::db("listing entries", e))?;
                let metas = metas.map_err(|e| StoreError::db("listing entries", e))?;
                // Both lists come in key order from one transaction.
                Ok(keys
                    .iter()
                    .zip(metas.iter())
                    .filter_map(|(k, m)| {
                        Some(LruEntry {
                            key: k.as_string()?,
                            size_bytes: read_number(m, "bytes").unwrap_or(0.0).max(0.0) as u64,
                            last_used_ms: read_number(m, "lastUsed").unwrap_or(0.0) as i64,
                        })
                    })
                    .collect())
            }
        }
    }

    /// Removes entries by key id, in one transaction.
    async fn delete_ids(&self, ids: &[String]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Memory(map) => {
                let mut m = map.borrow_mut();
                ids.iter().for_each(|id| {
                    m.remove(id);
                });
                Ok(())
            }
            Backend::IndexedDb(db) => {
                let tx = write_transaction(db)?;
                for name in [BARS_STORE, META_STORE] {
                    let store = tx
                        .object_store(name)
                        .map_err(|e| StoreError::db("evict", e))?;
                    for id in ids {
                        store
                            .delete(JsValue::from_str(id))
                            .map_err(|e| StoreError::db("evict", e))?;
                    }
                }
                finish(tx, "evict").await
            }
        }
    }

    /// Removes one entry (no error when it is absent).
    pub async fn delete(&self, key: &CacheKey) -> Result<(), StoreError> {
        let id = key.id();
        match &self.backend {
            Backend::Memory(map) => {
                map.borrow_mut().remove(&id);
                Ok(())
            }
            Backend::IndexedDb(db) => {
                let tx = write_transaction(db)?;
                for name in [BARS_STORE, META_STORE] {
                    let store = tx
                        .object_store(name)
                        .map_err(|e| StoreError::db("delete", e))?;
                    store
                        .delete(JsValue::from_str(&id))
                        .map_err(|e| StoreError::db("delete", e))?;
                }
                finish(tx, "delete").await
            }
        }
    }

    pub async fn stats(&self) -> Result<CacheStats, StoreError> {
        match &self.backend {
            Backend::Memory(map) => {
                let m = map.borrow();
                Ok(CacheStats {
                    entries: m.len(),
                    bytes: m.values().map(|v| v.bytes.len() as u64).sum(),
                })
            }
            Backend::IndexedDb(db) => {
                let tx = db
                    .transaction(&[META_STORE], TransactionMode::ReadOnly)
                    .map_err(|e| StoreError::db("stats", e))?;
                let store = tx
                    .object_store(META_STORE)
                    .map_err(|e| StoreError::db("stats", e))?;
                let metas = store
                    .get_all(None, None)
                    .map_err(|e| StoreError::db("stats", e))?
                    .await
                    .map_err(|e| StoreError::db("stats", e))?;
                let bytes = metas
                    .iter()
                    .map(|m| read_number(m, "bytes").unwrap_or(0.0).max(0.0) as u64)
                    .sum();
                Ok(CacheStats {
                    entries: metas.len(),
                    bytes,
                })
            }
        }
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(map) => {
                map.borrow_mut().clear();
                Ok(())
            }
            Backend::IndexedDb(db) => {
                let tx = write_transaction(db)?;
                for name in [BARS_STORE, META_STORE] {
                    let store = tx
                        .object_store(name)
                        .map_err(|e| StoreError::db("clear", e))?;
                    store.clear().map_err(|e| StoreError::db("clear", e))?;
                }
                finish(tx, "clear").await
            }
        }
    }
}

/// Opens `name` at `DB_VERSION`, upgrading an older database, within
/// `OPEN_TIMEOUT_MS`. The error is a plain sentence for the status line.
async fn open_database(name: &str) -> Result<Database, String> {
    let factory =
        Factory::new().map_err(|_| "IndexedDB is not available in this browser".to_string())?;
    let mut request = factory
        .open(name, Some(DB_VERSION))
        .map_err(|e| format!("IndexedDB refused to open the cache: {e}"))?;

    let upgrade_failure: Rc<RefCell<Option<String>>> = Rc::default();
    let blocked = Rc::new(Cell::new(false));
    {
        let upgrade_failure = upgrade_failure.clone();
        request.on_upgrade_needed(move |event| {
            use idb::DatabaseEvent;
            let result = event
                .database()
                .map_err(|e| e.to_string())
                .and_then(|db| upgrade(&db));
            if let Err(why) = result {
                *upgrade_failure.borrow_mut() = Some(why);
            }
        });
        let blocked = blocked.clone();
        request.on_blocked(move |_| blocked.set(true));
    }

    let opened =
        match select(
            Box::pin(request.into_future()),
            Box::pin(sleep_ms(OPEN_TIMEOUT_MS)),
        )
        .await
        {
            Either::Left((result, _)) => result,
            Either::Right(_) if blocked.get() => return Err(
                "the cache is held open by another tab of an older version; close it and reload"
                    .into(),
            ),
            Either::Right(_) => return Err("IndexedDB did not open in time".into()),
        };
    let db = opened.map_err(|e| {
        let text = e.to_string();
        if text.contains("VersionError") || text.contains("less than") {
            "the cache was written by a newer version of this app".to_string()
        } else {
            format!("IndexedDB could not open the cache ({text})")
        }
    })?;

    if let Some(why) = upgrade_failure.borrow_mut().take() {
        db.close();
        return Err(format!("the cache could not be upgraded ({why})"));
    }
    let names = db.store_names();
    if ![BARS_STORE, META_STORE]
        .iter()
        .all(|s| names.iter().any(|n| n == s))
    {
        db.close();
        return Err("the cache database is missing its stores".into());
    }

    // Another tab opening a newer version must not be blocked by this one:
    // close on request (later calls then fail and are reported as errors,
    // which callers treat as misses).
    let raw: JsValue = JsValue::from(db);
    let for_close = raw.clone();
    let mut db = Database::try_from(raw).map_err(|e| format!("IndexedDB: {e}"))?;
    db.on_version_change(move |_| {
        if let Ok(close) = js_sys::Reflect::get(&for_close, &"close".into()) {
            if let Some(close) = close.dyn_ref::<js_sys::Function>() {
                let _ = close.call0(&for_close);
            }
        }
    });
    Ok(db)
}

/// `onupgradeneeded`: drop every store of the older layout, create the current ones.
fn upgrade(db: &Database) -> Result<(), String> {
    for old in db.store_names() {
        db.delete_object_store(&old)
            .map_err(|e| format!("dropping store {old}: {e}"))?;
    }
    for name in [BARS_STORE, META_STORE] {
        db.create_object_store(name, ObjectStoreParams::new())
            .map_err(|e| format!("creating store {name}: {e}"))?;
    }
    Ok(())
}

/// The bars value and its metadata (if any), read in one transaction.
async fn idb_get(
    db: &Database,
    id: &str,
) -> Result<Option<(JsValue, Option<JsValue>)>, StoreError> {
    let tx = db
        .transaction(&[BARS_STORE, META_STORE], TransactionMode::ReadOnly)
        .map_err(|e| StoreError::db("get", e))?;
    // Both requests are issued before awaiting either: a transaction is only
    // guaranteed active until control returns to the event loop.
    let value = tx
        .object_store(BARS_STORE)
        .map_err(|e| StoreError::db("get", e))?
        .get(JsValue::from_str(id))
        .map_err(|e| StoreError::db("get", e))?;
    let meta = tx
        .object_store(META_STORE)
        .map_err(|e| StoreError::db("get", e))?
        .get(JsValue::from_str(id))
        .map_err(|e| StoreError::db("get", e))?;
    // `into_future` attaches a request's listeners: both at once, before
    // awaiting, or the second could succeed unheard while the first is awaited.
    let (value, meta) = futures::future::join(value.into_future(), meta.into_future()).await;
    let value = value.map_err(|e| StoreError::db("get", e))?;
    let meta = meta.map_err(|e| StoreError::db("get", e))?;
    Ok(value.map(|v| (v, meta)))
}

async fn idb_put(
    db: &Database,
    id: &str,
    bytes: &[u8],
    bar_count: usize,
) -> Result<(), StoreError> {
    // A copy owned by JS: a view over wasm memory would be a SharedArrayBuffer
    // in the threaded build, which IndexedDB cannot clone.
    let value = js_sys::Uint8Array::from(bytes);
    let now = js_sys::Date::now();
    let meta = meta_object(bytes.len() as f64, bar_count as f64, now, now)?;
    let key = JsValue::from_str(id);
    let tx = write_transaction(db)?;
    let bars_store = tx
        .object_store(BARS_STORE)
        .map_err(|e| StoreError::db("put", e))?;
    let meta_store = tx
        .object_store(META_STORE)
        .map_err(|e| StoreError::db("put", e))?;
    bars_store
        .put(&value, Some(&key))
        .map_err(|e| StoreError::db("put", e))?;
    meta_store
        .put(&meta, Some(&key))
        .map_err(|e| StoreError::db("put", e))?;
    finish(tx, "put").await
}

/// The `{ bytes, bars, savedAt, lastUsed }` metadata object.
fn meta_object(
    bytes: f64,
    bars: f64,
    saved_at: f64,
    last_used: f64,
) -> Result<JsValue, StoreError> {
    let meta = js_sys::Object::new();
    for (field, v) in [
        ("bytes", bytes),
        ("bars", bars),
        ("savedAt", saved_at),
        ("lastUsed", last_used),
    ] {
        js_sys::Reflect::set(&meta, &field.into(), &v.into())
            .map_err(|_| StoreError::Db("building metadata".into()))?;
    }
    Ok(meta.into())
}

fn write_transaction(db: &Database) -> Result<idb::Transaction, StoreError> {
    db.transaction(&[BARS_STORE, META_STORE], TransactionMode::ReadWrite)
        .map_err(|e| StoreError::db("opening a write transaction", e))
}

/// Waits for a write transaction: only a commit counts as success (an abort,
/// e.g. on a full quota, is an error).
async fn finish(tx: idb::Transaction, what: &str) -> Result<(), StoreError> {
    match tx.await {
        Ok(TransactionResult::Committed) => Ok(()),
        Ok(TransactionResult::Aborted) => {
            Err(StoreError::Db(format!("{what}: transaction aborted")))
        }
        Err(e) => Err(StoreError::db(what, e)),
    }
}

fn read_number(object: &JsValue, field: &str) -> Option<f64> {
    js_sys::Reflect::get(object, &field.into()).ok()?.as_f64()
}

/// Resolves after `ms` milliseconds (page or worker: `setTimeout` on the global).
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        // No timers at all: never time out rather than fail at once.
        if let Some(f) = set_timeout {
            let _ = f.call2(&JsValue::UNDEFINED, &resolve, &ms.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
