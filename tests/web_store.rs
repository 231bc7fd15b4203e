//! The IndexedDB bar cache in headless Chromium: round trip through a real
//! database, misses, corrupt and old-schema entries dropped, older database
//! versions upgraded (entries keyed without an endpoint dropped), stats and
//! clear, the bounded memory fallback (also for opens that never end), save times for the freshness rule,
//! endpoints in the key, the in-memory LRU index (read once, matching
//! `cache_policy::Lru`), batched last-use writes, least-recently-used
//! eviction under a quota, typed errors by DOMException name, a read
//! benchmark after a reopen, and both stores (the bar cache and the scan
//! history) working when every await resumes late, as the threaded build's
//! executor resumes one under load.
#![cfg(target_arch = "wasm32")]

use std::future::IntoFuture;

use idb::{Factory, ObjectStoreParams, TransactionMode};
use technic::data::cache_policy::{Lru, LruEntry};
use technic::data::codec::{self, CodecError, SCHEMA_VERSION};
use technic::data::synthetic;
use technic::engine::bars::Columns;
use technic::engine::Bars;
use technic::web::store::index::{EntryMeta, LruIndex, LAST_USE_GRANULARITY_MS};
use technic::web::store::{
    fnv1a_64, time_reload_and_read, BarStore, CacheKey, CacheStats, StoreError, StoreKind,
    BARS_STORE, DB_VERSION, META_STORE, TOUCH_BATCH_LIMIT, TOUCH_SLICE,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh database name per test (deleted first, in case a run was interrupted).
async fn fresh(name: &str) -> String {
    let name = format!("technic-test-{name}");
    let factory = Factory::new().expect("indexedDB");
    factory
        .delete(&name)
        .expect("delete request")
        .await
        .expect("delete database");
    name
}

/// Bars whose prices and volumes are not short decimals (the market's
/// cents scaled by a factor with a long mantissa), so the codec stores them
/// raw and every entry of `n` bars has the same size, [`entry_size`]: the
/// quotas below are counted in entries.
fn bars(index: usize, n: usize) -> Bars {
    let b = synthetic::bars(7, index, n);
    let f = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| x * 1.000_000_123_456_789).collect() };
    let cols = Columns {
        time: b.time().to_vec(),
        open: f(b.open()),
        high: f(b.high()),
        low: f(b.low()),
        close: f(b.close()),
        volume: f(b.volume()),
    };
    Bars::new(&synthetic::symbol_name(index), cols).expect("scaled bars stay valid")
}

/// The stored size of an entry of `n` [`bars`] (the same for every index).
fn entry_size(n: usize) -> usize {
    let size = codec::encode(&bars(0, n)).len();
    assert_eq!(
        codec::encode(&bars(3, n)).len(),
        size,
        "raw entries differ in size"
    );
    size
}

/// Writes `value` under `id` into `store` directly, bypassing `BarStore`.
async fn raw_put(db_name: &str, store: &str, id: &str, value: &JsValue) {
    let db = Factory::new()
        .unwrap()
        .open(db_name, None)
        .unwrap()
        .await
        .expect("open raw");
    let tx = db
        .transaction(&[store], TransactionMode::ReadWrite)
        .unwrap();
    tx.object_store(store)
        .unwrap()
        .put(value, Some(&JsValue::from_str(id)))
        .unwrap();
    assert!(tx.await.expect("raw put").is_committed());
    db.close();
}

async fn raw_get(db_name: &str, store: &str, id: &str) -> Option<JsValue> {
    let db = Factory::new()
        .unwrap()
        .open(db_name, None)
        .unwrap()
        .await
        .expect("open raw");
    let tx = db.transaction(&[store], TransactionMode::ReadOnly).unwrap();
    let value = tx
        .object_store(store)
        .unwrap()
        .get(JsValue::from_str(id))
        .unwrap()
        .await
        .expect("raw get");
    db.close();
    value
}

async fn raw_store_names(db_name: &str) -> (u32, Vec<String>) {
    let db = Factory::new()
        .unwrap()
        .open(db_name, None)
        .unwrap()
        .await
        .expect("open raw");
    let out = (db.version().unwrap(), db.store_names());
    db.close();
    out
}

fn bytes_value(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// Runs `inner` as a task resumed late: it is polled only on a timer's
/// ticks, `ms` apart, whatever wakes it. The threaded build's executor
/// resumes a task through `Atomics.waitAsync`, a later task of the event
/// loop, and under load every event an await waits for may have fired (and
/// the transaction completed) by the time the code after it runs. Code
/// that attaches a listener after an await then waits forever; here it
/// does so every time, not only under load.
struct Late<F: std::future::Future> {
    inner: std::pin::Pin<Box<F>>,
    tick: gloo_timers::future::TimeoutFuture,
    ms: u32,
}

fn late<F: std::future::Future>(inner: F, ms: u32) -> Late<F> {
    Late {
        inner: Box::pin(inner),
        tick: gloo_timers::future::TimeoutFuture::new(0),
        ms,
    }
}

impl<F: std::future::Future> std::future::Future for Late<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        use std::task::Poll;
        if std::pin::Pin::new(&mut self.tick).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let ms = self.ms;
        self.tick = gloo_timers::future::TimeoutFuture::new(ms);
        let _ = std::pin::Pin::new(&mut self.tick).poll(cx);
        self.inner.as_mut().poll(cx)
    }
}

/// How long a test waits for a store's work resumed [`late`] before it calls
/// it hung (each await costs a tick).
const LATE_LIMIT_MS: u32 = 20_000;

async fn in_time<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    technic::web::time::within(LATE_LIMIT_MS, future)
        .await
        .unwrap_or_else(|| panic!("{what} never finished (an event it waited for was missed)"))
}

#[wasm_bindgen_test]
async fn the_bar_cache_works_when_every_await_resumes_late() {
    let name = fresh("late").await;
    let key = CacheKey::daily("sample", "", "SYN00004");
    let original = bars(4, 300);
    let store = in_time("the open", late(BarStore::open_named(&name), 100)).await;
    assert_eq!(store.kind(), &StoreKind::IndexedDb);
    in_time("a put", late(store.put(&key, &original), 100))
        .await
        .expect("put");
    drop(store);
    let again = in_time("a reopen", late(BarStore::open_named(&name), 100)).await;
    assert_eq!(again.kind(), &StoreKind::IndexedDb);
    let read = in_time("a get", late(again.get(&key), 100)).await;
    assert_eq!(read.expect("get"), Some(original));
}

