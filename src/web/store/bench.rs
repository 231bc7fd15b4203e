//! The store's benchmark hooks: read keys back in batches as a warm scan
//! does, after opening the database as a reload does, and time it
//! (`tests/web_store.rs` prints the figures). Browser only, like the store.

use super::{BarStore, CacheKey, StoreError};

/// What reading entries back cost ([`BarStore::time_reads`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadTiming {
    pub requested: usize,
    pub hits: usize,
    pub bars: usize,
    pub bytes: u64,
    /// Opening the store and loading its index (0 when not measured).
    pub open_ms: f64,
    /// Reading and decoding every entry.
    pub read_ms: f64,
}

impl BarStore {
    /// Benchmark hook: reads `keys` back in batches of `batch` (as a warm
    /// scan would) and reports hits, bars, bytes and the time taken.
    pub async fn time_reads(
        &self,
        keys: &[CacheKey],
        batch: usize,
    ) -> Result<ReadTiming, StoreError> {
        let start = crate::web::time::now_ms();
        let mut timing = ReadTiming {
            requested: keys.len(),
            ..ReadTiming::default()
        };
        for chunk in keys.chunks(batch.max(1)) {
            for entry in self.get_entries(chunk).await?.into_iter().flatten() {
                timing.hits += 1;
                timing.bars += entry.bars.len();
                timing.bytes += entry.bytes;
            }
        }
        timing.read_ms = crate::web::time::now_ms() - start;
        Ok(timing)
    }
}

/// Benchmark hook for "after a reload": opens `db_name` (reading its index)
/// and reads `keys` back in batches of `batch`, timing both. The store is
/// closed afterwards.
pub async fn time_reload_and_read(
    db_name: &str,
    keys: &[CacheKey],
    batch: usize,
) -> Result<ReadTiming, StoreError> {
    let start = crate::web::time::now_ms();
    let store = BarStore::try_open_named(db_name).await?;
    let open_ms = crate::web::time::now_ms() - start;
    let timing = store.time_reads(keys, batch).await?;
    Ok(ReadTiming { open_ms, ..timing })
}
