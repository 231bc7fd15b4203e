//! The bar loader's decisions, as pure async code behind small traits: where
//! each symbol's bars come from (cache hit, tail top-up, whole refetch), how a
//! request is retried (backoff, a 429 pausing the source, stop), how each
//! service is paged, what becomes an error row, and what is cached (only
//! complete, validated bars). The browser (`crate::web`) only wires in the
//! real parts: IndexedDB as the [`BarStore`], `fetch` as the
//! [`Transport`], `performance`/`setTimeout` as the [`Clock`]. Native tests
//! drive the same code with fakes (`tests/engine/loader.rs`).
//!
//! Generics, not `dyn`: the browser's futures are `!Send`, and each wiring
//! is known at compile time. No browser crate, no runtime: futures only.
//!
//! - [`source`]: the source ids and settings, each source's policy, calendar
//!   and endpoint identity (what a cache entry is keyed by).
//! - [`request`]: one GET under a source's [`Gate`] (limits, retries, pause).
//! - [`feed`]: one symbol's bars from one service (paging, fallbacks).
//! - [`symbol`]: cache first, then the feed; merge a tail; cache the result.
//! - [`slots`]: the hand-off of loaded bars from the page to the workers.

pub mod feed;
pub mod request;
pub mod slots;
pub mod source;
pub mod symbol;

use std::future::Future;

pub use feed::{Feed, Fetched};
pub use request::{fetch, Attempt, FetchError, Gate, Request, Transport};
pub use slots::Slots;
pub use source::{SourceConfig, SourceId};
pub use symbol::{
    load_symbol, load_symbol_landed, BarStore, CachedBars, Encoded, EntryKey, Fetcher, Landed,
    LoadPlan,
};

/// Wall-clock time, waiting and chance, injected so every decision is
/// tested with a fake clock and fixed random bits.
pub trait Clock {
    /// Now, in ms since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Resolves after `ms` milliseconds (dropping it cancels the timer).
    fn sleep(&self, ms: u64) -> impl Future<Output = ()>;
    /// 64 random bits (the backoff jitter).
    fn random_u64(&self) -> u64;
}

impl<C: Clock> Clock for &C {
    fn now_ms(&self) -> i64 {
        (*self).now_ms()
    }
    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        (*self).sleep(ms)
    }
    fn random_u64(&self) -> u64 {
        (*self).random_u64()
    }
}
