//! Fetch policy for market-data sources, as pure decisions the browser fetch
//! layer calls: which outcomes are retried, how long to back off (jittered
//! exponential), what a `Retry-After` header means, per-source rate limits and
//! in-flight bounds, and the final per-symbol [`Failure`] reason. No I/O, no
//! clock and no randomness of its own: time and random bits are passed in, so
//! every rule is tested natively. Must not import any browser crate.
//!
//! The web layer's loop for one request is:
//! 1. wait for [`InFlight::try_start`] and [`RateLimiter::try_acquire`] of the
//!    symbol's source (both per source, from its [`SourcePolicy`]);
//! 2. fetch with an abort after [`RetryPolicy::timeout_ms`];
//! 3. feed the [`Outcome`] to [`RetryPolicy::decide`]; on [`Step::Retry`] with
//!    `pause_source`, call [`RateLimiter::pause_until`] so the whole source
//!    waits (a 429 is about the client, not about one URL); on
//!    [`Step::Fail`] the symbol becomes an error row and nothing is cached.

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDateTime};

use crate::data::formats::FormatError;

/// The longest wait a `Retry-After` header can impose (10 minutes). A larger
/// value (or a date far ahead) is clamped to this, so a bad header cannot stall
/// a scan for hours; [`RetryPolicy::max_wait_ms`] then decides whether to wait
/// at all.
pub const MAX_RETRY_AFTER_MS: u64 = 10 * 60 * 1000;

/// What one attempt at fetching a symbol came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status (2xx includes a body that parsed).
    /// `retry_after_ms` is the parsed `Retry-After` header, if any (see
    /// [`parse_retry_after`]).
    Http {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// No complete response within [`RetryPolicy::timeout_ms`] (aborted).
    Timeout,
    /// The request failed below HTTP: DNS, connection refused or reset, CORS
    /// rejection, a body cut off mid-stream.
    Network(String),
    /// A 2xx response whose body could not be read as bars.
    Parse {
        line: Option<usize>,
        message: String,
    },
}

impl Outcome {
    /// An HTTP status without a `Retry-After` header.
    pub fn status(status: u16) -> Outcome {
        Outcome::Http {
            status,
            retry_after_ms: None,
        }
    }
}

/// How an [`Outcome`] is treated, before counting attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A 2xx response: use it.
    Accept,
    /// Transient (5xx, 408, timeout, network error): back off and try again.
    Retry,
    /// 429 Too Many Requests: the whole source waits `wait_ms` (the server's
    /// `Retry-After`; `None` when absent, then the backoff delay is used).
    RetryAfter { wait_ms: Option<u64> },
    /// Permanent (other 4xx, 3xx, parse error): retrying gives the same answer.
    GiveUp,
}

/// Classifies one outcome. 5xx are all retried (a gateway or an overloaded
/// origin usually recovers; the attempt cap bounds the cost of the permanent
/// ones such as 501). 408 Request Timeout is a timeout. A parse error is not
/// retried: a static file or an API that returned malformed data once returns
/// it again, and a truncated body is seen as a network error by the web layer
/// when the stream itself failed.
pub fn classify(outcome: &Outcome) -> Decision {
    match outcome {
        Outcome::Http {
            status,
            retry_after_ms,
        } => match status {
            200..=299 => Decision::Accept,
            429 => Decision::RetryAfter {
                wait_ms: *retry_after_ms,
            },
            408 | 500..=599 => Decision::Retry,
            _ => Decision::GiveUp,
        },
        Outcome::Timeout | Outcome::Network(_) => Decision::Retry,
        Outcome::Parse { .. } => Decision::GiveUp,
    }
}

/// Why a symbol could not be fetched, for its error row. Messages never hold
/// a URL (a keyed source's URL carries the key); the fetch layer passes
/// network messages through [`redact`] before building [`Failure::Network`].
/// The loader (`data::loader`) turns a failure into the symbol's error row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    #[error("HTTP {0}{reason}", reason = reason_phrase(*.0).map(|r| format!(" {r}")).unwrap_or_default())]
    HttpStatus(u16),
    #[error("timed out (no response in time)")]
    Timeout,
    #[error("network error: {0}")]
    Network(String),
    #[error("parse error{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Parse {
        line: Option<usize>,
        message: String,
    },
    #[error("rate limited by the server{}", retry_after_ms.map(|ms| format!(" (retry after {})", seconds(ms))).unwrap_or_default())]
    RateLimited { retry_after_ms: Option<u64> },
    /// The request could not be built or was refused before it was sent (a
    /// bad template or base, no key, a `next_url` to another host).
    #[error("{0}")]
    Request(FormatError),
}

