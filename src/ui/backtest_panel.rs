//! The Backtest panel: horizons, holding period and side; Run / Stop with
//! per-symbol progress; then the notes, the per-horizon table, the trade
//! plan's summary, the average path after a signal against the baseline and
//! the R curve (inline SVG), the tables by year and by regime, the signal
//! list (a click draws that symbol's closes around the signal) and the CSV
//! export of the signals. Text and geometry come from `view::backtest*`.

use std::sync::Arc;

use leptos::prelude::*;

use crate::engine::backtest::{AveragePath, Group, Options, Report};
use crate::engine::score::Side;
use crate::view::backtest::{
    fixed, horizon_cells, parse_horizons, pct, plan_summary, signals_csv, trade_text, when,
    HORIZON_HEADERS,
};
use crate::view::backtest_chart::{path_chart, r_curve, signal_chart, Lines, CHART};
use crate::view::fields::whole_number;
use crate::web::backtest::{Finished, Outcome, Task};

use super::backtest::{lab_blocker, start, use_lab, SyntheticBars};
use super::export::download;
use super::state::use_scan_state;

/// Signals listed at most (the CSV has them all).
const LISTED: usize = 300;

#[component]
pub fn BacktestPanel() -> impl IntoView {
    let (state, lab) = (use_scan_state(), use_lab());
    let panel = lab.backtest;
    let horizons = RwSignal::new("1, 5, 10, 20".to_string());
    let hold = RwSignal::new("20".to_string());
    let side = RwSignal::new(Side::Long);
    let options = move || -> Result<Options, String> {
        Ok(Options {
            horizons: parse_horizons(&horizons.read())?,
            hold: whole_number(&hold.read(), "Hold", 1)?.unwrap_or(20),
            side: side.get(),
            ..Options::default()
        })
    };
    let blocked = move || {
        if state.check.read().is_some() {
            return Some("fix the scan first (see the message under it)".to_string());
        }
        lab_blocker(&state).or_else(|| options().err())
    };
    let run = move |_| {
        if let Ok(o) = untrack(options) {
            start(state, lab, panel, Task::Backtest(o));
        }
    };
    let note = move || panel.refused.get().or_else(blocked);
    view! {
        <section class="panel lab backtest" aria-label="Backtest" data-testid="backtest-panel">
            <div class="lab-head">
                <h2>"Backtest"</h2>
                <span class="hint">"The scan at every bar of every symbol: what followed each signal, against what the market did anyway."</span>
            </div>
            <div class="lab-controls">
                <label class="field">
                    <span>"Horizons (bars)"</span>
                    <input type="text" data-testid="backtest-horizons" prop:value=move || horizons.get()
                        on:input=move |ev| horizons.set(event_target_value(&ev)) />
                </label>
                <label class="field num">
                    <span>"Hold (bars)"</span>
                    <input type="text" inputmode="numeric" data-testid="backtest-hold" prop:value=move || hold.get()
                        on:input=move |ev| hold.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Side"</span>
                    <select data-testid="backtest-side" on:change=move |ev| {
                        side.set(if event_target_value(&ev) == "short" { Side::Short } else { Side::Long })
                    }>
                        <option value="long">"long"</option>
                        <option value="short">"short"</option>
                    </select>
                </label>
                <SyntheticBars />
                <div class="run-controls">
                    <button type="button" class="primary" data-testid="backtest-run"
                        disabled=move || blocked().is_some() on:click=run>
                        "Backtest"
                    </button>
                    <button type="button" data-testid="backtest-stop"
                        disabled=move || !panel.running.get() on:click=move |_| panel.stop()>
                        "Stop"
                    </button>
                    <span class="lab-progress" data-testid="backtest-progress" data-state=move || panel.phase()>
                        {move || panel.progress_text()}
                    </span>
                </div>
                <span class="run-note" data-testid="backtest-note">{note}</span>
            </div>
            {move || panel.finished.get().map(|f| view! { <BacktestResult finished=f /> })}
        </section>
    }
}

