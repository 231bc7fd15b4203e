//! The Leptos UI (wasm32 only). State lives at the top (`ScanState` context of
//! `Copy` signals); components get only what they need. No indicator math here.
//!
//! TODO(browser issue): the real page. Today: a minimal smoke page.

use leptos::prelude::*;

/// Mounts the app into `<body>` (called from the `technic-web` binary).
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot-status"))
    {
        el.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! { <main><h1>"Technic Web"</h1></main> }
}
