//! What the page starts before its first render (first load, issue 12): the
//! worker pool and the two IndexedDB databases, so that the workers load and
//! the databases open while the main thread builds the DOM, instead of after
//! it. `App` takes the answers from here. Imports only `crate::web`.

use std::cell::RefCell;

use futures::channel::oneshot;
use futures::future::{FutureExt, LocalBoxFuture, Shared};

use crate::web::history_store::HistoryStore;
use crate::web::pool::{self, PoolInfo};
use crate::web::store::BarStore;

thread_local! {
    static POOL: RefCell<Option<Shared<LocalBoxFuture<'static, PoolInfo>>>> = const { RefCell::new(None) };
    static STORES: RefCell<Option<oneshot::Receiver<(BarStore, HistoryStore)>>> = const { RefCell::new(None) };
}

/// Starts the pool and opens the bar cache and the scan history, each once.
/// Their first steps (creating the workers, the open requests) run in the
/// microtask that follows the current task: call this before the render is
/// scheduled (see `super::start`).
pub fn begin() {
    POOL.with(|p| {
        if p.borrow().is_some() {
            return;
        }
        let pool = pool::start().boxed_local().shared();
        *p.borrow_mut() = Some(pool.clone());
        // Polled now, not when `App` first asks: that is the point.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = pool.await;
        });
    });
    STORES.with(|s| {
        if s.borrow().is_some() {
            return;
        }
        let (tx, rx) = oneshot::channel();
        *s.borrow_mut() = Some(rx);
        wasm_bindgen_futures::spawn_local(async move {
            // Two databases: neither waits for the other.
            let _ = tx.send(futures::join!(BarStore::open(), HistoryStore::open()));
        });
    });
}

/// The worker pool's answer (starting it now if `begin` was not called).
pub async fn pool() -> PoolInfo {
    begin();
    let pool = POOL.with(|p| p.borrow().clone());
    match pool {
        Some(pool) => pool.await,
        None => pool::start().await,
    }
}

/// The opened bar cache and scan history (opened now if `begin` was not
/// called; taken once: a second caller opens them again).
pub async fn stores() -> (BarStore, HistoryStore) {
    begin();
    let rx = STORES.with(|s| s.borrow_mut().take());
    match rx {
        Some(rx) => match rx.await {
            Ok(stores) => stores,
            Err(_) => futures::join!(BarStore::open(), HistoryStore::open()),
        },
        None => futures::join!(BarStore::open(), HistoryStore::open()),
    }
}
