//! The source picker and the chosen source's own controls: the bar interval
//! of a crypto source, the URL template and its format, Binance's top-N, the API key of a keyed source (kept only
//! in this browser, with a clear button), the rate limit and the refresh age.
//! A badge shows whenever generated (not real) data is chosen.

use leptos::prelude::*;

use crate::data::formats::Format;
use crate::data::interval::Interval;
use crate::web::sources::SourceId;

use super::keys;
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
        <Show when=move || source.get().offers_intervals()>
            <IntervalPicker />
        </Show>
        <SourceOptions />
    }
}

/// The bar length of a crypto source: options valued as Binance names them
/// (`1m 5m 15m 1h 4h 1d`), daily by default. Other sources are daily only,
/// so it is shown for Binance and Coinbase alone.
#[component]
fn IntervalPicker() -> impl IntoView {
    let interval = use_scan_state().form.data.interval;
    let on_change = move |ev| {
        if let Ok(i) = event_target_value(&ev).parse::<Interval>() {
            interval.set(i);
        }
    };
    view! {
        <label class="field interval" title="Bar length: each bar covers this much time (UTC)">
            <span>"Interval"</span>
            <select data-testid="interval" on:change=on_change>
                {Interval::ALL
                    .into_iter()
                    .map(|i| {
                        view! {
                            <option value=i.name() prop:selected=move || interval.get() == i>
                                {i.name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Sources fetched over the network (rate limit and refresh age apply).
pub fn is_fetched(source: SourceId) -> bool {
    matches!(
        source,
        SourceId::Url
            | SourceId::Binance
            | SourceId::Coinbase
            | SourceId::Polygon
            | SourceId::TwelveData
    )
}

/// The services whose host a base URL may replace (each keeps its own).
pub fn has_base(source: SourceId) -> bool {
    matches!(
        source,
        SourceId::Binance | SourceId::Coinbase | SourceId::Polygon | SourceId::TwelveData
    )
}

/// The controls of the chosen source (nothing for the sample and synthetic).
#[component]
fn SourceOptions() -> impl IntoView {
    let form = use_scan_state().form;
    let data = form.data;
    let source = form.source;
    let on_format = move |ev| {
        if let Some(f) = Format::from_name(&event_target_value(&ev)) {
            data.format.set(f);
        }
    };
    view! {
        <Show when=move || is_fetched(source.get())>
            <div class="source-options">
                <Show when=move || source.get() == SourceId::Url>
                    <label class="field wide">
                        <span>"URL template"</span>
                        <input
                            type="text"
                            class="url"
                            data-testid="source-url"
                            placeholder="http://host/path/{symbol}.csv"
                            spellcheck="false"
                            autocomplete="off"
                            prop:value=move || data.url_template.get()
                            on:input=move |ev| data.url_template.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="field">
                        <span>"Format"</span>
                        <select data-testid="source-format" on:change=on_format>
                            {Format::ALL
                                .into_iter()
                                .map(|f| {
                                    view! {
                                        <option value=f.name() prop:selected=move || data.format.get() == f>
                                            {format_label(f)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || source.get() == SourceId::Binance>
                    <TextField
                        value=data.binance_top
                        label="Top N USDT pairs"
                        placeholder="50"
                        testid="binance-top"
                        title="Used when the universe box is empty: the N USDT pairs with the most 24 h quote volume"
                    />
                </Show>
                <Show when=move || has_base(source.get())>
                    <BaseField source=Signal::derive(move || source.get()) />
                </Show>
                <Show when=move || source.get().needs_key()>
                    <ApiKeyField />
                </Show>
                <TextField
                    value=data.per_minute
                    label="Requests / minute"
                    placeholder="default"
                    testid="per-minute"
                    title="Rate limit for this source; empty = the source's own default"
                />
                <TextField
                    value=data.request_timeout
                    label="Timeout (s)"
                    placeholder="15"
                    testid="request-timeout"
                    title="One request is given up after this many seconds, then retried like any timeout; empty = 15 s"
                />
                <TextField
                    value=data.refresh_minutes
                    label="Refresh after (min)"
                    placeholder="15"
                    testid="refresh-minutes"
                    title="Today's still-open session is fetched again once its cached copy is this old; closed sessions are never refetched"
                />
            </div>
        </Show>
    }
}

/// The chosen service's own base URL (a proxy or mirror); each service
/// keeps its own, remembered in this browser.
#[component]
fn BaseField(#[prop(into)] source: Signal<SourceId>) -> impl IntoView {
    let data = use_scan_state().form.data;
    let service = move || source.get().cache_name();
    view! {
        <label class="field wide" title="Optional: a proxy or mirror that answers like this service (empty = the service's own host)">
            <span>{move || format!("{} base URL", source_name(source.get()))}</span>
            <input
                type="text"
                class="url"
                data-testid="source-base"
                placeholder="default host"
                spellcheck="false"
                autocomplete="off"
                prop:value=move || data.base(service())
                on:input=move |ev| data.set_base(source.get_untracked().cache_name(), &event_target_value(&ev))
            />
        </label>
    }
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::Csv => "CSV",
        Format::PolygonJson => "Polygon-shaped JSON",
        Format::BinanceJson => "Binance-shaped JSON",
    }
}

/// The keyed source's API key: a password field saved to localStorage on
/// every edit, and a button that forgets it.
#[component]
fn ApiKeyField() -> impl IntoView {
    let form = use_scan_state().form;
    let (source, key) = (form.source, form.data.api_key);
    let storage_failed = RwSignal::new(false);
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        storage_failed.set(!keys::save(source.get_untracked(), &text));
        key.set(text);
    };
    let on_clear = move |_| {
        keys::clear(source.get_untracked());
        storage_failed.set(false);
        key.set(String::new());
    };
    let label = move || format!("{} API key", source_name(source.get()));
    view! {
        <div class="field wide api-key">
            <span>{label}</span>
            <span class="key-row">
                <input
                    type="password"
                    data-testid="api-key"
                    aria-label=label
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="kept only in this browser"
                    prop:value=move || key.get()
                    on:input=on_input
                />
                <button
                    type="button"
                    data-testid="clear-key"
                    disabled=move || key.read().is_empty()
                    on:click=on_clear
                >
                    "Clear key"
                </button>
            </span>
            <span class="hint">
                {move || {
                    if storage_failed.get() {
                        "This browser refused to save the key: it lasts until the page closes."
                    } else {
                        "Saved in this browser's localStorage (any page of this origin can read it); never in the URL or an export."
                    }
                }}
            </span>
        </div>
    }
}

fn source_name(source: SourceId) -> &'static str {
    match source {
        SourceId::Binance => "Binance",
        SourceId::Coinbase => "Coinbase",
        SourceId::Polygon => "Polygon",
        SourceId::TwelveData => "Twelve Data",
        _ => "Source",
    }
}

/// A short text field bound to one form signal.
#[component]
fn TextField(
    value: RwSignal<String>,
    label: &'static str,
    placeholder: &'static str,
    testid: &'static str,
    title: &'static str,
) -> impl IntoView {
    view! {
        <label class="field num" title=title>
            <span>{label}</span>
            <input
                type="text"
                inputmode="numeric"
                data-testid=testid
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
