//! The web layer's name for the source ids and settings the form builds.
//! They are pure data (`data::loader::source`), re-exported here so the UI
//! and the runner read them from one place.

pub use crate::data::loader::source::{SourceConfig, SourceId, SYNTHETIC_BARS, SYNTHETIC_SEED};
