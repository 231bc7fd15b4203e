//! The Backtest and Optimise panels' shared part: their run state (one per
//! panel: running, per-frame progress, the finished outcome), starting a run
//! from the form (`web::backtest`), Stop, the bars per symbol (the synthetic
//! market's length, Binance's depth), and `window.__technicLastBacktest`.
//! The panels themselves are `backtest_panel` and `optimize`; every
//! figure's text comes from `view::backtest`.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::engine::backtest::Report;
use crate::view::backtest::last_backtest_json;
use crate::web::backtest::{self, Finished, Handle, Job, Outcome, Progress, Stage, Task};

use super::backtest_panel::BacktestPanel;
use super::control::{form_settings, not_ready, source_config};
use super::optimize::OptimizePanel;
use super::state::{use_scan_state, ScanState};
use crate::view::backtest::intraday_depth_label;

/// Bars per symbol the synthetic market (or Binance's history) can be
/// backtested with, labelled in trading years (synthetic) and in calendar
/// days (Binance trades every day; a younger pair has fewer bars).
pub const SYNTHETIC_BARS: [(usize, &str, &str); 4] = [
    (300, "300 bars (~1 year)", "300 days (~10 months)"),
    (630, "630 bars (~2.5 years)", "630 days (~1.7 years)"),
    (1260, "1,260 bars (~5 years)", "1,260 days (~3.5 years)"),
    (2520, "2,520 bars (~10 years)", "2,520 days (~7 years)"),
];

/// One panel's run.
#[derive(Clone, Copy)]
pub struct PanelRun {
    pub current: RwSignal<Option<u64>>,
    pub running: RwSignal<bool>,
    pub progress: RwSignal<Progress>,
    pub finished: RwSignal<Option<Arc<Finished>>>,
    pub refused: RwSignal<Option<String>>,
    /// The Optimise panel's run (its progress is per search, not per symbol).
    search: bool,
    handle: StoredValue<Option<Handle>, LocalStorage>,
}

impl PanelRun {
    fn new(search: bool) -> PanelRun {
        PanelRun {
            search,
            current: RwSignal::new(None),
            running: RwSignal::new(false),
            progress: RwSignal::new(Progress::default()),
            finished: RwSignal::new(None),
            refused: RwSignal::new(None),
            handle: StoredValue::new_local(None),
        }
    }

    pub fn stop(&self) {
        if let Some(h) = self.handle.get_value().filter(|h| !h.is_finished()) {
            h.stop();
        }
    }

    /// "loading 120 / 5,000" … as the progress line shows it.
    pub fn progress_text(&self) -> String {
        let p = self.progress.get();
        let stage = match p.stage {
            Stage::Universe => "finding the symbols".to_string(),
            Stage::Loading => format!("bars {} / {}", p.loaded, p.total),
            Stage::Computing if self.search => format!(
                "grid points {} / {} on {} symbols",
                p.computed, p.steps, p.total
            ),
            Stage::Computing => format!("symbols {} / {}", p.computed, p.total),
            Stage::Done => String::new(),
        };
        match (self.running.get(), self.finished.read().as_deref()) {
            (true, _) => format!("{stage} · {:.1} s", p.elapsed_ms / 1000.0),
            (false, Some(f)) => match &f.outcome {
                Outcome::Stopped { done, total } => {
                    let what = if self.search {
                        "grid points"
                    } else {
                        "symbols"
                    };
                    format!(
                        "stopped after {done} of {total} {what} · {:.1} s",
                        f.total_ms / 1000.0
                    )
                }
                Outcome::Failed(why) => format!("failed: {why}"),
                _ => format!("completed in {:.2} s", f.total_ms / 1000.0),
            },
            (false, None) => String::new(),
        }
    }

    /// `data-state` of the progress line: idle, running, completed, stopped, failed.
    pub fn phase(&self) -> &'static str {
        match (self.running.get(), self.finished.read().as_deref()) {
            (true, _) => "running",
            (false, Some(f)) => match f.outcome {
                Outcome::Stopped { .. } => "stopped",
                Outcome::Failed(_) => "failed",
                _ => "completed",
            },
            (false, None) => "idle",
        }
    }
}

/// What both panels share.
#[derive(Clone, Copy)]
pub struct Lab {
    /// Bars per symbol of the synthetic market, or Binance's depth.
    pub synthetic_bars: RwSignal<usize>,
    pub backtest: PanelRun,
    pub optimize: PanelRun,
}

pub fn use_lab() -> Lab {
    expect_context::<Lab>()
}

