//! Starting and stopping scans: the form becomes a `ScanJob`, the runner's
//! per-frame updates become signal writes (one `rows` update per frame), and a
//! finished scan is reported to the page's hooks. Updates of any scan but the
//! current one are dropped, so a stopped scan's rows never reach the next.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::data::formats::expand_template;
use crate::data::formats::import::UniverseEntry;
use crate::engine::run::{Limits, ProgressSnapshot};
use crate::engine::score::Settings;
use crate::view::fields::{column_list, positive_number, whole_number};
use crate::web::runner::{self, ScanJob, ScanUpdate};
use crate::web::sources::{SourceConfig, SourceId};

use super::hooks;
use super::source::{has_base, is_fetched};
use super::state::{Env, ScanForm, ScanState};
use super::universe::{filtered, UniverseFilter};

/// The form's settings, parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FormSettings {
    pub settings: Settings,
    pub lookback: Option<usize>,
    pub limits: Limits,
}

/// Parses the settings fields; the error names the field and what it needs.
pub fn form_settings(form: &ScanForm) -> Result<FormSettings, String> {
    let defaults = Settings::default();
    let lookback = whole_number(&form.lookback.read(), "Lookback", 2)?;
    let settings = Settings {
        account: positive_number(&form.account.read(), "Account", defaults.account)?,
        risk_pct: positive_number(&form.risk_pct.read(), "Risk %", defaults.risk_pct)?,
        reward_risk: positive_number(&form.reward_risk.read(), "R", defaults.reward_risk)?,
    };
    let max_matches = whole_number(&form.max_matches.read(), "Stop after matches", 1)?;
    Ok(FormSettings {
        settings,
        lookback,
        limits: Limits {
            max_matches,
            ..Limits::default()
        },
    })
}

/// The chosen source's settings from the form. Only the fields the source
/// uses are checked; the error names the field and what it needs, and never
/// quotes the API key.
pub fn source_config(form: &ScanForm) -> Result<SourceConfig, String> {
    let source = form.source.get();
    let data = &form.data;
    let defaults = SourceConfig::default();
    let mut config = SourceConfig {
        format: data.format.get(),
        ..SourceConfig::default()
    };
    if source.offers_intervals() {
        config.interval = data.interval.get();
    }
    if is_fetched(source) {
        let filter = UniverseFilter::from_form(data)?;
        config.universe = data.universe.with(|u| filtered(u, &filter));
        config.per_minute = whole_number(&data.per_minute.read(), "Requests / minute", 1)?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        // At most 10 minutes: longer would only hide a dead source.
        config.timeout_s = whole_number(&data.request_timeout.read(), "Timeout", 1)?
            .map(|n| u32::try_from(n.min(600)).unwrap_or(600));
        config.refresh_minutes = whole_number(&data.refresh_minutes.read(), "Refresh after", 1)?
            .map_or(defaults.refresh_minutes, |n| {
                u32::try_from(n).unwrap_or(u32::MAX)
            });
        // Binance alone has a universe of its own (top N) for an empty box;
        // a typed list that the filters empty is an error everywhere.
        if config.universe.is_empty() {
            if data.universe.with(|u| !u.is_empty()) {
                return Err("Universe: no symbol passes the filters".into());
            }
            if source != SourceId::Binance {
                return Err("Universe: type or import at least one symbol".into());
            }
        }
    }
    match source {
        SourceId::Url => {
            let template = data.url_template.read().trim().to_string();
            if template.is_empty() {
                return Err("URL template: e.g. http://host/path/{symbol}.csv".into());
            }
            // A trial fill catches a missing {symbol} or scheme before Run.
            expand_template(&template, "TEST").map_err(|e| format!("URL template: {e}"))?;
            config.url_template = template;
        }
        SourceId::Binance => {
            config.binance_top = whole_number(&data.binance_top.read(), "Top N USDT pairs", 1)?
                .unwrap_or(defaults.binance_top);
        }
        SourceId::Import => {
            let symbols = data.imported_symbols();
            if symbols.is_empty() {
                return Err("Import: drop or choose CSV or ZIP files first".into());
            }
            config.universe = symbols
                .into_iter()
                .map(|symbol| UniverseEntry {
                    symbol,
                    ..Default::default()
                })
                .collect();
        }
        _ => {}
    }
    // Only the chosen service's own base: a base typed for another service
    // never carries this one's key.
    if has_base(source) {
        if let Some(base) = data.bases.with(|b| b.for_scan(source.cache_name()))? {
            config.base = base;
        }
    }
    if source.needs_key() {
        let key = data.api_key.read().trim().to_string();
        if key.is_empty() {
            return Err("API key: enter your key (kept only in this browser)".into());
        }
        config.api_key = Some(key);
    }
    Ok(config)
}

/// Why Run cannot start now, if it cannot.
pub fn run_blocker(state: &ScanState) -> Option<String> {
    if state.check.read().is_some() {
        return Some("fix the scan first (see the message under it)".into());
    }
    not_ready(state)
        .or_else(|| form_settings(&state.form).err())
        .or_else(|| source_config(&state.form).err())
}

