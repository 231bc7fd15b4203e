//! The Export CSV button: the rows as the table shows them (filter, sort and
//! the chosen columns applied), as text from `view::export` (which keeps every cell inert in a
//! spreadsheet and holds no setting, URL or API key), handed to the browser
//! as a download.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::view::columns::ordered;
use crate::view::export::to_csv;

use super::state::use_scan_state;

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
            to_csv(
                rows,
                &order,
                &run.columns.get_untracked(),
                &table.columns.with_untracked(|c| c.columns()),
            )
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

/// Hands `text` to the browser as a file download.
pub(super) fn download(name: &str, text: &str) {
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
