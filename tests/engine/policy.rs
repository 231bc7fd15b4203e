//! Fetch and cache policy with injected clocks and seeded randomness:
//! classification, backoff, Retry-After, rate limits, source defaults,
//! freshness, tail merge and LRU eviction.

use chrono::NaiveDate;
use rand::{Rng, RngCore, SeedableRng};
use rand_pcg::Pcg64;

use technic::data::cache_policy::{
    append_tail, day_of, Calendar, Freshness, FreshnessRule, Lru, LruEntry, TailError, DAY_MS,
};
use technic::data::fetch_policy::{
    classify, parse_retry_after, Decision, Failure, InFlight, Outcome, RateLimiter, RetryPolicy,
    Step, MAX_RETRY_AFTER_MS,
};
use technic::data::loader::SourceId;
use technic::engine::bars::{Bars, Columns};
use technic::engine::run::SymbolError;

const MIN: u64 = 60_000;
const HOUR: i64 = 3_600_000;

/// 00:00 UTC of a date, in epoch ms.
fn date(y: i32, m: u32, d: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d)
        .expect("valid test date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
}

// ---------------------------------------------------------------- classify

#[test]
fn outcomes_are_classified_by_the_table() {
    let table = [
        (Outcome::status(200), Decision::Accept),
        (Outcome::status(206), Decision::Accept),
        (Outcome::status(500), Decision::Retry),
        (Outcome::status(502), Decision::Retry),
        (Outcome::status(503), Decision::Retry),
        (Outcome::status(504), Decision::Retry),
        (Outcome::status(408), Decision::Retry),
        (Outcome::Timeout, Decision::Retry),
        (Outcome::Network("reset".into()), Decision::Retry),
        (
            Outcome::Http {
                status: 429,
                retry_after_ms: Some(3_000),
            },
            Decision::RetryAfter {
                wait_ms: Some(3_000),
            },
        ),
        (Outcome::status(429), Decision::RetryAfter { wait_ms: None }),
        (Outcome::status(400), Decision::GiveUp),
        (Outcome::status(401), Decision::GiveUp),
        (Outcome::status(403), Decision::GiveUp),
        (Outcome::status(404), Decision::GiveUp),
        (Outcome::status(301), Decision::GiveUp),
        (
            Outcome::Parse {
                line: Some(4),
                message: "bad row".into(),
            },
            Decision::GiveUp,
        ),
    ];
    for (outcome, want) in table {
        assert_eq!(classify(&outcome), want, "{outcome:?}");
    }
}

#[test]
fn permanent_failures_stop_at_the_first_attempt_with_their_reason() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.decide(1, Outcome::status(404), 7),
        Step::Fail(Failure::HttpStatus(404))
    );
    let parse = Outcome::Parse {
        line: Some(12),
        message: "close is not a number".into(),
    };
    let step = p.decide(1, parse, 7);
    assert_eq!(
        step,
        Step::Fail(Failure::Parse {
            line: Some(12),
            message: "close is not a number".into()
        })
    );
}

#[test]
fn transient_failures_are_retried_until_attempts_run_out() {
    let p = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let cases = [
        (Outcome::Timeout, Failure::Timeout),
        (
            Outcome::Network("connection refused".into()),
            Failure::Network("connection refused".into()),
        ),
        (Outcome::status(500), Failure::HttpStatus(500)),
        (
            Outcome::status(429),
            Failure::RateLimited {
                retry_after_ms: None,
            },
        ),
    ];
    for (outcome, failure) in cases {
        for attempt in 1..3 {
            assert!(
                matches!(p.decide(attempt, outcome.clone(), 1), Step::Retry { .. }),
                "{outcome:?} attempt {attempt}"
            );
        }
        assert_eq!(p.decide(3, outcome, 1), Step::Fail(failure));
    }
}

#[test]
fn a_429_without_retry_after_backs_off_and_still_pauses_the_source() {
    let p = RetryPolicy::default();
    let draw = u64::MAX / 3;
    assert_eq!(
        p.decide(2, Outcome::status(429), draw),
        Step::Retry {
            wait_ms: p.delay_ms(2, draw),
            pause_source: true
        }
    );
    // Other retries do not pause the source.
    assert_eq!(
        p.decide(2, Outcome::status(503), draw),
        Step::Retry {
            wait_ms: p.delay_ms(2, draw),
            pause_source: false
        }
    );
}

