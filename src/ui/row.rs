//! One rendered result row: a match with its Technic columns and display
//! columns (a click opens its detail), or an error row with its reason.
//! A row is drawn again only when its row changes (a live re-scan gives it
//! a new key); its live mark (`data-live`) follows the marks signal.

use leptos::prelude::*;

use crate::engine::run::{Outcome, Row};
use crate::engine::score::Signal;

use crate::view::columns::ColumnKey;
use crate::view::format::{auto, cell};

/// `index` is the row's place in the scan's rows (its DOM id); `position`
/// its place as displayed (`aria-rowindex` is one more, after the header);
/// `active` whether it is the grid's active row.
#[component]
pub fn ResultRow(
    row: Row,
    display_columns: usize,
    /// The Technic columns shown, in order.
    shown: Vec<(ColumnKey, &'static str)>,
    #[prop(optional)] index: usize,
    #[prop(optional, into)] position: leptos::prelude::Signal<Option<usize>>,
    #[prop(optional, into)] active: leptos::prelude::Signal<bool>,
) -> impl IntoView {
    let id = format!("row-{index}");
    let rowindex = move || position.get().map(|p| p + 2);
    let selected = move || active.get().to_string();
    let symbol = row.symbol.clone();
    let data_symbol = row.symbol.clone();
    // Which scan drew the row: the e2e storm checks no row of another scan shows.
    let scan = row.scan_id.to_string();
    // A live scan's mark: "new" (started matching at the last bar) or
    // "dropped" (stopped; removed after the next bar).
    let live = super::state::use_scan_state().live.marks;
    let mark_symbol = row.symbol.clone();
    let data_live = move || live.with(|m| super::live::mark_name(m.get(&mark_symbol).copied()));
    match &row.outcome {
        Outcome::Error(e) => {
            // Rows have a fixed height (the table is virtualised), so a long
            // reason is cut with an ellipsis and shown whole in the tooltip.
            let reason = e.to_string();
            let tooltip = format!("{symbol}: {} — {reason}", e.kind());
            let row_tooltip = tooltip.clone();
            view! {
                <tr
                    class="error-row"
                    data-testid="error-row"
                    data-symbol=data_symbol
                    data-scan=scan
                    title=row_tooltip
                    id=id
                    data-index=index
                    aria-rowindex=rowindex
                    aria-selected=selected
                    class:active=active
                >
                    <td class="sym">{symbol}</td>
                    <td class="reason" colspan=(shown.len().saturating_sub(1) + display_columns).max(1) title=tooltip>
                        <span class="chip error">{e.kind()}</span>
                        <span class="reason-text" data-testid="error-reason">{reason}</span>
                    </td>
                </tr>
            }
            .into_any()
        }
        Outcome::Match(m) => {
            let signal = m.score.signal;
            // The last bar's open time (epoch ms) and the bar count, for the
            // interval checks of the e2e tests (the table has no date column).
            let (bar_time, bar_count) = (m.time.to_string(), m.bars.to_string());
            let cells = shown
                .iter()
                .map(|&(key, _)| match key {
                    ColumnKey::Symbol => view! { <td class="sym">{symbol.clone()}</td> }.into_any(),
                    ColumnKey::Signal => view! { <td><SignalChip signal=signal /></td> }.into_any(),
                    ColumnKey::Change => {
                        let class = format!("num {}", key_class(key.value(&row)));
                        view! { <td class=class>{cell(key.value(&row), 2)}</td> }.into_any()
                    }
                    key => view! { <td class="num">{cell(key.value(&row), decimals(key))}</td> }
                        .into_any(),
                })
                .collect_view();
            view! {
                <tr
                    class="result-row"
                    data-testid="result-row"
                    data-symbol=data_symbol
                    data-scan=scan
                    data-live=data_live
                    data-bar-time=bar_time
                    data-bars=bar_count
                    id=id
                    data-index=index
                    aria-rowindex=rowindex
                    aria-selected=selected
                    class:active=active
                >
                    {cells}
                    {(0..display_columns)
                        .map(|k| view! { <td class="num">{auto(ColumnKey::Display(k).value(&row))}</td> })
                        .collect_view()}
                </tr>
            }
            .into_any()
        }
    }
}

/// Decimals a Technic number column is shown with.
fn decimals(key: ColumnKey) -> usize {
    match key {
        ColumnKey::Shares => 0,
        ColumnKey::TechRating | ColumnKey::ShortRating | ColumnKey::Rsi => 1,
        _ => 2,
    }
}

/// Up moves green, down red.
fn key_class(change: Option<f64>) -> &'static str {
    match change {
        Some(c) if c > 0.0 => "up",
        Some(c) if c < 0.0 => "down",
        _ => "",
    }
}

/// The signal as a coloured chip: green Long, red Short, grey Avoid.
#[component]
pub fn SignalChip(signal: Signal) -> impl IntoView {
    let class = match signal {
        Signal::StrongLong => "chip long strong",
        Signal::Long => "chip long",
        Signal::Avoid => "chip avoid",
        Signal::Short => "chip short",
        Signal::StrongShort => "chip short strong",
    };
    view! { <span class=class>{signal.label()}</span> }
}
