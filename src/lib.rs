//! Technic Web: a technical stock scanner that runs entirely in the browser.
//!
//! `engine` is pure Rust (no browser crate) and is what the native CLI, the
//! tests and the benchmarks run. Browser-only code (`web`, `ui`) compiles for
//! `wasm32` only and stands behind the engine's small traits.

// Kernels and the run take TA-Lib-shaped argument lists (inputs, parameters,
// outputs) on purpose: they mirror the reference they are tested against.
#![allow(clippy::too_many_arguments)]

pub mod engine;
