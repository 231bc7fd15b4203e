//! localStorage as JSON values through `gloo-storage`, never panicking: gloo
//! throws when the browser refuses storage (blocked in its settings, some
//! sandboxed frames), so every call first asks whether there is any. A
//! refused or unreadable entry reads as absent; a refused write says so.
//!
//! What is stored here (API keys, service bases) is readable by every page
//! of this origin: see the README's data-source section.

use gloo_storage::{LocalStorage, Storage};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Whether this page may use localStorage at all (reading the property can
/// throw; gloo would turn that into a panic).
fn available() -> bool {
    web_sys::window().is_some_and(|w| matches!(w.local_storage(), Ok(Some(_))))
}

/// The value under `name`, if present and readable as `T`.
pub fn read<T: DeserializeOwned>(name: &str) -> Option<T> {
    available().then(|| LocalStorage::get(name).ok()).flatten()
}

/// The raw text under `name` (entries written before values were JSON).
pub fn read_text(name: &str) -> Option<String> {
    if !available() {
        return None;
    }
    LocalStorage::raw().get_item(name).ok().flatten()
}

/// Stores `value` under `name`; false when the browser refuses.
pub fn write<T: Serialize>(name: &str, value: &T) -> bool {
    available() && LocalStorage::set(name, value).is_ok()
}

/// Removes `name`; false when the browser refuses storage.
pub fn remove(name: &str) -> bool {
    if !available() {
        return false;
    }
    LocalStorage::delete(name);
    true
}
