//! The scanner engine: bars, indicators, the scan language, the Technic score and
//! the streaming scan run. Must not import any browser crate (the web-sys
//! family, the Leptos UI): it builds and is tested natively.

pub mod bars;
pub mod cache_policy;
pub mod codec;
pub mod csv;
pub mod fetch_policy;
pub mod formats;
pub mod indicators;
pub mod lang;
pub mod run;
pub mod score;
pub mod synthetic;

pub use bars::{Bars, BarsError};