#[test]
fn failures_become_error_rows_of_the_right_kind() {
    use technic::data::loader::FetchError;
    let row = |f: Failure| SymbolError::from(FetchError::Failed(f));
    let rows: Vec<SymbolError> = vec![
        row(Failure::HttpStatus(500)),
        row(Failure::Timeout),
        row(Failure::RateLimited {
            retry_after_ms: Some(2_500),
        }),
        SymbolError::from(FetchError::Stopped),
    ];
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind()).collect();
    assert_eq!(
        kinds,
        ["fetch-failed", "fetch-failed", "rate-limited", "stopped"]
    );
    assert_eq!(
        rows[0].to_string(),
        "fetch failed: HTTP 500 Internal Server Error"
    );
    assert_eq!(rows[0], SymbolError::FetchFailed(Failure::HttpStatus(500)));
    assert_eq!(
        rows[1].to_string(),
        "fetch failed: timed out (no response in time)"
    );
    assert_eq!(
        rows[2],
        SymbolError::RateLimited {
            retry_after_secs: Some(2.5)
        }
    );
    assert_eq!(
        Failure::RateLimited {
            retry_after_ms: Some(2_500)
        }
        .to_string(),
        "rate limited by the server (retry after 2.5 s)"
    );
}

// ---------------------------------------------------------------- backoff

#[test]
fn backoff_stays_within_its_window_and_the_window_doubles_up_to_the_cap() {
    let p = RetryPolicy {
        base_delay_ms: 250,
        max_delay_ms: 20_000,
        ..RetryPolicy::default()
    };
    let mut rng = Pcg64::seed_from_u64(42);
    let mut prev_window = 0;
    for attempt in 1..=20u32 {
        let window = (250u64 << (attempt - 1).min(40)).min(20_000);
        assert!(window >= prev_window);
        prev_window = window;
        let (mut lo, mut hi) = (u64::MAX, 0);
        for _ in 0..2_000 {
            let d = p.delay_ms(attempt, rng.next_u64());
            assert!(d >= window / 2 && d <= window, "attempt {attempt}: {d}");
            assert!(d <= p.max_delay_ms);
            lo = lo.min(d);
            hi = hi.max(d);
        }
        // The draws reach both ends of the window (within 1%).
        assert!(lo <= window / 2 + window / 100, "attempt {attempt} lo {lo}");
        assert!(hi >= window - window / 100, "attempt {attempt} hi {hi}");
    }
    // The guaranteed minimum grows: retry 3 always waits longer than retry 1 can.
    assert!(p.delay_ms(3, 0) >= p.delay_ms(1, u64::MAX));
}

#[test]
fn jitter_spreads_evenly_over_the_upper_half_of_the_window() {
    let p = RetryPolicy {
        base_delay_ms: 1_000,
        max_delay_ms: 60_000,
        ..RetryPolicy::default()
    };
    let window = 8_000u64; // attempt 4
    let n = 20_000;
    let mut buckets = [0usize; 10];
    let mut sum = 0u64;
    let mut rng = Pcg64::seed_from_u64(7);
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..n {
        let d = p.delay_ms(4, rng.next_u64());
        sum += d;
        distinct.insert(d);
        let b = (((d - window / 2) * 10) / (window / 2 + 1)) as usize;
        buckets[b] += 1;
    }
    let mean = sum as f64 / n as f64;
    assert!(
        (mean / (0.75 * window as f64) - 1.0).abs() < 0.01,
        "mean {mean}"
    );
    for (i, &c) in buckets.iter().enumerate() {
        let share = c as f64 / n as f64;
        assert!((share - 0.1).abs() < 0.015, "bucket {i}: {share}");
    }
    assert!(
        distinct.len() > 3_000,
        "only {} distinct delays",
        distinct.len()
    );
}

#[test]
fn backoff_survives_extreme_settings() {
    let p = RetryPolicy {
        base_delay_ms: u64::MAX / 2,
        max_delay_ms: u64::MAX,
        ..RetryPolicy::default()
    };
    // No overflow (tests build with overflow checks): the window saturates.
    assert_eq!(p.delay_ms(64, u64::MAX), u64::MAX);
    assert_eq!(p.delay_ms(u32::MAX, 0), u64::MAX / 2);
    let zero = RetryPolicy {
        base_delay_ms: 0,
        ..RetryPolicy::default()
    };
    assert_eq!(zero.delay_ms(5, u64::MAX), 0);
}

// ---------------------------------------------------------------- Retry-After

