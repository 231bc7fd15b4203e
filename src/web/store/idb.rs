//! The IndexedDB backend of the bar store, straight on `web-sys`: opening and
//! upgrading the database (with a timeout), reading the metadata index once,
//! batched reads, and all-or-nothing writes. A failed request or transaction
//! becomes a [`StoreError`] chosen by the DOMException's `name`; no `JsValue`
//! leaves this file.
//!
//! Requests carry no handlers of their own: a transaction's `complete` event
//! comes after every request in it succeeded, so each operation awaits its
//! transaction once and then reads the results (one callback per
//! transaction, not two per request). Callbacks are handed to the JS garbage
//! collector (`Closure::into_js_value`), so dropping a future early never
//! leaves the browser calling a freed closure.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    DomException, IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

use super::index::EntryMeta;
use super::{StoreCounters, StoreError, BARS_STORE, DB_VERSION, META_STORE};
use crate::web::time::within;

/// How long opening may take before the memory store is used instead (an
/// open is blocked while another tab holds an older version open).
const OPEN_TIMEOUT_MS: u32 = 5_000;

/// How long reading the index after the open may take before the memory
/// store is used instead: long (a large cache's metadata on a loaded
/// machine), but bounded, because Run waits for it.
const INDEX_DEADLINE_MS: u32 = 20_000;

/// What a read found under one key.
pub(super) struct RawEntry {
    /// The stored bytes; `None` when the value is not a byte array at all.
    pub bytes: Option<Vec<u8>>,
    /// The metadata, when it was asked for and is there.
    pub meta: Option<EntryMeta>,
}

pub(super) struct IdbBackend {
    db: IdbDatabase,
    /// Set when another tab asked to upgrade the database and this
    /// connection closed itself so as not to block it.
    closed: Rc<Cell<bool>>,
    counters: Cell<StoreCounters>,
}

impl Drop for IdbBackend {
    fn drop(&mut self) {
        // Transactions already issued still complete: close waits for them.
        self.db.close();
    }
}

