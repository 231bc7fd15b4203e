//! The bar store's last uses: marked in memory (synchronous), written to the
//! metadata store in one transaction, when a batch grows large, when the store
//! is dropped, or, for a scan's marks, in the background in slices once its
//! reads are over. Browser only, like the store.

use super::idb;
use super::{
    Backend, BarStore, CacheKey, StoreError, TOUCH_BATCH_LIMIT, TOUCH_SLICE, TOUCH_SLICE_PAUSE_MS,
};

impl BarStore {
    /// Marks an entry as used now, in memory only (cheap, synchronous): the
    /// last use reaches the database with [`BarStore::flush_touches`], or by
    /// itself once [`TOUCH_BATCH_LIMIT`] uses are pending. An unknown key is
    /// ignored.
    pub fn touch(&self, key: &CacheKey) {
        self.touch_at(key, js_sys::Date::now());
    }

    /// [`BarStore::touch`] at a given time (epoch ms).
    pub fn touch_at(&self, key: &CacheKey, now_ms: f64) {
        let pending = {
            let mut index = self.index.borrow_mut();
            index.touch(&key.id(), now_ms);
            index.dirty_len()
        };
        if pending >= TOUCH_BATCH_LIMIT {
            self.start_flush();
        }
    }

    /// Marks an entry as used at `now_ms` in memory only, never starting a
    /// write, whatever is pending: for a scan's loader, whose marks go out
    /// after its loads ([`BarStore::flush_touches_in_background`]) rather
    /// than between its reads.
    pub fn mark_used_at(&self, key: &CacheKey, now_ms: f64) {
        self.index.borrow_mut().touch(&key.id(), now_ms);
    }

    /// Writes every pending last use in the background, [`TOUCH_SLICE`] per
    /// transaction with a pause between them, so neither the page nor the
    /// database is held for long; returns at once. A slice that fails stays
    /// pending (and is reported on the console).
    pub fn flush_touches_in_background(&self) {
        let Backend::IndexedDb(db) = &self.backend else {
            self.index.borrow_mut().take_dirty();
            return;
        };
        if self.flushing.get() || self.index.borrow().dirty_len() == 0 {
            return;
        }
        self.flushing.set(true);
        let (db, index, flushing) = (db.clone(), self.index.clone(), self.flushing.clone());
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let slice = index.borrow_mut().take_dirty_up_to(TOUCH_SLICE);
                if slice.is_empty() {
                    break;
                }
                let result = match db.issue_metas(&slice) {
                    Ok(tx) => idb::settle(tx, "writing last uses").await,
                    Err(e) => Err(e),
                };
                if let Err(why) = result {
                    web_sys::console::warn_1(
                        &format!("bar cache: writing last uses: {why}").into(),
                    );
                    index
                        .borrow_mut()
                        .mark_dirty(slice.into_iter().map(|(id, _)| id));
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(TOUCH_SLICE_PAUSE_MS).await;
            }
            flushing.set(false);
        });
    }

    /// Last uses marked but not yet written.
    pub fn pending_touches(&self) -> usize {
        self.index.borrow().dirty_len()
    }

    /// Writes every pending last use in one transaction; returns how many.
    /// On failure they stay pending (a later flush tries again).
    pub async fn flush_touches(&self) -> Result<usize, StoreError> {
        let dirty = self.index.borrow_mut().take_dirty();
        let n = dirty.len();
        let Backend::IndexedDb(db) = &self.backend else {
            return Ok(n);
        };
        if n == 0 {
            return Ok(0);
        }
        let result = match db.issue_metas(&dirty) {
            Ok(tx) => idb::settle(tx, "writing last uses").await,
            Err(e) => Err(e),
        };
        result.map(|()| n).inspect_err(|_| {
            self.index
                .borrow_mut()
                .mark_dirty(dirty.into_iter().map(|(id, _)| id));
        })
    }

    /// Issues the pending last uses without waiting for them.
    pub(super) fn start_flush(&self) {
        let dirty = self.index.borrow_mut().take_dirty();
        let Backend::IndexedDb(db) = &self.backend else {
            return;
        };
        if dirty.is_empty() {
            return;
        }
        match db.issue_metas(&dirty) {
            Ok(tx) => idb::settle_in_background(tx, "writing last uses"),
            Err(why) => {
                web_sys::console::warn_1(&format!("bar cache: writing last uses: {why}").into());
                self.index
                    .borrow_mut()
                    .mark_dirty(dirty.into_iter().map(|(id, _)| id));
            }
        }
    }
}
