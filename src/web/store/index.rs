//! The bar store's in-memory LRU index: every entry's size, bar count, save
//! time and last use, read from IndexedDB once when the store opens and kept
//! up to date by the store's own writes, so a write or an eviction decision
//! never reads the database's metadata again. Pure Rust (no browser crate, no
//! clock: times are passed in); the backends in `idb.rs` and `memory.rs` move
//! the bytes.
//!
//! Eviction follows `data::cache_policy::Lru` exactly (least recently used
//! first, ties in the order entries were inserted or last used, the entry
//! being written never evicted, filling the quota exactly allowed), but walks
//! an ordered set instead of sorting every entry on every write: a write costs
//! O(log n) plus O(log n) per evicted entry.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::data::cache_policy::{LruEntry, TooLarge};

/// What the store keeps about an entry besides its bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryMeta {
    /// Encoded size of the bars.
    pub bytes: u64,
    /// Number of bars.
    pub bars: u64,
    /// When the bars were written (epoch ms; 0 when unknown).
    pub saved_at_ms: f64,
    /// When the entry was last used (epoch ms).
    pub last_used_ms: f64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    meta: EntryMeta,
    /// Insertion or last-use order: breaks ties between equal last-use times.
    seq: u64,
}

/// Position in the eviction order: last use, then insertion/use order.
type Rank = (i64, u64, String);

/// The in-memory index of every entry in a store.
#[derive(Debug, Default)]
pub struct LruIndex {
    slots: HashMap<String, Slot>,
    order: BTreeSet<Rank>,
    total_bytes: u64,
    next_seq: u64,
    /// Entries whose last use changed since their metadata was written.
    dirty: HashSet<String>,
}

impl LruIndex {
    pub fn new() -> LruIndex {
        LruIndex::default()
    }

    /// An index of `entries`, in the order given (ties in last use keep it).
    pub fn from_entries(entries: impl IntoIterator<Item = (String, EntryMeta)>) -> LruIndex {
        let mut index = LruIndex::new();
        for (id, meta) in entries {
            index.insert(id, meta);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes held by all entries.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn get(&self, id: &str) -> Option<&EntryMeta> {
        self.slots.get(id).map(|s| &s.meta)
    }

    /// Adds or replaces an entry (its metadata is written with it, so it is
    /// not dirty); it becomes the most recent among equal last-use times.
    /// Returns the entry it replaced.
    pub fn insert(&mut self, id: String, meta: EntryMeta) -> Option<EntryMeta> {
        let previous = self.remove(&id);
        let seq = self.bump_seq();
        self.order.insert(rank(&meta, seq, &id));
        self.total_bytes = self.total_bytes.saturating_add(meta.bytes);
        self.slots.insert(id, Slot { meta, seq });
        previous
    }

    /// Removes an entry (and any pending last-use write for it).
    pub fn remove(&mut self, id: &str) -> Option<EntryMeta> {
        let slot = self.slots.remove(id)?;
        self.order.remove(&rank(&slot.meta, slot.seq, id));
        self.total_bytes = self.total_bytes.saturating_sub(slot.meta.bytes);
        self.dirty.remove(id);
        Some(slot.meta)
    }

    /// Marks an entry used at `now_ms` (it becomes the most recent among
    /// equal times) and remembers that its metadata needs writing. Returns
    /// whether the entry exists.
    pub fn touch(&mut self, id: &str, now_ms: f64) -> bool {
        let seq = self.bump_seq();
        let Some(slot) = self.slots.get_mut(id) else {
            return false;
        };
        self.order.remove(&rank(&slot.meta, slot.seq, id));
        slot.meta.last_used_ms = now_ms;
        slot.seq = seq;
        self.order.insert(rank(&slot.meta, seq, id));
        self.dirty.insert(id.to_string());
        true
    }

    /// How many entries have a last use not yet written.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// The entries whose last use is not yet written, with their metadata;
    /// they count as written from now on (see [`LruIndex::mark_dirty`]).
    pub fn take_dirty(&mut self) -> Vec<(String, EntryMeta)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .filter_map(|id| {
                let meta = self.slots.get(&id)?.meta;
                Some((id, meta))
            })
            .collect()
    }

    /// Marks entries as needing their metadata written again (a flush that
    /// failed); entries removed meanwhile are skipped.
    pub fn mark_dirty(&mut self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            if self.slots.contains_key(&id) {
                self.dirty.insert(id);
            }
        }
    }

    /// The keys to evict, least recently used first, so that every entry
    /// plus a new one of `new_size` under `id` fits `quota_bytes`: the same
    /// answer as `data::cache_policy::Lru::evictions` over [`LruIndex::entries`].
    pub fn evictions(
        &self,
        id: &str,
        new_size: u64,
        quota_bytes: u64,
    ) -> Result<Vec<String>, TooLarge> {
        if new_size > quota_bytes {
            return Err(TooLarge {
                size_bytes: new_size,
                quota_bytes,
            });
        }
        let overwritten = self.get(id).map_or(0, |m| m.bytes);
        let used = self.total_bytes.saturating_sub(overwritten);
        Ok(self.least_recent(used.saturating_sub(quota_bytes - new_size), id))
    }

    /// The least recently used keys, other than `except`, whose sizes add up
    /// to at least `free_bytes` (or every other key when they cannot).
    pub fn least_recent(&self, free_bytes: u64, except: &str) -> Vec<String> {
        let mut freed = 0u64;
        let mut out = Vec::new();
        for (_, _, id) in &self.order {
            if freed >= free_bytes {
                break;
            }
            if id == except {
                continue;
            }
            freed = freed.saturating_add(self.slots[id].meta.bytes);
            out.push(id.clone());
        }
        out
    }

    /// Every entry's key, size and last use, least recently used first.
    pub fn entries(&self) -> Vec<LruEntry<String>> {
        self.order
            .iter()
            .map(|(last_used, _, id)| LruEntry {
                key: id.clone(),
                size_bytes: self.slots[id].meta.bytes,
                last_used_ms: *last_used,
            })
            .collect()
    }

    pub fn clear(&mut self) {
        *self = LruIndex {
            next_seq: self.next_seq,
            ..LruIndex::default()
        };
    }

    fn bump_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

fn rank(meta: &EntryMeta, seq: u64, id: &str) -> Rank {
    (meta.last_used_ms as i64, seq, id.to_string())
}
