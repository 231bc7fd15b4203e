//! API keys for the keyed sources (Polygon, Twelve Data), kept only in this
//! browser's localStorage under one entry per source. A key is never written
//! to the URL hash, an export, a log or a message: nothing here formats it,
//! and a storage failure is reported without it.

use crate::web::sources::SourceId;

/// The localStorage entry holding `source`'s key: `technic.key.polygon`, …
pub fn storage_key(source: SourceId) -> String {
    format!("technic.key.{}", source.cache_name())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The saved key of `source`, if any (always `None` for key-less sources).
pub fn load(source: SourceId) -> Option<String> {
    if !source.needs_key() {
        return None;
    }
    storage()?
        .get_item(&storage_key(source))
        .ok()
        .flatten()
        .filter(|k| !k.is_empty())
}

/// Saves (or, when `key` is blank, removes) `source`'s key. Returns false when
/// the browser refuses storage; the key then lives only in the field.
pub fn save(source: SourceId, key: &str) -> bool {
    if !source.needs_key() {
        return false;
    }
    let Some(storage) = storage() else {
        return false;
    };
    let key = key.trim();
    if key.is_empty() {
        storage.remove_item(&storage_key(source)).is_ok()
    } else {
        storage.set_item(&storage_key(source), key).is_ok()
    }
}

/// Forgets `source`'s key in this browser.
pub fn clear(source: SourceId) -> bool {
    save(source, "")
}
