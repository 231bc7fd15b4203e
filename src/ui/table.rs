//! The results table: rows stream in (one `rows` update per frame), sort by
//! any header, filter matches / errors, and only the rows in view (plus an
//! overscan) are in the DOM, at a fixed row height, so 10,000 rows scroll
//! smoothly. Spacer rows above and below keep the scrollbar true. The order,
//! the window and the row keys are `view::columns` / `view::window`.
//!
//! A WAI-ARIA grid: `aria-rowcount` counts every row (drawn or not), each
//! drawn row carries its `aria-rowindex`, the arrow keys (PageUp/PageDown,
//! Home/End) move the active row (`aria-activedescendant`, scrolled into
//! view), Enter or a click asks for its detail.

use std::collections::HashMap;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::engine::run::Outcome;
use crate::view::columns::{
    ordered, window_keys, ColumnKey, RowFilter, RowKey, Sort, TECHNIC_COLUMNS,
};
use crate::view::format::plain_count;
use crate::view::window::{scroll_to_show, Move, Window, ROW_HEIGHT};

use super::columns::{ColumnChooser, CopySymbols};
use super::export::ExportButton;
use super::row::ResultRow;
use super::state::use_scan_state;

#[component]
pub fn ResultsTable() -> impl IntoView {
    let state = use_scan_state();
    let (run, table) = (state.run, state.table);
    let order = Memo::new(move |_| {
        run.rows
            .with(|rows| ordered(rows, table.filter.get(), table.sort.get()))
    });
    let counts = Memo::new(move |_| {
        run.rows.with(|rows| {
            let matches = rows
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Match(_)))
                .count();
            (matches, rows.len() - matches)
        })
    });
    view! {
        <section class="panel results" aria-label="Results">
            <ResultsHead
                matches=Signal::derive(move || counts.get().0)
                errors=Signal::derive(move || counts.get().1)
                on_filter=Callback::new(move |f| table.filter.set(f))
            />
            <ResultsGrid order=order />
        </section>
    }
}

/// The title, the match and error counts, the row filter and the export.
#[component]
fn ResultsHead(
    matches: Signal<usize>,
    errors: Signal<usize>,
    /// Called with the filter the user picked.
    on_filter: Callback<RowFilter>,
) -> impl IntoView {
    let on_change = move |ev| on_filter.run(RowFilter::from_value(&event_target_value(&ev)));
    view! {
        <div class="results-head">
            <h2>"Results"</h2>
            <span class="count" data-testid="result-count">
                {move || plain_count(matches.get(), "match", "matches")}
            </span>
            <span class="count errors" data-testid="error-count">
                {move || plain_count(errors.get(), "error", "errors")}
            </span>
            <select class="filter" data-testid="row-filter" aria-label="Show rows" on:change=on_change>
                {[(RowFilter::All, "All rows"), (RowFilter::Matches, "Matches only"), (RowFilter::Errors, "Errors only")]
                    .into_iter()
                    .map(|(f, label)| view! { <option value=f.value()>{label}</option> })
                    .collect_view()}
            </select>
            <CopySymbols />
            <ColumnChooser />
            <ExportButton />
        </div>
    }
}