#[test]
fn retry_after_in_delta_seconds_is_read_and_clamped() {
    let now = date(2024, 3, 15);
    assert_eq!(parse_retry_after("120", now), Some(120_000));
    assert_eq!(parse_retry_after("  5 ", now), Some(5_000));
    assert_eq!(parse_retry_after("0", now), Some(0));
    assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER_MS));
    assert_eq!(
        parse_retry_after("99999999999999999999999999", now),
        Some(MAX_RETRY_AFTER_MS)
    );
}

#[test]
fn retry_after_as_an_http_date_is_a_wait_from_now() {
    // RFC 9110's example date: Sun, 06 Nov 1994 08:49:37 GMT.
    let at = date(1994, 11, 6) + (8 * 3600 + 49 * 60 + 37) * 1000;
    let now = at - 30_000;
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
        Some(30_000)
    );
    // The obsolete forms recipients must still accept.
    assert_eq!(
        parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
        Some(30_000)
    );
    assert_eq!(
        parse_retry_after("Sun Nov  6 08:49:37 1994", now),
        Some(30_000)
    );
    // In the past: no wait. Far ahead: clamped.
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 5_000),
        Some(0)
    );
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 24 * HOUR),
        Some(MAX_RETRY_AFTER_MS)
    );
}

#[test]
fn garbage_retry_after_is_none() {
    let now = date(1994, 11, 6);
    for bad in [
        "",
        "   ",
        "-5",
        "1.5",
        "120s",
        "soon",
        "+30",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "06 Nov 1994",
    ] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
    }
}

// ---------------------------------------------------------------- rate limiter

#[test]
fn a_rate_limiter_grants_exactly_n_per_minute_and_says_how_long_to_wait() {
    let mut rl = RateLimiter::per_minute(5);
    for i in 0..5 {
        assert_eq!(rl.try_acquire(i * 1_000), Ok(()), "request {i}");
    }
    // The sixth waits for the first grant (t = 0) to leave the window.
    assert_eq!(rl.try_acquire(5_000), Err(55_000));
    assert_eq!(rl.next_slot(5_000), 60_000);
    assert_eq!(rl.try_acquire(59_999), Err(1));
    assert_eq!(rl.try_acquire(60_000), Ok(()));
    // The next one waits for the grant at t = 1000.
    assert_eq!(rl.try_acquire(60_000), Err(1_000));
    assert_eq!(rl.try_acquire(61_000), Ok(()));
}

#[test]
fn a_greedy_client_following_the_waits_gets_n_in_every_minute() {
    for (n, seed) in [(5u32, 1u64), (8, 2), (600, 3)] {
        let mut rl = RateLimiter::per_minute(n);
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut now = 0u64;
        let mut granted = Vec::new();
        while now < 10 * MIN {
            match rl.try_acquire(now) {
                Ok(()) => {
                    granted.push(now);
                    // Sometimes the next request comes a little later.
                    now += rng.random_range(0..3) * 10;
                }
                Err(wait) => {
                    assert!(wait > 0);
                    // Waiting exactly as told always succeeds.
                    now += wait;
                    assert_eq!(rl.try_acquire(now), Ok(()), "after waiting {wait}");
                    granted.push(now);
                }
            }
        }
        // No window of one minute holds more than n grants ...
        for (i, &t) in granted.iter().enumerate() {
            let in_window = granted[i..].iter().take_while(|&&u| u < t + MIN).count();
            assert!(in_window <= n as usize, "{n}/min: {in_window} from {t}");
        }
        // ... and a client that never stops gets the full n per minute.
        let first_ten = granted.iter().filter(|&&t| t < 10 * MIN).count();
        assert_eq!(first_ten, 10 * n as usize, "{n}/min");
    }
}

#[test]
fn a_429_pause_blocks_the_whole_source_until_it_ends() {
    let p = RetryPolicy::default();
    let mut source = RateLimiter::per_minute(100);
    let now = 10_000;
    assert_eq!(source.try_acquire(now), Ok(()));
    // One symbol's request got a 429 with Retry-After: 30.
    let outcome = Outcome::Http {
        status: 429,
        retry_after_ms: parse_retry_after("30", 0),
    };
    let Step::Retry {
        wait_ms,
        pause_source: true,
    } = p.decide(1, outcome, 0)
    else {
        panic!("a 429 must pause the source");
    };
    source.pause_until(now + wait_ms);
    // Every other symbol of that source now waits too.
    assert!(source.is_paused(now + 1));
    assert_eq!(source.try_acquire(now + 1), Err(29_999));
    assert_eq!(source.try_acquire(now + 20_000), Err(10_000));
    // A shorter pause does not cut the longer one short.
    source.pause_until(now + 5_000);
    assert_eq!(source.next_slot(now + 6_000), now + 30_000);
    assert_eq!(source.try_acquire(now + 30_000), Ok(()));
    assert!(!source.is_paused(now + 30_000));
}

