//! The scan history's home: this device's [`History`] (learned order,
//! prediction) kept in memory and saved to its own IndexedDB database, apart
//! from the bar cache, so "Clear cache" (bars) leaves it and "Clear history"
//! leaves the bars. One record (`history` store, key `device`) holding
//! `History::to_bytes` as a `Uint8Array`: bytes, not JS objects, and the
//! schema version travels inside them. Beside it, the page's saved scans
//! (`saved`) and past runs (`runs`) as JSON bytes (`view::saved`). Never
//! leaves the browser.
//!
//! Through the `idb` crate, every listener attached before the first await
//! (`read_all` says why). A database that cannot be opened or read (private
//! mode, blocked, or not within [`OPEN_DEADLINE_MS`]) leaves the history in
//! memory for this page (the status line says so); bytes that do not read
//! (corrupt, another schema) start an empty history and say why once on the
//! console: a history is a guide, never worth failing a scan over.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::rc::Rc;

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};

use crate::data::history::{History, Limits};

/// The database of the scan history (the bar cache is `technic`).
pub const HISTORY_DB: &str = "technic-history";
/// Its layout version (one object store).
pub const HISTORY_DB_VERSION: u32 = 1;
const STORE: &str = "history";
const KEY: &str = "device";
/// The page's other records in the same store (read when it opens).
pub const RECORDS: [&str; 2] = ["saved", "runs"];
/// How long opening the history and reading it may take before it is kept
/// in memory for this page instead: long, because giving up on a slow open
/// loses the saved scans for the page, yet bounded, because an open queued
/// behind another tab's blocked upgrade never ends and Run waits for the
/// history. (CI runs that lost the history at 5 s, and then at 20 s, were
/// not slow opens but the hang `read_all` describes.)
pub const OPEN_DEADLINE_MS: u32 = 20_000;

/// Where the history lives, as the status line tells it.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryKind {
    IndexedDb,
    /// For this page only, and why.
    Memory(String),
}

pub struct HistoryStore {
    /// Shared with background saves.
    db: Option<Rc<Database>>,
    kind: HistoryKind,
    history: RefCell<History>,
    /// Bumped by every change (a recorded run, a clear): the page's
    /// prediction is recomputed when it moves.
    version: Cell<u64>,
    /// Told after every change (the page bumps a signal).
    on_change: RefCell<Option<Box<dyn Fn()>>>,
    /// The [`RECORDS`] as read when the store opened.
    records: RefCell<HashMap<String, Vec<u8>>>,
}

impl HistoryStore {
    /// Opens the device's history (creating the database the first time).
    pub async fn open() -> HistoryStore {
        HistoryStore::open_named(HISTORY_DB).await
    }

    pub async fn open_named(name: &str) -> HistoryStore {
        HistoryStore::open_named_within(name, OPEN_DEADLINE_MS).await
    }

