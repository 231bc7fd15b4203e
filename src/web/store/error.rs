//! Why the bar store could not do something, told apart by the
//! DOMException's `name`, never by message text.

use crate::data::cache_policy::TooLarge;

use super::idb;

/// Why the store could not do something. IndexedDB failures are told apart
/// by the DOMException's `name` ([`StoreError::from_dom_name`]), never by
/// message text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// IndexedDB cannot be used: missing, blocked by another tab, too slow
    /// to open, closed for another tab's upgrade, or a broken database.
    #[error("the cache is unavailable: {0}")]
    Unavailable(String),
    /// The browser's storage quota (or the memory store's capacity) refused
    /// the write; nothing was written.
    #[error("the storage quota is full")]
    QuotaExceeded,
    /// The database was written by a newer version of this app.
    #[error("the cache was written by a newer version of this app")]
    VersionTooNew,
    /// A transaction was aborted for no reason the browser named.
    #[error("{0}: the transaction was aborted")]
    Aborted(String),
    /// An entry that does not decode (it is dropped and read as a miss).
    #[error("{key}: corrupt cache entry ({reason})")]
    Corrupt { key: String, reason: String },
    /// An entry larger than the whole quota: not cached.
    #[error("{key}: {source}")]
    TooLarge { key: String, source: TooLarge },
    /// Empty bars could never be read back: not cached.
    #[error("refusing to cache {key}: no bars")]
    NoBars { key: String },
    /// Any other IndexedDB failure, with the DOMException's name and message.
    #[error("IndexedDB, {op}: {name}: {message}")]
    Db {
        op: String,
        name: String,
        message: String,
    },
}

impl StoreError {
    /// The error for a DOMException named `name` during `op`:
    /// `QuotaExceededError`, `VersionError` and `AbortError` have their own
    /// variants; `InvalidStateError` (a closed connection) is `Unavailable`.
    pub fn from_dom_name(op: &str, name: &str, message: &str) -> StoreError {
        match name {
            "QuotaExceededError" => StoreError::QuotaExceeded,
            "VersionError" => StoreError::VersionTooNew,
            "AbortError" => StoreError::Aborted(op.to_string()),
            "InvalidStateError" => {
                StoreError::Unavailable(format!("{op}: the connection is closed ({message})"))
            }
            _ => StoreError::Db {
                op: op.to_string(),
                name: name.to_string(),
                message: message.to_string(),
            },
        }
    }

    /// The error for a thrown JS value (a DOMException or anything else),
    /// by its `name`; for the web layer and tests.
    pub fn from_js(op: &str, error: &wasm_bindgen::JsValue) -> StoreError {
        idb::js_error(op, error)
    }
}
