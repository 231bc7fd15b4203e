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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;

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
    /// The time of its newest bar (epoch ms; `None` when written by a version
    /// that did not record it): with `saved_at_ms`, whether the entry is
    /// fresh, known without reading it (the scan order's cache check).
    pub last_time_ms: Option<i64>,
}

/// How far a last use must move from the one stored before it is worth
/// writing: a warm scan marks every entry it reads, and writing 5,000
/// metadata records (one IndexedDB put each) cost the page more than reading
/// the bars did. Eviction within a session follows the exact marks (they are
/// all in memory); only the order stored for the next session is this coarse.
pub const LAST_USE_GRANULARITY_MS: f64 = 10.0 * 60_000.0;

#[derive(Debug, Clone, Copy)]
struct Slot {
    meta: EntryMeta,
    /// Insertion or last-use order: breaks ties between equal last-use times.
    seq: u64,
    /// The last use as stored in the database (or being written).
    stored_last_used_ms: f64,
}

/// Position in the eviction order: last use, then insertion/use order.
type Rank = (i64, u64, String);

/// The in-memory index of every entry in a store.
#[derive(Debug, Default)]
pub struct LruIndex {
    /// In key order, so the entries within a key range can be counted.
    slots: BTreeMap<String, Slot>,
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

    /// How many entries have a key from `lower` to `upper` (both included).
    pub fn count_between(&self, lower: &str, upper: &str) -> usize {
        if lower > upper {
            return 0;
        }
        self.slots
            .range::<str, _>((Bound::Included(lower), Bound::Included(upper)))
            .count()
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
        self.slots.insert(
            id,
            Slot {
                meta,
                seq,
                stored_last_used_ms: meta.last_used_ms,
            },
        );
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
    /// equal times) and, when that is at least [`LAST_USE_GRANULARITY_MS`]
    /// away from the last use stored, remembers that its metadata needs
    /// writing. Returns whether the entry exists.
    pub fn touch(&mut self, id: &str, now_ms: f64) -> bool {
        let seq = self.bump_seq();
        let Some(slot) = self.slots.get_mut(id) else {
            return false;
        };
        self.order.remove(&rank(&slot.meta, slot.seq, id));
        slot.meta.last_used_ms = now_ms;
        slot.seq = seq;
        self.order.insert(rank(&slot.meta, seq, id));
        if (now_ms - slot.stored_last_used_ms).abs() >= LAST_USE_GRANULARITY_MS {
            self.dirty.insert(id.to_string());
        }
        true
    }

    /// How many entries have a last use not yet written.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// The entries whose last use is not yet written, with their metadata;
    /// they count as written from now on (see [`LruIndex::mark_dirty`]).
    pub fn take_dirty(&mut self) -> Vec<(String, EntryMeta)> {
        self.take_dirty_up_to(usize::MAX)
    }

    /// Like [`LruIndex::take_dirty`], at most `max` of them (in no
    /// particular order).
    pub fn take_dirty_up_to(&mut self, max: usize) -> Vec<(String, EntryMeta)> {
        let ids: Vec<String> = if max >= self.dirty.len() {
            std::mem::take(&mut self.dirty).into_iter().collect()
        } else {
            let ids: Vec<String> = self.dirty.iter().take(max).cloned().collect();
            for id in &ids {
                self.dirty.remove(id);
            }
            ids
        };
        ids.into_iter()
            .filter_map(|id| {
                let slot = self.slots.get_mut(&id)?;
                slot.stored_last_used_ms = slot.meta.last_used_ms;
                Some((id, slot.meta))
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