#[test]
fn a_pause_and_a_full_window_combine_to_the_later_slot() {
    let mut rl = RateLimiter::per_minute(2);
    assert_eq!(rl.try_acquire(0), Ok(()));
    assert_eq!(rl.try_acquire(0), Ok(()));
    rl.pause_until(10_000);
    assert_eq!(rl.try_acquire(5_000), Err(55_000));
    rl.pause_until(90_000);
    assert_eq!(rl.try_acquire(70_000), Err(20_000));
}

#[test]
fn an_unlimited_source_grants_everything_but_still_honours_a_pause() {
    let mut rl = RateLimiter::from_policy(&SourceId::Url.policy());
    for _ in 0..10_000 {
        assert_eq!(rl.try_acquire(0), Ok(()));
    }
    rl.pause_until(2_000);
    assert_eq!(rl.try_acquire(1_500), Err(500));
    assert_eq!(rl.try_acquire(2_000), Ok(()));
}

#[test]
fn in_flight_requests_are_bounded_per_source() {
    let policy = SourceId::Polygon.policy();
    let mut slots = InFlight::new(policy.max_in_flight);
    for _ in 0..policy.max_in_flight {
        assert!(slots.try_start());
    }
    assert!(!slots.try_start());
    slots.finish();
    assert!(slots.try_start());
    for _ in 0..10 {
        slots.finish();
    }
    assert_eq!(slots.running(), 0);
}

#[test]
fn source_defaults_respect_each_free_tier() {
    let per_min = |s: SourceId| s.policy().per_minute;
    assert_eq!(per_min(SourceId::Polygon), Some(5));
    assert_eq!(per_min(SourceId::TwelveData), Some(8));
    assert!(per_min(SourceId::Binance).is_some());
    assert!(per_min(SourceId::Coinbase).is_some());
    assert_eq!(per_min(SourceId::Url), None);
    assert_eq!(per_min(SourceId::Sample), None);
    for source in SourceId::ALL {
        let p = source.policy();
        assert!(
            p.max_in_flight >= 1 && p.retry.max_attempts >= 1,
            "{source:?}"
        );
        assert!(p.retry.max_delay_ms >= p.retry.base_delay_ms, "{source:?}");
        assert_eq!(SourceId::parse(&source.value()), Some(source));
    }
    assert_eq!(SourceId::Sample.policy().retry.max_attempts, 2);
    let paid = SourceId::Polygon.policy().with_per_minute(Some(100));
    assert_eq!(paid.per_minute, Some(100));
}

#[test]
fn the_forms_rate_and_timeout_override_the_sources_policy() {
    use technic::data::loader::SourceConfig;
    let default = SourceId::Url.policy_with(&SourceConfig::default());
    assert_eq!(default, SourceId::Url.policy());
    assert_eq!(default.retry.timeout_ms, 15_000);
    let mine = SourceConfig {
        per_minute: Some(30),
        timeout_s: Some(3),
        ..SourceConfig::default()
    };
    let p = SourceId::Url.policy_with(&mine);
    assert_eq!(p.per_minute, Some(30));
    assert_eq!(p.retry.timeout_ms, 3_000);
    // The rest of the retry policy is the source's own.
    assert_eq!(
        p.retry.max_attempts,
        SourceId::Url.policy().retry.max_attempts
    );
    let zero = SourceConfig {
        timeout_s: Some(0),
        ..SourceConfig::default()
    };
    assert_eq!(SourceId::Url.policy_with(&zero).retry.timeout_ms, 15_000);
}

// ---------------------------------------------------------------- freshness

#[test]
fn crypto_open_session_is_refreshed_after_its_age_and_once_closed() {
    let rule = FreshnessRule {
        calendar: Calendar::Crypto,
        open_session_max_age_ms: 15 * 60_000,
    };
    let today = date(2024, 3, 15);
    let saved = today + 10 * HOUR;
    let open_tail = Freshness::NeedsTail { from_ms: today };
    assert_eq!(
        rule.decide(today, saved, saved + 10 * 60_000),
        Freshness::Fresh
    );
    assert_eq!(rule.decide(today, saved, saved + 15 * 60_000), open_tail);
    // Closed since the save: the partial bar is refetched however young.
    let rule_slow = FreshnessRule {
        open_session_max_age_ms: 100 * HOUR,
        ..rule
    };
    assert_eq!(rule_slow.decide(today, saved, today + DAY_MS), open_tail);
    assert_eq!(
        rule_slow.decide(today, saved, today + DAY_MS - 1),
        Freshness::Fresh
    );
}

