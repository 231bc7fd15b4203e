//! The detail of one result: its chart (candles, volume, the averages and the
//! scan's own price overlays, markers where the scan was true, the trade
//! plan's price lines; `web::chart`), its Technic subscores and tags, and
//! next / previous result in the table's order. Opened by a row's click (and
//! by Enter on a row: `open`), closed by Esc (`close`, from the app's keys).
//! The bars come from the finished scan's own source (`ScanHandle::bars`);
//! the scan at every bar is evaluated off the page (`view::detail`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::engine::run::{Match, Outcome};
use crate::view::columns::ordered;
use crate::view::detail::{chart_series, price_lines, step, subscores, ChartColors};
use crate::view::format::cell;
use crate::web::chart::{self, Chart, ChartSpec};
use crate::web::pool;

use super::row::SignalChip;
use super::state::{use_scan_state, ScanState};

/// Opens `symbol`'s detail (a row's click, or Enter on the focused row).
pub fn open(state: ScanState, symbol: String) {
    state.detail.set(Some(symbol));
}

/// Closes the detail; whether one was open (Esc closes it before it stops a scan).
pub fn close(state: ScanState) -> bool {
    let was_open = state.detail.with_untracked(Option::is_some);
    if was_open {
        state.detail.set(None);
    }
    was_open
}

/// Moves the open detail `delta` results along the table's order (matches
/// only, as sorted and filtered there).
pub fn step_by(state: ScanState, delta: isize) {
    let Some(current) = state.detail.get_untracked() else {
        return;
    };
    let (filter, sort) = (
        state.table.filter.get_untracked(),
        state.table.sort.get_untracked(),
    );
    let symbols: Vec<String> = state.run.rows.with_untracked(|rows| {
        ordered(rows, filter, sort)
            .into_iter()
            .filter(|&i| matches!(rows[i].outcome, Outcome::Match(_)))
            .map(|i| rows[i].symbol.clone())
            .collect()
    });
    if let Some(next) = step(&symbols, &current, delta) {
        state.detail.set(Some(next));
    }
}

/// The detail panel, shown while a symbol is open; a new scan closes it.
#[component]
pub fn DetailPanel() -> impl IntoView {
    let state = use_scan_state();
    Effect::new(move |_| {
        state.run.current.track();
        state.detail.set(None);
    });
    view! {
        <Show when=move || state.detail.with(Option::is_some)>
            <Detail />
        </Show>
    }
}

