//! Browser-only code (wasm32): the worker pool, the IndexedDB bar store, the
//! loader's real parts (fetch, store, clock) and the scan runner. `JsValue`
//! never leaks past this module: every public function returns Rust types
//! and Rust errors. The loader's decisions live in `data::loader`.

pub mod backtest;
pub mod chart;
pub mod config;
pub mod fetch;
pub mod history_store;
pub(crate) mod js;
pub mod learn;
pub mod live;
pub mod loader;
pub mod pool;
pub mod runner;
pub mod single_thread;
pub mod sources;
pub mod store;
pub mod time;
pub mod universe;
