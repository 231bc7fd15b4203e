//! The universe box: symbols typed or pasted (spaces, commas or new lines, or
//! a CSV with symbol and optional sector, industry, market cap), or read from
//! a symbol-list file; how many there are; and filters by sector, industry
//! and market cap (parsed and applied by `view::universe`). The filtered list
//! is what a scan of a fetched source asks for (`control::source_config`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::view::format::count;
use crate::view::universe::{distinct, industries_in};
use crate::web::sources::SourceId;

use super::files;
use super::state::{use_scan_state, DataForm};

pub use crate::view::universe::{filtered, UniverseFilter};

impl UniverseFilter {
    /// Reads the filter fields; the error names the field that is wrong.
    pub fn from_form(data: &DataForm) -> Result<UniverseFilter, String> {
        UniverseFilter::parse(
            &data.sector.read(),
            &data.industry.read(),
            &data.min_cap.read(),
            &data.max_cap.read(),
        )
    }
}

#[component]
pub fn UniverseBox() -> impl IntoView {
    let form = use_scan_state().form;
    let data = form.data;
    let placeholder = move || match form.source.get() {
        SourceId::Binance => "BTCUSDT ETHUSDT … — or leave empty for the top N pairs",
        SourceId::Coinbase => "BTC-USD ETH-USD …",
        _ => "AAPL MSFT NVDA — or paste a CSV: symbol,sector,industry,market cap",
    };
    let total = move || data.universe.with(Vec::len);
    let summary = move || {
        let all = total();
        match UniverseFilter::from_form(&data) {
            Ok(f) if f.is_empty() => count(all, "symbol"),
            Ok(f) => {
                let kept = data
                    .universe
                    .with(|u| u.iter().filter(|e| f.keeps(e)).count());
                format!("{} of {all} after filters", count(kept, "symbol"))
            }
            Err(_) => count(all, "symbol"),
        }
    };
    let sectors = Memo::new(move |_| data.universe.with(|u| distinct(u, |e| e.sector.as_ref())));
    // Industries of the chosen sector only, so the two selects never contradict.
    let industries = Memo::new(move |_| {
        let sector = data.sector.get();
        data.universe.with(|u| industries_in(u, &sector))
    });
    let has_caps = move || {
        data.universe
            .with(|u| u.iter().any(|e| e.market_cap.is_some()))
    };
    // A filter the universe no longer offers (the list changed) is dropped
    // here, not in the hidden selects, so nothing unseen narrows the scan.
    Effect::new(move || {
        for (value, options) in [(data.sector, sectors), (data.industry, industries)] {
            let current = value.get();
            if !current.is_empty() && !options.read().contains(&current) {
                value.set(String::new());
            }
        }
        if !has_caps() {
            data.min_cap.set(String::new());
            data.max_cap.set(String::new());
        }
    });
    let list_error = RwSignal::new(None::<String>);
    let on_list_file = move |ev: web_sys::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let picked = files::from_input(&input);
        input.set_value("");
        let Some(file) = picked.into_iter().next() else {
            return;
        };
        spawn_local(async move {
            match file.read().await {
                Ok((_, bytes)) => {
                    list_error.set(None);
                    data.universe_text
                        .set(String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(e) => list_error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <fieldset class="universe">
            <legend>"Universe"</legend>
            <textarea
                data-testid="universe-input"
                aria-label="Universe: symbols separated by spaces, commas or new lines, or a CSV with symbol, sector, industry, market cap"
                rows="3"
                spellcheck="false"
                autocomplete="off"
                placeholder=placeholder
                prop:value=move || data.universe_text.get()
                on:input=move |ev| data.universe_text.set(event_target_value(&ev))
            ></textarea>
            <div class="universe-bar">
                <span class="count mono" data-testid="universe-count">{summary}</span>
                <label class="file-button">
                    "Import symbol list…"
                    <input
                        type="file"
                        data-testid="universe-file"
                        accept=".csv,.txt,.tsv"
                        on:change=on_list_file
                    />
                </label>
            </div>
            <Show when=move || list_error.read().is_some()>
                <p class="error-msg" role="alert">{move || list_error.get()}</p>
            </Show>
            <Show when=move || !sectors.read().is_empty() || !industries.read().is_empty() || has_caps()>
                <div class="universe-filters">
                    <FacetSelect label="Sector" testid="universe-sector" value=data.sector options=sectors />
                    <FacetSelect label="Industry" testid="universe-industry" value=data.industry options=industries />
                    <CapField label="Min market cap" testid="universe-min-cap" value=data.min_cap />
                    <CapField label="Max market cap" testid="universe-max-cap" value=data.max_cap />
                </div>
            </Show>
        </fieldset>
    }
}

/// A select of a field's values with "any" first.
#[component]
fn FacetSelect(
    label: &'static str,
    testid: &'static str,
    value: RwSignal<String>,
    options: Memo<Vec<String>>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select data-testid=testid on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="" prop:selected=move || value.read().is_empty()>"any"</option>
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|o| {
                            let selected = o.clone();
                            let option_value = o.clone();
                            view! {
                                <option value=option_value prop:selected=move || *value.read() == selected>
                                    {o}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

#[component]
fn CapField(label: &'static str, testid: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label class="field num">
            <span>{label}</span>
            <input
                type="text"
                inputmode="decimal"
                data-testid=testid
                placeholder="any"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
