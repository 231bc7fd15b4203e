//! The status line: worker count and threading, cross-origin isolation, the
//! bar cache (kind and size, refreshed after scans), the scan history when it
//! is kept for this page only (saved scans will not survive it), and the
//! clear buttons.

use leptos::prelude::*;

use crate::view::format::{bytes, count};
use crate::web::history_store::HistoryKind;
use crate::web::store::StoreKind;

use super::control::{clear_cache, clear_history};
use super::state::use_scan_state;

#[component]
pub fn StatusLine() -> impl IntoView {
    let env = use_scan_state().env;
    let workers = move || match env.pool.get() {
        None => "starting workers…".to_string(),
        Some(p) if p.threaded => format!("{} · threaded", count(p.threads, "worker")),
        Some(p) => format!(
            "1 worker · single-threaded{}",
            // Not being isolated is said next to this; other reasons here.
            p.note
                .filter(|_| p.isolated)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
    };
    let isolation = move || match env.pool.get() {
        None => String::new(),
        Some(p) if p.isolated => "isolated".into(),
        Some(_) => "not isolated — single thread".into(),
    };
    let cache = move || {
        let kind = match env.store_kind.get() {
            None => return "opening cache…".to_string(),
            Some(StoreKind::IndexedDb) => "IndexedDB cache".to_string(),
            Some(StoreKind::Memory { reason }) => format!("memory cache ({reason})"),
        };
        match env.cache.get() {
            Some(Ok(stats)) => format!(
                "{kind}: {} · {}",
                count(stats.entries, "entry"),
                bytes(stats.bytes)
            ),
            Some(Err(e)) => format!("{kind}: {e}"),
            None => kind,
        }
    };
    // Only when it is not in IndexedDB: then saved scans and the learned
    // order last as long as the page.
    let history = move || {
        env.history_version.track();
        env.history
            .with_value(|h| match h.as_ref().map(|h| h.kind()) {
                Some(HistoryKind::Memory(reason)) => Some(format!(
                    "history and saved scans for this page only ({reason})"
                )),
                _ => None,
            })
    };
    view! {
        <footer class="status" data-testid="status">
            <span data-testid="status-workers">{workers}</span>
            <span class="sep" aria-hidden="true">"·"</span>
            <span data-testid="status-isolation" class:warn=move || env.pool.get().is_some_and(|p| !p.isolated)>
                {isolation}
            </span>
            <span class="sep" aria-hidden="true">"·"</span>
            <span data-testid="status-cache">{cache}</span>
            {move || {
                history()
                    .map(|text| {
                        view! {
                            <span class="sep" aria-hidden="true">"·"</span>
                            <span data-testid="status-history" class="warn">{text}</span>
                        }
                    })
            }}
            <button
                type="button"
                class="link"
                data-testid="clear-cache"
                disabled=move || env.store_kind.get().is_none()
                on:click=move |_| clear_cache(env)
            >
                "Clear cache"
            </button>
            <button
                type="button"
                class="link"
                data-testid="clear-history"
                title="Forget this device's scan history (learned order, predictions); the cached bars stay"
                disabled=move || env.store_kind.get().is_none()
                on:click=move |_| clear_history(env)
            >
                "Clear history"
            </button>
        </footer>
    }
}
