//! Scan settings: lookback in bars, the trade plan's account / risk / R, and
//! the auto-stop rule. Fields hold text; `control::form_settings` parses them
//! and says which one is wrong.

use leptos::prelude::*;

use super::control::form_settings;
use super::state::use_scan_state;

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let form = use_scan_state().form;
    let problem = move || form_settings(&form).err();
    view! {
        <fieldset class="settings">
            <legend>"Settings"</legend>
            <NumberField value=form.lookback label="Lookback (bars)" placeholder="all" testid="lookback" />
            <NumberField value=form.account label="Account" placeholder="10000" testid="account" />
            <NumberField value=form.risk_pct label="Risk %" placeholder="1" testid="risk" />
            <NumberField value=form.reward_risk label="R (reward/risk)" placeholder="2" testid="reward-risk" />
            <NumberField value=form.max_matches label="Stop after matches" placeholder="never" testid="max-matches" />
            <Show when=move || problem().is_some()>
                <p class="error-msg" data-testid="settings-error" role="alert">
                    {problem}
                </p>
            </Show>
        </fieldset>
    }
}

/// A short numeric text input bound to one form signal.
#[component]
fn NumberField(
    value: RwSignal<String>,
    label: &'static str,
    placeholder: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label class="field num">
            <span>{label}</span>
            <input
                type="text"
                inputmode="decimal"
                data-testid=testid
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
