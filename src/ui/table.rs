//! The results table: rows stream in (one `rows` update per frame), sort by
//! any header, filter matches / errors, and only the rows in view (plus an
//! overscan) are in the DOM, at a fixed row height, so 10,000 rows scroll
//! smoothly. Spacer rows above and below keep the scrollbar true.

use leptos::html;
use leptos::prelude::*;

use crate::engine::run::Outcome;

use super::columns::{ordered, ColumnKey, TECHNIC_COLUMNS};
use super::row::ResultRow;
use super::state::{use_scan_state, RowFilter, Sort};

/// Must match `--row-h` in style.css.
const ROW_HEIGHT: f64 = 26.0;
/// Rows drawn beyond each edge of the view, so fast scrolls show no gap.
const OVERSCAN: usize = 15;

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
    let scroller = NodeRef::<html::Div>::new();
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
    // A new scan starts at the top of its results.
    Effect::new(move || {
        run.current.track();
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });
    let _on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    // (first, end, total) of the rows to draw; a Memo so scrolling within a
    // row redraws nothing.
    let window = Memo::new(move |_| {
        let total = order.with(Vec::len);
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize)
            .saturating_sub(OVERSCAN)
            .min(total);
        let shown = (view_height.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        (first, (first + shown).min(total), total)
    });
    let visible = move || {
        let (first, end, _) = window.get();
        order.with(|o| {
            run.rows.with(|rows| {
                o[first..end]
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| (first + k, i, rows[i].clone()))
                    .collect::<Vec<_>>()
            })
        })
    };
    let display_columns = move || run.columns.with_untracked(Vec::len);
    let pad_top = move || format!("{}px", window.get().0 as f64 * ROW_HEIGHT);
    let pad_bottom = move || {
        let (_, end, total) = window.get();
        format!("{}px", (total - end) as f64 * ROW_HEIGHT)
    };
    let on_filter = move |ev| {
        table.filter.set(match event_target_value(&ev).as_str() {
            "matches" => RowFilter::Matches,
            "errors" => RowFilter::Errors,
            _ => RowFilter::All,
        })
    };
    view! {
        <section class="panel results" aria-label="Results">
            <div class="results-head">
                <h2>"Results"</h2>
                <span class="count" data-testid="result-count">
                    {move || plain_count(counts.get().0, "match", "matches")}
                </span>
                <span class="count errors" data-testid="error-count">
                    {move || plain_count(counts.get().1, "error", "errors")}
                </span>
                <select class="filter" data-testid="row-filter" aria-label="Show rows" on:change=on_filter>
                    <option value="all">"All rows"</option>
                    <option value="matches">"Matches only"</option>
                    <option value="errors">"Errors only"</option>
                </select>
                <super::export::ExportButton />
            </div>
            <div class="scroller" node_ref=scroller on:scroll=move |_| measure()>
                <table class="grid">
                    <thead>
                        <tr>
                            {TECHNIC_COLUMNS
                                .iter()
                                .map(|&(key, title)| view! { <HeaderCell key=key title=title.to_string() /> })
                                .collect_view()}
                            {move || {
                                run.columns
                                    .get()
                                    .into_iter()
                                    .enumerate()
                                    .map(|(k, title)| view! { <HeaderCell key=ColumnKey::Display(k) title=title /> })
                                    .collect_view()
                            }}
                        </tr>
                    </thead>
                    <tbody>
                        <tr class="spacer" aria-hidden="true">
                            <td style:height=pad_top></td>
                        </tr>
                        <For
                            each=visible
                            // Keyed by position too: a re-sort redraws the (few) visible
                            // rows instead of moving DOM nodes, which left rows out of
                            // order now and then (seen in the e2e sort check).
                            key=move |(pos, i, row)| (row.scan_id, *i, *pos)
                            children=move |(_, _, row)| view! { <ResultRow row=row display_columns=display_columns() /> }
                        />
                        <tr class="spacer" aria-hidden="true">
                            <td style:height=pad_bottom></td>
                        </tr>
                    </tbody>
                </table>
                <Warmup />
                <Show when=move || window.get().2 == 0>
                    <p class="empty">
                        {move || if run.running.get() { "Scanning…" } else { "No rows to show." }}
                    </p>
                </Show>
            </div>
        </section>
    }
}

/// A sortable header: click sorts by it, click again flips the direction.
#[component]
fn HeaderCell(key: ColumnKey, title: String) -> impl IntoView {
    let sort = use_scan_state().table.sort;
    let direction = move || match sort.get() {
        Some(s) if s.column == key => {
            if s.descending {
                "descending"
            } else {
                "ascending"
            }
        }
        _ => "none",
    };
    let on_click = move |_| {
        sort.update(|s| {
            *s = Some(match *s {
                Some(cur) if cur.column == key => Sort {
                    column: key,
                    descending: !cur.descending,
                },
                _ => Sort {
                    column: key,
                    descending: false,
                },
            })
        })
    };
    let tooltip = title.clone();
    view! {
        <th class:num=key.aligns_right() aria-sort=direction data-testid="column-header" title=tooltip>
            <button type="button" class="sort" on:click=on_click>
                {title}
                <span class="arrow" aria-hidden="true">
                    {move || match direction() {
                        "ascending" => "▲",
                        "descending" => "▼",
                        _ => "",
                    }}
                </span>
            </button>
        </th>
    }
}

/// `1 match`, `1234 matches`: the number ungrouped, so the element's text
/// starts with a number any test can parse.
fn plain_count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
            <ResultRow row=row("WARMUP", Outcome::Match(Box::new(m))) display_columns=1 />
            <ResultRow row=row("WARMUP-ERR", Outcome::Error(SymbolError::NoData)) display_columns=1 />
        }
    };
    view! {
        <Show when=move || warm.get()>
            <table class="grid warmup" aria-hidden="true" style="position:absolute;left:-10000px;top:0;visibility:hidden">
                <tbody>{rows}</tbody>
            </table>
        </Show>
    }
}
