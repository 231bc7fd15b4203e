//! The Leptos UI (wasm32 only). State lives at the top (`ScanState` context of
//! `Copy` signals); components get only what they need. No indicator math
//! here, and no pure logic either: formatting, sort, filter, field parsing and
//! the CSV text live in `crate::view`, where they are tested natively.

mod about;
mod app;
mod backtest;
mod backtest_panel;
mod code_field;
mod columns;
mod control;
mod controls;
pub mod detail;
mod editor;
mod export;
mod files;
mod hooks;
mod import;
mod keys;
mod live;
mod optimize;
mod prediction;
mod presets;
mod progress;
mod row;
mod saved;
mod settings;
mod share;
mod source;
mod state;
mod status;
mod stored;
mod table;
mod universe;

// Kept reachable as `super::format` for the components that name it.
use crate::view::format;

/// Mounts the app into `<body>` (called from the `technic-web` binary).
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot-status"))
    {
        el.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
