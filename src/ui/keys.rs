//! API keys for the keyed sources (Polygon, Twelve Data), kept only in this
//! browser's localStorage under one entry per source. A key is never written
//! to a URL, an export, a log or a message: nothing here formats it, and a
//! storage failure is reported without it. localStorage is shared by every
//! page of the origin, so the app belongs on an origin of its own (README).

use crate::web::sources::SourceId;

use super::stored;

/// The localStorage entry holding `source`'s key: `technic.key.polygon`, …
pub fn storage_key(source: SourceId) -> String {
    format!("technic.key.{}", source.cache_name())
}

/// The saved key of `source`, if any (always `None` for key-less sources).
pub fn load(source: SourceId) -> Option<String> {
    if !source.needs_key() {
        return None;
    }
    let name = storage_key(source);
    // Keys saved before entries were JSON are plain text.
    stored::read::<String>(&name)
        .or_else(|| stored::read_text(&name))
        .filter(|k| !k.is_empty())
}

/// Saves (or, when `key` is blank, removes) `source`'s key. Returns false when
/// the browser refuses storage; the key then lives only in the field.
pub fn save(source: SourceId, key: &str) -> bool {
    if !source.needs_key() {
        return false;
    }
    let key = key.trim();
    if key.is_empty() {
        stored::remove(&storage_key(source))
    } else {
        stored::write(&storage_key(source), &key)
    }
}

/// Forgets `source`'s key in this browser.
pub fn clear(source: SourceId) -> bool {
    save(source, "")
}