#[wasm_bindgen_test]
async fn bars_round_trip_through_indexeddb() {
    let name = fresh("round-trip").await;
    let store = BarStore::open_named(&name).await;
    assert_eq!(store.kind(), &StoreKind::IndexedDb);

    let key = CacheKey::daily("sample", "", "SYN00003");
    let original = bars(3, 500);
    store.put(&key, &original).await.expect("put");
    assert_eq!(store.get(&key).await.expect("get"), Some(original.clone()));

    // The entry is bytes (a Uint8Array holding the codec layout), with metadata beside it.
    let raw = raw_get(&name, BARS_STORE, &key.id())
        .await
        .expect("raw entry");
    let array: js_sys::Uint8Array = raw.into();
    assert_eq!(array.to_vec(), codec::encode(&original));
    let meta = raw_get(&name, META_STORE, &key.id())
        .await
        .expect("meta entry");
    let field = |f: &str| {
        js_sys::Reflect::get(&meta, &f.into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    assert_eq!(field("bytes") as usize, entry_size(500));
    assert_eq!(field("bars"), 500.0);
    assert!(field("savedAt") > 1.6e12 && field("lastUsed") >= field("savedAt"));

    // Overwriting replaces the entry; another key is independent.
    let shorter = bars(3, 120);
    store.put(&key, &shorter).await.expect("overwrite");
    assert_eq!(store.get(&key).await.unwrap(), Some(shorter));
    let other = CacheKey::daily("synthetic-100", "", "SYN00003");
    assert_eq!(store.get(&other).await.unwrap(), None);

    // A second connection (a reload) sees the same entry.
    drop(store);
    let reopened = BarStore::open_named(&name).await;
    assert_eq!(
        reopened.get(&key).await.unwrap().map(|b| b.len()),
        Some(120)
    );
}

#[wasm_bindgen_test]
async fn a_missing_key_is_a_miss() {
    let name = fresh("miss").await;
    let store = BarStore::open_named(&name).await;
    assert_eq!(store.kind(), &StoreKind::IndexedDb);
    assert_eq!(
        store.get(&CacheKey::daily("sample", "", "NOPE")).await,
        Ok(None)
    );
    assert_eq!(store.dropped_entries(), 0);
}

#[wasm_bindgen_test]
async fn a_corrupt_entry_is_dropped_and_is_a_miss() {
    let name = fresh("corrupt").await;
    let store = BarStore::open_named(&name).await;
    let key = CacheKey::daily("sample", "", "AAPL");
    store.put(&key, &bars(1, 50)).await.unwrap();
    store
        .put(&CacheKey::daily("sample", "", "IBM"), &bars(2, 50))
        .await
        .unwrap();

    // Garbage bytes, then a flipped byte in a real entry, then a value that is not bytes at all.
    let mut flipped = codec::encode(&bars(1, 50));
    flipped[100] ^= 0x20;
    let not_bytes = JsValue::from_str("a string, not bars");
    for value in [
        bytes_value(b"garbage that is not a bar entry"),
        bytes_value(&flipped),
        not_bytes,
    ] {
        raw_put(&name, BARS_STORE, &key.id(), &value).await;
        assert!(raw_get(&name, BARS_STORE, &key.id()).await.is_some());
        assert_eq!(store.get(&key).await, Ok(None));
        assert_eq!(
            raw_get(&name, BARS_STORE, &key.id()).await,
            None,
            "corrupt entry still there"
        );
        assert_eq!(
            raw_get(&name, META_STORE, &key.id()).await,
            None,
            "its metadata still there"
        );
        // Refetched bars are stored again as usual.
        store.put(&key, &bars(1, 50)).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Some(bars(1, 50)));
    }
    assert_eq!(store.dropped_entries(), 3);
    // The other entry was never touched.
    assert_eq!(
        store
            .get(&CacheKey::daily("sample", "", "IBM"))
            .await
            .unwrap(),
        Some(bars(2, 50))
    );
}

#[wasm_bindgen_test]
async fn an_older_schema_entry_is_dropped() {
    let name = fresh("old-schema").await;
    let store = BarStore::open_named(&name).await;
    let key = CacheKey::daily("sample", "", "MSFT");
    store.put(&key, &bars(5, 80)).await.unwrap();

    // The same bars written by an older codec: schema field lowered, checksum valid.
    let mut old = codec::encode(&bars(5, 80));
    old[4..8].copy_from_slice(&(SCHEMA_VERSION - 1).to_le_bytes());
    let at = old.len() - 8;
    let sum = codec::checksum(&old[..at]);
    old[at..].copy_from_slice(&sum.to_le_bytes());
    assert!(matches!(
        codec::decode("MSFT", &old),
        Err(CodecError::Schema { .. })
    ));
    raw_put(&name, BARS_STORE, &key.id(), &bytes_value(&old)).await;

    assert_eq!(store.get(&key).await, Ok(None));
    assert_eq!(raw_get(&name, BARS_STORE, &key.id()).await, None);
    assert_eq!(store.stats().await.unwrap().entries, 0);
    assert_eq!(store.dropped_entries(), 1);
}

#[wasm_bindgen_test]
async fn an_older_database_version_is_upgraded_cleanly() {
    let name = fresh("old-version").await;
    let key = CacheKey::daily("sample", "", "GOOG");
    // A version-1 database with stores of another layout, one of them named
    // like a current store and holding a JS object (not bytes) under a real key.
    {
        let mut request = Factory::new().unwrap().open(&name, Some(1)).unwrap();
        request.on_upgrade_needed(|event| {
            use idb::DatabaseEvent;
            let db = event.database().unwrap();
            db.create_object_store("cache", ObjectStoreParams::new())
                .unwrap();
            db.create_object_store(BARS_STORE, ObjectStoreParams::new())
                .unwrap();
        });
        let db = request.into_future().await.expect("create version 1");
        let tx = db
            .transaction(&["cache", BARS_STORE], TransactionMode::ReadWrite)
            .unwrap();
        let object = js_sys::Object::new();
        js_sys::Reflect::set(&object, &"close".into(), &js_sys::Array::of1(&1.0.into())).unwrap();
        tx.object_store(BARS_STORE)
            .unwrap()
            .put(&object, Some(&JsValue::from_str(&key.id())))
            .unwrap();
        tx.object_store("cache")
            .unwrap()
            .put(&"x".into(), Some(&"y".into()))
            .unwrap();
        assert!(tx.await.unwrap().is_committed());
        db.close();
    }
    assert_eq!(
        raw_store_names(&name).await,
        (1, vec![BARS_STORE.to_string(), "cache".to_string()])
    );

    let store = BarStore::open_named(&name).await;
    assert_eq!(store.kind(), &StoreKind::IndexedDb);
    let (version, mut names) = raw_store_names(&name).await;
    names.sort();
    assert_eq!(
        (version, names),
        (
            DB_VERSION,
            vec![BARS_STORE.to_string(), META_STORE.to_string()]
        )
    );

    // The old entry is gone and the store works.
    assert_eq!(store.get(&key).await, Ok(None));
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
    store.put(&key, &bars(9, 64)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(9, 64)));
}

#[wasm_bindgen_test]
async fn stats_count_entries_and_bytes_and_clear_empties() {
    let name = fresh("stats").await;
    let store = BarStore::open_named(&name).await;
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
    let sizes = [10, 250, 1000];
    for (i, n) in sizes.iter().enumerate() {
        store
            .put(
                &CacheKey::daily("synthetic-100", "", &synthetic::symbol_name(i)),
                &bars(i, *n),
            )
            .await
            .unwrap();
    }
    // Overwriting an entry does not count it twice.
    store
        .put(
            &CacheKey::daily("synthetic-100", "", &synthetic::symbol_name(0)),
            &bars(0, 10),
        )
        .await
        .unwrap();
    let expected_bytes: usize = sizes.iter().map(|&n| entry_size(n)).sum();
    assert_eq!(
        store.stats().await.unwrap(),
        CacheStats {
            entries: 3,
            bytes: expected_bytes as u64
        }
    );

    store
        .delete(&CacheKey::daily(
            "synthetic-100",
            "",
            &synthetic::symbol_name(1),
        ))
        .await
        .unwrap();
    let after_delete = store.stats().await.unwrap();
    assert_eq!(after_delete.entries, 2);
    assert_eq!(
        after_delete.bytes as usize,
        expected_bytes - entry_size(250)
    );

    store.clear().await.unwrap();
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
    assert_eq!(
        store
            .get(&CacheKey::daily(
                "synthetic-100",
                "",
                &synthetic::symbol_name(2)
            ))
            .await,
        Ok(None)
    );
}

