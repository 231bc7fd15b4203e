//! The browser fetch layer for market data: one GET with the source's policy
//! applied — a per-source in-flight bound and requests-per-minute limit
//! ([`SourceGate`]), an `AbortController` per request (timeout, and the scan's
//! Stop through [`AbortRegistry`]), retries with jittered exponential backoff
//! and a 429's `Retry-After` pausing the whole source, all decided by
//! `data::fetch_policy`. Every failure becomes a `Failure` whose text has
//! the API key redacted. Page only (it uses `window.fetch`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::future::{select, Either};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::data::fetch_policy::{
    self, parse_retry_after, Failure, InFlight, Outcome, RateLimiter, SourcePolicy, Step,
};
use crate::data::formats;

use super::sources::js_message;
use super::time::epoch_ms;

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

/// One source's limits and state for a scan: its policy, rate limiter and
/// in-flight count, the secrets to redact from messages, and a retry counter.
pub struct SourceGate {
    policy: SourcePolicy,
    limiter: RefCell<RateLimiter>,
    in_flight: RefCell<InFlight>,
    secrets: Vec<String>,
    retries: Cell<usize>,
    on_retry: Box<dyn Fn()>,
}

impl SourceGate {
    /// `secrets` (the API key) are redacted from every message; `on_retry`
    /// is called for each retry (the progress panel's counter).
    pub fn new(
        policy: SourcePolicy,
        secrets: Vec<String>,
        on_retry: impl Fn() + 'static,
    ) -> SourceGate {
        SourceGate {
            limiter: RefCell::new(RateLimiter::from_policy(&policy)),
            in_flight: RefCell::new(InFlight::new(policy.max_in_flight)),
            policy,
            secrets,
            retries: Cell::new(0),
            on_retry: Box::new(on_retry),
        }
    }

    pub fn policy(&self) -> &SourcePolicy {
        &self.policy
    }

    /// Retries made so far through this gate.
    pub fn retries(&self) -> usize {
        self.retries.get()
    }

    /// `text` without any key: `apiKey=` style parameters and the secrets themselves.
    pub fn redact(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        fetch_policy::redact(&formats::redact(text), &secrets)
    }

    /// A failure with its text redacted.
    pub fn redact_failure(&self, failure: Failure) -> Failure {
        match failure {
            Failure::Network(m) => Failure::Network(self.redact(&m)),
            Failure::Parse { line, message } => Failure::Parse {
                line,
                message: self.redact(&message),
            },
            other => other,
        }
    }
}

/// Holds one in-flight slot of a gate; gives it back when dropped (also when
/// the request's future is dropped mid-flight).
struct InFlightSlot<'a>(&'a SourceGate);

impl Drop for InFlightSlot<'_> {
    fn drop(&mut self) {
        self.0.in_flight.borrow_mut().finish();
    }
}

/// The failure a stopped scan gives its unfinished symbols.
pub fn stopped() -> Failure {
    Failure::Network("stopped".into())
}

/// GETs `url` under the gate's policy and returns the complete body of a 2xx
/// answer. Retries timeouts, network errors (a truncated body included) and
/// 5xx with jittered backoff; a 429 pauses the whole source for its
/// `Retry-After`. Fails with the last reason once the policy gives up, or
/// with [`stopped`] once the registry is aborted.
pub async fn fetch_with_policy(
    url: &str,
    gate: &SourceGate,
    aborts: &AbortRegistry,
) -> Result<Vec<u8>, Failure> {
    let retry = gate.policy.retry;
    let mut attempts = 0u32;
    loop {
        let slot = acquire(gate, aborts).await.ok_or_else(stopped)?;
        attempts += 1;
        let result = attempt(url, retry.timeout_ms, aborts).await;
        drop(slot);
        let outcome = match result {
            Ok(body) => return Ok(body),
            Err(Attempt::Stopped) => return Err(stopped()),
            Err(Attempt::Failed(outcome)) => outcome,
        };
        match retry.decide(attempts, outcome, random_u64()) {
            // `attempt` only fails for non-2xx outcomes, so Accept is not seen.
            Step::Accept => return Err(Failure::Network("unexpected answer".into())),
            Step::Fail(failure) => return Err(gate.redact_failure(failure)),
            Step::Retry {
                wait_ms,
                pause_source,
            } => {
                gate.retries.set(gate.retries.get() + 1);
                (gate.on_retry)();
                if pause_source {
                    // The whole source waits; `acquire` honours the pause.
                    let until = (epoch_ms() as u64).saturating_add(wait_ms);
                    gate.limiter.borrow_mut().pause_until(until);
                } else if !sleep_unless_aborted(wait_ms, aborts).await {
                    return Err(stopped());
                }
            }
        }
    }
}

