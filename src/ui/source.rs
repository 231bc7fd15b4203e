//! The source picker: the bundled sample or a synthetic market, with a badge
//! whenever generated (not real) data is chosen.

use leptos::prelude::*;

use crate::web::sources::SourceId;

use super::state::use_scan_state;

#[component]
pub fn SourcePicker() -> impl IntoView {
    let source = use_scan_state().form.source;
    let on_change = move |ev| {
        if let Some(id) = SourceId::parse(&event_target_value(&ev)) {
            source.set(id);
        }
    };
    view! {
        <label class="field source">
            <span>
                "Source"
                <Show when=move || source.get().is_synthetic()>
                    <span class="badge synthetic" data-testid="synthetic-badge">
                        "synthetic data"
                    </span>
                </Show>
            </span>
            <select data-testid="source" on:change=on_change>
                {SourceId::ALL
                    .into_iter()
                    .map(|id| {
                        view! {
                            <option value=id.value() prop:selected=move || source.get() == id>
                                {id.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
