//! Pure data code, the stage before the engine: reading CSV files, parsing each
//! service's responses, the bar cache's binary codec, the fetch and cache
//! policies, the bar loader's decisions, and the synthetic market. No I/O and no browser crate: time and
//! randomness are injected, so all of it is tested natively. The browser's
//! real store and fetcher (`crate::web`) wire these policies to IndexedDB and
//! `fetch`.

pub mod cache_policy;
pub mod codec;
pub mod csv;
pub mod fetch_policy;
pub mod formats;
pub mod history;
pub mod interval;
pub mod live;
pub mod loader;
pub mod synthetic;

/// FNV-1a, 64-bit: a short, stable hash (stable across builds and platforms,
/// unlike `std`'s hasher; not cryptographic, which keys do not need) — the bar
/// cache's endpoint hash and the scan history's fingerprint.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}
