//! Technic Web: a technical stock scanner that runs entirely in the browser.
//!
//! `engine` (bars, indicators, scan language, score, run) and `data` (CSV,
//! service formats, codec, fetch and cache policies, synthetic market) are pure
//! Rust (no browser crate): they are what the native CLI, the tests and the
//! benchmarks run. `view` is the page's pure logic, native too. Browser-only
//! code (`web`, `ui`) compiles for `wasm32` only and stands behind the
//! engine's small traits.

// Kernels and the run take TA-Lib-shaped argument lists (inputs, parameters,
// outputs) on purpose: they mirror the reference they are tested against.
#![allow(clippy::too_many_arguments)]

pub mod data;
pub mod engine;

/// The page's pure logic (formatting, sort and filter, field parsing, CSV
/// export, presets): native, so its unit tests run in plain `cargo test`.
pub mod view;

/// Browser side: worker pool, IndexedDB bar store, data sources, the scan
/// runner that drains results once per animation frame. wasm32 only.
#[cfg(target_arch = "wasm32")]
pub mod web;

/// The Leptos UI. wasm32 only; does no indicator math.
#[cfg(target_arch = "wasm32")]
pub mod ui;