#[wasm_bindgen_test]
async fn empty_bars_are_never_stored() {
    let name = fresh("empty").await;
    let store = BarStore::open_named(&name).await;
    let key = CacheKey::daily("sample", "", "EMPTY");
    assert_eq!(
        store.put(&key, &Bars::default()).await,
        Err(StoreError::NoBars { key: key.id() })
    );
    assert_eq!(store.stats().await.unwrap().entries, 0);
    assert_eq!(raw_get(&name, BARS_STORE, &key.id()).await, None);
}

#[wasm_bindgen_test]
async fn a_failed_open_falls_back_to_memory_with_a_reason() {
    // A database at a newer version than this app knows cannot be opened.
    let name = fresh("newer").await;
    let db = Factory::new()
        .unwrap()
        .open(&name, Some(DB_VERSION + 10))
        .unwrap()
        .await
        .unwrap();
    db.close();

    let store = BarStore::open_named(&name).await;
    let StoreKind::Memory { reason } = store.kind().clone() else {
        panic!("expected the memory store, got {:?}", store.kind());
    };
    assert!(reason.contains("newer version"), "{reason}");
    // Told apart by the DOMException's name (VersionError), not its message.
    match BarStore::try_open_named(&name).await {
        Err(e) => assert_eq!(e, StoreError::VersionTooNew),
        Ok(_) => panic!("a newer database opened"),
    }

    // The memory store behaves like the real one.
    let key = CacheKey::daily("sample", "", "FB");
    assert_eq!(store.get(&key).await, Ok(None));
    store.put(&key, &bars(4, 30)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(4, 30)));
    assert_eq!(
        store.stats().await.unwrap(),
        CacheStats {
            entries: 1,
            bytes: entry_size(30) as u64
        }
    );
    assert!(store.put(&key, &Bars::default()).await.is_err());
    store.clear().await.unwrap();
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
}

/// Leaves `name` open at `version` in a connection that never closes, and
/// an upgrade to `version + 1` blocked behind it: every later open of
/// `name` waits in the queue behind the upgrade, as a page does while
/// another tab upgrades the database and a third holds the old version.
/// The connection goes back to the caller: closing it lets the queue move.
async fn queue_opens_behind_a_blocked_upgrade(name: &str, version: u32) -> idb::Database {
    let factory = Factory::new().unwrap();
    let holder = factory.open(name, Some(version)).unwrap().await.unwrap();
    // Issued now (IDBFactory.open), never awaited: blocked by `holder`.
    let _upgrade = factory.open(name, Some(version + 1)).unwrap();
    holder
}

#[wasm_bindgen_test]
async fn an_open_that_never_ends_falls_back_to_memory_in_time() {
    let name = fresh("queued").await;
    let holder = queue_opens_behind_a_blocked_upgrade(&name, DB_VERSION).await;
    // Without the deadline this await never returns (the page stayed at
    // "opening the bar cache and the scan history…").
    let store = BarStore::open_named(&name).await;
    let StoreKind::Memory { reason } = store.kind().clone() else {
        panic!("expected the memory store, got {:?}", store.kind());
    };
    assert!(reason.contains("did not open in time"), "{reason}");
    // Usable all the same.
    let key = CacheKey::daily("sample", "", "FB");
    store.put(&key, &bars(4, 30)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(4, 30)));
    holder.close();
}

#[wasm_bindgen_test]
async fn a_forced_memory_store_works() {
    let store = BarStore::in_memory("caching turned off");
    assert_eq!(
        store.kind(),
        &StoreKind::Memory {
            reason: "caching turned off".into()
        }
    );
    let key = CacheKey::daily("sample", "", "IBM");
    store.put(&key, &bars(8, 40)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(8, 40)));
    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&key).await, Ok(None));
}

/// Both backends: an IndexedDB store on a fresh database, and a memory store.
async fn both_backends(name: &str) -> Vec<BarStore> {
    let name = fresh(name).await;
    vec![
        BarStore::open_named(&name).await,
        BarStore::in_memory("test"),
    ]
}

#[wasm_bindgen_test]
async fn an_entry_comes_back_with_its_save_time_and_size() {
    for store in both_backends("entry").await {
        let key = CacheKey::daily("binance", "", "BTCUSDT");
        let before = js_sys::Date::now() as i64;
        store.put(&key, &bars(1, 50)).await.unwrap();
        let after = js_sys::Date::now() as i64;
        let entry = store.get_entry(&key).await.unwrap().expect("a hit");
        assert_eq!(entry.bars, bars(1, 50));
        assert_eq!(entry.bytes, entry_size(50) as u64);
        assert!(
            (before..=after).contains(&entry.saved_at_ms),
            "{before} <= {} <= {after} ({:?})",
            entry.saved_at_ms,
            store.kind()
        );
        assert_eq!(
            store
                .get_entry(&CacheKey::daily("binance", "", "NOPE"))
                .await
                .unwrap(),
            None
        );
    }
}

#[wasm_bindgen_test]
async fn touch_marks_last_use_and_keeps_the_save_time() {
    for store in both_backends("touch").await {
        let key = CacheKey::daily("url", "", "AAA");
        store.put(&key, &bars(2, 20)).await.unwrap();
        let entry = store.get_entry(&key).await.unwrap().unwrap();
        let later = entry.saved_at_ms as f64 + 3_600_000.0;
        store.touch_at(&key, later);
        let listed = store.lru_entries().await.unwrap();
        assert_eq!(listed.len(), 1, "{:?}", store.kind());
        assert_eq!(listed[0].key, key.id());
        assert_eq!(listed[0].last_used_ms, later as i64);
        assert_eq!(listed[0].size_bytes, entry_size(20) as u64);
        let again = store.get_entry(&key).await.unwrap().unwrap();
        assert_eq!(again.saved_at_ms, entry.saved_at_ms);
        assert_eq!(store.stats().await.unwrap().entries, 1);
        // Touching an unknown key is ignored.
        store.touch(&CacheKey::daily("url", "", "NOPE"));
        assert_eq!(store.lru_entries().await.unwrap().len(), 1);
    }
}