/// Both panels, below the results.
#[component]
pub fn BacktestPanels() -> impl IntoView {
    let lab = Lab {
        synthetic_bars: RwSignal::new(2520),
        backtest: PanelRun::new(false),
        optimize: PanelRun::new(true),
    };
    provide_context(lab);
    view! {
        <BacktestPanel />
        <OptimizePanel />
    }
}

/// The bars-per-symbol picker: the synthetic market's length, or how far
/// back Binance is paged (shown for the sources where it applies).
#[component]
pub fn SyntheticBars() -> impl IntoView {
    let (state, lab) = (use_scan_state(), use_lab());
    let source = state.form.source;
    view! {
        <Show when=move || { let s = source.get(); s.is_synthetic() || s.pages_back() }>
            <label class="field">
                <span>"Bars per symbol"</span>
                <select
                    data-testid="backtest-bars"
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse() {
                            lab.synthetic_bars.set(n);
                        }
                    }
                >
                    {SYNTHETIC_BARS
                        .into_iter()
                        .map(|(n, trading, daily)| {
                            let interval = state.form.data.interval;
                            let label = move || {
                                let s = source.get();
                                match interval.get() {
                                    i if s.pages_back() && !i.is_daily() => intraday_depth_label(n, i),
                                    _ if s.pages_back() => daily.to_string(),
                                    _ => trading.to_string(),
                                }
                            };
                            view! {
                                <option value=n.to_string() prop:selected=move || lab.synthetic_bars.get() == n>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        </Show>
    }
}

/// Why a run cannot start now (beyond the panel's own fields).
pub fn lab_blocker(state: &ScanState) -> Option<String> {
    not_ready(state)
        .or_else(|| form_settings(&state.form).err())
        .or_else(|| source_config(&state.form).err())
}

/// Starts `task` for the scan and source of the form on `panel`, stopping
/// its previous run. `task` gets the form's plan settings.
pub fn start(state: ScanState, lab: Lab, panel: PanelRun, task: Task) {
    let form = state.form;
    let parsed = untrack(|| {
        lab_blocker(&state).map_or(Ok(()), Err)?;
        Ok::<_, String>((form_settings(&form)?, source_config(&form)?))
    });
    let ((settings, config), store) = match (parsed, state.env.store.get_value()) {
        (Ok(p), Some(store)) => (p, store),
        (Err(why), _) => return panel.refused.set(Some(why)),
        (Ok(_), None) => return panel.refused.set(Some("opening the bar cache…".into())),
    };
    panel.stop();
    let task = match task {
        Task::Backtest(mut o) => {
            o.settings = settings.settings;
            Task::Backtest(o)
        }
        Task::Optimize(mut o) => {
            o.base.settings = settings.settings;
            Task::Optimize(o)
        }
    };
    let is_backtest = matches!(task, Task::Backtest(_));
    let job = Job {
        expr: form.expr.get_untracked(),
        source: form.source.get_untracked(),
        config,
        synthetic_bars: lab.synthetic_bars.get_untracked(),
        task,
    };
    let on_update = move |u: backtest::Update| {
        if panel.current.get_untracked() != Some(u.id) {
            return;
        }
        panel.progress.set(u.progress);
        if let Some(f) = u.finished {
            if is_backtest {
                let report: Option<&Report> = match &f.outcome {
                    Outcome::Backtest { report, .. } => Some(report),
                    _ => None,
                };
                publish_last_backtest(report, f.total_ms, f.compute_ms);
            }
            panel.finished.set(Some(Arc::new(f)));
            panel.running.set(false);
        }
    };
    match backtest::start(job, store, on_update) {
        Ok(handle) => {
            panel.current.set(Some(handle.id()));
            panel.handle.set_value(Some(handle));
            panel.running.set(true);
            panel.refused.set(None);
            // The last result (and the bars it holds) goes now, not when the
            // next one lands: two synthetic markets at once may not fit.
            panel.finished.set(None);
            panel.progress.set(Progress::default());
        }
        Err(e) => panel.refused.set(Some(e.message)),
    }
}

/// Sets `window.__technicLastBacktest = {signals, horizons, totalMs}` (best
/// effort: a refused property set only loses the hook).
fn publish_last_backtest(report: Option<&Report>, total_ms: f64, compute_ms: Option<f64>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(value) = js_sys::JSON::parse(&last_backtest_json(report, total_ms, compute_ms)) {
        let _ = js_sys::Reflect::set(&window, &JsValue::from_str("__technicLastBacktest"), &value);
    }
}