#[test]
fn a_closed_bar_is_never_refetched() {
    let rule = FreshnessRule::new(Calendar::Crypto);
    let day = date(2024, 3, 14);
    // Saved after the day closed; still the same next day, fresh within the age.
    let saved = day + DAY_MS + 60_000;
    assert_eq!(rule.decide(day, saved, saved + 60_000), Freshness::Fresh);
    // Later, only what comes after it is asked for.
    assert_eq!(
        rule.decide(day, saved, saved + HOUR),
        Freshness::NeedsTail {
            from_ms: day + DAY_MS
        }
    );
    assert_eq!(
        rule.decide(day, saved, day + 5 * DAY_MS),
        Freshness::NeedsTail {
            from_ms: day + DAY_MS
        }
    );
}

#[test]
fn stocks_rest_over_the_weekend_and_crypto_does_not() {
    let fri = date(2024, 3, 15);
    let sat = fri + DAY_MS;
    let saved = sat + 10 * HOUR;
    let sun_evening = sat + DAY_MS + 20 * HOUR;
    let stocks = FreshnessRule::new(Calendar::Weekdays);
    let crypto = FreshnessRule::new(Calendar::Crypto);
    assert_eq!(stocks.decide(fri, saved, sun_evening), Freshness::Fresh);
    assert_eq!(
        crypto.decide(fri, saved, sun_evening),
        Freshness::NeedsTail { from_ms: sat }
    );
    // Monday's session: open and the entry is old → tail from Saturday on.
    let mon_afternoon = fri + 3 * DAY_MS + 15 * HOUR;
    assert_eq!(
        stocks.decide(fri, saved, mon_afternoon),
        Freshness::NeedsTail { from_ms: sat }
    );
    // Tuesday early: Monday closed after the save.
    let stocks_slow = FreshnessRule {
        open_session_max_age_ms: 1_000 * HOUR,
        ..stocks
    };
    assert_eq!(
        stocks_slow.decide(fri, saved, fri + 4 * DAY_MS + HOUR),
        Freshness::NeedsTail { from_ms: sat }
    );
    assert_eq!(
        stocks_slow.decide(fri, saved, mon_afternoon),
        Freshness::Fresh
    );
}

#[test]
fn a_holiday_missing_from_a_later_save_costs_no_refetch() {
    // Friday bar; Monday was a holiday; saved Tuesday morning (the provider had
    // no Monday bar and no Tuesday bar yet).
    let fri = date(2024, 5, 24);
    let tue = fri + 4 * DAY_MS;
    let saved = tue + 9 * HOUR;
    let stocks = FreshnessRule::new(Calendar::Weekdays);
    assert_eq!(stocks.decide(fri, saved, saved + 60_000), Freshness::Fresh);
    // Tuesday's own session is still refreshed after the age.
    assert_eq!(
        stocks.decide(fri, saved, saved + HOUR),
        Freshness::NeedsTail {
            from_ms: fri + DAY_MS
        }
    );
}

#[test]
fn the_open_session_age_is_configurable() {
    let today = date(2024, 3, 13); // a Wednesday
    let saved = today + 14 * HOUR;
    let now = saved + 60_000;
    for calendar in [Calendar::Crypto, Calendar::Weekdays] {
        let eager = FreshnessRule {
            calendar,
            open_session_max_age_ms: 0,
        };
        let lazy = FreshnessRule {
            calendar,
            open_session_max_age_ms: 2 * 60_000,
        };
        let tail = Freshness::NeedsTail { from_ms: today };
        assert_eq!(eager.decide(today, saved, now), tail, "{calendar:?}");
        assert_eq!(
            lazy.decide(today, saved, now),
            Freshness::Fresh,
            "{calendar:?}"
        );
    }
}

#[test]
fn impossible_entries_are_refetched() {
    let rule = FreshnessRule::new(Calendar::Crypto);
    let today = date(2024, 3, 15);
    let now = today + 12 * HOUR;
    // A bar dated tomorrow.
    assert_eq!(
        rule.decide(today + DAY_MS, now - HOUR, now),
        Freshness::Refetch
    );
    // Saved in the future (clock went back).
    assert_eq!(rule.decide(today, now + 1, now), Freshness::Refetch);
    // Saved before its own last bar's day began.
    assert_eq!(rule.decide(today, today - 1, now), Freshness::Refetch);
}

