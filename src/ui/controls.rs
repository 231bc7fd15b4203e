//! Run and Stop, with the reason Run is unavailable or was refused, and the
//! prediction of the next run. The
//! keyboard shortcuts (Ctrl/Cmd+Enter, Esc) are bound once in `app`.

use leptos::prelude::*;

use super::control::{run_blocker, run_scan};
use super::live::{is_live, stop_all};
use super::prediction::PredictionLine;
use super::state::use_scan_state;

#[component]
pub fn RunControls() -> impl IntoView {
    let state = use_scan_state();
    let run = state.run;
    let blocked = move || run_blocker(&state);
    let note = move || run.refused.get().or_else(blocked);
    view! {
        <div class="run-controls">
            <button
                type="button"
                class="primary"
                data-testid="run"
                title="Run (Ctrl+Enter)"
                disabled=move || blocked().is_some()
                on:click=move |_| run_scan(state)
            >
                "Run"
            </button>
            <button
                type="button"
                data-testid="stop"
                title="Stop (Esc): the scan, and the live scan if one is on"
                disabled=move || !run.running.get() && !is_live(state)
                on:click=move |_| stop_all(state)
            >
                "Stop"
            </button>
            <span class="run-note" data-testid="run-note">{note}</span>
            <PredictionLine />
        </div>
    }
}