#[component]
fn BacktestResult(finished: Arc<Finished>) -> impl IntoView {
    let Outcome::Backtest { report, path } = &finished.outcome else {
        return ().into_any();
    };
    let report: Arc<Report> = report.clone();
    let failed = (!finished.failed.is_empty()).then(|| {
        let names: Vec<String> = finished
            .failed
            .iter()
            .take(5)
            .map(|(s, why)| format!("{s} ({why})"))
            .collect();
        format!(
            "{} symbol(s) without bars, left out: {}",
            finished.failed.len(),
            names.join(", ")
        )
    });
    let export = {
        let report = report.clone();
        move |_| download("technic-backtest-signals.csv", &signals_csv(&report))
    };
    view! {
        <div class="lab-result">
            <ul class="notes" data-testid="backtest-notes">
                {report.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                {failed.map(|f| view! { <li class="warn">{f}</li> })}
            </ul>
            <HorizonTable report=report.clone() />
            <div class="lab-row">
                <PlanSummary report=report.clone() />
                <PathChart path=path.clone() />
                <RCurve report=report.clone() />
            </div>
            <div class="lab-row">
                <GroupTable title="By year" groups=report.by_year.clone() testid="backtest-by-year" />
                <GroupTable title="By regime at the signal" groups=report.by_regime.clone() testid="backtest-by-regime" />
            </div>
            <div class="lab-head">
                <h3>"Signals"</h3>
                <span class="count">{format!("{} signals{}", report.signals.len(),
                    if report.signals.len() > LISTED { format!(" (first {LISTED} listed)") } else { String::new() })}</span>
                <button type="button" class="export" data-testid="backtest-export"
                    disabled=report.signals.is_empty() on:click=export>
                    "Export signals CSV"
                </button>
            </div>
            <SignalList report=report finished=finished.clone() />
        </div>
    }
    .into_any()
}

#[component]
fn HorizonTable(report: Arc<Report>) -> impl IntoView {
    view! {
        <div class="lab-table">
            <table class="bt" data-testid="backtest-table">
                <thead><tr>{HORIZON_HEADERS.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {report.horizons.iter().map(|h| {
                        let cells = horizon_cells(h);
                        let excess = h.excess.unwrap_or(0.0);
                        let (up, down) = (excess > 0.0, excess < 0.0);
                        view! {
                            <tr data-testid="backtest-horizon" data-h=h.h.to_string()
                                class:up=up class:down=down>
                                {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn PlanSummary(report: Arc<Report>) -> impl IntoView {
    view! {
        <div class="lab-box">
            <h3>"Trade plan"</h3>
            <dl class="plan" data-testid="backtest-plan">
                {plan_summary(&report.plan).into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
        </div>
    }
}

/// A small SVG chart of `lines` (first line in the accent colour).
fn chart(
    lines: Lines,
    testid: &'static str,
    label: String,
    fmt: fn(f64) -> String,
) -> impl IntoView {
    let (lo, hi) = lines.range;
    view! {
        <svg class="chart" data-testid=testid role="img" aria-label=label
            viewBox=format!("0 0 {} {}", CHART.w, CHART.h) preserveAspectRatio="none">
            {lines.zero_y.map(|y| view! {
                <line class="zero" x1=CHART.pad y1=y x2=CHART.w - CHART.pad y2=y />
            })}
            {lines.lines.into_iter().enumerate().map(|(i, p)| view! {
                <polyline class=format!("series s{i}") points=p />
            }).collect_view()}
            <text class="tick" x="2" y=CHART.pad - 6.0>{fmt(hi)}</text>
            <text class="tick" x="2" y=CHART.h - 6.0>{fmt(lo)}</text>
        </svg>
    }
}

#[component]
fn PathChart(path: AveragePath) -> impl IntoView {
    let lines = path_chart(&path, CHART);
    view! {
        <div class="lab-box">
            <h3>"Average path after a signal"</h3>
            {chart(lines, "backtest-path", "Mean return after the entry at each bar, signals against the baseline".into(), |v| pct(Some(v)))}
            <p class="legend">
                <span class="key s0"></span>"after a signal · "
                <span class="key s1"></span>{format!("baseline · bars 0–{}", path.len())}
            </p>
        </div>
    }
}

#[component]
fn RCurve(report: Arc<Report>) -> impl IntoView {
    let lines = r_curve(&report.plan.curve, CHART);
    view! {
        <div class="lab-box">
            <h3>"R curve"</h3>
            {chart(lines, "backtest-r-curve", "Cumulative R of the trades in signal order".into(), |v| format!("{} R", fixed(Some(v), 1)))}
            <p class="legend">{format!("{} trades in signal order", report.plan.curve.len())}</p>
        </div>
    }
}

#[component]
fn GroupTable(title: &'static str, groups: Vec<Group>, testid: &'static str) -> impl IntoView {
    let hs: Vec<usize> = groups
        .first()
        .map(|g| g.horizons.iter().map(|h| h.h).collect())
        .unwrap_or_default();
    view! {
        <div class="lab-box lab-table">
            <h3>{title}</h3>
            <table class="bt" data-testid=testid>
                <thead><tr>
                    <th>""</th><th>"Signals"</th>
                    {hs.iter().map(|h| view! { <th>{format!("Mean {h}")}</th> }).collect_view()}
                    {hs.last().map(|h| view! { <th>{format!("Excess {h}")}</th> })}
                    <th>"Avg R"</th>
                </tr></thead>
                <tbody>
                    {groups.iter().map(|g| view! {
                        <tr data-key=g.key.clone()>
                            <td>{g.key.clone()}</td>
                            <td>{g.signals}</td>
                            {g.horizons.iter().map(|h| view! { <td>{pct(h.mean)}</td> }).collect_view()}
                            {g.horizons.last().map(|h| view! { <td>{pct(h.excess)}</td> })}
                            <td>{fixed(g.plan.avg_r, 2)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn SignalList(report: Arc<Report>, finished: Arc<Finished>) -> impl IntoView {
    let selected = RwSignal::new(None::<usize>);
    let longest = report.horizons.iter().map(|h| h.h).max().unwrap_or(1);
    let hs: Vec<usize> = report.horizons.iter().map(|h| h.h).collect();
    let detail = {
        let report = report.clone();
        move || {
            let s = report.signals.get(selected.get()?)?;
            let bars = finished
                .universe
                .iter()
                .find(|(name, _)| *name == s.symbol)
                .map(|(_, b)| b.clone())?;
            let ch = signal_chart(&bars, s.index, longest, CHART)?;
            let mark = |x: f64, class: &'static str| {
                view! { <line class=class x1=x y1=CHART.pad / 2.0 x2=x y2=CHART.h - CHART.pad / 2.0 /> }
            };
            Some(view! {
                <div class="lab-box signal-detail">
                    <h3>{format!("{} · signal {} · entry next open · horizon {longest}", s.symbol, when(s.time))}</h3>
                    <svg class="chart" data-testid="backtest-signal-chart" role="img"
                        aria-label=format!("{} closes around the signal of {}", s.symbol, when(s.time))
                        viewBox=format!("0 0 {} {}", CHART.w, CHART.h) preserveAspectRatio="none">
                        {mark(ch.signal_x, "mark signal")}
                        {ch.entry_x.map(|x| mark(x, "mark entry"))}
                        {ch.horizon_x.map(|x| mark(x, "mark horizon"))}
                        <polyline class="series s0" points=ch.close />
                        <text class="tick" x="2" y=CHART.pad - 6.0>{fixed(Some(ch.range.1), 2)}</text>
                        <text class="tick" x="2" y=CHART.h - 6.0>{fixed(Some(ch.range.0), 2)}</text>
                    </svg>
                    <p class="legend">
                        {format!("bars {}–{} · ", when(bars.time()[ch.first]), when(bars.time()[ch.last]))}
                        <span class="key signal"></span>"signal · "<span class="key entry"></span>"entry · "
                        <span class="key horizon"></span>{format!("t+{longest}")}
                    </p>
                </div>
            })
        }
    };
    view! {
        <div class="lab-signals">
            <div class="lab-table scroll">
                <table class="bt signals" data-testid="backtest-signals">
                    <thead><tr>
                        <th>"Symbol"</th><th>"Date"</th>
                        {hs.iter().map(|h| view! { <th>{format!("Return {h}")}</th> }).collect_view()}
                        <th>"Trade"</th>
                    </tr></thead>
                    <tbody>
                        {report.signals.iter().take(LISTED).enumerate().map(|(i, s)| view! {
                            <tr data-testid="backtest-signal" class:selected=move || selected.get() == Some(i)
                                on:click=move |_| selected.set(Some(i))>
                                <td class="sym">{s.symbol.clone()}</td>
                                <td>{when(s.time)}</td>
                                {s.returns.iter().map(|r| view! { <td>{pct(*r)}</td> }).collect_view()}
                                <td>{trade_text(&s.trade)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {detail}
        </div>
    }
}