#[test]
fn a_bar_stamped_during_its_day_counts_as_that_day() {
    // Providers stamp daily bars at 00:00 UTC, a US midnight or a close time.
    let rule = FreshnessRule::new(Calendar::Weekdays);
    let wed = date(2024, 3, 13);
    let saved = wed + DAY_MS + 2 * HOUR;
    for stamp in [wed, wed + 4 * HOUR, wed + 21 * HOUR] {
        assert_eq!(day_of(stamp), day_of(wed));
        assert_eq!(
            rule.decide(stamp, saved, saved + 60_000),
            Freshness::Fresh,
            "{stamp}"
        );
    }
}

// ---------------------------------------------------------------- tail merge

/// Daily bars over the given days (UTC day numbers), prices from a seeded walk.
fn bars_on(days: &[i64], seed: u64) -> Bars {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut cols = Columns::default();
    let mut price = 100.0_f64;
    for &d in days {
        let open = price;
        let close = open * (1.0 + rng.random_range(-0.03..0.03));
        let high = open.max(close) * 1.01;
        let low = open.min(close) * 0.99;
        cols.push(d * DAY_MS, open, high, low, close, 1_000.0 + d as f64);
        price = close;
    }
    Bars::new("T", cols).expect("valid generated bars")
}

fn slice(b: &Bars, from: usize, to: usize) -> Bars {
    let mut cols = Columns::default();
    for i in from..to {
        cols.push(
            b.time()[i],
            b.open()[i],
            b.high()[i],
            b.low()[i],
            b.close()[i],
            b.volume()[i],
        );
    }
    Bars::new("T", cols).expect("slice of valid bars")
}

fn trading_days(calendar: Calendar, from_day: i64, n: usize) -> Vec<i64> {
    (from_day..)
        .filter(|&d| calendar.trades_on(d))
        .take(n)
        .collect()
}

#[test]
fn an_exact_continuation_gives_the_bars_fetched_whole() {
    let start = day_of(date(2024, 1, 1));
    for calendar in [Calendar::Crypto, Calendar::Weekdays] {
        let whole = bars_on(&trading_days(calendar, start, 40), 1);
        let merged = append_tail(&slice(&whole, 0, 25), &slice(&whole, 25, 40), calendar)
            .expect("continuation");
        assert_eq!(merged, whole, "{calendar:?}");
    }
}

#[test]
fn an_overlapping_tail_wins_over_the_cached_bars() {
    let start = day_of(date(2024, 1, 1));
    let days = trading_days(Calendar::Crypto, start, 30);
    let whole = bars_on(&days, 2);
    // The cached copy's last five bars are stale (another walk, partial bar).
    let stale = bars_on(&days[..20], 99);
    let mut cols = slice(&whole, 0, 15).into_columns();
    for i in 15..20 {
        cols.push(
            stale.time()[i],
            stale.open()[i],
            stale.high()[i],
            stale.low()[i],
            stale.close()[i],
            stale.volume()[i],
        );
    }
    let cached = Bars::new("T", cols).expect("valid");
    assert_ne!(cached, slice(&whole, 0, 20));
    for overlap_from in [15, 17, 19] {
        let merged = append_tail(&cached, &slice(&whole, overlap_from, 30), Calendar::Crypto);
        if overlap_from == 15 {
            assert_eq!(merged.expect("overlap"), whole);
        } else {
            // Bars before the tail's start stay as cached.
            let merged = merged.expect("overlap");
            assert_eq!(merged.len(), 30);
            assert_eq!(merged.close()[16], cached.close()[16]);
            assert_eq!(
                &merged.close()[overlap_from..],
                &whole.close()[overlap_from..]
            );
        }
    }
    // A tail ending exactly at the cached end refreshes the last bar only.
    let refreshed =
        append_tail(&cached, &slice(&whole, 19, 20), Calendar::Crypto).expect("refresh");
    assert_eq!(refreshed.close()[19], whole.close()[19]);
    assert_eq!(refreshed.close()[18], cached.close()[18]);
}