/// Why nothing can start yet: the workers, or the bar cache and the scan
/// history, are still opening (Run stays disabled: a click then used to be
/// refused, easy to miss), or imported files are still being read.
pub fn not_ready(state: &ScanState) -> Option<String> {
    if state.env.pool.read().is_none() {
        return Some("starting the workers…".into());
    }
    if state.env.store_kind.read().is_none() {
        return Some("opening the bar cache and the scan history…".into());
    }
    if state.form.data.importing.get() {
        return Some("reading the imported files…".into());
    }
    None
}

/// Starts a scan from the form, stopping the one in progress. A bad
/// expression or setting starts nothing and says why.
pub fn run_scan(state: ScanState) {
    let (form, run, env) = (state.form, state.run, state.env);
    let blocker = untrack(|| run_blocker(&state));
    let stores = env.store.get_value().zip(env.history.get_value());
    let settings = untrack(|| form_settings(&form).and_then(|s| Ok((s, source_config(&form)?))));
    let ((parsed, config), (store, history)) = match (blocker, settings, stores) {
        (None, Ok(parsed), Some(stores)) => (parsed, stores),
        (Some(why), _, _) | (None, Err(why), _) => return run.refused.set(Some(why)),
        (None, Ok(_), None) => {
            return run
                .refused
                .set(Some("opening the bar cache and the scan history…".into()))
        }
    };
    stop_scan(env);
    let columns = column_list(&form.columns.get_untracked());
    let source = form.source.get_untracked();
    let job = ScanJob {
        expr: form.expr.get_untracked(),
        columns: columns.clone(),
        source,
        config,
        settings: parsed.settings,
        lookback: parsed.lookback,
        limits: parsed.limits,
        order: form.order.get_untracked(),
    };
    let link = super::share::shared(&state);
    let started = crate::web::time::epoch_ms();
    match runner::start(job, store, history, move |update| {
        on_update(state, source, update, &link, started)
    }) {
        Ok(handle) => {
            super::share::write_hash(&state);
            run.current.set(Some(handle.scan_id()));
            env.handle.set_value(Some(handle));
            run.running.set(true);
            run.rows.set(Vec::new());
            run.columns.set(columns);
            run.progress.set(ProgressSnapshot::default());
            run.elapsed_ms.set(0.0);
            run.finished.set(None);
            run.refused.set(None);
            run.source.set(Some(source));
            run.seed_rate.set(hooks::past_throughput(&source.value()));
        }
        Err(e) => run.refused.set(Some(e.message)),
    }
}

/// Stops the running scan (if any); its last update reports "stopped".
pub fn stop_scan(env: Env) {
    if let Some(handle) = env.handle.get_value().filter(|h| !h.is_finished()) {
        handle.stop();
    }
}

fn on_update(
    state: ScanState,
    source: SourceId,
    update: ScanUpdate,
    link: &crate::view::share::SharedScan,
    started_ms: f64,
) {
    let (run, env) = (state.run, state.env);
    if run.current.get_untracked() != Some(update.scan_id) {
        return;
    }
    if !update.rows.is_empty() {
        run.rows.update(|rows| rows.extend(update.rows));
    }
    run.progress.set(update.progress);
    run.elapsed_ms.set(update.elapsed_ms);
    if let Some(finished) = update.finished {
        run.running.set(false);
        let seconds = finished.total_ms / 1000.0;
        if update.progress.done > 0 && seconds > 0.0 {
            hooks::record_throughput(&source.value(), update.progress.done as f64 / seconds);
        }
        hooks::publish_last_scan(update.scan_id, &finished);
        super::saved::record_run(
            &state,
            state.lists,
            crate::view::saved::PastRun {
                time_ms: started_ms,
                scan: link.clone(),
                symbols: finished.symbols,
                matches: finished.rows,
                duration_ms: finished.total_ms,
                reason: finished.reason.label().to_string(),
            },
        );
        run.finished.set(Some(finished));
        refresh_cache(env);
    }
}

/// Reads the cache's size again (after a scan, after clearing).
pub fn refresh_cache(env: Env) {
    spawn_local(async move {
        if let Some(store) = env.store.get_value() {
            env.cache
                .set(Some(store.stats().await.map_err(|e| e.to_string())));
        }
    });
}

/// Forgets this device's scan history (the bars stay).
pub fn clear_history(env: Env) {
    spawn_local(async move {
        if let Some(history) = env.history.get_value() {
            if let Err(e) = history.clear().await {
                web_sys::console::warn_1(&format!("scan history: {e}").into());
            }
        }
    });
}

/// Empties the bar cache (the scan history stays), then shows its new size.
pub fn clear_cache(env: Env) {
    spawn_local(async move {
        if let Some(store) = env.store.get_value() {
            if let Err(e) = store.clear().await {
                env.cache.set(Some(Err(e.to_string())));
                return;
            }
        }
        refresh_cache(env);
    });
}