#[wasm_bindgen_test]
async fn the_least_recently_used_entries_are_evicted_to_fit_the_quota() {
    for store in both_backends("lru").await {
        let size = entry_size(100) as u64;
        let keys: Vec<CacheKey> = (0..4)
            .map(|i| CacheKey::daily("url", "", &format!("S{i}")))
            .collect();
        // Room for three entries.
        let quota = size * 3;
        for (i, key) in keys.iter().take(3).enumerate() {
            assert_eq!(
                store.put_within(key, &bars(i, 100), quota).await.unwrap(),
                0
            );
        }
        // S0 is used most recently, so S1 is the least recently used (a touch
        // in the same millisecond as a save still counts as later).
        assert!(store.get_entry(&keys[0]).await.unwrap().is_some());
        store.touch(&keys[0]);
        assert_eq!(
            store
                .put_within(&keys[3], &bars(3, 100), quota)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store.get(&keys[1]).await.unwrap(),
            None,
            "{:?}",
            store.kind()
        );
        for k in [&keys[0], &keys[2], &keys[3]] {
            assert!(store.get(k).await.unwrap().is_some(), "{k:?} kept");
        }
        assert_eq!(
            store.stats().await.unwrap(),
            CacheStats {
                entries: 3,
                bytes: size * 3
            }
        );
        // Overwriting an entry never evicts it, and needs no room for its old size.
        assert_eq!(
            store
                .put_within(&keys[3], &bars(4, 100), quota)
                .await
                .unwrap(),
            0
        );
        // An entry larger than the whole quota is refused and evicts nothing.
        assert!(matches!(
            store
                .put_within(&CacheKey::daily("url", "", "HUGE"), &bars(5, 400), quota)
                .await,
            Err(StoreError::TooLarge { .. })
        ));
        assert_eq!(store.stats().await.unwrap().entries, 3);
    }
}

/// A metadata object as the store writes it.
fn meta_value(bytes: usize, bars: usize, saved_at: f64, last_used: f64) -> JsValue {
    let meta = js_sys::Object::new();
    for (field, v) in [
        ("bytes", bytes as f64),
        ("bars", bars as f64),
        ("savedAt", saved_at),
        ("lastUsed", last_used),
    ] {
        js_sys::Reflect::set(&meta, &field.into(), &v.into()).unwrap();
    }
    meta.into()
}

/// Writes entries (the same bytes under every id, with metadata) straight
/// into an existing database, in one transaction.
async fn raw_seed(db_name: &str, ids: &[String], bytes: &[u8], bar_count: usize) {
    let db = Factory::new()
        .unwrap()
        .open(db_name, None)
        .unwrap()
        .await
        .expect("open raw");
    let tx = db
        .transaction(&[BARS_STORE, META_STORE], TransactionMode::ReadWrite)
        .unwrap();
    let value = bytes_value(bytes);
    let now = js_sys::Date::now();
    let meta = meta_value(bytes.len(), bar_count, now, now);
    let bars_store = tx.object_store(BARS_STORE).unwrap();
    let meta_store = tx.object_store(META_STORE).unwrap();
    for id in ids {
        let key = JsValue::from_str(id);
        bars_store.put(&value, Some(&key)).unwrap();
        meta_store.put(&meta, Some(&key)).unwrap();
    }
    assert!(tx.await.expect("raw seed").is_committed());
    db.close();
}

#[wasm_bindgen_test]
fn fnv1a_64_matches_the_reference_vectors() {
    assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
}

#[wasm_bindgen_test]
fn a_key_id_holds_the_endpoint_hash_and_not_the_endpoint() {
    let endpoint = "template=https://a.test/{symbol}.csv?apikey=SECRET;format=csv";
    let key = CacheKey::new("url", endpoint, "AAPL", "1d");
    let hash = format!("{:016x}", fnv1a_64(endpoint.as_bytes()));
    assert_eq!(key.endpoint_hash(), hash);
    assert_eq!(key.id(), format!("url|{hash}|AAPL|1d"));
    assert_eq!(CacheKey::daily("url", endpoint, "AAPL"), key);
    // A template may hold an API key: only its hash reaches IndexedDB.
    assert!(!key.id().contains("SECRET"));
    // Stable across builds: a stored key means the same after an update.
    assert_eq!(
        CacheKey::daily("sample", "", "AAPL").id(),
        "sample|cbf29ce484222325|AAPL|1d"
    );
}

#[wasm_bindgen_test]
async fn changing_the_endpoint_never_serves_the_other_endpoints_bars() {
    // Regression (review A): the key ignored the URL template and the
    // service base, so another endpoint's bars were served as fresh.
    for store in both_backends("endpoint").await {
        let a = CacheKey::daily(
            "url",
            "template=https://a.test/{symbol}.csv;format=csv",
            "AAPL",
        );
        let b = CacheKey::daily(
            "url",
            "template=https://b.test/{symbol}.csv;format=csv",
            "AAPL",
        );
        store.put(&a, &bars(1, 40)).await.unwrap();
        assert_eq!(store.get(&b).await, Ok(None), "{:?}", store.kind());
        store.put(&b, &bars(2, 60)).await.unwrap();
        assert_eq!(store.get(&a).await.unwrap(), Some(bars(1, 40)));
        assert_eq!(store.get(&b).await.unwrap(), Some(bars(2, 60)));
        assert_eq!(store.stats().await.unwrap().entries, 2);
        // A mirror is another endpoint; another interval another entry.
        let mirror = CacheKey::daily("binance", "base=https://mirror.test", "AAPL");
        assert_eq!(store.get(&mirror).await, Ok(None));
        let hourly = CacheKey::new("url", &a.endpoint, "AAPL", "1h");
        assert_eq!(store.get(&hourly).await, Ok(None));
    }
}

#[wasm_bindgen_test]
async fn entries_keyed_without_an_endpoint_are_dropped_on_upgrade() {
    // A version-2 database: the current stores, keyed `source|symbol|interval`.
    let name = fresh("v2").await;
    let old_id = "sample|GOOG|1d";
    {
        let mut request = Factory::new().unwrap().open(&name, Some(2)).unwrap();
        request.on_upgrade_needed(|event| {
            use idb::DatabaseEvent;
            let db = event.database().unwrap();
            for store in [BARS_STORE, META_STORE] {
                db.create_object_store(store, ObjectStoreParams::new())
                    .unwrap();
            }
        });
        request
            .into_future()
            .await
            .expect("create version 2")
            .close();
    }
    let encoded = codec::encode(&bars(9, 64));
    raw_seed(&name, &[old_id.to_string()], &encoded, 64).await;
    assert!(raw_get(&name, BARS_STORE, old_id).await.is_some());
    assert_eq!(raw_store_names(&name).await.0, 2);

    let store = BarStore::try_open_named(&name).await.expect("upgraded");
    assert_eq!(raw_store_names(&name).await.0, DB_VERSION);
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
    assert_eq!(store.counters().meta_records_read, 0);
    for s in [BARS_STORE, META_STORE] {
        assert_eq!(raw_get(&name, s, old_id).await, None, "{s}");
    }
    // The same symbol under the new key is a miss until refetched.
    let key = CacheKey::daily("sample", "", "GOOG");
    assert_eq!(store.get(&key).await, Ok(None));
    store.put(&key, &bars(9, 64)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(9, 64)));
}