impl IdbBackend {
    /// Opens (creating or upgrading) `name` at [`DB_VERSION`] and reads the
    /// metadata of every entry (the store's index) in the same go.
    pub(super) async fn open(
        name: &str,
    ) -> Result<(IdbBackend, Vec<(String, EntryMeta)>), StoreError> {
        let db = open_database(name).await?;
        let closed = Rc::new(Cell::new(false));
        // Another tab opening a newer version must not be blocked by this
        // one: close on request (later calls then fail as `Unavailable`,
        // which callers treat as misses).
        let on_version_change = {
            let closed = closed.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                closed.set(true);
                if let Some(db) = event
                    .target()
                    .and_then(|t| t.dyn_into::<IdbDatabase>().ok())
                {
                    db.close();
                }
            })
        };
        db.set_onversionchange(Some(on_version_change.into_js_value().unchecked_ref()));
        let backend = IdbBackend {
            db,
            closed,
            counters: Cell::default(),
        };
        // The index read gets a deadline too: a page that never gets its
        // index would wait at "opening the bar cache and the scan history…"
        // for good.
        match within(INDEX_DEADLINE_MS, backend.read_index()).await {
            Some(entries) => Ok((backend, entries?)),
            None => {
                backend.db.close();
                Err(StoreError::Unavailable(
                    "the cache's index did not load in time".into(),
                ))
            }
        }
    }

    pub(super) fn counters(&self) -> StoreCounters {
        self.counters.get()
    }

    fn count(&self, f: impl FnOnce(&mut StoreCounters)) {
        let mut c = self.counters.get();
        f(&mut c);
        self.counters.set(c);
    }

    /// Every entry's metadata, in key order: one transaction, two requests.
    async fn read_index(&self) -> Result<Vec<(String, EntryMeta)>, StoreError> {
        const OP: &str = "reading the cache index";
        let tx = self.transaction(&[META_STORE], IdbTransactionMode::Readonly, OP)?;
        let store = object_store(&tx, META_STORE, OP)?;
        let keys = store.get_all_keys().map_err(|e| js_error(OP, &e))?;
        let metas = store.get_all().map_err(|e| js_error(OP, &e))?;
        settle(tx, OP).await?;
        let keys = result_array(&keys, OP)?;
        let metas = result_array(&metas, OP)?;
        // Both lists come in key order from one transaction.
        let entries: Vec<(String, EntryMeta)> = keys
            .iter()
            .zip(metas.iter())
            .filter_map(|(k, m)| Some((k.as_string()?, meta_from_js(&m))))
            .collect();
        self.count(|c| {
            c.index_loads += 1;
            c.meta_records_read += entries.len();
            c.read_transactions += 1;
        });
        Ok(entries)
    }

    /// The bytes (and, where `with_meta` says so, the metadata) under each
    /// id, in one transaction; `None` for a miss.
    pub(super) async fn read(
        &self,
        ids: &[String],
        with_meta: &[bool],
    ) -> Result<Vec<Option<RawEntry>>, StoreError> {
        const OP: &str = "reading bars";
        // Without metadata to read, the transaction leaves the metadata store
        // out of its scope, so it never waits behind a write of last uses.
        let any_meta = with_meta.iter().any(|&m| m);
        let scope: &[&str] = if any_meta {
            &[BARS_STORE, META_STORE]
        } else {
            &[BARS_STORE]
        };
        let tx = self.transaction(scope, IdbTransactionMode::Readonly, OP)?;
        let bars = object_store(&tx, BARS_STORE, OP)?;
        let meta = if any_meta {
            Some(object_store(&tx, META_STORE, OP)?)
        } else {
            None
        };
        let mut requests = Vec::with_capacity(ids.len());
        for (id, &want_meta) in ids.iter().zip(with_meta) {
            let key = JsValue::from_str(id);
            let value = bars.get(&key).map_err(|e| js_error(OP, &e))?;
            let meta = match &meta {
                Some(store) if want_meta => Some(store.get(&key).map_err(|e| js_error(OP, &e))?),
                _ => None,
            };
            requests.push((value, meta));
        }
        settle(tx, OP).await?;
        let found: Vec<Option<RawEntry>> = requests
            .into_iter()
            .map(|(value, meta)| {
                let value = value.result().map_err(|e| js_error(OP, &e))?;
                if value.is_undefined() {
                    return Ok(None);
                }
                let meta = match meta {
                    Some(m) => Some(m.result().map_err(|e| js_error(OP, &e))?)
                        .filter(|m| m.is_object())
                        .map(|m| meta_from_js(&m)),
                    None => None,
                };
                // A copy into wasm memory; a value that is not bytes is reported as such.
                let bytes = value
                    .dyn_into::<js_sys::Uint8Array>()
                    .ok()
                    .map(|a| a.to_vec());
                Ok(Some(RawEntry { bytes, meta }))
            })
            .collect::<Result<_, StoreError>>()?;
        let metas_read = found.iter().flatten().filter(|r| r.meta.is_some()).count();
        self.count(|c| {
            c.read_transactions += 1;
            c.meta_records_read += metas_read;
        });
        Ok(found)
    }

    /// Every key and its bytes from `lower` to `upper` (both included), in
    /// key order, in one transaction of two requests (`getAllKeys` and
    /// `getAll` over the same range). A scan's keys share their source and
    /// endpoint prefix, so a chunk of them is mostly one range: two requests
    /// cost the page far less than one `get` per key (each request is set up,
    /// answered and dispatched on the page's thread).
    pub(super) async fn read_range(
        &self,
        lower: &str,
        upper: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, StoreError> {
        const OP: &str = "reading bars";
        let tx = self.transaction(&[BARS_STORE], IdbTransactionMode::Readonly, OP)?;
        let bars = object_store(&tx, BARS_STORE, OP)?;
        let range = web_sys::IdbKeyRange::bound(&lower.into(), &upper.into())
            .map_err(|e| js_error(OP, &e))?;
        let keys = bars
            .get_all_keys_with_key(&range)
            .map_err(|e| js_error(OP, &e))?;
        let values = bars
            .get_all_with_key(&range)
            .map_err(|e| js_error(OP, &e))?;
        settle(tx, OP).await?;
        let keys = result_array(&keys, OP)?;
        let values = result_array(&values, OP)?;
        self.count(|c| c.read_transactions += 1);
        // Both lists come in key order from one transaction.
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| {
                let bytes = v.dyn_into::<js_sys::Uint8Array>().ok().map(|a| a.to_vec());
                Some((k.as_string()?, bytes))
            })
            .collect())
    }

    /// Deletes `deletes` and stores `put` (bars and metadata), in one
    /// transaction: all of it or none of it.
    pub(super) async fn write(
        &self,
        deletes: &[String],
        put: Option<(&str, &[u8], EntryMeta)>,
    ) -> Result<(), StoreError> {
        const OP: &str = "writing bars";
        let tx = self.transaction(&[BARS_STORE, META_STORE], IdbTransactionMode::Readwrite, OP)?;
        let issued = (|| {
            let bars = object_store(&tx, BARS_STORE, OP)?;
            let meta = object_store(&tx, META_STORE, OP)?;
            for id in deletes {
                let key = JsValue::from_str(id);
                bars.delete(&key).map_err(|e| js_error(OP, &e))?;
                meta.delete(&key).map_err(|e| js_error(OP, &e))?;
            }
            if let Some((id, bytes, m)) = put {
                let key = JsValue::from_str(id);
                // A copy owned by JS: a view over wasm memory would be a
                // SharedArrayBuffer in the threaded build, which IndexedDB cannot clone.
                let value = js_sys::Uint8Array::from(bytes);
                bars.put_with_key(&value, &key)
                    .map_err(|e| js_error(OP, &e))?;
                meta.put_with_key(&meta_to_js(&m), &key)
                    .map_err(|e| js_error(OP, &e))?;
            }
            Ok(())
        })();
        self.count(|c| c.write_transactions += 1);
        abort_on_error(&tx, issued)?;
        settle(tx, OP).await
    }

    /// Issues one transaction writing every entry's metadata (last uses),
    /// without waiting for it: the caller awaits [`settle`] or lets it run.
    pub(super) fn issue_metas(
        &self,
        metas: &[(String, EntryMeta)],
    ) -> Result<IdbTransaction, StoreError> {
        const OP: &str = "writing last uses";
        let tx = self.transaction(&[META_STORE], IdbTransactionMode::Readwrite, OP)?;
        let issued = object_store(&tx, META_STORE, OP).and_then(|store| {
            metas.iter().try_for_each(|(id, m)| {
                store
                    .put_with_key(&meta_to_js(m), &JsValue::from_str(id))
                    .map(drop)
                    .map_err(|e| js_error(OP, &e))
            })
        });
        self.count(|c| c.write_transactions += 1);
        abort_on_error(&tx, issued)?;
        Ok(tx)
    }

    pub(super) async fn clear(&self) -> Result<(), StoreError> {
        const OP: &str = "clearing the cache";
        let tx = self.transaction(&[BARS_STORE, META_STORE], IdbTransactionMode::Readwrite, OP)?;
        for name in [BARS_STORE, META_STORE] {
            object_store(&tx, name, OP)?
                .clear()
                .map_err(|e| js_error(OP, &e))?;
        }
        self.count(|c| c.write_transactions += 1);
        settle(tx, OP).await
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: IdbTransactionMode,
        op: &str,
    ) -> Result<IdbTransaction, StoreError> {
        if self.closed.get() {
            return Err(StoreError::Unavailable(
                "another tab is upgrading the cache; reload this page".into(),
            ));
        }
        let names: js_sys::Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| js_error(op, &e))
    }
}

