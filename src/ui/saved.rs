//! Saved scans and the history of past runs (`data-testid` `saved-scans`,
//! `save-scan`, `history`): a scan saved under a name (a link's worth of
//! state: `view::share`, never a key) opens back into the form; every run
//! the page made is listed with its time, scan, source, symbols, matches and
//! duration, and runs again with one click. Both lists live in this
//! browser's IndexedDB beside the scan history (`web::history_store`).

use leptos::prelude::*;

use crate::view::format::{count, seconds};
use crate::view::saved::{self, PastRun, SavedScan};
use crate::view::share::SharedScan;
use crate::web::time::epoch_ms;

use super::control::run_scan;
use super::share;
use super::state::{use_scan_state, ScanState};

/// The page's lists, loaded from the history store once it is open.
#[derive(Clone, Copy)]
pub struct Lists {
    pub saved: RwSignal<Vec<SavedScan>>,
    pub runs: RwSignal<Vec<PastRun>>,
}

impl Lists {
    pub fn new() -> Lists {
        Lists {
            saved: RwSignal::new(Vec::new()),
            runs: RwSignal::new(Vec::new()),
        }
    }
}

/// Reads both lists from the opened history store.
pub fn load(state: &ScanState, lists: Lists) {
    if let Some(store) = state.env.history.get_value() {
        lists.saved.set(
            store
                .record("saved")
                .map_or_else(Vec::new, |b| saved::from_bytes(&b)),
        );
        lists.runs.set(
            store
                .record("runs")
                .map_or_else(Vec::new, |b| saved::from_bytes(&b)),
        );
    }
}

fn persist_saved(state: &ScanState, lists: Lists) {
    if let Some(store) = state.env.history.get_value() {
        store.put_record("saved", lists.saved.with_untracked(|l| saved::to_bytes(l)));
    }
}

/// Adds a finished run to the list (newest first, bounded).
pub fn record_run(state: &ScanState, lists: Lists, run: PastRun) {
    lists.runs.update(|l| saved::push_run(l, run));
    if let Some(store) = state.env.history.get_value() {
        store.put_record("runs", lists.runs.with_untracked(|l| saved::to_bytes(l)));
    }
}

/// A run's local date and time, `2026-12-03 14:05`.
///
/// Not `Date.toLocaleString`: its first call on a page loads the locale data,
/// 27–44 ms on the page's thread at the end of the first scan (CDP profiles
/// of cold synthetic-5000 scans, 2026-12-03), for a string this plain.
fn when(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

fn describe(scan: &SharedScan) -> String {
    format!("{} · {}", scan.source, scan.expr)
}

#[component]
pub fn SavedPanel() -> impl IntoView {
    let state = use_scan_state();
    let lists = state.lists;
    let name = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let save = move |_| {
        let scan = share::shared(&state);
        let typed = name.get_untracked();
        let mut ok = false;
        lists
            .saved
            .update(|l| ok = saved::save(l, &typed, scan, epoch_ms()).is_some());
        if ok {
            persist_saved(&state, lists);
            note.set(format!("saved as “{}”", typed.trim()));
            name.set(String::new());
        } else {
            note.set("type a name first".into());
        }
    };
    let open = move |scan: SharedScan| {
        share::apply(&state, scan);
    };
    let rerun = move |scan: SharedScan| {
        share::apply(&state, scan);
        run_scan(state);
    };
    let delete = move |name: String| {
        lists.saved.update(|l| l.retain(|s| s.name != name));
        persist_saved(&state, lists);
    };
    view! {
        <section class="panel saved" aria-label="Saved scans and history">
            <div class="saved-col" data-testid="saved-scans">
                <h2>"Saved scans"</h2>
                <div class="save-row">
                    <input
                        type="text"
                        data-testid="save-name"
                        aria-label="Name for this scan"
                        placeholder="name this scan"
                        maxlength=saved::MAX_NAME.to_string()
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                save(());
                            }
                        }
                    />
                    <button type="button" data-testid="save-scan" on:click=move |_| save(())>
                        "Save"
                    </button>
                    <span class="copy-note" role="status">{move || note.get()}</span>
                </div>
                <ul class="saved-list">
                    <For
                        each=move || lists.saved.get()
                        key=|s| (s.name.clone(), s.saved_at_ms.to_bits())
                        children=move |s: SavedScan| {
                            let (scan_open, scan_run, name) = (s.scan.clone(), s.scan.clone(), s.name.clone());
                            view! {
                                <li data-testid="saved-scan" data-name=s.name.clone()>
                                    <span class="saved-name">{s.name.clone()}</span>
                                    <span class="saved-expr" title=describe(&s.scan)>{describe(&s.scan)}</span>
                                    <button type="button" class="link" data-testid="saved-open" on:click=move |_| open(scan_open.clone())>"Open"</button>
                                    <button type="button" class="link" data-testid="saved-run" on:click=move |_| rerun(scan_run.clone())>"Run"</button>
                                    <button type="button" class="link" data-testid="saved-delete" on:click=move |_| delete(name.clone())>"Delete"</button>
                                </li>
                            }
                        }
                    />
                </ul>
            </div>
            <div class="saved-col" data-testid="history">
                <h2>"History"</h2>
                <Show when=move || lists.runs.with(Vec::is_empty)>
                    <p class="empty">"No runs yet on this device."</p>
                </Show>
                <ul class="history-list">
                    <For
                        each=move || lists.runs.get()
                        key=|r| r.time_ms.to_bits()
                        children=move |r: PastRun| {
                            let scan = r.scan.clone();
                            let summary = format!(
                                "{} of {} · {} · {}",
                                count(r.matches, "match"),
                                r.symbols,
                                seconds(r.duration_ms / 1000.0),
                                r.reason
                            );
                            view! {
                                <li data-testid="history-run" data-expr=r.scan.expr.clone()>
                                    <span class="when">{when(r.time_ms)}</span>
                                    <span class="saved-expr" title=describe(&r.scan)>{describe(&r.scan)}</span>
                                    <span class="summary">{summary}</span>
                                    <button type="button" class="link" data-testid="history-rerun" on:click=move |_| rerun(scan.clone())>"Re-run"</button>
                                </li>
                            }
                        }
                    />
                </ul>
            </div>
        </section>
    }
}