impl Failure {
    /// A short machine-readable kind, for filtering error rows and counting.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::HttpStatus(_) => "http-status",
            Failure::Timeout => "timeout",
            Failure::Network(_) => "network",
            Failure::Parse { .. } => "parse",
            Failure::RateLimited { .. } => "rate-limited",
            Failure::Request(_) => "request",
        }
    }

    /// The failure an outcome stands for, if it is not a success.
    pub fn from_outcome(outcome: Outcome) -> Option<Failure> {
        match outcome {
            Outcome::Http {
                status: 429,
                retry_after_ms,
            } => Some(Failure::RateLimited { retry_after_ms }),
            Outcome::Http { status, .. } if (200..=299).contains(&status) => None,
            Outcome::Http { status, .. } => Some(Failure::HttpStatus(status)),
            Outcome::Timeout => Some(Failure::Timeout),
            Outcome::Network(message) => Some(Failure::Network(message)),
            Outcome::Parse { line, message } => Some(Failure::Parse { line, message }),
        }
    }
}

/// Replaces every occurrence of each non-empty secret (an API key) in `text`
/// with `•••`, so no key reaches an error row, a log or an export.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, "•••");
    }
    out
}

fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        410 => "Gone",
        418 => "I'm a teapot",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// Parses a `Retry-After` header value into a wait in milliseconds, clamped to
/// [`MAX_RETRY_AFTER_MS`]. Accepts delta-seconds (`"120"`) and an HTTP-date
/// (IMF-fixdate `"Sun, 06 Nov 1994 08:49:37 GMT"`, plus the obsolete RFC 850
/// and asctime forms RFC 9110 §5.6.7 says recipients must accept); a date in
/// the past means no wait (`Some(0)`). `now_ms` is the Unix epoch in ms.
/// Anything else (negative, fractional, empty, garbage) is `None`.
pub fn parse_retry_after(header: &str, now_ms: i64) -> Option<u64> {
    let value = header.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only overflow can fail, and a huge delay is just "long".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS));
    }
    let at_ms = parse_http_date(value)?;
    let wait = at_ms.saturating_sub(now_ms).max(0) as u64;
    Some(wait.min(MAX_RETRY_AFTER_MS))
}

/// An HTTP-date as Unix epoch ms (always GMT).
fn parse_http_date(value: &str) -> Option<i64> {
    // IMF-fixdate, RFC 850, asctime (chrono's `%e` takes the space-padded day).
    const FORMATS: [&str; 3] = [
        "%a, %d %b %Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    ];
    if let Some(t) = FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
    {
        return Some(t.and_utc().timestamp_millis());
    }
    // Lenient fallback: RFC 2822 dates with a numeric zone ("+0000").
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Retries and backoff for one source.
///
/// Backoff is **equal jitter**: before retry `n` (1-based) the wait is
/// `e/2 + uniform[0, e/2]` with `e = min(max_delay_ms, base_delay_ms · 2^(n-1))`.
/// Chosen over full jitter (`uniform[0, e]`) because our contention is small
/// (one browser, a few requests in flight per source): the case full jitter
/// wins (thousands of clients) does not arise, while its near-zero draws would
/// re-hit a server that has just answered 503 at once. Equal jitter keeps a
/// guaranteed, growing minimum wait and still spreads the retries of requests
/// that failed together over half the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// The exponential window before the first retry.
    pub base_delay_ms: u64,
    /// The window never grows past this.
    pub max_delay_ms: u64,
    /// One attempt is aborted after this long.
    pub timeout_ms: u64,
    /// A 429 asking to wait longer than this fails the symbol as rate limited
    /// instead of stalling the scan.
    pub max_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 500,
            max_delay_ms: 15_000,
            timeout_ms: 15_000,
            max_wait_ms: 65_000,
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Use the response.
    Accept,
    /// Try again after `wait_ms`. With `pause_source`, the whole source waits
    /// (pass `now + wait_ms` to [`RateLimiter::pause_until`]).
    Retry { wait_ms: u64, pause_source: bool },
    /// Stop: the symbol becomes an error row with this reason.
    Fail(Failure),
}

impl RetryPolicy {
    /// The backoff before retry number `attempt` (1 = the first retry), from
    /// 64 random bits `rng_u64` (see the type's doc for the formula). Never
    /// above `max_delay_ms`; `attempt` 0 is treated as 1.
    pub fn delay_ms(&self, attempt: u32, rng_u64: u64) -> u64 {
        let doublings = attempt.saturating_sub(1).min(63);
        let window = self
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_ms);
        let half = window / 2;
        let span = window - half; // the jitter range [0, span], odd windows included
                                  // Multiply-shift maps 64 random bits onto [0, span] without modulo bias
                                  // worth the name and using the high bits (the better ones of most PRNGs).
        let jitter = ((rng_u64 as u128 * (span as u128 + 1)) >> 64) as u64;
        half + jitter
    }

    /// Decides after attempt number `attempts_made` (1 after the first try)
    /// came to `outcome`. `rng_u64` feeds the backoff jitter.
    pub fn decide(&self, attempts_made: u32, outcome: Outcome, rng_u64: u64) -> Step {
        let out_of_attempts = attempts_made >= self.max_attempts;
        match classify(&outcome) {
            Decision::Accept => Step::Accept,
            Decision::GiveUp => Step::Fail(failure_of(outcome)),
            Decision::Retry if out_of_attempts => Step::Fail(failure_of(outcome)),
            Decision::Retry => Step::Retry {
                wait_ms: self.delay_ms(attempts_made, rng_u64),
                pause_source: false,
            },
            Decision::RetryAfter { wait_ms } => {
                let too_long = wait_ms.is_some_and(|w| w > self.max_wait_ms);
                if out_of_attempts || too_long {
                    Step::Fail(Failure::RateLimited {
                        retry_after_ms: wait_ms,
                    })
                } else {
                    Step::Retry {
                        wait_ms: wait_ms.unwrap_or_else(|| self.delay_ms(attempts_made, rng_u64)),
                        pause_source: true,
                    }
                }
            }
        }
    }
}

