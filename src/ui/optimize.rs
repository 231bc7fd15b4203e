//! The Optimise panel: the walk-forward search of a scan with parameter
//! ranges (`rsi(14) < {20..40 step 5}`) on the pool: the whole grid in
//! sample and, beside it, the chosen value's figures in and out of sample,
//! so overfitting shows; "use this value" writes the chosen scan into the
//! editor. A bad range is underlined in the editor (`view::backtest::
//! range_check`) and named here.

use std::sync::Arc;

use leptos::prelude::*;

use crate::engine::backtest::walk::{Metric, WalkOptions, WalkReport};
use crate::engine::backtest::{HorizonStats, PlanStats};
use crate::view::backtest::{fixed, optimize_blocker, pct, values_text, win};
use crate::view::fields::whole_number;
use crate::web::backtest::{Finished, Outcome, Task};

use super::backtest::{lab_blocker, start, use_lab, SyntheticBars};
use super::state::use_scan_state;

const METRICS: [(&str, &str); 4] = [
    ("excess", "excess over the baseline"),
    ("mean", "mean return"),
    ("win", "win %"),
    ("expectancy", "trade expectancy"),
];

#[component]
pub fn OptimizePanel() -> impl IntoView {
    let (state, lab) = (use_scan_state(), use_lab());
    let panel = lab.optimize;
    let horizon = RwSignal::new("10".to_string());
    let metric = RwSignal::new("excess".to_string());
    let split = RwSignal::new("0.7".to_string());
    let min_signals = RwSignal::new("30".to_string());
    let options = move || -> Result<WalkOptions, String> {
        let split_v = match split.read().trim() {
            "" => 0.7,
            t => t
                .parse::<f64>()
                .ok()
                .filter(|f| *f > 0.0 && *f < 1.0)
                .ok_or("Split: a fraction between 0 and 1, e.g. 0.7")?,
        };
        Ok(WalkOptions {
            horizon: whole_number(&horizon.read(), "Horizon", 1)?.unwrap_or(10),
            metric: Metric::from_name(&metric.read()).unwrap_or(Metric::Excess),
            split: split_v,
            min_signals: whole_number(&min_signals.read(), "Min signals", 0)?.unwrap_or(30),
            ..WalkOptions::default()
        })
    };
    let blocked = move || {
        optimize_blocker(&state.form.expr.read())
            .or_else(|| lab_blocker(&state))
            .or_else(|| options().err())
    };
    let run = move |_| {
        if let Ok(o) = untrack(options) {
            start(state, lab, panel, Task::Optimize(o));
        }
    };
    let note = move || panel.refused.get().or_else(blocked);
    let text_field = |label: &'static str, testid: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field num">
                <span>{label}</span>
                <input type="text" data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <section class="panel lab optimize" aria-label="Optimise" data-testid="optimize-panel">
            <div class="lab-head">
                <h2>"Optimise"</h2>
                <span class="hint">"Write a range in the scan, e.g. rsi(14) < {20..40 step 5}: each value is backtested on the first part of every history, the best is then tried on the rest."</span>
            </div>
            <div class="lab-controls">
                {text_field("Horizon (bars)", "optimize-horizon", horizon)}
                <label class="field">
                    <span>"Best by"</span>
                    <select data-testid="optimize-metric" on:change=move |ev| metric.set(event_target_value(&ev))>
                        {METRICS.into_iter().map(|(v, label)| view! { <option value=v>{label}</option> }).collect_view()}
                    </select>
                </label>
                {text_field("In-sample fraction", "optimize-split", split)}
                {text_field("Min signals", "optimize-min-signals", min_signals)}
                <SyntheticBars />
                <div class="run-controls">
                    <button type="button" class="primary" data-testid="optimize-run"
                        disabled=move || blocked().is_some() on:click=run>
                        "Optimise"
                    </button>
                    <button type="button" data-testid="optimize-stop"
                        disabled=move || !panel.running.get() on:click=move |_| panel.stop()>
                        "Stop"
                    </button>
                    <span class="lab-progress" data-testid="optimize-progress" data-state=move || panel.phase()>
                        {move || panel.progress_text()}
                    </span>
                </div>
                <span class="run-note" data-testid="optimize-note">{note}</span>
            </div>
            {move || panel.finished.get().map(|f| view! { <OptimizeResult finished=f /> })}
        </section>
    }
}

#[component]
fn OptimizeResult(finished: Arc<Finished>) -> impl IntoView {
    let Outcome::Optimize(report) = &finished.outcome else {
        return ().into_any();
    };
    let report: Arc<WalkReport> = report.clone();
    let best = report.best.as_ref().map(|b| b.index);
    view! {
        <div class="lab-row">
            <div class="lab-box lab-table">
                <h3>"In sample, every value"</h3>
                <table class="bt" data-testid="optimize-grid">
                    <thead><tr>
                        <th>"Value"</th><th>"Signals"</th><th>"Win %"</th><th>"Mean"</th>
                        <th>"Excess"</th><th>"Expectancy"</th><th>"Metric"</th>
                    </tr></thead>
                    <tbody>
                        {report.grid.iter().enumerate().map(|(i, p)| {
                            let h = &p.in_sample;
                            view! {
                                <tr data-testid="optimize-point" data-value=values_text(&p.values)
                                    class:best=best == Some(i)>
                                    <td class="sym">{values_text(&p.values)}</td>
                                    <td>{h.signals}</td>
                                    <td>{win(h.win_pct)}</td>
                                    <td>{pct(h.mean)}</td>
                                    <td>{pct(h.excess)}</td>
                                    <td>{pct(p.in_sample_plan.expectancy)}</td>
                                    <td>{fixed(p.metric, 4)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Chosen report=report.clone() />
        </div>
    }
    .into_any()
}

/// The chosen value in and out of sample, and "use this value".
#[component]
fn Chosen(report: Arc<WalkReport>) -> impl IntoView {
    let form = use_scan_state().form;
    let Some(best) = report.best.as_ref() else {
        return view! {
            <div class="lab-box" data-testid="optimize-best">
                <h3>"No value chosen"</h3>
                <p class="hint">"No value has the minimum number of in-sample signals: lower it, widen the range or add symbols."</p>
            </div>
        }
        .into_any();
    };
    let point = &report.grid[best.index];
    let expr = point.expr.clone();
    let rows = |label: &'static str, h: &HorizonStats, p: &PlanStats| {
        view! {
            <tr>
                <th>{label}</th><td>{h.signals}</td><td>{win(h.win_pct)}</td><td>{pct(h.mean)}</td>
                <td>{pct(h.excess)}</td><td>{pct(p.expectancy)}</td>
            </tr>
        }
    };
    view! {
        <div class="lab-box" data-testid="optimize-best">
            <h3>{format!("Chosen: {}", values_text(&point.values))}</h3>
            <p class="mono">{point.expr.clone()}</p>
            <table class="bt" data-testid="optimize-oos">
                <thead><tr><th>""</th><th>"Signals"</th><th>"Win %"</th><th>"Mean"</th><th>"Excess"</th><th>"Expectancy"</th></tr></thead>
                <tbody>
                    {rows("in sample", &point.in_sample, &point.in_sample_plan)}
                    {rows("out of sample", &best.out_of_sample, &best.out_of_sample_plan)}
                </tbody>
            </table>
            <button type="button" data-testid="optimize-use" on:click=move |_| form.expr.set(expr.clone())>
                "Use this value"
            </button>
        </div>
    }
    .into_any()
}