/// A request that failed to be issued aborts its whole transaction, so the
/// requests issued before it are undone too (writes are all or nothing).
fn abort_on_error(tx: &IdbTransaction, issued: Result<(), StoreError>) -> Result<(), StoreError> {
    if issued.is_err() {
        let _ = tx.abort();
    }
    issued
}

/// Waits for a transaction to finish: only a commit counts as success; an
/// abort is reported by the name of the transaction's error (a full quota
/// aborts with `QuotaExceededError`). Its listeners go on before its first
/// await, and every caller issues its requests before calling it: in the
/// threaded build the code after an await runs in a later task, when the
/// transaction may have completed (the scan history's `read_all` hung so).
pub(super) async fn settle(tx: IdbTransaction, op: &str) -> Result<(), StoreError> {
    let (send, recv) = oneshot::channel::<bool>();
    let mut send = Some(send);
    // One closure for both events: whichever comes first settles it.
    let on_done = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        if let Some(send) = send.take() {
            let _ = send.send(event.type_() == "complete");
        }
    })
    .into_js_value();
    tx.set_oncomplete(Some(on_done.unchecked_ref()));
    tx.set_onabort(Some(on_done.unchecked_ref()));
    let committed = recv.await.unwrap_or(false);
    tx.set_oncomplete(None);
    tx.set_onabort(None);
    if committed {
        return Ok(());
    }
    Err(match tx.error() {
        Some(e) => dom_error(op, &e),
        None => StoreError::Aborted(op.to_string()),
    })
}