#[wasm_bindgen_test]
async fn puts_never_read_the_metadata_back() {
    // Regression (review C): every `put_within` read every metadata record,
    // O(N²) objects across the JS boundary on a cold scan.
    let name = fresh("linear").await;
    let store = BarStore::try_open_named(&name).await.expect("IndexedDB");
    let opened = store.counters();
    assert_eq!((opened.index_loads, opened.read_transactions), (1, 1));
    let n = 2_000;
    let kept = 1_500;
    let size = entry_size(5) as u64;
    let quota = size * kept as u64;
    let key = |i: usize| CacheKey::daily("synthetic-5000", "", &synthetic::symbol_name(i));
    let mut evicted = 0;
    for i in 0..n {
        evicted += store.put_within(&key(i), &bars(i, 5), quota).await.unwrap();
    }
    let c = store.counters();
    assert_eq!(c.index_loads, 1, "the index is read once, at open");
    assert_eq!(c.meta_records_read, 0);
    assert_eq!(c.read_transactions, 1);
    assert_eq!(
        c.write_transactions, n,
        "one transaction per put, evictions in it"
    );
    assert_eq!(evicted, n - kept);
    // The newest `kept` entries stay (their sizes summed: a generated
    // series may encode a byte shorter than another).
    let bytes: u64 = (n - kept..n)
        .map(|i| codec::encode(&bars(i, 5)).len() as u64)
        .sum();
    assert!(bytes <= quota);
    assert_eq!(
        store.stats().await.unwrap(),
        CacheStats {
            entries: kept,
            bytes
        }
    );
    // The oldest went.
    assert_eq!(store.get(&key(n - kept - 1)).await, Ok(None));
    assert_eq!(
        store.get(&key(n - kept)).await.unwrap(),
        Some(bars(n - kept, 5))
    );

    // A reopen reads the index once, and the database agrees with it.
    drop(store);
    let reopened = BarStore::try_open_named(&name).await.unwrap();
    assert_eq!(reopened.counters().meta_records_read, kept);
    assert_eq!(
        reopened.stats().await.unwrap(),
        CacheStats {
            entries: kept,
            bytes
        }
    );
}

#[wasm_bindgen_test]
async fn touches_are_written_in_one_batch_and_survive_a_reopen() {
    let name = fresh("touch-batch").await;
    let store = BarStore::try_open_named(&name).await.unwrap();
    let keys: Vec<CacheKey> = (0..50)
        .map(|i| CacheKey::daily("sample", "", &format!("T{i:02}")))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        store.put(k, &bars(i, 10)).await.unwrap();
    }
    let saved = store
        .get_entry(&keys[7])
        .await
        .unwrap()
        .unwrap()
        .saved_at_ms;
    let before = store.counters();
    let base = js_sys::Date::now() + 1_000_000.0;
    // In reverse, so the last-use order differs from the key order.
    for (i, k) in keys.iter().enumerate().rev() {
        store.touch_at(k, base + i as f64);
    }
    assert_eq!(store.counters(), before, "a touch writes nothing");
    assert_eq!(store.pending_touches(), 50);
    assert_eq!(store.flush_touches().await, Ok(50));
    let after = store.counters();
    assert_eq!(after.write_transactions, before.write_transactions + 1);
    assert_eq!(store.pending_touches(), 0);
    assert_eq!(store.flush_touches().await, Ok(0));
    assert_eq!(store.counters(), after, "nothing pending, nothing written");

    drop(store);
    let reopened = BarStore::try_open_named(&name).await.unwrap();
    let listed = reopened.lru_entries().await.unwrap();
    assert_eq!(listed.len(), 50);
    for (i, e) in listed.iter().enumerate() {
        assert_eq!(e.key, keys[i].id());
        assert_eq!(e.last_used_ms, (base + i as f64) as i64);
    }
    // The save time is kept (the freshness rule reads it).
    let entry = reopened.get_entry(&keys[7]).await.unwrap().unwrap();
    assert_eq!(entry.saved_at_ms, saved);

    // Touches still pending when the store is dropped go out on the way.
    let later = base + 100.0 + LAST_USE_GRANULARITY_MS;
    reopened.touch_at(&keys[0], later);
    drop(reopened);
    let again = BarStore::try_open_named(&name).await.unwrap();
    let listed = again.lru_entries().await.unwrap();
    assert_eq!(listed.last().unwrap().key, keys[0].id());
    assert_eq!(listed.last().unwrap().last_used_ms, later as i64);
}

#[wasm_bindgen_test]
async fn a_large_batch_of_touches_is_written_without_waiting_for_a_flush() {
    let name = fresh("touch-limit").await;
    drop(BarStore::try_open_named(&name).await.unwrap());
    let ids: Vec<String> = (0..TOUCH_BATCH_LIMIT)
        .map(|i| CacheKey::daily("sample", "", &format!("L{i:04}")).id())
        .collect();
    raw_seed(&name, &ids, &codec::encode(&bars(1, 5)), 5).await;

    let store = BarStore::try_open_named(&name).await.unwrap();
    assert_eq!(store.stats().await.unwrap().entries, TOUCH_BATCH_LIMIT);
    let writes = store.counters().write_transactions;
    let base = js_sys::Date::now() + 1_000_000.0;
    for i in 0..TOUCH_BATCH_LIMIT {
        store.touch_at(
            &CacheKey::daily("sample", "", &format!("L{i:04}")),
            base + i as f64,
        );
        let expected = if i + 1 < TOUCH_BATCH_LIMIT { i + 1 } else { 0 };
        assert_eq!(store.pending_touches(), expected);
    }
    assert_eq!(store.counters().write_transactions, writes + 1);
    drop(store);
    let reopened = BarStore::try_open_named(&name).await.unwrap();
    let listed = reopened.lru_entries().await.unwrap();
    assert_eq!(listed.len(), TOUCH_BATCH_LIMIT);
    assert!(listed
        .iter()
        .enumerate()
        .all(|(i, e)| e.last_used_ms == (base + i as f64) as i64));
}

#[wasm_bindgen_test]
fn dom_exception_names_map_to_their_variants() {
    let op = "writing bars";
    for (name, expected) in [
        ("QuotaExceededError", StoreError::QuotaExceeded),
        ("VersionError", StoreError::VersionTooNew),
        ("AbortError", StoreError::Aborted(op.into())),
    ] {
        assert_eq!(StoreError::from_dom_name(op, name, "any text"), expected);
        // A real DOMException, as the browser raises it.
        let e = web_sys::DomException::new_with_message_and_name("any text", name).unwrap();
        assert_eq!(StoreError::from_js(op, &e.into()), expected, "{name}");
    }
    assert!(matches!(
        StoreError::from_dom_name(op, "InvalidStateError", "closed"),
        StoreError::Unavailable(_)
    ));
    // The message is never consulted: only the name decides.
    assert_eq!(
        StoreError::from_dom_name(op, "UnknownError", "QuotaExceededError VersionError"),
        StoreError::Db {
            op: op.into(),
            name: "UnknownError".into(),
            message: "QuotaExceededError VersionError".into()
        }
    );
    // Something thrown that is not an exception at all.
    assert_eq!(
        StoreError::from_js(op, &JsValue::from_str("boom")),
        StoreError::Db {
            op: op.into(),
            name: String::new(),
            message: "boom".into()
        }
    );
}

