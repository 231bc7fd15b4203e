//! CSV export of the results as the table shows them (filter and sort
//! applied): the Technic columns, the scan's display columns and, for error
//! rows, the reason. Built from engine rows only, so no setting, URL or API key
//! can reach the file.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::columns::{ordered, ColumnKey, TECHNIC_COLUMNS};
use super::state::use_scan_state;
use crate::engine::run::{Outcome, Row};

/// The export button (`data-testid="export-csv"`).
#[component]
pub fn ExportButton() -> impl IntoView {
    let state = use_scan_state();
    let (run, table) = (state.run, state.table);
    let on_click = move |_| {
        let text = run.rows.with_untracked(|rows| {
            let order = ordered(
                rows,
                table.filter.get_untracked(),
                table.sort.get_untracked(),
            );
            to_csv(rows, &order, &run.columns.get_untracked())
        });
        download("technic-scan.csv", &text);
    };
    view! {
        <button
            class="export"
            data-testid="export-csv"
            title="Download the rows as CSV (filter and sort as shown)"
            disabled=move || run.rows.with(|r| r.is_empty())
            on:click=on_click
        >
            "Export CSV"
        </button>
    }
}

fn to_csv(rows: &[Row], order: &[usize], display: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = TECHNIC_COLUMNS
        .iter()
        .map(|(_, title)| title.to_string())
        .collect();
    header.extend(display.iter().cloned());
    header.push("Error".into());
    let _ = w.write_record(&header);
    for &i in order {
        let row = &rows[i];
        let mut rec = Vec::with_capacity(header.len());
        for &(key, _) in TECHNIC_COLUMNS.iter() {
            rec.push(match (key, &row.outcome) {
                (ColumnKey::Symbol, _) => row.symbol.clone(),
                (ColumnKey::Signal, Outcome::Match(m)) => m.score.signal.label().to_string(),
                _ => key.value(row).map(number).unwrap_or_default(),
            });
        }
        rec.extend((0..display.len()).map(|k| {
            ColumnKey::Display(k)
                .value(row)
                .map(number)
                .unwrap_or_default()
        }));
        rec.push(match &row.outcome {
            Outcome::Error(e) => e.to_string(),
            Outcome::Match(_) => String::new(),
        });
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Full precision, shortest round-trip form.
fn number(v: f64) -> String {
    v.to_string()
}

/// Hands `text` to the browser as a file download.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Revoked a moment later: revoking at once can cancel the download.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(2),
    );
}
