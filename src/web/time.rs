//! `performance.now()` on the page or in a worker (workers have no `window`,
//! so it is read from the global object), and [`within`], a deadline on a
//! future (the stores' opens).

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

/// The loader's clock on the page: epoch time, `gloo-timers` sleeps
/// (cancelled when dropped), `Math.random` for the backoff jitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebClock;

impl crate::data::loader::Clock for WebClock {
    fn now_ms(&self) -> i64 {
        epoch_ms() as i64
    }

    fn sleep(&self, ms: u64) -> impl std::future::Future<Output = ()> {
        gloo_timers::future::TimeoutFuture::new(ms.min(i32::MAX as u64) as u32)
    }

    fn random_u64(&self) -> u64 {
        let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        (hi << 32) | lo
    }
}

/// `future`'s output, or `None` when `ms` milliseconds pass first (a timer
/// on this thread's event loop; the future is dropped then).
pub async fn within<T>(ms: u32, future: impl std::future::Future<Output = T>) -> Option<T> {
    use futures::future::{select, Either};
    let future = std::pin::pin!(future);
    match select(future, gloo_timers::future::TimeoutFuture::new(ms)).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}