fn failure_of(outcome: Outcome) -> Failure {
    // Only called for non-2xx outcomes, so the fallback never shows.
    Failure::from_outcome(outcome).unwrap_or(Failure::HttpStatus(200))
}

/// A per-source limit of requests per window (a minute for the sources'
/// documented limits), as a **sliding window log**: a request is granted when
/// fewer than `limit` grants fall in the last `window_ms`. Unlike a token
/// bucket (which allows a full bucket plus the refill within one window), no
/// window of `window_ms` ever holds more than `limit` requests, which is how
/// Polygon's and Twelve Data's per-minute quotas are counted. A grant at `t`
/// stops counting at exactly `t + window_ms`. Memory: one `u64` per grant in
/// the window.
///
/// A server-imposed pause ([`RateLimiter::pause_until`], from a 429's
/// `Retry-After`) blocks every request of the source until it ends.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// `None`: no limit (local or static files).
    limit: Option<u32>,
    window_ms: u64,
    grants: VecDeque<u64>,
    paused_until: u64,
}

impl RateLimiter {
    /// At most `limit` requests in any `window_ms` (a `limit` of 0 is taken as 1
    /// so the source is slowed, never blocked for good).
    pub fn new(limit: u32, window_ms: u64) -> RateLimiter {
        RateLimiter {
            limit: Some(limit.max(1)),
            window_ms: window_ms.max(1),
            grants: VecDeque::new(),
            paused_until: 0,
        }
    }

    /// At most `n` requests per minute.
    pub fn per_minute(n: u32) -> RateLimiter {
        RateLimiter::new(n, 60_000)
    }

    /// No rate limit (server pauses still apply).
    pub fn unlimited() -> RateLimiter {
        RateLimiter {
            limit: None,
            window_ms: 60_000,
            grants: VecDeque::new(),
            paused_until: 0,
        }
    }

    /// From a source's `per_minute` setting.
    pub fn from_policy(policy: &SourcePolicy) -> RateLimiter {
        match policy.per_minute {
            Some(n) => RateLimiter::per_minute(n),
            None => RateLimiter::unlimited(),
        }
    }

    /// The earliest time (≥ `now_ms`) a request could be granted.
    pub fn next_slot(&self, now_ms: u64) -> u64 {
        let mut at = now_ms.max(self.paused_until);
        if let Some(limit) = self.limit {
            let in_window = self.grants.len();
            if in_window >= limit as usize {
                // The grant that must expire before a new one fits.
                let blocking = self.grants[in_window - limit as usize];
                // Grants not yet expired at `at` still count.
                at = at.max(blocking.saturating_add(self.window_ms));
            }
        }
        at
    }

    /// Grants a request at `now_ms`, or says how many ms until one could be.
    pub fn try_acquire(&mut self, now_ms: u64) -> Result<(), u64> {
        self.expire(now_ms);
        let slot = self.next_slot(now_ms);
        if slot > now_ms {
            return Err(slot - now_ms);
        }
        if self.limit.is_some() {
            self.grants.push_back(now_ms);
        }
        Ok(())
    }

    /// The server asked the source to wait: nothing is granted before
    /// `until_ms` (a later pause extends, an earlier one never shortens).
    pub fn pause_until(&mut self, until_ms: u64) {
        self.paused_until = self.paused_until.max(until_ms);
    }

    /// Whether a server pause is in force at `now_ms`.
    pub fn is_paused(&self, now_ms: u64) -> bool {
        now_ms < self.paused_until
    }

    fn expire(&mut self, now_ms: u64) {
        while let Some(&t) = self.grants.front() {
            if t.saturating_add(self.window_ms) <= now_ms {
                self.grants.pop_front();
            } else {
                break;
            }
        }
    }
}

