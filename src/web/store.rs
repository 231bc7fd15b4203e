//! The bar cache: IndexedDB (through the `idb` crate) holding each
//! (source, symbol, interval)'s bars as `engine::codec` bytes, with a memory
//! fallback when IndexedDB is unavailable (private mode, blocked). A corrupt or
//! old-schema entry is dropped and reported as a miss, so it is refetched.
//!
//! TODO(browser issue): implement on IndexedDB; today this is the memory store.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::engine::bars::Bars;
use crate::engine::codec;

/// Which store is in use (the status line says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    IndexedDb,
    /// IndexedDB is unavailable; bars live in memory for this page only.
    Memory {
        reason: String,
    },
}

/// The cache key: one entry per (source, symbol, interval).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub source: String,
    pub symbol: String,
    pub interval: String,
}

impl CacheKey {
    pub fn daily(source: &str, symbol: &str) -> CacheKey {
        CacheKey {
            source: source.into(),
            symbol: symbol.into(),
            interval: "1d".into(),
        }
    }

    /// The IndexedDB key string: `source|symbol|interval`.
    pub fn id(&self) -> String {
        format!("{}|{}|{}", self.source, self.symbol, self.interval)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("IndexedDB: {0}")]
    Db(String),
}

/// Entries and bytes held, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: u64,
}

pub struct BarStore {
    kind: StoreKind,
    memory: RefCell<HashMap<String, Vec<u8>>>,
}

impl BarStore {
    /// Opens (or creates/upgrades) the IndexedDB database; falls back to memory.
    pub async fn open() -> BarStore {
        BarStore {
            kind: StoreKind::Memory {
                reason: "not implemented yet".into(),
            },
            memory: RefCell::default(),
        }
    }

    pub fn kind(&self) -> &StoreKind {
        &self.kind
    }

    /// The cached bars, or `None` on a miss (a corrupt entry is deleted and is a miss).
    pub async fn get(&self, key: &CacheKey) -> Result<Option<Bars>, StoreError> {
        let id = key.id();
        let bytes = self.memory.borrow().get(&id).cloned();
        match bytes.map(|b| codec::decode(&key.symbol, &b)) {
            Some(Ok(bars)) => Ok(Some(bars)),
            Some(Err(_)) => {
                self.memory.borrow_mut().remove(&id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Stores complete, validated bars (never call it with a partial response).
    pub async fn put(&self, key: &CacheKey, bars: &Bars) -> Result<(), StoreError> {
        self.memory
            .borrow_mut()
            .insert(key.id(), codec::encode(bars));
        Ok(())
    }

    pub async fn stats(&self) -> Result<CacheStats, StoreError> {
        let m = self.memory.borrow();
        Ok(CacheStats {
            entries: m.len(),
            bytes: m.values().map(|v| v.len() as u64).sum(),
        })
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        self.memory.borrow_mut().clear();
        Ok(())
    }
}
