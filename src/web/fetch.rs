//! The browser's [`Transport`] for market data: one `fetch` attempt with
//! its request headers, an `AbortController` per request (aborted by its
//! timeout, a `gloo-timers` timer cancelled on drop, and by the scan's Stop
//! through [`AbortRegistry`]), a status and a whole body checked. Limits,
//! retries and pauses are decided by `data::loader::request`. Page only
//! (it uses `window.fetch`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::data::fetch_policy::{parse_retry_after, Outcome};
use crate::data::loader::{Attempt, Request, Transport};

use super::js::js_message;

/// A body this much shorter than its `Content-Length` is a truncated body.
/// The slack exists because a cross-origin response hides `Content-Encoding`
/// while showing `Content-Length`: a tiny gzip body is a few bytes *longer*
/// compressed than decoded, which must not read as truncation. (Chromium
/// itself rejects a cut-off body with a network error; this is the backstop.)
const TRUNCATION_SLACK_BYTES: u64 = 32;

/// The abort controllers of one scan's requests in flight. The scan's Stop
/// calls [`AbortRegistry::abort_all`]: every request in flight is aborted (the
/// server sees the connection close) and no new one starts.
#[derive(Clone, Default)]
pub struct AbortRegistry {
    inner: Rc<RefCell<Registry>>,
}

#[derive(Default)]
struct Registry {
    aborted: bool,
    next_id: u64,
    controllers: HashMap<u64, web_sys::AbortController>,
}

impl AbortRegistry {
    pub fn new() -> AbortRegistry {
        AbortRegistry::default()
    }

    /// Aborts every request in flight; later requests fail at once.
    pub fn abort_all(&self) {
        let controllers: Vec<_> = {
            let mut r = self.inner.borrow_mut();
            r.aborted = true;
            r.controllers.drain().map(|(_, c)| c).collect()
        };
        controllers.iter().for_each(|c| c.abort());
    }

    pub fn is_aborted(&self) -> bool {
        self.inner.borrow().aborted
    }

    /// Requests in flight right now.
    pub fn in_flight(&self) -> usize {
        self.inner.borrow().controllers.len()
    }

    /// A new controller, kept until [`AbortRegistry::release`]; `None` once
    /// the scan was stopped.
    fn register(&self) -> Option<(u64, web_sys::AbortController)> {
        let mut r = self.inner.borrow_mut();
        if r.aborted {
            return None;
        }
        let controller = web_sys::AbortController::new().ok()?;
        let id = r.next_id;
        r.next_id += 1;
        r.controllers.insert(id, controller.clone());
        Some((id, controller))
    }

    fn release(&self, id: u64) {
        self.inner.borrow_mut().controllers.remove(&id);
    }
}

/// `window.fetch` under one scan's abort registry.
#[derive(Clone, Default)]
pub struct BrowserTransport {
    pub aborts: AbortRegistry,
}

impl Transport for BrowserTransport {
    async fn send(&self, request: &Request, timeout_ms: u64) -> Result<Vec<u8>, Attempt> {
        let (id, controller) = self.aborts.register().ok_or(Attempt::Stopped)?;
        let work = send(request, &controller);
        let timeout = TimeoutFuture::new(timeout_ms.min(i32::MAX as u64) as u32);
        let result = match select(Box::pin(work), timeout).await {
            Either::Left((r, _timer)) => r.map_err(Attempt::Failed),
            Either::Right(_) => {
                controller.abort();
                Err(Attempt::Failed(Outcome::Timeout))
            }
        };
        self.aborts.release(id);
        if self.aborts.is_aborted() {
            return Err(Attempt::Stopped);
        }
        result
    }

    fn is_stopped(&self) -> bool {
        self.aborts.is_aborted()
    }
}

async fn send(
    request: &Request,
    controller: &web_sys::AbortController,
) -> Result<Vec<u8>, Outcome> {
    let net = |m: String| Outcome::Network(m);
    let window = web_sys::window().ok_or_else(|| net("no window to fetch from".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&controller.signal()));
    if !request.headers.is_empty() {
        let headers =
            web_sys::Headers::new().map_err(|e| net(format!("headers: {}", js_message(&e))))?;
        for (name, value) in &request.headers {
            // The value may be a key: the message names the header only.
            headers
                .append(name, value)
                .map_err(|_| net(format!("the {name} header was refused")))?;
        }
        init.set_headers(&headers);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
        .await
        .map_err(|e| net(fetch_error_text(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| net("the answer is not a response".into()))?;
    let status = response.status();
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    if !(200..=299).contains(&status) {
        // Cross-origin, `Retry-After` is readable only when the server lists
        // it in `Access-Control-Expose-Headers`.
        let retry_after_ms =
            header("retry-after").and_then(|v| parse_retry_after(&v, js_sys::Date::now() as i64));
        // The body is not needed: abort so the connection is freed at once.
        controller.abort();
        return Err(Outcome::Http {
            status,
            retry_after_ms,
        });
    }
    let expected = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let encoded = header("content-encoding")
        .is_some_and(|e| !e.trim().is_empty() && !e.trim().eq_ignore_ascii_case("identity"));
    let reading = response
        .array_buffer()
        .map_err(|e| net(format!("the body could not be read ({})", js_message(&e))))?;
    let buffer = JsFuture::from(reading).await.map_err(|e| {
        if is_abort(&e) {
            net("aborted".into())
        } else {
            net("the body was cut off before its end".into())
        }
    })?;
    let body = js_sys::Uint8Array::new(&buffer).to_vec();
    if let Some(expected) = expected {
        let got = body.len() as u64;
        if !encoded && got.saturating_add(TRUNCATION_SLACK_BYTES) < expected {
            return Err(net(format!(
                "truncated body: {got} of {expected} bytes arrived"
            )));
        }
    }
    Ok(body)
}

fn is_abort(e: &JsValue) -> bool {
    js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == "AbortError")
}

/// A fetch rejection as a sentence (`TypeError: Failed to fetch` says little;
/// name the likely causes).
fn fetch_error_text(e: &JsValue) -> String {
    if is_abort(e) {
        return "aborted".into();
    }
    let message = js_message(e);
    if message.contains("Failed to fetch") {
        return "the server could not be reached (offline, refused, or blocked by CORS)".into();
    }
    message
}
