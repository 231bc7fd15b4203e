//! The scan editor: preset picker, the expression and the display columns,
//! validated on every edit (compiling is cheap), with the error's span
//! underlined in the field it belongs to and its message below.

use leptos::prelude::*;

use crate::engine::lang::Part;
use crate::view::fields::column_texts;

use super::code_field::{CodeField, Marked};
use super::presets::Presets;
use super::state::use_scan_state;

#[component]
pub fn ScanEditor() -> impl IntoView {
    let state = use_scan_state();
    let (form, check) = (state.form, state.check);
    let expr_mark = Signal::derive(move || -> Marked {
        check
            .read()
            .as_ref()
            .filter(|e| e.part == Part::Expr)
            .map(|e| (e.span.start, e.span.end))
    });
    // A column's span is relative to its own trimmed text: shift it to where
    // that column sits in the `;`-separated input.
    let columns_mark = Signal::derive(move || -> Marked {
        let check = check.read();
        let Part::Column(k) = check.as_ref()?.part else {
            return None;
        };
        let span = check.as_ref()?.span;
        let input = form.columns.read();
        let start = column_texts(&input).get(k)?.start;
        Some((start + span.start, start + span.end))
    });
    let message = move || {
        check.read().as_ref().map(|e| match e.part {
            Part::Expr => e.message.clone(),
            Part::Column(k) => format!("display column {}: {}", k + 1, e.message),
        })
    };
    view! {
        <section class="panel editor" aria-label="Scan">
            <div class="editor-head">
                <h2>"Scan"</h2>
                <Presets />
            </div>
            <CodeField
                value=form.expr
                marked=expr_mark
                testid="scan-input"
                label="Scan expression"
                rows=3
                placeholder="e.g. close > sma(close, 50) and rsi(14) < 70"
            />
            <Show when=move || message().is_some()>
                <p class="error-msg" data-testid="error" role="alert">
                    {message}
                </p>
            </Show>
            <div class="columns-field">
                <span class="field-label">"Display columns"</span>
                <CodeField
                    value=form.columns
                    marked=columns_mark
                    testid="columns-input"
                    label="Display columns, separated by ;"
                    rows=1
                    placeholder="sma(close, 50); rsi(14)"
                />
            </div>
            <p class="hint">
                <kbd>"Ctrl"</kbd>
                "+"
                <kbd>"Enter"</kbd>
                " runs · "
                <kbd>"Esc"</kbd>
                " stops"
            </p>
        </section>
    }
}