    /// [`HistoryStore::open_named`] with another deadline for opening and
    /// reading (tests).
    ///
    /// The open runs as a task of its own, which outlives the deadline: an
    /// open that ends after the page gave up closes its connection there
    /// (left open, it would block the next upgrade of the database), and its
    /// requests' listeners are still alive when their events come.
    pub async fn open_named_within(name: &str, deadline_ms: u32) -> HistoryStore {
        let (send, opened) = futures::channel::oneshot::channel();
        let name = name.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(Ok(late)) = send.send(HistoryStore::try_open_named(&name).await) {
                if let Some(db) = late.db {
                    db.close();
                }
            }
        });
        match crate::web::time::within(deadline_ms, opened).await {
            Some(Ok(Ok(store))) => store,
            Some(Ok(Err(why))) => HistoryStore::in_memory(&why),
            Some(Err(_)) => HistoryStore::in_memory("the scan history's open was cancelled"),
            None => HistoryStore::in_memory(
                "the scan history did not open in time (another tab may be upgrading it)",
            ),
        }
    }

    /// The history in the database `name`, or why it cannot be opened or
    /// read, in the caller's task and with no deadline (the page opens
    /// through [`HistoryStore::open`]). A read that fails keeps the history
    /// in memory for this page rather than starting an empty one in the
    /// database, whose next save would overwrite the stored runs and saved
    /// scans.
    pub async fn try_open_named(name: &str) -> Result<HistoryStore, String> {
        let db = open_db(name).await?;
        let keys: Vec<&str> = RECORDS.iter().copied().chain([KEY]).collect();
        let mut values = match read_all(&db, &keys).await {
            Ok(values) => values,
            Err(why) => {
                db.close();
                return Err(why);
            }
        };
        let history = match values.pop().flatten() {
            Some(bytes) => History::from_bytes(&bytes).unwrap_or_else(|e| {
                warn(&format!("scan history unreadable, starting afresh: {e}"));
                History::new(Limits::default())
            }),
            None => History::new(Limits::default()),
        };
        let records = RECORDS
            .iter()
            .zip(values)
            .filter_map(|(key, bytes)| Some((key.to_string(), bytes?)))
            .collect();
        Ok(HistoryStore {
            db: Some(Rc::new(db)),
            kind: HistoryKind::IndexedDb,
            history: RefCell::new(history),
            version: Cell::new(0),
            on_change: RefCell::new(None),
            records: RefCell::new(records),
        })
    }

    /// A history for this page only.
    pub fn in_memory(reason: &str) -> HistoryStore {
        HistoryStore {
            db: None,
            kind: HistoryKind::Memory(reason.to_string()),
            history: RefCell::new(History::new(Limits::default())),
            version: Cell::new(0),
            on_change: RefCell::new(None),
            records: RefCell::default(),
        }
    }

    pub fn kind(&self) -> &HistoryKind {
        &self.kind
    }

    /// Changes so far (see the field).
    pub fn version(&self) -> u64 {
        self.version.get()
    }

    /// Calls `f` after every change from now on.
    pub fn on_change(&self, f: impl Fn() + 'static) {
        self.on_change.replace(Some(Box::new(f)));
    }

    fn changed(&self) {
        self.version.set(self.version.get() + 1);
        if let Some(f) = self.on_change.borrow().as_ref() {
            f();
        }
    }

    /// Reads the history.
    pub fn with<R>(&self, f: impl FnOnce(&History) -> R) -> R {
        f(&self.history.borrow())
    }

    /// Changes the history and saves it (in the background: the caller never
    /// waits on the database).
    pub fn update(&self, f: impl FnOnce(&mut History)) {
        f(&mut self.history.borrow_mut());
        self.save_in_background();
        self.changed();
    }

    /// Forgets every run and symbol (the bars stay), and waits for the write.
    pub async fn clear(&self) -> Result<(), String> {
        self.history.borrow_mut().clear();
        self.changed();
        match &self.db {
            Some(db) => write(db, KEY, None).await,
            None => Ok(()),
        }
    }

    /// Writes the bytes now, and waits for the transaction (tests, unload).
    pub async fn save(&self) -> Result<(), String> {
        let bytes = self.history.borrow().to_bytes();
        match &self.db {
            Some(db) => write(db, KEY, Some(&bytes)).await,
            None => Ok(()),
        }
    }

    /// One of the page's [`RECORDS`] as last put (or read at open).
    pub fn record(&self, key: &str) -> Option<Vec<u8>> {
        self.records.borrow().get(key).cloned()
    }

    /// Replaces one of the page's [`RECORDS`], written in the background.
    pub fn put_record(&self, key: &'static str, bytes: Vec<u8>) {
        self.records
            .borrow_mut()
            .insert(key.to_string(), bytes.clone());
        let Some(db) = self.db.clone() else {
            return;
        };
        in_background(async move {
            if let Err(e) = write(&db, key, Some(&bytes)).await {
                warn(&format!("{key} not saved: {e}"));
            }
        });
    }

    fn save_in_background(&self) {
        let Some(db) = self.db.clone() else {
            return;
        };
        let bytes = self.history.borrow().to_bytes();
        in_background(async move {
            if let Err(e) = write(&db, KEY, Some(&bytes)).await {
                warn(&format!("scan history not saved: {e}"));
            }
        });
    }
}

thread_local! {
    /// Background writes in flight on this page.
    static PENDING_WRITES: Cell<u32> = const { Cell::new(0) };
}

