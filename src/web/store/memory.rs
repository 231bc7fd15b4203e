//! The memory backend of the bar store, for when IndexedDB is unavailable
//! (private mode, blocked, a newer database) or caching is turned off: codec
//! bytes per key id, for this page only. Its capacity is bounded like a
//! browser's storage quota: a write that would pass it fails with
//! [`StoreError::QuotaExceeded`] and changes nothing, so the store's eviction
//! and retry work the same on both backends. Entry metadata lives in the
//! store's index, not here. No `JsValue` here.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use super::StoreError;

/// The default capacity of the memory backend: it shares the wasm heap with
/// the bars being scanned, so it stays well under the IndexedDB quota.
pub const MEMORY_CAPACITY_BYTES: u64 = 100_000_000;

pub(super) struct MemoryBackend {
    entries: RefCell<HashMap<String, Vec<u8>>>,
    used: Cell<u64>,
    capacity: u64,
}

impl MemoryBackend {
    pub(super) fn new(capacity: u64) -> MemoryBackend {
        MemoryBackend {
            entries: RefCell::default(),
            used: Cell::new(0),
            capacity,
        }
    }

    /// A copy of each id's bytes (`None` for a miss).
    pub(super) fn read(&self, ids: &[String]) -> Vec<Option<Vec<u8>>> {
        let entries = self.entries.borrow();
        ids.iter().map(|id| entries.get(id).cloned()).collect()
    }

    /// Deletes `deletes` and stores `put`, all or nothing: a result larger
    /// than the capacity is refused as `QuotaExceeded` before anything changes.
    pub(super) fn write(
        &self,
        deletes: &[String],
        put: Option<(&str, &[u8])>,
    ) -> Result<(), StoreError> {
        let mut entries = self.entries.borrow_mut();
        let size_of = |id: &str| entries.get(id).map_or(0, |b| b.len() as u64);
        let mut after = self.used.get();
        let mut counted: HashSet<&str> = HashSet::new();
        for id in deletes.iter().map(String::as_str).chain(put.map(|p| p.0)) {
            if counted.insert(id) {
                after = after.saturating_sub(size_of(id));
            }
        }
        if let Some((_, bytes)) = put {
            after = after.saturating_add(bytes.len() as u64);
        }
        if after > self.capacity {
            return Err(StoreError::QuotaExceeded);
        }
        for id in deletes {
            entries.remove(id);
        }
        if let Some((id, bytes)) = put {
            entries.insert(id.to_string(), bytes.to_vec());
        }
        self.used.set(after);
        Ok(())
    }

    pub(super) fn clear(&self) {
        self.entries.borrow_mut().clear();
        self.used.set(0);
    }
}
