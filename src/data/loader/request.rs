//! One GET under a source's limits: wait for an in-flight slot and a rate
//! grant ([`Gate`]), send one attempt through the [`Transport`] with its
//! timeout, feed the outcome to the source's `RetryPolicy`, and back off,
//! pause the whole source on a 429, or give up with a typed [`Failure`]
//! whose text has every key redacted. A stop ends every wait at once.
//! Single-threaded (the page's event loop): the gate uses `Cell`/`RefCell`.

use std::cell::{Cell, RefCell};
use std::future::Future;

use super::Clock;
use crate::data::fetch_policy::{
    self, Failure, InFlight, Outcome, RateLimiter, SourcePolicy, Step,
};
use crate::data::formats;

/// The longest nap while waiting for a slot or a pause, so a stop is
/// noticed quickly even during a long pause.
const MAX_NAP_MS: u64 = 200;

/// One GET: a URL and its request headers (an `Authorization` header
/// carries a service's key, never the URL).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Header values may hold a key: never printed.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Request")
            .field("url", &formats::redact(&self.url))
            .field("headers", &names)
            .finish()
    }
}

impl Request {
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            url: url.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Request {
        self.headers.push((name, value));
        self
    }
}

/// Why one attempt brought no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The scan was stopped (the request was aborted or never sent).
    Stopped,
    /// What the attempt came to (a non-2xx status, a timeout, a network error).
    Failed(Outcome),
}

/// Sends requests. The browser's is `fetch` with an `AbortController`.
pub trait Transport {
    /// One attempt, aborted after `timeout_ms` ([`Outcome::Timeout`]). `Ok`
    /// only for a 2xx answer with its whole body.
    fn send(
        &self,
        request: &Request,
        timeout_ms: u64,
    ) -> impl Future<Output = Result<Vec<u8>, Attempt>>;
    /// Whether the scan was stopped: nothing new is sent, every wait ends.
    fn is_stopped(&self) -> bool;
}

impl<T: Transport> Transport for &T {
    fn send(
        &self,
        request: &Request,
        timeout_ms: u64,
    ) -> impl Future<Output = Result<Vec<u8>, Attempt>> {
        (*self).send(request, timeout_ms)
    }
    fn is_stopped(&self) -> bool {
        (*self).is_stopped()
    }
}

/// Why a GET brought no body.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// The scan was stopped: not an error row, nothing to report.
    Stopped,
    /// The policy gave up: the symbol's error row says why.
    Failed(Failure),
}

/// One source's limits and state for a scan: its policy, rate limiter and
/// in-flight count, the secrets to redact from messages, and a retry counter.
pub struct Gate {
    policy: SourcePolicy,
    limiter: RefCell<RateLimiter>,
    in_flight: RefCell<InFlight>,
    secrets: Vec<String>,
    retries: Cell<usize>,
    on_retry: Box<dyn Fn()>,
}

impl Gate {
    /// `secrets` (the API key) are redacted from every message; `on_retry`
    /// is called for each retry (the progress panel's counter).
    pub fn new(policy: SourcePolicy, secrets: Vec<String>, on_retry: impl Fn() + 'static) -> Gate {
        Gate {
            limiter: RefCell::new(RateLimiter::from_policy(&policy)),
            in_flight: RefCell::new(InFlight::new(policy.max_in_flight)),
            policy,
            secrets: secrets
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
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

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.borrow().running()
    }

    /// The secrets to redact (the key).
    pub fn secrets(&self) -> Vec<&str> {
        self.secrets.iter().map(String::as_str).collect()
    }

    /// `text` without any key: `apiKey=` style parameters and the secrets themselves.
    pub fn redact(&self, text: &str) -> String {
        fetch_policy::redact(&formats::redact(text), &self.secrets())
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
struct Slot<'a>(&'a Gate);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.in_flight.borrow_mut().finish();
    }
}

/// GETs `request` under the gate's policy and returns the complete body of
/// a 2xx answer. Retries timeouts, network errors (a truncated body
/// included) and 5xx with jittered backoff; a 429 pauses the whole source
/// for its `Retry-After`. Fails with the last reason once the policy gives
/// up, or with [`FetchError::Stopped`] once the transport says stop.
pub async fn fetch<T: Transport, C: Clock>(
    request: &Request,
    gate: &Gate,
    transport: &T,
    clock: &C,
) -> Result<Vec<u8>, FetchError> {
    let retry = gate.policy.retry;
    let mut attempts = 0u32;
    loop {
        let slot = acquire(gate, transport, clock).await?;
        attempts += 1;
        let result = transport.send(request, retry.timeout_ms).await;
        drop(slot);
        let outcome = match result {
            Ok(body) => return Ok(body),
            Err(Attempt::Stopped) => return Err(FetchError::Stopped),
            Err(Attempt::Failed(_)) if transport.is_stopped() => return Err(FetchError::Stopped),
            Err(Attempt::Failed(outcome)) => outcome,
        };
        match retry.decide(attempts, outcome, clock.random_u64()) {
            // `send` only fails for non-2xx outcomes, so Accept is not seen.
            Step::Accept => {
                return Err(FetchError::Failed(Failure::Network(
                    "unexpected answer".into(),
                )))
            }
            Step::Fail(failure) => return Err(FetchError::Failed(gate.redact_failure(failure))),
            Step::Retry {
                wait_ms,
                pause_source,
            } => {
                gate.retries.set(gate.retries.get() + 1);
                (gate.on_retry)();
                if pause_source {
                    // The whole source waits; `acquire` honours the pause.
                    let until = (clock.now_ms().max(0) as u64).saturating_add(wait_ms);
                    gate.limiter.borrow_mut().pause_until(until);
                } else {
                    sleep_unless_stopped(wait_ms, transport, clock).await?;
                }
            }
        }
    }
}

/// Waits for an in-flight slot and a rate-limit grant of the gate.
async fn acquire<'a, T: Transport, C: Clock>(
    gate: &'a Gate,
    transport: &T,
    clock: &C,
) -> Result<Slot<'a>, FetchError> {
    loop {
        if transport.is_stopped() {
            return Err(FetchError::Stopped);
        }
        let wait_ms = {
            let mut in_flight = gate.in_flight.borrow_mut();
            if in_flight.try_start() {
                match gate
                    .limiter
                    .borrow_mut()
                    .try_acquire(clock.now_ms().max(0) as u64)
                {
                    Ok(()) => return Ok(Slot(gate)),
                    Err(wait) => {
                        in_flight.finish();
                        wait
                    }
                }
            } else {
                // Full: another request of the source finishes first.
                10
            }
        };
        clock.sleep(wait_ms.clamp(1, MAX_NAP_MS)).await;
    }
}

/// Sleeps `ms` in naps of at most [`MAX_NAP_MS`], ending early on a stop.
async fn sleep_unless_stopped<T: Transport, C: Clock>(
    ms: u64,
    transport: &T,
    clock: &C,
) -> Result<(), FetchError> {
    let end = clock
        .now_ms()
        .saturating_add(ms.min(i64::MAX as u64) as i64);
    loop {
        if transport.is_stopped() {
            return Err(FetchError::Stopped);
        }
        let left = end - clock.now_ms();
        if left <= 0 {
            return Ok(());
        }
        clock.sleep((left as u64).min(MAX_NAP_MS)).await;
    }
}