#[component]
fn Detail() -> impl IntoView {
    let state = use_scan_state();
    let symbol = Memo::new(move |_| state.detail.get().unwrap_or_default());
    let found: Memo<Option<Match>> = Memo::new(move |_| {
        let symbol = symbol.get();
        state.run.rows.with(|rows| {
            rows.iter().find_map(|r| match &r.outcome {
                Outcome::Match(m) if r.symbol == symbol => Some((**m).clone()),
                _ => None,
            })
        })
    });
    let dark = RwSignal::new(false);
    let (is_dark, watch) = chart::dark_theme(move |d| {
        dark.try_set(d);
    });
    dark.set(is_dark);
    let status = RwSignal::new(Some("Loading the chart…".to_string()));
    // The lines' labels and colours, drawn above the chart (the price axis
    // has no room for them).
    let legend = RwSignal::new(Vec::<(String, &'static str)>::new());
    let section = NodeRef::<html::Section>::new();
    let container = NodeRef::<html::Div>::new();
    // Not in the reactive arena: an answer that arrives after the panel
    // closed must find out (`closed`) instead of touching disposed values.
    let drawn: Rc<RefCell<Option<Chart>>> = Rc::default();
    let generation = Rc::new(Cell::new(0u64));
    let closed = Rc::new(Cell::new(false));
    // Dropped with the panel's owner: tears the chart down.
    StoredValue::new_local(Teardown {
        closed: closed.clone(),
        drawn: drawn.clone(),
        _watch: watch,
    });
    Effect::new(move |_| {
        let sym = symbol.get();
        let colors = ChartColors::for_theme(dark.get());
        // A live scan's new bars redraw the open chart.
        state.live.version.track();
        let Some(el) = container.get() else {
            return;
        };
        let plan = found.with_untracked(|m| m.as_ref().and_then(|m| m.score.plan));
        let mine = generation.get() + 1;
        generation.set(mine);
        status.set(Some("Loading the chart…".into()));
        let Some(handle) = state.env.handle.get_value() else {
            status.set(Some("No scan to chart.".into()));
            return;
        };
        let (drawn, generation, closed) = (drawn.clone(), generation.clone(), closed.clone());
        // A live scan's series has the bars closed since the scan.
        let live = state.live.handle.get_value().filter(|l| !l.is_stopped());
        spawn_local(async move {
            let Some(bars) = live
                .and_then(|l| l.bars(&sym))
                .or_else(|| handle.bars(&sym))
            else {
                status.try_set(Some(format!("{sym}: the scan has no bars to chart (stopped before they loaded, or they failed).")));
                return;
            };
            let (expr, settings, shared) =
                (handle.expr().to_string(), handle.settings(), bars.clone());
            let series = pool::off_page(move || chart_series(&shared, &expr, &settings)).await;
            if closed.get() || generation.get() != mine {
                return;
            }
            let series = match series {
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    status.try_set(Some(format!("{sym}: {}", e.message)));
                    return;
                }
                None => {
                    status.try_set(Some(format!(
                        "{sym}: a worker failed while evaluating the scan."
                    )));
                    return;
                }
            };
            legend.try_set(
                series
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (l.label.clone(), colors.line(k)))
                    .collect(),
            );
            let lines = price_lines(plan.as_ref());
            let spec = ChartSpec {
                symbol: &sym,
                bars: &bars,
                series: &series,
                price_lines: &lines,
                colors,
            };
            // The previous chart goes first: both would share the container.
            drawn.borrow_mut().take();
            match chart::draw(&el, &spec) {
                Ok(c) => {
                    drawn.replace(Some(c));
                    status.try_set(None);
                }
                Err(e) => {
                    status.try_set(Some(format!("{sym}: {e}")));
                }
            }
        });
    });
    // Focus follows the detail, so the arrow keys reach it at once.
    Effect::new(move |_| {
        symbol.track();
        if let Some(el) = section.get() {
            let _ = el.focus();
        }
    });
    let on_key = move |e: leptos::ev::KeyboardEvent| {
        let delta = match e.key().as_str() {
            "ArrowDown" | "j" => 1,
            "ArrowUp" | "k" => -1,
            _ => return,
        };
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        e.prevent_default();
        step_by(state, delta);
    };
    view! {
        <section
            class="panel detail"
            data-testid="detail"
            data-symbol=move || symbol.get()
            aria-label=move || format!("Detail of {}", symbol.get())
            tabindex="-1"
            node_ref=section
            on:keydown=on_key
        >
            <div class="detail-head">
                <h2 data-testid="detail-symbol">{move || symbol.get()}</h2>
                {move || found.get().map(|m| view! { <SignalChip signal=m.score.signal /> })}
                <span class="detail-keys">"↑ ↓ or k j: previous / next · Esc: close"</span>
                <div class="detail-nav">
                    <button type="button" data-testid="detail-prev" aria-label="Prev: the previous result" on:click=move |_| step_by(state, -1)>
                        "‹ Prev"
                    </button>
                    <button type="button" data-testid="detail-next" aria-label="Next result" on:click=move |_| step_by(state, 1)>
                        "Next ›"
                    </button>
                    <button type="button" data-testid="detail-close" aria-label="Close the detail" on:click=move |_| {
                        close(state);
                    }>"✕"</button>
                </div>
            </div>
            <div class="detail-body">
                <div class="chart-box">
                    <ul class="legend" data-testid="detail-legend" aria-label="Lines on the chart">
                        {move || {
                            legend
                                .get()
                                .into_iter()
                                .map(|(label, color)| {
                                    // A CSSOM property (not a style attribute): the CSP allows it.
                                    view! { <li><span class="swatch" style:background-color=color></span>{label}</li> }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <div class="chart" data-testid="detail-chart" node_ref=container></div>
                    {move || status.get().map(|s| view! { <p class="chart-status" data-testid="detail-status">{s}</p> })}
                </div>
                {move || found.get().map(|m| view! { <ScoreCard m=m /> })}
            </div>
        </section>
    }
}

/// What closing the panel undoes: later answers are dropped, the chart is
/// removed, the theme is no longer watched, the hook is cleared.
struct Teardown {
    closed: Rc<Cell<bool>>,
    drawn: Rc<RefCell<Option<Chart>>>,
    _watch: Option<chart::ThemeWatch>,
}

impl Drop for Teardown {
    fn drop(&mut self) {
        self.closed.set(true);
        self.drawn.borrow_mut().take();
        chart::unpublish();
    }
}

/// TechRating, ShortRating, the subscores, the tags and the plan of a match.
#[component]
fn ScoreCard(m: Match) -> impl IntoView {
    let score = m.score;
    let plan = score.plan;
    view! {
        <div class="scorecard" data-testid="detail-score">
            <dl class="ratings">
                <div><dt>"TechRating"</dt><dd>{cell(Some(score.tech_rating), 1)}</dd></div>
                <div><dt>"ShortRating"</dt><dd>{cell(Some(score.short_rating), 1)}</dd></div>
            </dl>
            <dl class="subscores" data-testid="detail-subscores">
                {subscores(&score)
                    .into_iter()
                    .map(|(label, value)| view! { <div><dt>{label}</dt><dd>{value}</dd></div> })
                    .collect_view()}
            </dl>
            <div class="tags" data-testid="detail-tags">
                {if score.tags.is_empty() {
                    view! { <span class="muted">"No tags"</span> }.into_any()
                } else {
                    score.tags.iter().map(|t| view! { <span class="chip tag">{t.label()}</span> }).collect_view().into_any()
                }}
            </div>
            {plan.map(|p| view! {
                <dl class="plan" data-testid="detail-plan">
                    <div><dt>"Entry"</dt><dd>{cell(Some(p.entry), 2)}</dd></div>
                    <div><dt>"Stop"</dt><dd>{cell(Some(p.stop), 2)}</dd></div>
                    <div><dt>"Target"</dt><dd>{cell(Some(p.target), 2)}</dd></div>
                    <div><dt>"Shares"</dt><dd>{cell(Some(p.shares as f64), 0)}</dd></div>
                </dl>
            })}
        </div>
    }
}