/// The scroller with the header row and the drawn window of `order` (row
/// indices in display order).
#[component]
fn ResultsGrid(#[prop(into)] order: Signal<Vec<usize>>) -> impl IntoView {
    let state = use_scan_state();
    let (run, table) = (state.run, state.table);
    let scroller = NodeRef::<html::Div>::new();
    let head = NodeRef::<html::Thead>::new();
    let scroll_top = RwSignal::new(0.0);
    let view_height = RwSignal::new(600.0);
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            view_height.set(f64::from(el.client_height()));
        }
    };
    Effect::new(move || {
        if scroller.get().is_some() {
            measure();
        }
    });
    // A new scan starts at the top of its results, with no active row.
    Effect::new(move || {
        run.current.track();
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
        table.active.set(None);
    });
    let _on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    // A Memo, so scrolling within a row redraws nothing.
    let window =
        Memo::new(move |_| Window::at(scroll_top.get(), view_height.get(), order.with(Vec::len)));
    // Keys only: a row is cloned when it is first drawn, not every frame.
    let visible = move || {
        let w = window.get();
        let sort = table.sort.get();
        order.with(|o| {
            run.rows
                .with(|rows| window_keys(rows, o, w.first, w.end, sort))
        })
    };
    // Display position of each drawn row (by its index in `rows`): rows
    // keep their DOM node while streamed rows shift them down.
    let positions = Memo::new(move |_| {
        let w = window.get();
        order.with(|o| {
            o[w.first.min(w.end)..w.end.min(o.len())]
                .iter()
                .enumerate()
                .map(|(i, &index)| (index, w.first + i))
                .collect::<HashMap<usize, usize>>()
        })
    });
    let draw = move |key: RowKey| {
        let row = run.rows.with_untracked(|rows| rows.get(key.index).cloned());
        let display_columns = run.columns.with_untracked(Vec::len);
        let shown = table.columns.with_untracked(|c| c.columns());
        let index = key.index;
        let position = Signal::derive(move || positions.with(|p| p.get(&index).copied()));
        row.map(|row| {
            view! {
                <ResultRow
                    row=row
                    display_columns=display_columns
                    shown=shown
                    index=index
                    position=position
                    active=Signal::derive(move || position.get().is_some() && position.get() == table.active.get())
                />
            }
        })
    };
    let symbol_at = move |position: usize| {
        order.with_untracked(|o| {
            let index = *o.get(position)?;
            run.rows
                .with_untracked(|rows| rows.get(index).map(|r| r.symbol.clone()))
        })
    };
    let show = move |position: usize| {
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        let header = head
            .get_untracked()
            .map_or(ROW_HEIGHT, |h| f64::from(h.offset_height()));
        let (top, height) = (f64::from(el.scroll_top()), f64::from(el.client_height()));
        if let Some(to) = scroll_to_show(position, top, height, header) {
            el.set_scroll_top(to.round() as i32);
            measure();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if let Some(m) = Move::from_key(&key) {
            ev.prevent_default();
            let page = ((view_height.get_untracked() / ROW_HEIGHT) as usize).saturating_sub(2);
            let next = m.apply(
                table.active.get_untracked(),
                order.with_untracked(Vec::len),
                page,
            );
            table.active.set(next);
            if let Some(p) = next {
                show(p);
            }
        } else if key == "Enter" {
            if let Some(symbol) = table.active.get_untracked().and_then(symbol_at) {
                ev.prevent_default();
                super::detail::open(state, symbol);
            }
        }
    };
    // A click on a row makes it active and asks for its detail (one
    // listener for every row, drawn or not yet).
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let row = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("tr[data-index]").ok().flatten());
        let Some(index) = row
            .and_then(|r| r.get_attribute("data-index"))
            .and_then(|i| i.parse::<usize>().ok())
        else {
            return;
        };
        if let Some(position) = positions.with_untracked(|p| p.get(&index).copied()) {
            table.active.set(Some(position));
            if let Some(symbol) = symbol_at(position) {
                super::detail::open(state, symbol);
            }
        }
    };
    let active_id = move || {
        table
            .active
            .get()
            .and_then(|p| order.with(|o| o.get(p).map(|i| format!("row-{i}"))))
    };
    view! {
        <div class="scroller" node_ref=scroller on:scroll=move |_| measure()>
            <table
                class="grid"
                role="grid"
                aria-label="Results"
                data-testid="results-grid"
                aria-rowcount=move || window.get().total + 1
                aria-activedescendant=active_id
                tabindex="0"
                on:keydown=on_key
            >
                <thead node_ref=head>
                    <HeaderRow
                        display=Signal::derive(move || run.columns.get())
                        shown=Signal::derive(move || table.columns.get().columns())
                        sort=table.sort
                        on_sort=Callback::new(move |column| table.sort.update(|s| *s = Some(Sort::after_click(*s, column))))
                    />
                </thead>
                <tbody on:click=on_click>
                    <tr class="spacer" aria-hidden="true">
                        <td style:height=move || format!("{}px", window.get().pad_top())></td>
                    </tr>
                    // Keyed by row and sort: see `RowKey` for the Leptos
                    // keyed-diff case this avoids. Another column choice
                    // draws every row again.
                    {move || {
                        table.columns.track();
                        view! { <For each=visible key=|key| *key children=draw /> }
                    }}
                    <tr class="spacer" aria-hidden="true">
                        <td style:height=move || format!("{}px", window.get().pad_bottom())></td>
                    </tr>
                </tbody>
            </table>
            <Warmup />
            <Show when=move || window.get().total == 0>
                <p class="empty">{move || if run.running.get() { "Scanning…" } else { "No rows to show." }}</p>
            </Show>
        </div>
    }
}