/// Requests in flight for one source, bounded. The web layer calls
/// [`InFlight::try_start`] before a fetch and [`InFlight::finish`] when it
/// settles (success, failure or abort), and waits for a finish when full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    limit: usize,
    running: usize,
}

impl InFlight {
    /// At most `limit` at once (0 is taken as 1).
    pub fn new(limit: usize) -> InFlight {
        InFlight {
            limit: limit.max(1),
            running: 0,
        }
    }

    /// Takes a slot if one is free.
    pub fn try_start(&mut self) -> bool {
        if self.running < self.limit {
            self.running += 1;
            true
        } else {
            false
        }
    }

    /// Gives a slot back (an extra finish is ignored).
    pub fn finish(&mut self) {
        self.running = self.running.saturating_sub(1);
    }

    pub fn running(&self) -> usize {
        self.running
    }
}

/// Everything the fetch layer needs to know about one source's limits. The
/// user may override `per_minute` (a paid plan has higher limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePolicy {
    /// Requests in flight at once.
    pub max_in_flight: usize,
    /// Requests per minute; `None` for no limit.
    pub per_minute: Option<u32>,
    pub retry: RetryPolicy,
}

impl SourcePolicy {
    /// `max_in_flight` requests at once, at most `per_minute` a minute, the
    /// default retries.
    pub fn new(max_in_flight: usize, per_minute: Option<u32>) -> SourcePolicy {
        SourcePolicy {
            max_in_flight,
            per_minute,
            retry: RetryPolicy::default(),
        }
    }

    /// With a user-set per-minute limit (`None`: no limit).
    pub fn with_per_minute(self, per_minute: Option<u32>) -> SourcePolicy {
        SourcePolicy { per_minute, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_is_accepted_on_any_attempt() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(1, Outcome::status(200), 0), Step::Accept);
        assert_eq!(p.decide(9, Outcome::status(204), 0), Step::Accept);
    }

    #[test]
    fn a_server_error_fails_with_its_status_once_attempts_run_out() {
        let p = RetryPolicy::default();
        let last = p.max_attempts;
        assert!(matches!(
            p.decide(last - 1, Outcome::status(503), 0),
            Step::Retry {
                pause_source: false,
                ..
            }
        ));
        assert_eq!(
            p.decide(last, Outcome::status(503), 0),
            Step::Fail(Failure::HttpStatus(503))
        );
    }

    #[test]
    fn a_429_pauses_the_source_for_retry_after() {
        let p = RetryPolicy::default();
        let o = Outcome::Http {
            status: 429,
            retry_after_ms: Some(7_000),
        };
        assert_eq!(
            p.decide(1, o, 0),
            Step::Retry {
                wait_ms: 7_000,
                pause_source: true
            }
        );
    }

    #[test]
    fn a_429_asking_too_long_fails_as_rate_limited() {
        let p = RetryPolicy::default();
        let o = Outcome::Http {
            status: 429,
            retry_after_ms: Some(p.max_wait_ms + 1),
        };
        assert_eq!(
            p.decide(1, o, 0),
            Step::Fail(Failure::RateLimited {
                retry_after_ms: Some(p.max_wait_ms + 1)
            })
        );
    }

    #[test]
    fn messages_read_well_in_an_error_row() {
        assert_eq!(
            Failure::HttpStatus(503).to_string(),
            "HTTP 503 Service Unavailable"
        );
        assert_eq!(Failure::HttpStatus(599).to_string(), "HTTP 599");
        assert_eq!(
            Failure::Parse {
                line: Some(3),
                message: "bad close".into()
            }
            .to_string(),
            "parse error at line 3: bad close"
        );
        assert_eq!(
            Failure::RateLimited {
                retry_after_ms: Some(30_000)
            }
            .to_string(),
            "rate limited by the server (retry after 30 s)"
        );
        assert_eq!(
            Failure::Network("connection refused".into()).to_string(),
            "network error: connection refused"
        );
    }

    #[test]
    fn redact_hides_every_key_and_ignores_empty_ones() {
        let s = redact("GET /x?apiKey=SECRET1&b=SECRET1 k2", &["SECRET1", "", "k2"]);
        assert_eq!(s, "GET /x?apiKey=•••&b=••• •••");
    }

    #[test]
    fn equal_jitter_stays_in_the_upper_half_of_the_window() {
        let p = RetryPolicy {
            base_delay_ms: 100,
            max_delay_ms: 10_000,
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay_ms(1, 0), 50);
        assert_eq!(p.delay_ms(1, u64::MAX), 100);
        assert_eq!(p.delay_ms(3, u64::MAX), 400);
        assert_eq!(p.delay_ms(40, u64::MAX), 10_000);
        assert_eq!(p.delay_ms(u32::MAX, 0), 5_000);
    }
}