/// Opens `name` at [`DB_VERSION`], upgrading an older database, within
/// [`OPEN_TIMEOUT_MS`].
async fn open_database(name: &str) -> Result<IdbDatabase, StoreError> {
    const OP: &str = "opening the cache";
    let factory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| StoreError::Unavailable("IndexedDB is not available here".into()))?;
    let request = factory
        .open_with_u32(name, DB_VERSION)
        .map_err(|e| js_error(OP, &e))?;

    let upgrade_failure: Rc<RefCell<Option<StoreError>>> = Rc::default();
    let blocked = Rc::new(Cell::new(false));
    let (send, recv) = oneshot::channel::<Result<(), StoreError>>();
    let send = Rc::new(RefCell::new(Some(send)));

    let on_upgrade = {
        let upgrade_failure = upgrade_failure.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let result = open_request(&event)
                .ok_or_else(|| StoreError::Unavailable("upgrade without a request".into()))
                .and_then(|r| r.result().map_err(|e| js_error("upgrading the cache", &e)))
                .and_then(|db| upgrade(db.unchecked_ref()));
            if let Err(why) = result {
                *upgrade_failure.borrow_mut() = Some(why);
            }
        })
    };
    let on_success = {
        let send = send.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let delivered = send
                .borrow_mut()
                .take()
                .is_some_and(|s| s.send(Ok(())).is_ok());
            // Opened after the timeout: nobody will use this connection, and
            // left open it would block the next upgrade.
            if !delivered {
                if let Some(db) = open_request(&event)
                    .and_then(|r| r.result().ok())
                    .and_then(|db| db.dyn_into::<IdbDatabase>().ok())
                {
                    db.close();
                }
            }
        })
    };
    let on_error = {
        let send = send.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let error = match open_request(&event).map(|r| r.error()) {
                Some(Ok(Some(e))) => dom_error(OP, &e),
                _ => StoreError::Aborted(OP.to_string()),
            };
            if let Some(s) = send.borrow_mut().take() {
                let _ = s.send(Err(error));
            }
        })
    };
    let on_blocked = {
        let blocked = blocked.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| blocked.set(true))
    };
    request.set_onupgradeneeded(Some(on_upgrade.into_js_value().unchecked_ref()));
    request.set_onsuccess(Some(on_success.into_js_value().unchecked_ref()));
    request.set_onerror(Some(on_error.into_js_value().unchecked_ref()));
    request.set_onblocked(Some(on_blocked.into_js_value().unchecked_ref()));

    match within(OPEN_TIMEOUT_MS, recv).await {
        Some(Ok(Ok(()))) => {}
        Some(Ok(Err(e))) => return Err(e),
        Some(Err(_)) => return Err(StoreError::Aborted(OP.to_string())),
        None => {
            // A late success now closes its connection (see `on_success`).
            send.borrow_mut().take();
            return Err(StoreError::Unavailable(if blocked.get() {
                "the cache is held open by another tab of an older version; close it and reload"
                    .into()
            } else {
                "IndexedDB did not open in time".into()
            }));
        }
    }
    let db: IdbDatabase = request
        .result()
        .map_err(|e| js_error(OP, &e))?
        .unchecked_into();
    if let Some(why) = upgrade_failure.borrow_mut().take() {
        db.close();
        return Err(StoreError::Unavailable(format!(
            "the cache could not be upgraded ({why})"
        )));
    }
    let names = store_names(&db);
    if ![BARS_STORE, META_STORE]
        .iter()
        .all(|s| names.iter().any(|n| n == s))
    {
        db.close();
        return Err(StoreError::Unavailable(
            "the cache database is missing its stores".into(),
        ));
    }
    Ok(db)
}