#[wasm_bindgen_test]
async fn a_full_memory_store_refuses_a_write_as_quota_exceeded_and_stays_bounded() {
    let size = entry_size(50) as u64;
    let capacity = size * 4;
    let store = BarStore::in_memory_with_capacity("test", capacity);
    let key = |i: usize| CacheKey::daily("sample", "", &format!("M{i:02}"));
    for i in 0..4 {
        store.put(&key(i), &bars(i, 50)).await.unwrap();
    }
    // `put` evicts nothing: the full store refuses, and nothing changes.
    assert_eq!(
        store.put(&key(4), &bars(4, 50)).await,
        Err(StoreError::QuotaExceeded)
    );
    assert_eq!(store.get(&key(4)).await, Ok(None));
    let full = CacheStats {
        entries: 4,
        bytes: capacity,
    };
    assert_eq!(store.stats().await.unwrap(), full);
    // `put_within` the app's (larger) quota meets the smaller capacity: it
    // frees a quarter (least recently used first) and writes.
    assert_eq!(
        store.put_within(&key(4), &bars(4, 50), 1 << 40).await,
        Ok(1)
    );
    assert_eq!(store.get(&key(0)).await, Ok(None));
    assert_eq!(store.get(&key(4)).await.unwrap(), Some(bars(4, 50)));
    // And so on: the store never holds more than its capacity.
    for i in 5..20 {
        store
            .put_within(&key(i), &bars(i, 50), 1 << 40)
            .await
            .unwrap();
        assert!(store.stats().await.unwrap().bytes <= capacity);
    }
    assert_eq!(store.stats().await.unwrap(), full);
    // An entry that could never fit is refused, and what was there stays.
    assert_eq!(
        store.put_within(&key(99), &bars(1, 300), 1 << 40).await,
        Err(StoreError::QuotaExceeded)
    );
    assert_eq!(store.stats().await.unwrap(), full);
    assert!(store.get(&key(19)).await.unwrap().is_some());
}

#[wasm_bindgen_test]
async fn concurrent_writes_never_overshoot_the_quota() {
    for store in both_backends("concurrent").await {
        let size = entry_size(30) as u64;
        let quota = size * 3;
        let keys: Vec<CacheKey> = (0..8)
            .map(|i| CacheKey::daily("sample", "", &format!("C{i}")))
            .collect();
        let series: Vec<Bars> = (0..8).map(|i| bars(i, 30)).collect();
        let writes = keys
            .iter()
            .zip(&series)
            .map(|(k, b)| store.put_within(k, b, quota));
        let results = futures::future::join_all(writes).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            store.stats().await.unwrap(),
            CacheStats {
                entries: 3,
                bytes: quota
            },
            "{:?}",
            store.kind()
        );
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(store.get(k).await.unwrap().is_some(), i >= 5, "{k:?}");
        }
    }
}

#[wasm_bindgen_test]
async fn entries_are_read_in_one_transaction_in_key_order() {
    let name = fresh("batch").await;
    let store = BarStore::try_open_named(&name).await.unwrap();
    let key = |i: usize| CacheKey::daily("sample", "", &format!("B{i}"));
    for i in 0..5 {
        store.put(&key(i), &bars(i, 20 + i)).await.unwrap();
    }
    let before = store.counters();
    let got = store
        .get_entries(&[key(3), key(9), key(0), key(4)])
        .await
        .unwrap();
    let got: Vec<Option<Bars>> = got.into_iter().map(|e| e.map(|e| e.bars)).collect();
    assert_eq!(
        got,
        vec![
            Some(bars(3, 23)),
            None,
            Some(bars(0, 20)),
            Some(bars(4, 24))
        ]
    );
    let after = store.counters();
    assert_eq!(after.read_transactions, before.read_transactions + 1);
    assert_eq!(after.meta_records_read, before.meta_records_read);
}

#[wasm_bindgen_test]
async fn an_entry_written_by_another_tab_is_read_with_its_save_time() {
    let name = fresh("two-tabs").await;
    let first = BarStore::try_open_named(&name).await.unwrap();
    let second = BarStore::try_open_named(&name).await.unwrap();
    let key = CacheKey::daily("sample", "", "OTHER");
    second.put(&key, &bars(3, 33)).await.unwrap();
    let written = second.get_entry(&key).await.unwrap().unwrap();
    let read = first.get_entry(&key).await.unwrap().expect("a hit");
    assert_eq!(read, written);
    assert_eq!(first.counters().meta_records_read, 1);
    // It joined the first store's index.
    assert_eq!(first.stats().await.unwrap().entries, 1);
}

#[wasm_bindgen_test]
fn the_index_evicts_exactly_as_cache_policy_lru() {
    // xorshift64: deterministic, no dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut index = LruIndex::new();
    // The model lists entries in insertion/use order, as `Lru` expects.
    let mut model: Vec<LruEntry<String>> = Vec::new();
    let meta = |size: u64, t: i64| EntryMeta {
        bytes: size,
        bars: 1,
        saved_at_ms: t as f64,
        last_used_ms: t as f64,
        last_time_ms: None,
    };
    for step in 0..5_000 {
        let id = format!("K{}", next() % 40);
        // Few distinct times, so ties are common.
        let t = (next() % 30) as i64;
        match next() % 4 {
            0 | 1 => {
                let size = 1 + next() % 100;
                let quota = 300 + next() % 1_500;
                let expected = Lru { quota_bytes: quota }.evictions(&model, &id, size);
                let got = index.evictions(&id, size, quota);
                assert_eq!(got, expected, "step {step}");
                if let Ok(evict) = got {
                    for e in &evict {
                        index.remove(e);
                    }
                    model.retain(|m| !evict.contains(&m.key) && m.key != id);
                    index.insert(id.clone(), meta(size, t));
                    model.push(LruEntry {
                        key: id,
                        size_bytes: size,
                        last_used_ms: t,
                    });
                }
            }
            2 => {
                let known = index.touch(&id, t as f64);
                let at = model.iter().position(|m| m.key == id);
                assert_eq!(known, at.is_some(), "step {step}");
                if let Some(at) = at {
                    let mut e = model.remove(at);
                    e.last_used_ms = t;
                    model.push(e);
                }
            }
            _ => {
                assert_eq!(
                    index.remove(&id).is_some(),
                    model.iter().any(|m| m.key == id)
                );
                model.retain(|m| m.key != id);
            }
        }
        let mut sorted = model.clone();
        sorted.sort_by_key(|m| m.last_used_ms);
        assert_eq!(index.entries(), sorted, "step {step}");
        assert_eq!(
            index.total_bytes(),
            model.iter().map(|m| m.size_bytes).sum::<u64>()
        );
    }
}

