//! The prediction line (`data-testid="prediction"`): before Run, what the
//! scan as the form stands is expected to take and find on this device (or
//! that there is no history to say), with a warning when the scan looked
//! too tight or too broad last time; after a run, predicted against actual
//! and the model's record. Recomputed when the form or the history changes.

use leptos::prelude::*;

use crate::data::history::{Accuracy, Fingerprint, History, Prediction};
use crate::data::loader::LoadPlan;
use crate::data::synthetic;
use crate::engine::lang::Scan;
use crate::view::prediction::{accuracy, forecast, outcome, warning};
use crate::web::learn::{self, CacheView};
use crate::web::sources::{SourceConfig, SourceId};
use crate::web::time::epoch_ms;

use super::control::{form_settings, source_config};
use super::state::{use_scan_state, ScanState};

#[component]
pub fn PredictionLine() -> impl IntoView {
    let state = use_scan_state();
    let run = state.run;
    let predicted = Memo::new(move |_| next_run(&state));
    let text = move || {
        predicted.with(|p| match p {
            Some((p, _)) => forecast(p),
            None => String::new(),
        })
    };
    let warn = move || predicted.with(|p| p.as_ref().and_then(|(p, _)| warning(p)));
    let record = move || predicted.with(|p| p.as_ref().and_then(|(_, a)| accuracy(a)));
    let last = move || {
        run.finished.with(|f| {
            f.as_ref()
                .map(|f| outcome(f.prediction.as_ref(), f.order, f.total_ms, f.rows))
        })
    };
    view! {
        <p class="prediction" data-testid="prediction" aria-live="polite">
            <span data-testid="prediction-forecast">{text}</span>
            {move || warn().map(|w| view! { <span class="warn" data-testid="prediction-warning">{w}</span> })}
            {move || last().map(|l| view! { <span data-testid="prediction-outcome">{l}</span> })}
            {move || record().map(|r| view! { <span class="thin" data-testid="prediction-accuracy">{r}</span> })}
        </p>
    }
}

/// The prediction for the scan as the form stands, and the model's record;
/// `None` until the stores are open or while the form does not parse.
fn next_run(state: &ScanState) -> Option<(Prediction, Accuracy)> {
    let (form, env) = (state.form, state.env);
    env.history_version.track();
    env.store_kind.track();
    let threads = env.pool.with(|p| p.as_ref().map_or(1, |p| p.threads));
    let history = env.history.get_value()?;
    let source = form.source.get();
    let config = source_config(&form).ok()?;
    let lookback = form_settings(&form).ok()?.lookback;
    let scan = Scan::compile(&form.expr.get(), &[]).ok()?;
    let fp = learn::fingerprint(&scan.display(), source, &config);
    let store = env.store.get_value();
    Some(history.with(|h| {
        let symbols = universe(source, &config, h, fp);
        let view = match store.as_deref() {
            Some(store) if source.is_fetched() => CacheView::of_store(
                store,
                &LoadPlan::new(source, &config),
                &symbols,
                epoch_ms() as i64,
            ),
            _ => CacheView::local(symbols.len()),
        };
        let features = learn::features(
            &view,
            source,
            &config,
            scan.indicator_count(),
            threads,
            lookback,
            learn::typical_bars(h, fp),
        );
        (learn::predict(h, fp, &features, &symbols), h.accuracy(None))
    }))
}

/// The symbols the next run will scan, as far as the page knows before Run:
/// the typed or imported list, the generated market, or else (the sample,
/// Binance's top pairs) those the scan evaluated last time.
fn universe(source: SourceId, config: &SourceConfig, h: &History, fp: Fingerprint) -> Vec<String> {
    match source {
        SourceId::Synthetic(n) => (0..n).map(synthetic::symbol_name).collect(),
        _ if !config.universe.is_empty() => {
            config.universe.iter().map(|e| e.symbol.clone()).collect()
        }
        _ => learn::known_symbols(h, fp),
    }
}
