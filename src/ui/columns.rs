//! The results head's column chooser (show, hide and reorder the Technic
//! columns; kept in this browser) and the copy-symbols button (the matching
//! symbols as shown, one per line, to the clipboard). The choice itself is
//! `view::columns::ColumnChoice`.

use leptos::prelude::*;

use crate::view::columns::{matching_symbols, ordered, TECHNIC_COLUMNS};

use super::state::{use_scan_state, COLUMNS_KEY};
use super::stored;

/// A "Columns" toggle and its panel (`data-testid="column-chooser"`): one
/// `column-option` per Technic column (with `data-column`), a checkbox to
/// show it, and buttons to move it left or right.
#[component]
pub fn ColumnChooser() -> impl IntoView {
    let table = use_scan_state().table;
    let open = RwSignal::new(false);
    let change = move |f: &dyn Fn(&mut crate::view::columns::ColumnChoice)| {
        table.columns.update(|c| f(c));
        table
            .columns
            .with_untracked(|c| stored::write(COLUMNS_KEY, &c.names()));
    };
    let position = move |i: usize| {
        table.columns.with(|c| {
            c.columns()
                .iter()
                .position(|(k, _)| *k == TECHNIC_COLUMNS[i].0)
        })
    };
    view! {
        <div class="column-chooser-wrap">
            <button
                type="button"
                data-testid="columns-button"
                aria-expanded=move || open.get().to_string()
                aria-controls="column-chooser"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Columns"
            </button>
            <Show when=move || open.get()>
                <ul class="column-chooser" id="column-chooser" data-testid="column-chooser" aria-label="Columns shown">
                    {TECHNIC_COLUMNS
                        .iter()
                        .enumerate()
                        .map(|(i, &(_, title))| {
                            let label = format!("Show {title}");
                            let left = format!("Move {title} left");
                            let right = format!("Move {title} right");
                            view! {
                                <li class="column-option" data-testid="column-option" data-column=title>
                                    <label>
                                        <input
                                            type="checkbox"
                                            aria-label=label
                                            prop:checked=move || table.columns.with(|c| c.shows(i))
                                            disabled=i == 0
                                            on:change=move |_| change(&|c| c.toggle(i))
                                        />
                                        {title}
                                    </label>
                                    <button
                                        type="button"
                                        class="link"
                                        data-testid="column-left"
                                        aria-label=left
                                        disabled=move || position(i).is_none_or(|p| p <= 1)
                                        on:click=move |_| change(&|c| c.shift(i, -1))
                                    >
                                        "◀"
                                    </button>
                                    <button
                                        type="button"
                                        class="link"
                                        data-testid="column-right"
                                        aria-label=right
                                        disabled=move || {
                                            let n = table.columns.with(|c| c.len());
                                            position(i).is_none_or(|p| p == 0 || p + 1 >= n)
                                        }
                                        on:click=move |_| change(&|c| c.shift(i, 1))
                                    >
                                        "▶"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </Show>
        </div>
    }
}

/// Copies the matching symbols (filter and sort as shown) to the clipboard
/// (`data-testid="copy-symbols"`); says how many were copied.
#[component]
pub fn CopySymbols() -> impl IntoView {
    let state = use_scan_state();
    let (run, table) = (state.run, state.table);
    let note = RwSignal::new(String::new());
    let on_click = move |_| {
        let text = run.rows.with_untracked(|rows| {
            let order = ordered(
                rows,
                table.filter.get_untracked(),
                table.sort.get_untracked(),
            );
            matching_symbols(rows, &order)
        });
        let count = if text.is_empty() {
            0
        } else {
            text.lines().count()
        };
        let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
            return;
        };
        let promise = clipboard.write_text(&text);
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await;
            note.set(match done {
                Ok(_) => format!("{count} copied"),
                Err(_) => "the browser refused the clipboard".into(),
            });
        });
    };
    view! {
        <button
            type="button"
            data-testid="copy-symbols"
            title="Copy the matching symbols, one per line"
            disabled=move || run.rows.with(|r| r.is_empty())
            on:click=on_click
        >
            "Copy symbols"
        </button>
        <span class="copy-note" role="status" data-testid="copy-note">{move || note.get()}</span>
    }
}