#[test]
fn a_tail_after_a_gap_is_an_error() {
    let start = day_of(date(2024, 1, 1));
    let whole = bars_on(&trading_days(Calendar::Crypto, start, 30), 3);
    let err = append_tail(
        &slice(&whole, 0, 10),
        &slice(&whole, 12, 30),
        Calendar::Crypto,
    )
    .expect_err("two days missing");
    assert_eq!(
        err,
        TailError::Gap {
            cached_last: technic::data::cache_policy::Day(start + 9),
            tail_first: technic::data::cache_policy::Day(start + 12),
            missing: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "tail leaves a gap: cached bars end 2024-01-10, tail starts 2024-01-13 (2 session(s) missing)"
    );
    // Crypto allows no missing day at all.
    assert!(matches!(
        append_tail(
            &slice(&whole, 0, 10),
            &slice(&whole, 11, 30),
            Calendar::Crypto
        ),
        Err(TailError::Gap { missing: 1, .. })
    ));
}

#[test]
fn stocks_continue_over_a_weekend_and_one_holiday_but_not_two_sessions() {
    let fri = day_of(date(2024, 3, 15));
    let cached = bars_on(&[fri - 2, fri - 1, fri], 4);
    let tail_from = |first: i64| {
        let days = trading_days(Calendar::Weekdays, first, 5);
        bars_on(&days, 5)
    };
    let mon = fri + 3;
    assert!(append_tail(&cached, &tail_from(mon), Calendar::Weekdays).is_ok());
    // Monday a holiday: the tail starts Tuesday.
    assert!(append_tail(&cached, &tail_from(mon + 1), Calendar::Weekdays).is_ok());
    assert!(matches!(
        append_tail(&cached, &tail_from(mon + 2), Calendar::Weekdays),
        Err(TailError::Gap { missing: 2, .. })
    ));
}

#[test]
fn a_tail_ending_before_the_cached_bars_goes_backwards() {
    let start = day_of(date(2024, 1, 1));
    let whole = bars_on(&trading_days(Calendar::Crypto, start, 30), 6);
    let err = append_tail(
        &slice(&whole, 0, 20),
        &slice(&whole, 10, 18),
        Calendar::Crypto,
    )
    .expect_err("backwards");
    assert!(matches!(err, TailError::Backwards { .. }));
    assert_eq!(
        err.to_string(),
        "tail goes backwards: it ends 2024-01-18, before the cached bars end 2024-01-20"
    );
}

#[test]
fn a_top_up_driven_by_freshness_rebuilds_the_whole_series() {
    // Whatever day the entry was saved and whenever we look, fetching from the
    // decided `from_ms` and merging gives what a whole fetch at `now` gives.
    let mut rng = Pcg64::seed_from_u64(11);
    let start = day_of(date(2023, 1, 2));
    for calendar in [Calendar::Crypto, Calendar::Weekdays] {
        let rule = FreshnessRule::new(calendar);
        let (mut fresh_seen, mut merged_seen) = (0, 0);
        let all_days = trading_days(calendar, start, 400);
        let whole_at = |now: i64, seed: u64| {
            let days: Vec<i64> = all_days
                .iter()
                .copied()
                .filter(|&d| d * DAY_MS <= now)
                .collect();
            bars_on(&days, seed)
        };
        for _ in 0..300 {
            let saved = (start + rng.random_range(5..200)) * DAY_MS + rng.random_range(0..DAY_MS);
            let later = if rng.random_bool(0.5) {
                HOUR
            } else {
                20 * DAY_MS
            };
            let now = saved + rng.random_range(0..later);
            let cached = whole_at(saved, 21);
            let fresh = whole_at(now, 21);
            let last = *cached.time().last().expect("non-empty");
            match rule.decide(last, saved, now) {
                Freshness::Fresh => {
                    // Nothing closed since; only the open bar may be newer.
                    assert!(
                        fresh.len() <= cached.len() + 1,
                        "{calendar:?} {saved} {now}"
                    );
                    assert!(
                        now - saved < rule.open_session_max_age_ms || fresh.len() == cached.len()
                    );
                    fresh_seen += 1;
                }
                Freshness::NeedsTail { from_ms } => {
                    let from = fresh.time().partition_point(|&t| t < from_ms);
                    if from == fresh.len() {
                        continue; // nothing new yet (before the session's bar exists)
                    }
                    let tail = slice(&fresh, from, fresh.len());
                    let merged = append_tail(&cached, &tail, calendar).expect("tail merges");
                    assert_eq!(merged, fresh, "{calendar:?} saved {saved} now {now}");
                    merged_seen += 1;
                }
                Freshness::Refetch => panic!("a consistent entry is never refetched"),
            }
        }
        // Both branches were exercised.
        assert!(
            fresh_seen >= 20 && merged_seen >= 100,
            "{calendar:?}: {fresh_seen} fresh, {merged_seen} merged"
        );
    }
}

// ---------------------------------------------------------------- LRU

fn entry(key: &'static str, size: u64, used: i64) -> LruEntry<&'static str> {
    LruEntry {
        key,
        size_bytes: size,
        last_used_ms: used,
    }
}

#[test]
fn lru_evicts_the_least_recently_used_first() {
    let entries = [entry("a", 40, 30), entry("b", 40, 10), entry("c", 40, 20)];
    let lru = Lru { quota_bytes: 120 };
    assert_eq!(lru.evictions(&entries, &"new", 40), Ok(vec!["b"]));
    assert_eq!(lru.evictions(&entries, &"new", 80), Ok(vec!["b", "c"]));
    assert_eq!(
        lru.evictions(&entries, &"new", 120),
        Ok(vec!["b", "c", "a"])
    );
}

#[test]
fn lru_hitting_the_quota_exactly_evicts_nothing() {
    let entries = [entry("a", 50, 1), entry("b", 30, 2)];
    let lru = Lru { quota_bytes: 120 };
    assert_eq!(lru.evictions(&entries, &"new", 40), Ok(vec![]));
    assert_eq!(lru.evictions(&entries, &"new", 41), Ok(vec!["a"]));
}

#[test]
fn lru_never_evicts_the_entry_being_written() {
    // "a" is the oldest, but it is the one being overwritten: its old size
    // does not count, and it is not in the list.
    let entries = [entry("a", 100, 1), entry("b", 10, 2), entry("c", 10, 3)];
    let lru = Lru { quota_bytes: 120 };
    assert_eq!(lru.evictions(&entries, &"a", 100), Ok(vec![]));
    assert_eq!(lru.evictions(&entries, &"a", 110), Ok(vec!["b"]));
}

#[test]
fn lru_ties_keep_the_given_order() {
    let entries = [entry("x", 10, 5), entry("y", 10, 5), entry("z", 10, 5)];
    let lru = Lru { quota_bytes: 30 };
    assert_eq!(lru.evictions(&entries, &"new", 20), Ok(vec!["x", "y"]));
}

#[test]
fn an_entry_larger_than_the_quota_is_refused_with_a_clear_message() {
    let lru = Lru {
        quota_bytes: 10_000_000,
    };
    let err = lru
        .evictions(&[entry("a", 1, 1)], &"big", 12_500_000)
        .expect_err("too large");
    assert_eq!(
        err.to_string(),
        "entry of 12.5 MB is larger than the whole cache quota of 10.0 MB: not cached"
    );
    // Exactly the quota fits, after evicting everything else.
    assert_eq!(
        lru.evictions(&[entry("a", 1, 1)], &"big", 10_000_000),
        Ok(vec!["a"])
    );
}

#[test]
fn lru_evicts_the_fewest_oldest_entries_that_make_room() {
    let mut rng = Pcg64::seed_from_u64(5);
    let keys: Vec<&'static str> = (0..40)
        .map(|i| &*Box::leak(format!("k{i}").into_boxed_str()))
        .collect();
    for _ in 0..500 {
        let n = rng.random_range(0..40);
        let entries: Vec<_> = (0..n)
            .map(|i| {
                entry(
                    keys[i],
                    rng.random_range(0..1_000),
                    rng.random_range(0..100),
                )
            })
            .collect();
        let quota = rng.random_range(1..20_000);
        let new_size = rng.random_range(0..=quota);
        let lru = Lru { quota_bytes: quota };
        let evicted = lru.evictions(&entries, &"new", new_size).expect("fits");
        let kept: Vec<_> = entries
            .iter()
            .filter(|e| !evicted.contains(&e.key))
            .collect();
        let kept_bytes: u64 = kept.iter().map(|e| e.size_bytes).sum();
        assert!(kept_bytes + new_size <= quota);
        // Oldest first: every evicted entry is no newer than every kept one.
        let newest_evicted = entries
            .iter()
            .filter(|e| evicted.contains(&e.key))
            .map(|e| e.last_used_ms)
            .max();
        if let Some(t) = newest_evicted {
            assert!(kept.iter().all(|e| e.last_used_ms >= t));
            // Minimal: keeping the last one evicted would not fit.
            let last = entries
                .iter()
                .find(|e| Some(&e.key) == evicted.last())
                .expect("evicted key exists");
            assert!(kept_bytes + last.size_bytes + new_size > quota);
        }
    }
}
