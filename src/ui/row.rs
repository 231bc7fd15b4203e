//! One rendered result row: a match with its Technic columns and display
//! columns (a click opens its detail), or an error row with its reason.
//! Rows never change once drawn.

use leptos::prelude::*;

use crate::engine::run::{Outcome, Row};
use crate::engine::score::Signal;

use crate::view::columns::{ColumnKey, TECHNIC_COLUMNS};
use crate::view::format::{auto, cell};

use super::detail;
use super::state::use_scan_state;

#[component]
pub fn ResultRow(row: Row, display_columns: usize) -> impl IntoView {
    let symbol = row.symbol.clone();
    let data_symbol = row.symbol.clone();
    // Which scan drew the row: the e2e storm checks no row of another scan shows.
    let scan = row.scan_id.to_string();
    match &row.outcome {
        Outcome::Error(e) => {
            // Rows have a fixed height (the table is virtualised), so a long
            // reason is cut with an ellipsis and shown whole in the tooltip.
            let reason = e.to_string();
            let tooltip = format!("{symbol}: {} — {reason}", e.kind());
            let row_tooltip = tooltip.clone();
            view! {
                <tr class="error-row" data-testid="error-row" data-symbol=data_symbol data-scan=scan title=row_tooltip>
                    <td class="sym">{symbol}</td>
                    <td class="reason" colspan=TECHNIC_COLUMNS.len() - 1 + display_columns title=tooltip>
                        <span class="chip error">{e.kind()}</span>
                        <span class="reason-text" data-testid="error-reason">{reason}</span>
                    </td>
                </tr>
            }
            .into_any()
        }
        Outcome::Match(m) => {
            let state = use_scan_state();
            let open_symbol = row.symbol.clone();
            let numeric = |key: ColumnKey, decimals: usize| view! { <td class="num">{cell(key.value(&row), decimals)}</td> };
            let change = key_class(ColumnKey::Change.value(&row));
            view! {
                <tr
                    class="result-row"
                    data-testid="result-row"
                    data-symbol=data_symbol
                    data-scan=scan
                    title="Open the chart"
                    on:click=move |_| detail::open(state, open_symbol.clone())
                >
                    <td class="sym">{symbol}</td>
                    <td>
                        <SignalChip signal=m.score.signal />
                    </td>
                    {numeric(ColumnKey::TechRating, 1)}
                    {numeric(ColumnKey::ShortRating, 1)}
                    {numeric(ColumnKey::Close, 2)}
                    <td class=format!("num {change}")>{cell(ColumnKey::Change.value(&row), 2)}</td>
                    {numeric(ColumnKey::Rsi, 1)}
                    {numeric(ColumnKey::Atr, 2)}
                    {numeric(ColumnKey::Entry, 2)}
                    {numeric(ColumnKey::Stop, 2)}
                    {numeric(ColumnKey::Target, 2)}
                    {numeric(ColumnKey::Shares, 0)}
                    {(0..display_columns)
                        .map(|k| view! { <td class="num">{auto(ColumnKey::Display(k).value(&row))}</td> })
                        .collect_view()}
                </tr>
            }
            .into_any()
        }
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
