//! The import panel: a drop zone and a file picker for CSV files or ZIPs of
//! them, read by the page and parsed by `data::formats::import` on the
//! worker pool (the page never parses), with one result row per file
//! (accepted: symbol and bar count; rejected: why).
//! Importing selects the `import` source, which scans the accepted symbols.
//! Each import replaces the previous one.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::data::formats::import::{import_files, symbol_from_file_name};
use crate::engine::bars::Bars;
use crate::web::sources::SourceId;

use super::files::{self, PickedFile};
use super::format::{count, grouped};
use super::state::{use_scan_state, DataForm, ImportRow, ScanState};

#[component]
pub fn ImportPanel() -> impl IntoView {
    let state = use_scan_state();
    let data = state.form.data;
    let hovering = RwSignal::new(false);
    let on_pick = move |ev: web_sys::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let picked = files::from_input(&input);
        // Cleared so picking the same files again imports them again.
        input.set_value("");
        start_import(state, picked);
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        hovering.set(false);
        start_import(state, files::from_drop(&ev));
    };
    // Without preventDefault on dragover the browser opens the file instead.
    let on_drag_over = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        hovering.set(true);
    };
    let summary = move || {
        let rows = data.imports.read();
        let accepted = rows.iter().filter(|r| r.rejected.is_none()).count();
        if data.importing.get() {
            "reading files…".to_string()
        } else if rows.is_empty() {
            "nothing imported yet".to_string()
        } else {
            format!(
                "{} accepted · {} rejected",
                count(accepted, "symbol"),
                rows.len() - accepted
            )
        }
    };
    view! {
        <fieldset class="import">
            <legend>"Import files"</legend>
            <label
                class="drop-zone"
                class:hovering=move || hovering.get()
                data-testid="import-drop"
                on:dragover=on_drag_over
                on:dragleave=move |_| hovering.set(false)
                on:drop=on_drop
            >
                <span>"Drop CSV or ZIP files here, or "<u>"choose files"</u></span>
                <span class="hint">"One symbol per file (named by the file), or a long file with a symbol column"</span>
                <input
                    type="file"
                    multiple
                    accept=".csv,.txt,.zip"
                    data-testid="import-input"
                    on:change=on_pick
                />
            </label>
            <p class="hint" data-testid="import-summary">{summary}</p>
            <ul class="import-results" data-testid="import-results">
                <For
                    each=move || data.imports.get().into_iter().enumerate()
                    key=|(i, row)| (*i, row.file.clone(), row.symbol.clone())
                    children=move |(_, row)| view! { <ImportResultRow row=row /> }
                />
            </ul>
        </fieldset>
    }
}

#[component]
fn ImportResultRow(row: ImportRow) -> impl IntoView {
    let (status, chip) = match row.rejected {
        Some(_) => ("rejected", "chip error"),
        None => ("accepted", "chip long"),
    };
    let detail = match (&row.rejected, &row.symbol) {
        (Some(why), _) => why.clone(),
        (None, Some(symbol)) => format!("{symbol} · {} bars", grouped(row.bars as u64)),
        (None, None) => format!("{} bars", grouped(row.bars as u64)),
    };
    let tooltip = format!("{}: {detail}", row.file);
    let data_file = row.file.clone();
    let data_symbol = row.symbol.clone().unwrap_or_default();
    view! {
        <li
            class=format!("import-result {status}")
            data-testid="import-result"
            data-file=data_file
            data-status=status
            data-symbol=data_symbol
            title=tooltip
        >
            <span class=chip>{status}</span>
            <span class="file mono">{row.file}</span>
            <span class="detail">{detail}</span>
        </li>
    }
}

/// Reads the files, imports them, shows the results and selects the import
/// source. Reading is async; parsing runs on the worker pool (on the page
/// only in the single-threaded build, after a frame so "reading files…"
/// shows).
fn start_import(state: ScanState, picked: Vec<PickedFile>) {
    if picked.is_empty() {
        return;
    }
    let data = state.form.data;
    data.importing.set(true);
    spawn_local(async move {
        let mut read = Vec::with_capacity(picked.len());
        let mut unreadable = Vec::new();
        for file in picked {
            match file.read().await {
                Ok(named_bytes) => read.push(named_bytes),
                Err(e) => unreadable.push(ImportRow {
                    file: e.file.clone(),
                    symbol: None,
                    bars: 0,
                    rejected: Some(e.to_string()),
                }),
            }
        }
        let (mut rows, bars) = parse_off_page(read).await;
        rows.extend(unreadable);
        hand_over(data, bars);
        data.imports.set(rows);
        data.importing.set(false);
        state.form.source.set(SourceId::Import);
    });
}

type Parsed = (Vec<ImportRow>, Vec<(String, Arc<Bars>)>);

/// Parses on the pool and awaits the answer (`web::pool::off_page`), so a
/// large ZIP never blocks the page.
async fn parse_off_page(files: Vec<(String, Vec<u8>)>) -> Parsed {
    crate::web::pool::off_page(move || results(files))
        .await
        .unwrap_or_else(|| {
            (
                vec![ImportRow {
                    file: "(import)".into(),
                    symbol: None,
                    bars: 0,
                    rejected: Some(
                        "the import stopped before it finished (a worker failed)".into(),
                    ),
                }],
                Vec::new(),
            )
        })
}

/// The engine's import results as display rows, and the accepted bars.
fn results(files: Vec<(String, Vec<u8>)>) -> Parsed {
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for result in import_files(files) {
        let bar_count = result.bar_count();
        let mut symbol = result.symbol;
        let rejected = match result.outcome {
            Ok(b) => {
                // An accepted file always has a symbol; the name is a fallback.
                symbol = symbol.or_else(|| symbol_from_file_name(&result.file));
                if let Some(symbol) = &symbol {
                    bars.push((symbol.clone(), Arc::new(b)));
                }
                None
            }
            Err(e) => Some(e.to_string()),
        };
        rows.push(ImportRow {
            file: result.file,
            symbol,
            bars: bar_count,
            rejected,
        });
    }
    (rows, bars)
}

/// The one place imported bars leave the UI: the `import` source reads them
/// from `web::sources` (each import replaces the previous one).
fn hand_over(_data: DataForm, bars: Vec<(String, Arc<Bars>)>) {
    crate::web::sources::set_imported(bars);
}
