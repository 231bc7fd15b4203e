//! `performance.now()` on the page or in a worker (workers have no `window`,
//! so it is read from the global object).

use wasm_bindgen::JsCast;

/// Milliseconds since the page (or worker) started; 0 if unavailable.
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// The engine's clock, in seconds, for auto-stop rules.
#[derive(Debug, Clone, Copy)]
pub struct BrowserClock {
    start_ms: f64,
}

impl Default for BrowserClock {
    fn default() -> Self {
        BrowserClock {
            start_ms: epoch_ms(),
        }
    }
}

impl crate::engine::run::Clock for BrowserClock {
    fn now_secs(&self) -> f64 {
        (epoch_ms() - self.start_ms) / 1000.0
    }
}

/// Milliseconds since the Unix epoch with sub-millisecond resolution
/// (`timeOrigin + now()`): comparable across the page and its workers, whose
/// `performance.now()` each start at their own origin.
pub fn epoch_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.time_origin() + p.now())
}