/// Runs a write in the background, counted in `window.__technicPendingWrites`
/// from now until it ends (a test, or an outside check, waits for 0 before
/// closing the page: a write still in flight then is lost).
fn in_background(write: impl std::future::Future<Output = ()> + 'static) {
    fn add(delta: i32) {
        let n = PENDING_WRITES.with(|p| {
            p.set(p.get().saturating_add_signed(delta));
            p.get()
        });
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &"__technicPendingWrites".into(), &n.into());
        }
    }
    add(1);
    wasm_bindgen_futures::spawn_local(async move {
        write.await;
        add(-1);
    });
}

fn warn(text: &str) {
    web_sys::console::warn_1(&text.into());
}

async fn open_db(name: &str) -> Result<Database, String> {
    // The bar cache's words (the status line shows both).
    let factory = Factory::new().map_err(|_| "IndexedDB is not available here".to_string())?;
    let mut request = factory
        .open(name, Some(HISTORY_DB_VERSION))
        .map_err(|e| format!("opening the scan history: {e}"))?;
    request.on_upgrade_needed(|event| {
        // Version 1 is the first layout: create the one store.
        if let Ok(db) = event.database() {
            if !db.store_names().iter().any(|s| s == STORE) {
                let _ = db.create_object_store(STORE, ObjectStoreParams::new());
            }
        }
    });
    let db = request
        .await
        .map_err(|e| format!("opening the scan history: {e}"))?;
    if !db.store_names().iter().any(|s| s == STORE) {
        db.close();
        return Err("the scan history database has no store".into());
    }
    Ok(db)
}

/// The records under `keys` (`None` where there is none), read in one
/// transaction.
///
/// Every listener, each request's and the transaction's, is attached before
/// the first await. The threaded build resumes a task through
/// `Atomics.waitAsync`, in a later task of the page's event loop, and under
/// load the transaction's `complete` event can come first: a listener
/// attached after it waits forever. It did: reading the record, then
/// awaiting the transaction, hung the history's open until its deadline in
/// CI runs under load, and the page lost its history and saved scans.
async fn read_all(db: &Database, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, String> {
    let op = |e: idb::Error| format!("reading the scan history: {e}");
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(op)?;
    let store = tx.object_store(STORE).map_err(op)?;
    let requests = keys
        .iter()
        .map(|key| {
            store
                .get(JsValue::from_str(key))
                .map(IntoFuture::into_future)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(op)?;
    let done = tx.into_future();
    // Each future is awaited to its end, a failed one too (the others then
    // end with the aborted transaction): dropped early, its listener would
    // still be called, and throw.
    let mut values = Vec::with_capacity(keys.len());
    let mut failed = None;
    for request in requests {
        match request.await {
            Ok(value) => values.push(value.map(|v| match v.dyn_into::<js_sys::Uint8Array>() {
                Ok(bytes) => bytes.to_vec(),
                // Not bytes at all: reads as bytes that fail to parse.
                Err(_) => Vec::new(),
            })),
            Err(e) => {
                failed.get_or_insert(op(e));
            }
        }
    }
    let ended = done.await;
    if let Some(why) = failed {
        return Err(why);
    }
    match ended.map_err(op)? {
        idb::TransactionResult::Committed => Ok(values),
        idb::TransactionResult::Aborted => Err("reading the scan history: aborted".into()),
    }
}

/// Puts `bytes` (or deletes the record) in one transaction, and waits for it.
async fn write(db: &Database, key: &str, bytes: Option<&[u8]>) -> Result<(), String> {
    let op = |e: idb::Error| format!("writing the scan history: {e}");
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(op)?;
    let store = tx.object_store(STORE).map_err(op)?;
    let key = JsValue::from_str(key);
    // The request is issued, not awaited: the transaction commits once it
    // is done, and awaiting the transaction waits for that (committing by
    // hand after awaiting the request finds it already finished).
    // The transaction's listeners go on before any await (see `read_all`).
    match bytes {
        Some(bytes) => {
            let value: JsValue = js_sys::Uint8Array::from(bytes).into();
            store.put(&value, Some(&key)).map_err(op)?;
        }
        None => {
            store.delete(key).map_err(op)?;
        }
    }
    match tx.await.map_err(op)? {
        idb::TransactionResult::Committed => Ok(()),
        idb::TransactionResult::Aborted => Err("writing the scan history: aborted".into()),
    }
}
