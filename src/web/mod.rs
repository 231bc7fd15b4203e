//! Browser-only code (wasm32): the worker pool, the IndexedDB bar store, data
//! sources and the scan runner. `JsValue` never leaks past this module: every
//! public function returns Rust types and Rust errors.

pub mod feeds;
pub mod fetch;
pub mod pool;
pub mod runner;
pub mod sources;
pub mod store;
pub mod time;
