//! The preset picker: loads one of `view::presets` into the editor, and shows
//! which preset the editor holds ("Custom scan" once edited). Only text here;
//! the editor validates it like any edit.

use leptos::prelude::*;

use crate::view::presets::{preset_by_id, preset_of, PRESETS};

use super::state::use_scan_state;

/// A select of presets; choosing one replaces the expression and columns.
#[component]
pub fn Presets() -> impl IntoView {
    let form = use_scan_state().form;
    let current = move || form.expr.with(|e| preset_of(e).map_or("", |p| p.id));
    let on_change = move |ev| {
        if let Some(p) = preset_by_id(&event_target_value(&ev)) {
            form.expr.set(p.expr.to_string());
            form.columns.set(p.columns.to_string());
        }
    };
    view! {
        <label class="field preset">
            <span>"Preset"</span>
            <select data-testid="preset" on:change=on_change>
                <option value="" prop:selected=move || current().is_empty()>
                    "Custom scan"
                </option>
                {PRESETS
                    .iter()
                    .map(|p| {
                        let id = p.id;
                        view! {
                            <option value=id prop:selected=move || current() == id>
                                {p.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