#[wasm_bindgen_test]
async fn benchmark_reading_entries_after_a_reopen() {
    // 1,000 symbols in the suite; set TECHNIC_BENCH_SYMBOLS=5000 at build
    // time for the figure. Counts are asserted, times only printed.
    let n: usize = option_env!("TECHNIC_BENCH_SYMBOLS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let per: usize = option_env!("TECHNIC_BENCH_BARS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let name = fresh("bench").await;
    drop(BarStore::try_open_named(&name).await.unwrap());
    let keys: Vec<CacheKey> = (0..n)
        .map(|i| CacheKey::daily("synthetic-5000", "", &synthetic::symbol_name(i)))
        .collect();
    let ids: Vec<String> = keys.iter().map(CacheKey::id).collect();
    // The same bars under every key: seeding stays quick, reads decode each.
    // The market's own bars (cents, whole volumes), as a service's are.
    let encoded = codec::encode(&synthetic::bars(7, 0, per));
    for chunk in ids.chunks(1_000) {
        raw_seed(&name, chunk, &encoded, per).await;
    }
    // Decoding alone, on this (the page's) thread, for the same entries.
    let start = js_sys::Date::now();
    let mut decoded_bars = 0;
    for _ in 0..n {
        decoded_bars += codec::decode("BENCH", &encoded).unwrap().len();
    }
    let decode_ms = js_sys::Date::now() - start;
    assert_eq!(decoded_bars, n * per);
    let timing = time_reload_and_read(&name, &keys, 250).await.unwrap();
    assert_eq!(timing.hits, n);
    assert_eq!(timing.bars, n * per);
    assert_eq!(timing.bytes, (n * encoded.len()) as u64);
    console_log!(
        "bar store: {n} symbols x {per} bars ({:.1} MB) after a reopen: open + index {:.0} ms, read + decode {:.0} ms (decode alone {decode_ms:.0} ms)",
        timing.bytes as f64 / 1e6,
        timing.open_ms,
        timing.read_ms
    );
}

#[wasm_bindgen_test]
async fn a_batch_within_one_key_range_is_read_over_the_range() {
    let name = fresh("range-read").await;
    let store = BarStore::try_open_named(&name).await.unwrap();
    let keys: Vec<CacheKey> = (0..40)
        .map(|i| CacheKey::daily("url", "e", &format!("R{i:02}")))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        store.put(k, &bars(i, 12)).await.unwrap();
    }
    drop(store);
    // A corrupt entry inside the range, written behind the store's back.
    raw_seed(&name, &[keys[20].id()], b"not a codec entry", 12).await;
    let store = BarStore::try_open_named(&name).await.unwrap();
    let before = store.counters();
    // 30 of the 40 keys, out of key order (as a scan's universe may be):
    // R05..=R34, every fifth moved to the end.
    let mut asked: Vec<usize> = (5..35).filter(|i| i % 5 != 0).collect();
    asked.extend((5..35).filter(|i| i % 5 == 0));
    let batch: Vec<CacheKey> = asked.iter().map(|&i| keys[i].clone()).collect();
    let found = store.get_entries(&batch).await.unwrap();
    assert_eq!(found.len(), batch.len());
    for (&i, entry) in asked.iter().zip(&found) {
        if i == 20 {
            assert_eq!(entry, &None, "the corrupt entry is a miss");
        } else {
            let entry = entry.as_ref().unwrap_or_else(|| panic!("R{i:02} is a hit"));
            assert_eq!(entry.bars, bars(i, 12), "R{i:02}");
        }
    }
    let after = store.counters();
    // One read (the range), one write (dropping the corrupt entry); no metadata read.
    assert_eq!(after.read_transactions, before.read_transactions + 1);
    assert_eq!(after.write_transactions, before.write_transactions + 1);
    assert_eq!(after.meta_records_read, before.meta_records_read);
    assert_eq!(store.dropped_entries(), 1);
    assert_eq!(store.stats().await.unwrap().entries, 39);
    // A key asked twice and a key the index does not know are read one by
    // one, and still answer in order.
    let unknown = CacheKey::daily("url", "e", "R07X");
    let mut odd: Vec<CacheKey> = keys[0..20].to_vec();
    odd.push(keys[3].clone());
    odd.push(unknown);
    let found = store.get_entries(&odd).await.unwrap();
    for (i, entry) in found.iter().take(20).enumerate() {
        assert_eq!(entry.as_ref().map(|e| &e.bars), Some(&bars(i, 12)));
    }
    assert_eq!(found[20].as_ref().map(|e| &e.bars), Some(&bars(3, 12)));
    assert_eq!(found[21], None);
}

#[wasm_bindgen_test]
async fn a_scans_marks_wait_for_a_background_flush_and_only_moved_ones_are_written() {
    let name = fresh("mark-used").await;
    drop(BarStore::try_open_named(&name).await.unwrap());
    let n = TOUCH_BATCH_LIMIT + 10;
    let keys: Vec<CacheKey> = (0..n)
        .map(|i| CacheKey::daily("url", "e", &format!("M{i:04}")))
        .collect();
    let ids: Vec<String> = keys.iter().map(CacheKey::id).collect();
    raw_seed(&name, &ids, &codec::encode(&bars(1, 5)), 5).await;

    let store = BarStore::try_open_named(&name).await.unwrap();
    let writes = store.counters().write_transactions;
    let now = js_sys::Date::now();
    // Used again a minute after the stored last use: kept in memory only.
    store.mark_used_at(&keys[0], now + 60_000.0);
    assert_eq!(store.pending_touches(), 0);
    assert_eq!(
        store.lru_entries().await.unwrap().last().unwrap().key,
        ids[0]
    );
    // Past the granularity: pending, and past TOUCH_BATCH_LIMIT nothing is written yet.
    let base = now + LAST_USE_GRANULARITY_MS + 1_000.0;
    for (i, k) in keys.iter().enumerate() {
        store.mark_used_at(k, base + i as f64);
    }
    assert_eq!(store.pending_touches(), n);
    assert_eq!(store.counters().write_transactions, writes);
    store.flush_touches_in_background();
    store.flush_touches_in_background(); // one flush at a time
    let mut waited = 0;
    while store.pending_touches() > 0
        || store.counters().write_transactions < writes + n.div_ceil(TOUCH_SLICE)
    {
        assert!(waited < 10_000, "the background flush did not finish");
        gloo_timers::future::TimeoutFuture::new(50).await;
        waited += 50;
    }
    // Let the last slice commit.
    gloo_timers::future::TimeoutFuture::new(200).await;
    assert_eq!(
        store.counters().write_transactions,
        writes + n.div_ceil(TOUCH_SLICE)
    );
    drop(store);
    let reopened = BarStore::try_open_named(&name).await.unwrap();
    let listed = reopened.lru_entries().await.unwrap();
    assert_eq!(listed.len(), n);
    for (i, e) in listed.iter().enumerate() {
        assert_eq!(e.key, ids[i]);
        assert_eq!(e.last_used_ms, (base + i as f64) as i64);
    }
}

// ----- the scan history's own database (issue 9) -----

mod history {
    use super::*;
    use technic::data::history::{Fingerprint, History, Limits, Order, RunRecord, SymbolOutcome};
    use technic::web::history_store::{HistoryKind, HistoryStore, HISTORY_DB_VERSION};

    fn run(matches: u32) -> RunRecord {
        RunRecord {
            time_ms: 1_700_000_000_000,
            symbols: 3,
            fetched: 3,
            cache_hits: 0,
            requests: 3,
            rate_per_s: Some(10.0),
            bars: 900,
            indicators: 1,
            threads: 2,
            duration_ms: 1234.5,
            matches,
            first_match_ms: Some(100.0),
            tenth_match_ms: None,
            order: Order::Learned,
            predicted_ms: None,
            predicted_matches: None,
        }
    }

    fn outcome(symbol: &str, matched: bool) -> SymbolOutcome {
        SymbolOutcome {
            symbol: symbol.into(),
            matched: Some(matched),
            tech_rating: matched.then_some(12.5),
            margin: Some(if matched { 0.2 } else { -0.3 }),
            fetch_ms: Some(60.0),
        }
    }

