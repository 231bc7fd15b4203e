//! The scan in the URL hash (`view::share`): written when a scan starts and
//! when the sort changes (replacing the history entry, so Back leaves the
//! page as before), read once when the page opens. A sample or synthetic scan
//! from a link runs as soon as the workers and the cache are ready; a network
//! scan waits for Run (it would fetch, maybe with a key the receiver has not
//! set). Never a key: the link is built from the form without it.

use leptos::prelude::*;

use crate::data::formats::Format;
use crate::data::history::Order;
use crate::view::share::{decode, encode, sort_code, sort_from_code, SharedScan};
use crate::web::sources::SourceId;

use super::control::{not_ready, run_scan};
use super::state::ScanState;

/// The form (and sort) as a link carries it.
pub fn shared(state: &ScanState) -> SharedScan {
    let (form, data) = (state.form, state.form.data);
    let source = form.source.get_untracked();
    let fetched = source.is_fetched() && source != SourceId::Sample;
    SharedScan {
        expr: form.expr.get_untracked(),
        columns: form.columns.get_untracked(),
        source: source.value(),
        universe: if fetched {
            data.universe_text.get_untracked()
        } else {
            String::new()
        },
        template: if source == SourceId::Url {
            data.url_template.get_untracked()
        } else {
            String::new()
        },
        format: if source == SourceId::Url {
            data.format.get_untracked().name().to_string()
        } else {
            String::new()
        },
        lookback: form.lookback.get_untracked(),
        account: form.account.get_untracked(),
        risk_pct: form.risk_pct.get_untracked(),
        reward_risk: form.reward_risk.get_untracked(),
        max_matches: form.max_matches.get_untracked(),
        order: form.order.get_untracked().name().to_string(),
        sort: sort_code(state.table.sort.get_untracked()),
        interval: if source.offers_intervals() {
            SharedScan::interval_field(data.interval.get_untracked())
        } else {
            String::new()
        },
    }
}

/// Puts the current scan in the URL hash (no new history entry).
pub fn write_hash(state: &ScanState) {
    let hash = format!("#{}", encode(&shared(state)));
    let Some(window) = web_sys::window() else {
        return;
    };
    if window.location().hash().ok().as_deref() == Some(hash.as_str()) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
    }
}

/// Restores the scan a link carries, if any; runs it once the page is
/// ready when it needs no network. A damaged link says why under Run.
pub fn restore_from_hash(state: ScanState) {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let scan = match decode(&hash) {
        Ok(Some(scan)) => scan,
        Ok(None) => return,
        Err(e) => {
            state
                .run
                .refused
                .set(Some(format!("The link's scan could not be read: {e}")));
            return;
        }
    };
    let source = apply(&state, scan);
    if matches!(source, SourceId::Sample | SourceId::Synthetic(_)) {
        // Once, when the workers and the cache are ready.
        let ran = StoredValue::new(false);
        Effect::new(move || {
            if !ran.get_value() && not_ready(&state).is_none() {
                ran.set_value(true);
                run_scan(state);
            }
        });
    }
}

/// Fills the form (and the sort) from `scan`; returns its source.
pub fn apply(state: &ScanState, scan: SharedScan) -> SourceId {
    let (form, data) = (state.form, state.form.data);
    let source = SourceId::parse(&scan.source).unwrap_or(SourceId::Sample);
    form.source.set(source);
    data.interval.set(scan.interval());
    form.expr.set(scan.expr);
    form.columns.set(scan.columns);
    form.lookback.set(scan.lookback);
    if !scan.account.is_empty() {
        form.account.set(scan.account);
    }
    if !scan.risk_pct.is_empty() {
        form.risk_pct.set(scan.risk_pct);
    }
    if !scan.reward_risk.is_empty() {
        form.reward_risk.set(scan.reward_risk);
    }
    form.max_matches.set(scan.max_matches);
    if let Ok(order) = scan.order.parse::<Order>() {
        form.order.set(order);
    }
    if !scan.universe.is_empty() {
        data.universe_text.set(scan.universe);
    }
    if !scan.template.is_empty() {
        data.url_template.set(scan.template);
    }
    if let Some(format) = Format::from_name(&scan.format) {
        data.format.set(format);
    }

    state.table.sort.set(sort_from_code(&scan.sort));
    source
}

/// Keeps the hash's sort in step with the table once a scan has run.
pub fn follow_sort(state: ScanState) {
    Effect::new(move |previous: Option<()>| {
        state.table.sort.track();
        if previous.is_some() && state.run.current.get_untracked().is_some() {
            write_hash(&state);
        }
    });
}
