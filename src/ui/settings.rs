//! Scan settings: lookback in bars, the trade plan's account / risk / R, the
//! auto-stop rule and the fetch order. Fields hold text;
//! `control::form_settings` parses them and says which one is wrong.

use leptos::prelude::*;

use crate::data::history::Order;

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
            <label
                class="field"
                title="Which symbols are fetched and computed first: learned (likely matches first, from this device's history), universe (as listed), random"
            >
                <span>"Order"</span>
                <select
                    data-testid="order"
                    on:change=move |ev| {
                        if let Ok(order) = event_target_value(&ev).parse::<Order>() {
                            form.order.set(order);
                        }
                    }
                >
                    {Order::ALL
                        .into_iter()
                        .map(|o| {
                            view! {
                                <option value=o.name() prop:selected=move || form.order.get() == o>
                                    {order_label(o)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <Show when=move || problem().is_some()>
                <p class="error-msg" data-testid="settings-error" role="alert">
                    {problem}
                </p>
            </Show>
        </fieldset>
    }
}

fn order_label(order: Order) -> &'static str {
    match order {
        Order::Learned => "learned",
        Order::Universe => "universe",
        Order::Random => "random",
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
