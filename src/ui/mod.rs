//! The Leptos UI (wasm32 only). State lives at the top (`ScanState` context of
//! `Copy` signals); components get only what they need. No indicator math here.

mod app;
mod code_field;
mod columns;
mod control;
mod controls;
mod editor;
mod export;
mod files;
mod format;
mod hooks;
mod import;
mod keys;
mod presets;
mod progress;
mod row;
mod settings;
mod source;
mod state;
mod status;
mod table;
mod universe;

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
