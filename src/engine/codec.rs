//! Bars to bytes and back, for the bar cache: little-endian binary columns with
//! a magic, a schema version and a checksum, so a corrupt or old entry is
//! detected and dropped instead of trusted. Pure Rust; the IndexedDB store
//! (src/web/store.rs) only moves these bytes.
//!
//! TODO(browser issue): implement.

use super::bars::Bars;

/// The cache entry layout version. Bump it when the layout changes: older
/// entries then fail to decode with `CodecError::Schema` and are refetched.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("cache entry is truncated or not a bar entry")]
    Malformed,
    #[error("cache entry has schema {found}, expected {expected}")]
    Schema { found: u32, expected: u32 },
    #[error("cache entry checksum mismatch")]
    Checksum,
    #[error("cache entry holds invalid bars: {0}")]
    Invalid(String),
}

pub fn encode(_bars: &Bars) -> Vec<u8> {
    Vec::new()
}

pub fn decode(_symbol: &str, _bytes: &[u8]) -> Result<Bars, CodecError> {
    Err(CodecError::Malformed)
}