/// The Technic headers, then one per display column of the shown scan.
#[component]
fn HeaderRow(
    #[prop(into)] display: Signal<Vec<String>>,
    /// The Technic columns shown, in order.
    #[prop(into)]
    shown: Signal<Vec<(ColumnKey, &'static str)>>,
    #[prop(into)] sort: Signal<Option<Sort>>,
    /// Called with the header clicked.
    on_sort: Callback<ColumnKey>,
) -> impl IntoView {
    view! {
        <tr aria-rowindex="1">
            {move || {
                shown
                    .get()
                    .into_iter()
                    .map(|(column, title)| view! { <HeaderCell column=column title=title.to_string() sort=sort on_sort=on_sort /> })
                    .collect_view()
            }}
            {move || {
                display
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(k, title)| view! { <HeaderCell column=ColumnKey::Display(k) title=title sort=sort on_sort=on_sort /> })
                    .collect_view()
            }}
        </tr>
    }
}

/// A sortable header: click sorts by it, click again flips the direction.
#[component]
fn HeaderCell(
    column: ColumnKey,
    /// Shown as text (a display column's expression as typed).
    title: String,
    sort: Signal<Option<Sort>>,
    on_sort: Callback<ColumnKey>,
) -> impl IntoView {
    let direction = move || Sort::aria(sort.get(), column);
    let arrow = move || match direction() {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "",
    };
    let tooltip = title.clone();
    view! {
        <th class:num=column.aligns_right() aria-sort=direction data-testid="column-header" title=tooltip>
            <button type="button" class="sort" on:click=move |_| on_sort.run(column)>
                {title}
                <span class="arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

/// Draws one match row and one error row off-screen for the first two frames,
/// then removes them. Why: the browser compiles WebAssembly functions lazily,
/// on first call, on the page's thread; without this, compiling the row
/// rendering code landed inside the first scan as a 50–90 ms task (measured
/// with the e2e long-task observer), instead of at load time.
#[component]
fn Warmup() -> impl IntoView {
    let warm = RwSignal::new(true);
    request_animation_frame(move || request_animation_frame(move || warm.set(false)));
    let rows = move || {
        use crate::engine::run::{Match, Row, SymbolError};
        use crate::engine::score::{score, Settings};
        let bars = crate::data::synthetic::bars(1, 0, 60);
        let last = bars.len() - 1;
        let m = Match {
            time: bars.time()[last],
            close: bars.close()[last],
            change_pct: 0.0,
            score: score(&bars, &Settings::default()),
            columns: vec![Some(1.0)],
            bars: bars.len(),
        };
        let row = |symbol: &str, outcome| Row {
            scan_id: 0,
            order: 0,
            symbol: symbol.into(),
            outcome,
        };
        view! {
            <ResultRow row=row("WARMUP", Outcome::Match(Box::new(m))) display_columns=1 shown=TECHNIC_COLUMNS.to_vec() />
            <ResultRow row=row("WARMUP-ERR", Outcome::Error(SymbolError::NoData)) display_columns=1 shown=TECHNIC_COLUMNS.to_vec() />
        }
    };
    view! {
        <Show when=move || warm.get()>
            <table class="grid warmup" aria-hidden="true">
                <tbody>{rows}</tbody>
            </table>
        </Show>
    }
}
