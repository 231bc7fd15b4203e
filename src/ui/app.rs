//! The page: provides the `ScanState`, starts the worker pool and opens the
//! bar cache once, binds Ctrl/Cmd+Enter (run) and Esc (close the detail, else
//! stop), and lays out the editor, the scan settings, progress, results, the
//! detail and the status line.

use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::web::history_store::HistoryStore;
use crate::web::pool;
use crate::web::sources::SourceId;
use crate::web::store::BarStore;

use super::about::About;
use super::backtest::BacktestPanels;
use super::control::{refresh_cache, run_scan};
use super::controls::RunControls;
use super::detail::{self, DetailPanel};
use super::editor::ScanEditor;
use super::import::ImportPanel;
use super::progress::ProgressPanel;
use super::saved::{self, SavedPanel};
use super::settings::SettingsPanel;
use super::share;
use super::source::{is_fetched, SourcePicker};
use super::state::{use_scan_state, ScanState};
use super::status::StatusLine;
use super::table::ResultsTable;
use super::universe::UniverseBox;

#[component]
pub fn App() -> impl IntoView {
    let state = ScanState::new();
    provide_context(state);
    let env = state.env;
    // A link's scan fills the form before anything reads it.
    share::restore_from_hash(state);
    share::follow_sort(state);
    super::live::follow_scans(state);
    // The pool starts before any scan can (Run waits for it); the cache opens
    // alongside, and the status line fills in as each answers.
    spawn_local(async move {
        // The history opens with the cache, side by side (two databases):
        // Run waits for both, so for the slower, not their sum.
        let (store, history) = futures::join!(BarStore::open(), HistoryStore::open());
        history.on_change(move || env.history_version.update(|v| *v += 1));
        env.history.set_value(Some(Rc::new(history)));
        env.history_version.update(|v| *v += 1);
        saved::load(&state, state.lists);
        env.store_kind.set(Some(store.kind().clone()));
        env.store.set_value(Some(Rc::new(store)));
        refresh_cache(env);
    });
    spawn_local(async move {
        env.pool.set(Some(pool::start().await));
    });
    let _shortcuts = window_event_listener(ev::keydown, move |e| {
        if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
            e.prevent_default();
            run_scan(state);
        } else if e.key() == "Escape" && !detail::close(state) {
            // Esc closes the detail first; with none open it stops the scan
            // (and the live scan).
            super::live::stop_all(state);
        } else if e.key() == "/" && !typing(&e) {
            // `/` focuses the scan editor (as in most search UIs).
            e.prevent_default();
            focus_editor();
        }
    });
    view! {
        <div class="app">
            <header class="top">
                <h1>"Technic" <span class="thin">" Web"</span></h1>
                <p class="tagline">"Technical scans on your own machine — nothing leaves the browser."</p>
                <About />
            </header>
            <div class="workbench">
                <ScanEditor />
                <ScanSetup />
            </div>
            // One grid row of the page: the run's progress, and the live
            // scan under it when there is one.
            <div class="run-status">
                <ProgressPanel />
                <super::live::LivePanel />
            </div>
            <ResultsTable />
            <SavedPanel />
            <DetailPanel />
            <BacktestPanels />
            <StatusLine />
        </div>
    }
}

/// Whether the key went to a field the user types in.
fn typing(e: &ev::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.closest("[contenteditable]").ok().flatten().is_some()
        })
}

fn focus_editor() {
    use wasm_bindgen::JsCast;
    let editor = document()
        .query_selector("[data-testid=\"scan-input\"]")
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(editor) = editor {
        let _ = editor.focus();
    }
}

/// Source (with its own controls, the universe or the imported files),
/// settings and the Run / Stop buttons.
#[component]
fn ScanSetup() -> impl IntoView {
    let source = use_scan_state().form.source;
    view! {
        <section class="panel setup" aria-label="Scan setup" class:synthetic=move || source.get().is_synthetic()>
            <SourcePicker />
            <Show when=move || is_fetched(source.get())>
                <UniverseBox />
            </Show>
            <Show when=move || source.get() == SourceId::Import>
                <ImportPanel />
            </Show>
            <SettingsPanel />
            <RunControls />
        </section>
    }
}