    #[wasm_bindgen_test]
    async fn a_recorded_history_reads_back_the_same_after_a_reopen() {
        let name = fresh("history-round-trip").await;
        let store = HistoryStore::open_named(&name).await;
        assert_eq!(store.kind(), &HistoryKind::IndexedDb);
        assert_eq!(store.with(|h| h.all_runs().len()), 0);
        let fp = Fingerprint(42);
        store.update(|h| {
            h.record_run(fp, run(1), &[outcome("A", true), outcome("B", false)]);
        });
        assert_eq!(store.version(), 1);
        store.save().await.expect("saved");
        let expected = store.with(History::to_bytes);
        drop(store);
        let again = HistoryStore::open_named(&name).await;
        assert_eq!(again.with(History::to_bytes), expected);
        let stats = again.with(|h| h.scan(fp).and_then(|s| s.symbol("A")).cloned());
        assert_eq!(stats.map(|s| s.last_rating), Some(Some(12.5)));
    }

    #[wasm_bindgen_test]
    async fn the_history_opens_reads_and_saves_when_every_await_resumes_late() {
        let name = fresh("history-late").await;
        let store = HistoryStore::open_named(&name).await;
        store.update(|h| h.record_run(Fingerprint(7), run(2), &[outcome("A", true)]));
        store.save().await.expect("saved");
        let expected = store.with(History::to_bytes);
        drop(store);
        raw_put(&name, "history", "saved", &bytes_value(b"[1]")).await;
        // The open itself, in this task (the page's open runs it as a task
        // of its own, which `late` could not slow down), with no deadline.
        let again = in_time(
            "the history's open",
            late(HistoryStore::try_open_named(&name), 100),
        )
        .await
        .expect("opened");
        assert_eq!(again.kind(), &HistoryKind::IndexedDb);
        assert_eq!(again.with(History::to_bytes), expected);
        assert_eq!(again.record("saved"), Some(b"[1]".to_vec()));
        again.update(|h| h.record_run(Fingerprint(7), run(3), &[outcome("A", true)]));
        in_time("a save", late(again.save(), 100))
            .await
            .expect("saved late");
        let expected = again.with(History::to_bytes);
        drop(again);
        let third = HistoryStore::open_named(&name).await;
        assert_eq!(third.with(History::to_bytes), expected);
    }

    #[wasm_bindgen_test]
    async fn a_history_that_never_opens_is_kept_in_memory_in_time() {
        let name = fresh("history-queued").await;
        let holder = queue_opens_behind_a_blocked_upgrade(&name, HISTORY_DB_VERSION).await;
        // Without the deadline this await never returns, and Run waits for
        // it (the page's deadline is `OPEN_DEADLINE_MS`, 20 s).
        let store = HistoryStore::open_named_within(&name, 2_000).await;
        let HistoryKind::Memory(reason) = store.kind().clone() else {
            panic!("expected the history in memory, got {:?}", store.kind());
        };
        assert!(reason.contains("did not open in time"), "{reason}");
        store.update(|h| h.record_run(Fingerprint(3), run(1), &[outcome("A", true)]));
        assert_eq!(store.with(|h| h.all_runs().len()), 1);
        holder.close();
    }

    #[wasm_bindgen_test]
    async fn an_open_that_ends_after_the_deadline_closes_its_connection_quietly() {
        use wasm_bindgen::JsCast;
        let name = fresh("history-late-open").await;
        // Uncaught exceptions in event listeners (a listener whose closure
        // was dropped with the open it served throws when its event comes)
        // are reported to the window, never to the test.
        let errors = js_sys::Array::new();
        let on_error = {
            let errors = errors.clone();
            wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(
                move |e: web_sys::Event| {
                    errors.push(&js_sys::Reflect::get(&e, &"message".into()).unwrap());
                },
            )
        };
        let window = web_sys::window().unwrap();
        window
            .add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
            .unwrap();
        // The history's open waits behind a delete that `holder` blocks.
        let factory = Factory::new().unwrap();
        let holder = factory.open(&name, Some(1)).unwrap().await.unwrap();
        let _delete = factory.delete(&name).unwrap();
        let store = HistoryStore::open_named_within(&name, 1_000).await;
        assert!(
            matches!(store.kind(), HistoryKind::Memory(_)),
            "{:?}",
            store.kind()
        );
        // Released: the delete goes on, then the history's open creates the
        // database afresh, long after the page gave up on it.
        holder.close();
        // An upgrade opens only once every connection is closed: one left
        // open by the late open would block it.
        let upgrade = factory.open(&name, Some(HISTORY_DB_VERSION + 1)).unwrap();
        let upgraded = technic::web::time::within(5_000, upgrade.into_future()).await;
        let db = upgraded
            .expect("the upgrade was blocked: the late open left its connection open")
            .expect("upgraded");
        db.close();
        window
            .remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
            .unwrap();
        assert_eq!(
            errors.to_vec(),
            Vec::<JsValue>::new(),
            "uncaught errors on the page"
        );
    }

    #[wasm_bindgen_test]
    async fn clearing_forgets_every_run_in_the_database_too() {
        let name = fresh("history-clear").await;
        let store = HistoryStore::open_named(&name).await;
        store.update(|h| h.record_run(Fingerprint(1), run(0), &[outcome("A", false)]));
        store.save().await.expect("saved");
        store.clear().await.expect("cleared");
        assert_eq!(store.with(|h| h.all_runs().len()), 0);
        drop(store);
        let again = HistoryStore::open_named(&name).await;
        assert_eq!(again.with(|h| h.all_runs().len()), 0);
        assert_eq!(
            again.with(History::to_bytes),
            History::new(Limits::default()).to_bytes()
        );
    }

    #[wasm_bindgen_test]
    async fn unreadable_bytes_start_an_empty_history_without_failing() {
        let name = fresh("history-corrupt").await;
        // Write garbage where the history lives, as another version might.
        let mut open = Factory::new()
            .expect("indexedDB")
            .open(&name, Some(HISTORY_DB_VERSION))
            .expect("open");
        open.on_upgrade_needed(|event| {
            use idb::DatabaseEvent;
            let db = event.database().expect("db");
            db.create_object_store("history", ObjectStoreParams::new())
                .expect("store");
        });
        let db = open.await.expect("opened");
        let tx = db
            .transaction(&["history"], TransactionMode::ReadWrite)
            .expect("tx");
        let bytes: JsValue = js_sys::Uint8Array::from(&b"{not json"[..]).into();
        tx.object_store("history")
            .expect("store")
            .put(&bytes, Some(&JsValue::from_str("device")))
            .expect("put");
        tx.await.expect("committed");
        db.close();
        let store = HistoryStore::open_named(&name).await;
        assert_eq!(store.kind(), &HistoryKind::IndexedDb);
        assert_eq!(store.with(|h| h.all_runs().len()), 0);
        // And it is usable: the next record replaces the garbage.
        store.update(|h| h.record_run(Fingerprint(3), run(2), &[outcome("Z", true)]));
        store.save().await.expect("saved");
        drop(store);
        let again = HistoryStore::open_named(&name).await;
        assert_eq!(again.with(|h| h.all_runs().len()), 1);
    }
}