/// Waits for an in-flight slot and a rate-limit grant of the gate; `None`
/// when the scan is stopped meanwhile.
async fn acquire<'a>(gate: &'a SourceGate, aborts: &AbortRegistry) -> Option<InFlightSlot<'a>> {
    loop {
        if aborts.is_aborted() {
            return None;
        }
        let wait_ms = {
            let mut in_flight = gate.in_flight.borrow_mut();
            if in_flight.try_start() {
                match gate.limiter.borrow_mut().try_acquire(epoch_ms() as u64) {
                    Ok(()) => return Some(InFlightSlot(gate)),
                    Err(wait) => {
                        in_flight.finish();
                        wait
                    }
                }
            } else {
                10
            }
        };
        // Short naps so a Stop is noticed quickly during a long pause.
        sleep_ms(wait_ms.clamp(5, 200)).await;
    }
}

enum Attempt {
    Stopped,
    Failed(Outcome),
}

/// One request with its own abort controller: a timeout aborts it, so does
/// the registry. Ok only for a 2xx with its whole body.
async fn attempt(url: &str, timeout_ms: u64, aborts: &AbortRegistry) -> Result<Vec<u8>, Attempt> {
    let (id, controller) = aborts.register().ok_or(Attempt::Stopped)?;
    let work = request(url, &controller);
    let timeout = sleep_ms(timeout_ms);
    let result = match select(Box::pin(work), Box::pin(timeout)).await {
        Either::Left((r, _)) => r.map_err(Attempt::Failed),
        Either::Right(_) => {
            controller.abort();
            Err(Attempt::Failed(Outcome::Timeout))
        }
    };
    aborts.release(id);
    if aborts.is_aborted() {
        return Err(Attempt::Stopped);
    }
    result
}

async fn request(url: &str, controller: &web_sys::AbortController) -> Result<Vec<u8>, Outcome> {
    let net = |m: String| Outcome::Network(m);
    let window = web_sys::window().ok_or_else(|| net("no window to fetch from".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&controller.signal()));
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
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
    let buffer =
        JsFuture::from(reading)
            .await
            .map_err(|e| match fetch_error_text(&e).as_str() {
                "aborted" => net("aborted".into()),
                _ => net("the body was cut off before its end".into()),
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

/// A fetch rejection as a sentence (`TypeError: Failed to fetch` says little;
/// name the likely causes).
fn fetch_error_text(e: &JsValue) -> String {
    let message = js_message(e);
    let name = js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name == "AbortError" {
        return "aborted".into();
    }
    if message.contains("Failed to fetch") {
        return "the server could not be reached (offline, refused, or blocked by CORS)".into();
    }
    message
}

/// 64 random bits for the backoff jitter.
fn random_u64() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

/// Sleeps `ms` in short steps; false when the registry was aborted meanwhile.
async fn sleep_unless_aborted(ms: u64, aborts: &AbortRegistry) -> bool {
    let end = epoch_ms() + ms as f64;
    loop {
        if aborts.is_aborted() {
            return false;
        }
        let left = end - epoch_ms();
        if left <= 0.0 {
            return true;
        }
        sleep_ms(left.min(100.0) as u64).await;
    }
}

/// Resolves after `ms` milliseconds (`setTimeout` on the global object).
pub async fn sleep_ms(ms: u64) {
    let ms = ms.min(i32::MAX as u64) as i32;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&JsValue::UNDEFINED, &resolve, &ms.into());
            }
            // No timers: resolve at once rather than hang.
            None => {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}
