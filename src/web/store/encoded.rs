//! Cache hits read without decoding: the bytes as stored, checked by
//! `codec::peek` (frame, checksum, schema, times) and carrying what the
//! loader decides on (bar count, last bar time, save time), so a warm scan's
//! decoding happens on the workers, not on the page. Browser only, like the
//! store; must not be imported by `engine` or `data`.

use crate::data::codec;

use super::{BarStore, CacheKey, StoreError};

/// A cache hit still in codec bytes (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEntry {
    pub bytes: Vec<u8>,
    /// Bars held.
    pub bars: usize,
    /// The last bar's open time (epoch ms).
    pub last_time: i64,
    /// When the entry was written (epoch ms; 0 when its metadata is missing).
    pub saved_at_ms: i64,
}

impl BarStore {
    /// Like [`BarStore::get_entries`], but each hit keeps its bytes
    /// undecoded (checked with `codec::peek`: a corrupt or old-schema entry
    /// is still deleted and is a miss).
    pub async fn get_encoded_entries(
        &self,
        keys: &[CacheKey],
    ) -> Result<Vec<Option<EncodedEntry>>, StoreError> {
        let found = self
            .read_checked(keys, |_key, id, bytes| {
                let corrupt = |reason: String| StoreError::Corrupt {
                    key: id.to_string(),
                    reason,
                };
                let bytes = bytes.ok_or_else(|| corrupt("the value is not a byte array".into()))?;
                let peek = codec::peek(&bytes).map_err(|e| corrupt(e.to_string()))?;
                let size = bytes.len() as u64;
                Ok(((bytes, peek), size, peek.bars as u64))
            })
            .await?;
        Ok(found
            .into_iter()
            .map(|hit| {
                hit.map(|((bytes, peek), saved_at_ms, _size)| EncodedEntry {
                    bytes,
                    bars: peek.bars,
                    last_time: peek.last_time,
                    saved_at_ms,
                })
            })
            .collect())
    }
}
