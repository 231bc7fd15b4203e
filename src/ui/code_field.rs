//! A textarea for scan-language text with a mirrored layer behind it that
//! underlines an error span: the text is drawn twice in the same font, the
//! mirror transparent except for the marked span.

use leptos::html;
use leptos::prelude::*;

use crate::view::fields::split_at_span;

/// Byte range in the field's text to underline (`start == end` marks the
/// position itself, e.g. "unexpected end of input").
pub type Marked = Option<(usize, usize)>;

#[component]
pub fn CodeField(
    /// The text, two-way.
    value: RwSignal<String>,
    /// The span to underline, if any.
    #[prop(into)]
    marked: Signal<Marked>,
    /// The `data-testid` of the textarea.
    testid: &'static str,
    label: &'static str,
    #[prop(default = 3)] rows: u32,
    #[prop(default = "")] placeholder: &'static str,
) -> impl IntoView {
    let mirror = NodeRef::<html::Div>::new();
    // The mirror follows the textarea's scroll so the mark stays under its text.
    let on_scroll = move |ev: web_sys::Event| {
        let target = event_target::<web_sys::HtmlTextAreaElement>(&ev);
        if let Some(m) = mirror.get() {
            m.set_scroll_top(target.scroll_top());
            m.set_scroll_left(target.scroll_left());
        }
    };
    let pieces = move || {
        let text = value.read();
        match marked.get() {
            Some((start, end)) => {
                let (pre, mid, post) = split_at_span(&text, start, end);
                let mid = if mid.is_empty() {
                    "\u{a0}".to_string()
                } else {
                    mid
                };
                view! {
                    {pre}
                    <mark class="error-span" data-testid="error-span">{mid}</mark>
                    {post}
                }
                .into_any()
            }
            None => text.clone().into_any(),
        }
    };
    view! {
        <div class="code-field">
            <div class="code-mirror" aria-hidden="true" node_ref=mirror>
                {pieces}
                "\n"
            </div>
            <textarea
                data-testid=testid
                aria-label=label
                aria-invalid=move || if marked.read().is_some() { "true" } else { "false" }
                rows=rows
                spellcheck="false"
                autocomplete="off"
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:scroll=on_scroll
            ></textarea>
        </div>
    }
}
