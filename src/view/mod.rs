//! The page's pure logic, compiled and tested natively: number and text
//! formatting, the table's columns, sort, filter, row keys and virtual
//! window, the form's field parsing, the CSV export, presets and per-service
//! base URLs. The Leptos components in `ui` call these; nothing here imports
//! a browser crate or Leptos.

pub mod bases;
pub mod columns;
pub mod export;
pub mod fields;
pub mod format;
pub mod presets;
pub mod window;

#[cfg(test)]
mod testing;
