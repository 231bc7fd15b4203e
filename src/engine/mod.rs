//! The scanner engine: bars, indicators, the scan language, the Technic score and
//! the streaming scan run. Must not import any browser crate (the web-sys
//! family, the Leptos UI): it builds and is tested natively. Data acquisition
//! (CSV, service formats, the cache codec, fetch and cache policies) lives
//! beside it in `crate::data`.

pub mod backtest;
pub mod bars;
pub mod indicators;
pub mod lang;
pub mod run;
pub mod score;
pub mod sync;

pub use bars::{Bars, BarsError};
