//! The IndexedDB bar cache in headless Chromium: round trip through a real
//! database, misses, corrupt and old-schema entries dropped, an older database
//! version upgraded, stats and clear, the memory fallback, save times for the
//! freshness rule, last-use marks and least-recently-used eviction under a
//! quota (both backends).
#![cfg(target_arch = "wasm32")]

use std::future::IntoFuture;

use idb::{Factory, ObjectStoreParams, TransactionMode};
use technic::data::codec::{self, CodecError, SCHEMA_VERSION};
use technic::data::synthetic;
use technic::engine::Bars;
use technic::web::store::{
    BarStore, CacheKey, CacheStats, StoreKind, BARS_STORE, DB_VERSION, META_STORE,
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

fn bars(index: usize, n: usize) -> Bars {
    synthetic::bars(7, index, n)
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

#[wasm_bindgen_test]
async fn bars_round_trip_through_indexeddb() {
    let name = fresh("round-trip").await;
    let store = BarStore::open_named(&name).await;
    assert_eq!(store.kind(), &StoreKind::IndexedDb);

    let key = CacheKey::daily("sample", "SYN00003");
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
    assert_eq!(field("bytes") as usize, codec::encoded_len(500));
    assert_eq!(field("bars"), 500.0);
    assert!(field("savedAt") > 1.6e12 && field("lastUsed") >= field("savedAt"));

    // Overwriting replaces the entry; another key is independent.
    let shorter = bars(3, 120);
    store.put(&key, &shorter).await.expect("overwrite");
    assert_eq!(store.get(&key).await.unwrap(), Some(shorter));
    let other = CacheKey::daily("synthetic-100", "SYN00003");
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
        store.get(&CacheKey::daily("sample", "NOPE")).await,
        Ok(None)
    );
    assert_eq!(store.dropped_entries(), 0);
}

#[wasm_bindgen_test]
async fn a_corrupt_entry_is_dropped_and_is_a_miss() {
    let name = fresh("corrupt").await;
    let store = BarStore::open_named(&name).await;
    let key = CacheKey::daily("sample", "AAPL");
    store.put(&key, &bars(1, 50)).await.unwrap();
    store
        .put(&CacheKey::daily("sample", "IBM"), &bars(2, 50))
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
        store.get(&CacheKey::daily("sample", "IBM")).await.unwrap(),
        Some(bars(2, 50))
    );
}

#[wasm_bindgen_test]
async fn an_older_schema_entry_is_dropped() {
    let name = fresh("old-schema").await;
    let store = BarStore::open_named(&name).await;
    let key = CacheKey::daily("sample", "MSFT");
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
    let key = CacheKey::daily("sample", "GOOG");
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
                &CacheKey::daily("synthetic-100", &synthetic::symbol_name(i)),
                &bars(i, *n),
            )
            .await
            .unwrap();
    }
    // Overwriting an entry does not count it twice.
    store
        .put(
            &CacheKey::daily("synthetic-100", &synthetic::symbol_name(0)),
            &bars(0, 10),
        )
        .await
        .unwrap();
    let expected_bytes: usize = sizes.iter().map(|&n| codec::encoded_len(n)).sum();
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
            &synthetic::symbol_name(1),
        ))
        .await
        .unwrap();
    let after_delete = store.stats().await.unwrap();
    assert_eq!(after_delete.entries, 2);
    assert_eq!(
        after_delete.bytes as usize,
        expected_bytes - codec::encoded_len(250)
    );

    store.clear().await.unwrap();
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
    assert_eq!(
        store
            .get(&CacheKey::daily(
                "synthetic-100",
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
    let key = CacheKey::daily("sample", "EMPTY");
    assert!(store.put(&key, &Bars::default()).await.is_err());
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

    // The memory store behaves like the real one.
    let key = CacheKey::daily("sample", "FB");
    assert_eq!(store.get(&key).await, Ok(None));
    store.put(&key, &bars(4, 30)).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(bars(4, 30)));
    assert_eq!(
        store.stats().await.unwrap(),
        CacheStats {
            entries: 1,
            bytes: codec::encoded_len(30) as u64
        }
    );
    assert!(store.put(&key, &Bars::default()).await.is_err());
    store.clear().await.unwrap();
    assert_eq!(store.stats().await.unwrap(), CacheStats::default());
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
    let key = CacheKey::daily("sample", "IBM");
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
        let key = CacheKey::daily("binance", "BTCUSDT");
        let before = js_sys::Date::now() as i64;
        store.put(&key, &bars(1, 50)).await.unwrap();
        let after = js_sys::Date::now() as i64;
        let entry = store.get_entry(&key).await.unwrap().expect("a hit");
        assert_eq!(entry.bars, bars(1, 50));
        assert_eq!(entry.bytes, codec::encoded_len(50) as u64);
        assert!(
            (before..=after).contains(&entry.saved_at_ms),
            "{before} <= {} <= {after} ({:?})",
            entry.saved_at_ms,
            store.kind()
        );
        assert_eq!(
            store
                .get_entry(&CacheKey::daily("binance", "NOPE"))
                .await
                .unwrap(),
            None
        );
    }
}

#[wasm_bindgen_test]
async fn touch_marks_last_use_and_keeps_the_save_time() {
    for store in both_backends("touch").await {
        let key = CacheKey::daily("url", "AAA");
        store.put(&key, &bars(2, 20)).await.unwrap();
        let entry = store.get_entry(&key).await.unwrap().unwrap();
        let later = entry.saved_at_ms as f64 + 3_600_000.0;
        store.touch(&key, &entry, later).await.unwrap();
        let listed = store.lru_entries().await.unwrap();
        assert_eq!(listed.len(), 1, "{:?}", store.kind());
        assert_eq!(listed[0].key, key.id());
        assert_eq!(listed[0].last_used_ms, later as i64);
        assert_eq!(listed[0].size_bytes, codec::encoded_len(20) as u64);
        let again = store.get_entry(&key).await.unwrap().unwrap();
        assert_eq!(again.saved_at_ms, entry.saved_at_ms);
        // Stats still read the rewritten metadata.
        assert_eq!(store.stats().await.unwrap().entries, 1);
    }
}

#[wasm_bindgen_test]
async fn the_least_recently_used_entries_are_evicted_to_fit_the_quota() {
    for store in both_backends("lru").await {
        let size = codec::encoded_len(100) as u64;
        let keys: Vec<CacheKey> = (0..4)
            .map(|i| CacheKey::daily("url", &format!("S{i}")))
            .collect();
        // Room for three entries.
        let quota = size * 3;
        for (i, key) in keys.iter().take(3).enumerate() {
            assert_eq!(
                store.put_within(key, &bars(i, 100), quota).await.unwrap(),
                0
            );
        }
        // S0 is used most recently, so S1 is the least recently used.
        let s0 = store.get_entry(&keys[0]).await.unwrap().unwrap();
        store
            .touch(&keys[0], &s0, js_sys::Date::now() + 60_000.0)
            .await
            .unwrap();
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
        assert!(store
            .put_within(&CacheKey::daily("url", "HUGE"), &bars(5, 400), quota)
            .await
            .is_err());
        assert_eq!(store.stats().await.unwrap().entries, 3);
    }
}