fn open_request(event: &web_sys::Event) -> Option<IdbOpenDbRequest> {
    event.target()?.dyn_into::<IdbOpenDbRequest>().ok()
}

/// `onupgradeneeded`: drop every store of the older layout (whatever it was
/// keyed by), create the current ones. This is a cache: refetching is always
/// correct, so nothing is migrated.
fn upgrade(db: &IdbDatabase) -> Result<(), StoreError> {
    const OP: &str = "upgrading the cache";
    for old in store_names(db) {
        db.delete_object_store(&old).map_err(|e| js_error(OP, &e))?;
    }
    for name in [BARS_STORE, META_STORE] {
        db.create_object_store(name).map_err(|e| js_error(OP, &e))?;
    }
    Ok(())
}

fn store_names(db: &IdbDatabase) -> Vec<String> {
    let list = db.object_store_names();
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

fn object_store(tx: &IdbTransaction, name: &str, op: &str) -> Result<IdbObjectStore, StoreError> {
    tx.object_store(name).map_err(|e| js_error(op, &e))
}

fn result_array(request: &IdbRequest, op: &str) -> Result<js_sys::Array, StoreError> {
    request
        .result()
        .map_err(|e| js_error(op, &e))?
        .dyn_into::<js_sys::Array>()
        .map_err(|_| StoreError::Db {
            op: op.to_string(),
            name: "TypeError".into(),
            message: "expected an array".into(),
        })
}

/// A thrown or reported JS error as a [`StoreError`], by its `name`.
pub(super) fn js_error(op: &str, error: &JsValue) -> StoreError {
    let text = |field: &str| {
        js_sys::Reflect::get(error, &field.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match text("name") {
        Some(name) => StoreError::from_dom_name(op, &name, &text("message").unwrap_or_default()),
        None => StoreError::Db {
            op: op.to_string(),
            name: String::new(),
            message: error
                .as_string()
                .unwrap_or_else(|| "unknown error".to_string()),
        },
    }
}

fn dom_error(op: &str, e: &DomException) -> StoreError {
    StoreError::from_dom_name(op, &e.name(), &e.message())
}

/// The `{ bytes, bars, savedAt, lastUsed, lastTime }` metadata object
/// (`lastTime` absent when unknown).
fn meta_to_js(m: &EntryMeta) -> JsValue {
    let object = js_sys::Object::new();
    for (field, v) in [
        ("bytes", m.bytes as f64),
        ("bars", m.bars as f64),
        ("savedAt", m.saved_at_ms),
        ("lastUsed", m.last_used_ms),
    ] {
        // Setting a plain property on a fresh object cannot fail.
        let _ = js_sys::Reflect::set(&object, &field.into(), &v.into());
    }
    if let Some(t) = m.last_time_ms {
        let _ = js_sys::Reflect::set(&object, &"lastTime".into(), &(t as f64).into());
    }
    object.into()
}

/// Reads a metadata object; a missing or non-numeric field reads as 0 (an
/// entry saved at 0 is too old to trust, and is refreshed).
fn meta_from_js(object: &JsValue) -> EntryMeta {
    let number = |field: &str| {
        js_sys::Reflect::get(object, &field.into())
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    };
    EntryMeta {
        bytes: number("bytes").max(0.0) as u64,
        bars: number("bars").max(0.0) as u64,
        saved_at_ms: number("savedAt"),
        last_used_ms: number("lastUsed"),
        last_time_ms: js_sys::Reflect::get(object, &"lastTime".into())
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite())
            .map(|v| v as i64),
    }
}

/// Lets a transaction issued without waiting finish in the background,
/// reporting a failure on the console (the caller has moved on).
pub(super) fn settle_in_background(tx: IdbTransaction, what: &'static str) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(why) = settle(tx, what).await {
            web_sys::console::warn_1(&format!("bar cache: {what}: {why}").into());
        }
    });
}
