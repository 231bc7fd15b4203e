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
pub mod loader;
pub mod synthetic;
