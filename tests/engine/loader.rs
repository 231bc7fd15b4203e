//! The bar loader's decisions with fake parts (a store, a transport or
//! fetcher, a clock): cache hit, freshness, tail top-up and its fallback,
//! nothing cached from a failure, cache identity per endpoint, retries and
//! backoff, the 429 pause, stop, and where keys go (headers, the
//! configured origin only, never a message). A run asking for a depth
//! (Binance paged back, a cached head prepended) is in `loader/depth.rs`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::executor::block_on;
use futures::StreamExt;

use technic::data::cache_policy::DAY_MS;
use technic::data::fetch_policy::{Failure, Outcome, SourcePolicy};
use technic::data::formats::Format;
use technic::data::loader::{
    fetch, load_symbol, Attempt, BarStore, CachedBars, Clock, EntryKey, Feed, FetchError, Fetched,
    Fetcher, Gate, LoadPlan, Request, SourceConfig, SourceId, Transport,
};
use technic::engine::bars::{Bars, Columns};
use technic::engine::run::{Loaded, SymbolError};

/// A run asking for a depth: Binance paged back, a cached head prepended.
mod depth;

const KEY: &str = "sEcReT-kEy_123";

/// Monday 2024-01-08 00:00 UTC.
const MON: i64 = 1_704_672_000_000;
const HOUR: i64 = 3_600_000;

// ---------------------------------------------------------------- fakes

/// A clock that only moves when something sleeps (each sleep yields once,
/// so other futures get to run, then the time has passed).
#[derive(Clone)]
struct FakeClock(Rc<Cell<i64>>);

impl FakeClock {
    fn at(ms: i64) -> FakeClock {
        FakeClock(Rc::new(Cell::new(ms)))
    }
    fn now(&self) -> i64 {
        self.0.get()
    }
}

struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        self.0.set(self.0.get() + ms as i64);
        YieldOnce(false)
    }
    fn random_u64(&self) -> u64 {
        0
    }
}

/// `n` daily bars from `first_day_ms` on, every day (closes 100, 101, …).
fn daily(first_day_ms: i64, n: usize, base: f64) -> Bars {
    let mut c = Columns::default();
    for i in 0..n {
        let p = base + i as f64;
        c.push(
            first_day_ms + i as i64 * DAY_MS,
            p,
            p + 1.0,
            p - 1.0,
            p,
            1000.0,
        );
    }
    Bars::new("T", c).expect("valid bars")
}

/// Weekday bars: `n` days ending on (and including) `last_day_ms`, weekends left out.
fn weekdays_until(last_day_ms: i64, n: usize, base: f64) -> Bars {
    let mut days = Vec::new();
    let mut d = last_day_ms;
    while days.len() < n {
        let weekday = (d / DAY_MS + 4).rem_euclid(7); // 0 = Sunday
        if (1..=5).contains(&weekday) {
            days.push(d);
        }
        d -= DAY_MS;
    }
    days.reverse();
    let mut c = Columns::default();
    for (i, t) in days.into_iter().enumerate() {
        let p = base + i as f64;
        c.push(t, p, p + 1.0, p - 1.0, p, 1000.0);
    }
    Bars::new("T", c).expect("valid bars")
}

struct Entry {
    bars: Bars,
    saved_at: i64,
}

impl CachedBars for Entry {
    fn bars(&self) -> &Bars {
        &self.bars
    }
    fn saved_at_ms(&self) -> i64 {
        self.saved_at
    }
    fn into_bars(self) -> Bars {
        self.bars
    }
}

#[derive(Default)]
struct FakeStore {
    entries: RefCell<HashMap<EntryKey, (Bars, i64)>>,
    clock: Option<FakeClock>,
    puts: Cell<usize>,
    touches: Cell<usize>,
    broken: Cell<bool>,
}

impl FakeStore {
    fn with_clock(clock: &FakeClock) -> FakeStore {
        FakeStore {
            clock: Some(clock.clone()),
            ..FakeStore::default()
        }
    }
    fn insert(&self, key: EntryKey, bars: Bars, saved_at: i64) {
        self.entries.borrow_mut().insert(key, (bars, saved_at));
    }
    fn bars(&self, key: &EntryKey) -> Option<Bars> {
        self.entries.borrow().get(key).map(|(b, _)| b.clone())
    }
}

impl BarStore for FakeStore {
    type Entry = Entry;
    type Error = String;
    async fn get(&self, key: &EntryKey) -> Result<Option<Entry>, String> {
        if self.broken.get() {
            return Err("store is broken".into());
        }
        Ok(self
            .entries
            .borrow()
            .get(key)
            .map(|(bars, saved_at)| Entry {
                bars: bars.clone(),
                saved_at: *saved_at,
            }))
    }
    async fn put(&self, key: &EntryKey, bars: &Bars) -> Result<(), String> {
        if self.broken.get() {
            return Err("store is broken".into());
        }
        self.puts.set(self.puts.get() + 1);
        let now = self.clock.as_ref().map_or(0, FakeClock::now);
        self.insert(key.clone(), bars.clone(), now);
        Ok(())
    }
    async fn touch(&self, _key: &EntryKey, _entry: &Entry, _now: i64) -> Result<(), String> {
        self.touches.set(self.touches.get() + 1);
        Ok(())
    }
}

/// A fetcher answering from a script, logging (symbol, from_ms).
#[derive(Default)]
struct FakeFetcher {
    answers: RefCell<Vec<Result<Fetched, SymbolError>>>,
    calls: RefCell<Vec<(String, Option<i64>)>>,
}

impl FakeFetcher {
    fn answering(answers: Vec<Result<Fetched, SymbolError>>) -> FakeFetcher {
        FakeFetcher {
            answers: RefCell::new(answers),
            ..FakeFetcher::default()
        }
    }
}

fn fetched(bars: Bars) -> Result<Fetched, SymbolError> {
    Ok(Fetched {
        bars: Some(bars),
        bytes: 10,
    })
}

impl Fetcher for FakeFetcher {
    async fn fetch(&self, symbol: &str, from_ms: Option<i64>) -> Result<Fetched, SymbolError> {
        self.calls.borrow_mut().push((symbol.to_string(), from_ms));
        let mut answers = self.answers.borrow_mut();
        assert!(
            !answers.is_empty(),
            "an unexpected fetch of {symbol} from {from_ms:?}"
        );
        answers.remove(0)
    }
    async fn fetch_back(
        &self,
        symbol: &str,
        _bars: usize,
        before_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        // The cache-decision fakes never ask for a depth.
        panic!("an unexpected fetch back of {symbol} before {before_ms:?}")
    }
}

fn plan(source: SourceId) -> LoadPlan {
    LoadPlan::new(source, &SourceConfig::default())
}

fn load(
    store: &FakeStore,
    fetcher: &FakeFetcher,
    clock: &FakeClock,
    plan: &LoadPlan,
    symbol: &str,
) -> Result<Loaded, SymbolError> {
    block_on(load_symbol(store, fetcher, clock, plan, symbol, &|_| {}))
}

// ---------------------------------------------------------------- cache decisions

#[test]
fn a_miss_is_fetched_whole_and_cached() {
    let clock = FakeClock::at(MON + 20 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let bars = weekdays_until(MON - 3 * DAY_MS, 30, 100.0);
    let fetcher = FakeFetcher::answering(vec![fetched(bars.clone())]);
    let plan = plan(SourceId::Polygon);
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert!(!got.from_cache);
    assert_eq!(got.bytes, 10);
    assert_eq!(*fetcher.calls.borrow(), [("AAPL".to_string(), None)]);
    assert_eq!(store.bars(&plan.key("AAPL")), Some(bars));
}

#[test]
fn a_fresh_entry_is_served_from_the_cache_and_touched_without_a_fetch() {
    let clock = FakeClock::at(MON + 20 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Polygon);
    // Friday's bar, saved on Saturday; now Monday 20:00 within the refresh window?
    // No: Monday's session is open and the entry is old, so use a save 5 minutes ago.
    let bars = weekdays_until(MON, 30, 100.0);
    store.insert(plan.key("AAPL"), bars.clone(), MON + 20 * HOUR - 5 * 60_000);
    let fetcher = FakeFetcher::default();
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert!(got.from_cache);
    assert_eq!(*got.bars, bars);
    assert!(
        fetcher.calls.borrow().is_empty(),
        "no fetch for a fresh entry"
    );
    assert_eq!(store.touches.get(), 1, "a hit is marked as used");
    assert_eq!(store.puts.get(), 0);
}

#[test]
fn closed_sessions_are_never_refetched_over_a_weekend() {
    // Friday's bar saved Saturday; looked at on Sunday: nothing has closed since.
    let fri = MON - 3 * DAY_MS;
    let clock = FakeClock::at(MON - DAY_MS + 12 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Polygon);
    store.insert(
        plan.key("AAPL"),
        weekdays_until(fri, 30, 100.0),
        fri + DAY_MS + 9 * HOUR,
    );
    let fetcher = FakeFetcher::default();
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert!(got.from_cache);
    assert!(fetcher.calls.borrow().is_empty());
}

/// The scan order's cache check (`LoadPlan::freshness`, from the index
/// record alone) says "fresh" exactly when a load serves the entry without a
/// request: fresh, over a weekend, stale with and without ranges, the
/// sample, and an entry shallower than the depth asked.
#[test]
fn the_index_only_freshness_agrees_with_what_a_load_does() {
    let fri = MON - 3 * DAY_MS;
    let cases: Vec<(LoadPlan, Bars, i64, i64)> = vec![
        (
            plan(SourceId::Polygon),
            weekdays_until(MON, 30, 100.0),
            MON + 20 * HOUR - 300_000,
            MON + 20 * HOUR,
        ),
        (
            plan(SourceId::Polygon),
            weekdays_until(fri, 30, 100.0),
            fri + DAY_MS + 9 * HOUR,
            MON - DAY_MS + 12 * HOUR,
        ),
        (
            plan(SourceId::Polygon),
            weekdays_until(MON, 30, 100.0),
            MON + DAY_MS + HOUR,
            MON + 3 * DAY_MS + 10 * HOUR,
        ),
        (
            plan(SourceId::Url),
            weekdays_until(MON, 30, 100.0),
            MON + DAY_MS + HOUR,
            MON + 3 * DAY_MS + 10 * HOUR,
        ),
        (
            plan(SourceId::Sample),
            weekdays_until(MON, 30, 100.0),
            MON,
            MON + 300 * DAY_MS,
        ),
    ];
    let mut fresh_seen = 0;
    for (i, (plan, bars, saved, now)) in cases.into_iter().enumerate() {
        let clock = FakeClock::at(now);
        let store = FakeStore::with_clock(&clock);
        store.insert(plan.key("AAPL"), bars.clone(), saved);
        let verdict = plan.freshness(bars.time().last().copied(), saved, bars.len(), now);
        let fresh = verdict == technic::data::cache_policy::Freshness::Fresh;
        let fetcher = FakeFetcher::answering(vec![fetched(bars.clone()), fetched(bars.clone())]);
        let _ = load(&store, &fetcher, &clock, &plan, "AAPL");
        assert_eq!(
            fresh,
            fetcher.calls.borrow().is_empty(),
            "case {i}: index says {verdict:?}"
        );
        fresh_seen += usize::from(fresh);
    }
    assert_eq!(fresh_seen, 3, "fresh, weekend, sample");
    // Shallower than the depth asked: its head is fetched (a fetch back).
    let deep = LoadPlan::with_depth(SourceId::Binance, &SourceConfig::default(), 100);
    let short = daily(MON - 29 * DAY_MS, 30, 100.0);
    assert_ne!(
        deep.freshness(
            short.time().last().copied(),
            MON + HOUR,
            30,
            MON + HOUR + 10_000
        ),
        technic::data::cache_policy::Freshness::Fresh
    );
    assert_eq!(
        deep.freshness(
            short.time().last().copied(),
            MON + HOUR,
            100,
            MON + HOUR + 10_000
        ),
        technic::data::cache_policy::Freshness::Fresh
    );
    let plan = plan(SourceId::Polygon);
    assert_ne!(
        plan.freshness(None, MON, 30, MON + HOUR),
        technic::data::cache_policy::Freshness::Fresh,
        "an entry of unknown last bar is read, never trusted"
    );
}

#[test]
fn a_stale_entry_is_topped_up_from_the_first_missing_day_and_merged() {
    // Cached through Monday (saved Tuesday morning); now Thursday: Tuesday
    // and Wednesday closed since.
    let cached = weekdays_until(MON, 30, 100.0);
    let clock = FakeClock::at(MON + 3 * DAY_MS + 10 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Polygon);
    store.insert(plan.key("AAPL"), cached.clone(), MON + DAY_MS + HOUR);
    let tail = daily(MON + DAY_MS, 2, 500.0);
    let fetcher = FakeFetcher::answering(vec![fetched(tail)]);
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert_eq!(
        *fetcher.calls.borrow(),
        [("AAPL".to_string(), Some(MON + DAY_MS))],
        "the tail is asked from the first missing day"
    );
    assert!(!got.from_cache);
    assert_eq!(got.bars.len(), cached.len() + 2);
    assert_eq!(got.bars.close()[..cached.len()], cached.close()[..]);
    assert_eq!(got.bars.close()[cached.len()..], [500.0, 501.0]);
    assert_eq!(
        store.bars(&plan.key("AAPL")).unwrap().len(),
        cached.len() + 2
    );
}

#[test]
fn a_tail_that_does_not_join_refetches_the_whole_series() {
    let cached = weekdays_until(MON, 30, 100.0);
    let clock = FakeClock::at(MON + 10 * DAY_MS);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Polygon);
    store.insert(plan.key("AAPL"), cached, MON + DAY_MS + HOUR);
    // The tail starts a week late: a gap.
    let gap = daily(MON + 8 * DAY_MS, 2, 500.0);
    let whole = weekdays_until(MON + 9 * DAY_MS, 40, 200.0);
    let fetcher = FakeFetcher::answering(vec![fetched(gap), fetched(whole.clone())]);
    let notes = RefCell::new(Vec::new());
    let got = block_on(load_symbol(&store, &fetcher, &clock, &plan, "AAPL", &|n| {
        notes.borrow_mut().push(n)
    }))
    .unwrap();
    assert_eq!(
        *fetcher.calls.borrow(),
        [
            ("AAPL".to_string(), Some(MON + DAY_MS)),
            ("AAPL".to_string(), None)
        ]
    );
    assert_eq!(*got.bars, whole);
    assert_eq!(got.bytes, 20, "both answers' bytes count");
    assert!(
        notes.borrow().iter().any(|n| n.contains("gap")),
        "{:?}",
        notes.borrow()
    );
}

#[test]
fn a_source_without_ranges_refetches_a_stale_entry_whole() {
    let clock = FakeClock::at(MON + 3 * DAY_MS);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Url);
    store.insert(
        plan.key("AAPL"),
        weekdays_until(MON, 30, 100.0),
        MON + DAY_MS + HOUR,
    );
    let whole = weekdays_until(MON + 2 * DAY_MS, 30, 300.0);
    let fetcher = FakeFetcher::answering(vec![fetched(whole.clone())]);
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert_eq!(*fetcher.calls.borrow(), [("AAPL".to_string(), None)]);
    assert_eq!(*got.bars, whole);
}

#[test]
fn a_tail_with_nothing_new_keeps_the_cached_bars_and_saves_them_as_checked() {
    let cached = weekdays_until(MON, 30, 100.0);
    let clock = FakeClock::at(MON + 2 * DAY_MS + 10 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Polygon);
    store.insert(plan.key("AAPL"), cached.clone(), MON + DAY_MS + HOUR);
    let fetcher = FakeFetcher::answering(vec![Ok(Fetched {
        bars: None,
        bytes: 3,
    })]);
    let got = load(&store, &fetcher, &clock, &plan, "AAPL").unwrap();
    assert_eq!(*got.bars, cached);
    assert_eq!(store.puts.get(), 1);
    assert_eq!(
        store.entries.borrow()[&plan.key("AAPL")].1,
        clock.now(),
        "saved again now"
    );
}

#[test]
fn nothing_is_cached_from_a_failed_response() {
    let clock = FakeClock::at(MON);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Url);
    let fetcher = FakeFetcher::answering(vec![Err(SymbolError::FetchFailed(Failure::HttpStatus(
        503,
    )))]);
    let got = load(&store, &fetcher, &clock, &plan, "AAPL");
    assert_eq!(
        got.unwrap_err().to_string(),
        "fetch failed: HTTP 503 Service Unavailable"
    );
    assert_eq!(store.puts.get(), 0);
    assert!(store.entries.borrow().is_empty());
}

#[test]
fn a_store_that_fails_is_a_miss_and_the_network_answer_still_counts() {
    let clock = FakeClock::at(MON);
    let store = FakeStore::with_clock(&clock);
    store.broken.set(true);
    let bars = weekdays_until(MON - DAY_MS, 30, 100.0);
    let fetcher = FakeFetcher::answering(vec![fetched(bars.clone())]);
    let notes = RefCell::new(Vec::new());
    let got = block_on(load_symbol(
        &store,
        &fetcher,
        &clock,
        &plan(SourceId::Url),
        "AAPL",
        &|n| notes.borrow_mut().push(n),
    ))
    .unwrap();
    assert_eq!(*got.bars, bars);
    assert_eq!(
        notes.borrow().len(),
        2,
        "the failed read and write are noted"
    );
}

#[test]
fn the_bundled_sample_never_goes_stale() {
    let clock = FakeClock::at(MON + 400 * DAY_MS);
    let store = FakeStore::with_clock(&clock);
    let plan = plan(SourceId::Sample);
    store.insert(
        plan.key("IBM"),
        weekdays_until(MON, 30, 100.0),
        MON + DAY_MS,
    );
    let got = load(&store, &FakeFetcher::default(), &clock, &plan, "IBM").unwrap();
    assert!(got.from_cache);
}

// ---------------------------------------------------------------- cache identity

/// Regression (review §3A): the cache key ignored the endpoint, so changing
/// the URL template (or pointing a service at a mirror) served the other
/// endpoint's bars as fresh.
#[test]
fn changing_the_template_refetches_and_never_serves_the_other_endpoints_bars() {
    let clock = FakeClock::at(MON + 12 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let config = |template: &str, format: Format| SourceConfig {
        url_template: template.into(),
        format,
        ..SourceConfig::default()
    };
    let a = LoadPlan::new(SourceId::Url, &config("http://a/{symbol}.csv", Format::Csv));
    let b = LoadPlan::new(SourceId::Url, &config("http://b/{symbol}.csv", Format::Csv));
    let b_json = LoadPlan::new(
        SourceId::Url,
        &config("http://b/{symbol}.csv", Format::PolygonJson),
    );
    let bars_a = weekdays_until(MON - DAY_MS, 30, 100.0);
    let bars_b = weekdays_until(MON - DAY_MS, 30, 900.0);
    let bars_c = weekdays_until(MON - DAY_MS, 30, 5000.0);
    let fetcher = FakeFetcher::answering(vec![
        fetched(bars_a.clone()),
        fetched(bars_b.clone()),
        fetched(bars_c.clone()),
    ]);
    assert_eq!(
        *load(&store, &fetcher, &clock, &a, "X").unwrap().bars,
        bars_a
    );
    let from_b = load(&store, &fetcher, &clock, &b, "X").unwrap();
    assert!(!from_b.from_cache, "another template is a miss");
    assert_eq!(*from_b.bars, bars_b);
    let from_json = load(&store, &fetcher, &clock, &b_json, "X").unwrap();
    assert!(!from_json.from_cache, "another format is a miss");
    assert_eq!(*from_json.bars, bars_c);
    // Each endpoint keeps its own bars.
    let again_a = load(&store, &fetcher, &clock, &a, "X").unwrap();
    assert!(again_a.from_cache);
    assert_eq!(*again_a.bars, bars_a);
    assert_eq!(fetcher.calls.borrow().len(), 3);
}

#[test]
fn changing_a_services_base_refetches_and_never_serves_the_other_bases_bars() {
    let clock = FakeClock::at(MON + 12 * HOUR);
    let store = FakeStore::with_clock(&clock);
    let mirror = SourceConfig {
        base: "http://127.0.0.1:9/".into(),
        ..SourceConfig::default()
    };
    let public = LoadPlan::new(SourceId::Binance, &SourceConfig::default());
    let local = LoadPlan::new(SourceId::Binance, &mirror);
    assert_ne!(public.key("BTCUSDT"), local.key("BTCUSDT"));
    let real = daily(MON - 40 * DAY_MS, 40, 100.0);
    let test = daily(MON - 40 * DAY_MS, 40, 10.0);
    let fetcher = FakeFetcher::answering(vec![fetched(real.clone()), fetched(test.clone())]);
    assert_eq!(
        *load(&store, &fetcher, &clock, &public, "BTCUSDT")
            .unwrap()
            .bars,
        real
    );
    let from_mirror = load(&store, &fetcher, &clock, &local, "BTCUSDT").unwrap();
    assert!(!from_mirror.from_cache);
    assert_eq!(*from_mirror.bars, test);
}

// ---------------------------------------------------------------- requests

/// A transport answering from a per-URL-substring script; logs what was sent, when.
#[derive(Clone, Default)]
struct FakeTransport {
    inner: Rc<TransportState>,
}

/// Answers for URLs containing a part, in turn.
type Script = Vec<(String, Vec<Result<Vec<u8>, Attempt>>)>;

#[derive(Default)]
struct TransportState {
    script: RefCell<Script>,
    sent: RefCell<Vec<(Request, i64)>>,
    clock: RefCell<Option<FakeClock>>,
    stopped: Cell<bool>,
    /// Stop the scan when this many requests have been sent.
    stop_after: Cell<Option<usize>>,
}

impl FakeTransport {
    fn new(clock: &FakeClock) -> FakeTransport {
        let t = FakeTransport::default();
        *t.inner.clock.borrow_mut() = Some(clock.clone());
        t
    }
    /// Requests whose URL contains `part` get `answers` in turn (the last repeats).
    fn on(&self, part: &str, answers: Vec<Result<Vec<u8>, Attempt>>) -> &Self {
        self.inner.script.borrow_mut().push((part.into(), answers));
        self
    }
    fn sent(&self) -> Vec<(Request, i64)> {
        self.inner.sent.borrow().clone()
    }
}

fn status(code: u16) -> Result<Vec<u8>, Attempt> {
    Err(Attempt::Failed(Outcome::status(code)))
}

impl Transport for FakeTransport {
    async fn send(&self, request: &Request, _timeout_ms: u64) -> Result<Vec<u8>, Attempt> {
        let s = &self.inner;
        let now = s.clock.borrow().as_ref().map_or(0, FakeClock::now);
        s.sent.borrow_mut().push((request.clone(), now));
        if s.stop_after.get() == Some(s.sent.borrow().len()) {
            s.stopped.set(true);
        }
        // An answer takes a moment: other requests interleave.
        YieldOnce(false).await;
        let mut script = s.script.borrow_mut();
        let Some((_, answers)) = script
            .iter_mut()
            .find(|(part, _)| request.url.contains(part.as_str()))
        else {
            return status(404);
        };
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers[0].clone()
        }
    }
    fn is_stopped(&self) -> bool {
        self.inner.stopped.get()
    }
}

fn gate(policy: SourcePolicy) -> Gate {
    Gate::new(policy, vec![KEY.into()], || {})
}

#[test]
fn a_server_error_is_retried_with_backoff_then_the_body_is_used() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on("/x", vec![status(503), status(503), Ok(b"ok".to_vec())]);
    let g = gate(SourcePolicy::new(2, None));
    let body = block_on(fetch(&Request::get("http://h/x"), &g, &t, &clock)).unwrap();
    assert_eq!(body, b"ok");
    assert_eq!(g.retries(), 2);
    let times: Vec<i64> = t.sent().iter().map(|(_, at)| *at - MON).collect();
    let retry = g.policy().retry;
    // Equal jitter with zero random bits: half the window, doubling.
    assert_eq!(times[1] - times[0], retry.delay_ms(1, 0) as i64);
    assert_eq!(times[2] - times[1], retry.delay_ms(2, 0) as i64);
}

#[test]
fn the_policy_gives_up_with_the_typed_failure_after_its_attempts() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on("/x", vec![status(500)]);
    let g = gate(SourcePolicy::new(2, None));
    let err = block_on(fetch(&Request::get("http://h/x"), &g, &t, &clock)).unwrap_err();
    assert_eq!(err, FetchError::Failed(Failure::HttpStatus(500)));
    assert_eq!(t.sent().len(), g.policy().retry.max_attempts as usize);
    let row = SymbolError::from(err);
    assert_eq!(row.kind(), "fetch-failed");
    assert!(matches!(
        row,
        SymbolError::FetchFailed(Failure::HttpStatus(500))
    ));
    // A 404 is permanent: asked once.
    let t = FakeTransport::new(&clock);
    let err = block_on(fetch(&Request::get("http://h/y"), &g, &t, &clock)).unwrap_err();
    assert_eq!(err, FetchError::Failed(Failure::HttpStatus(404)));
    assert_eq!(t.sent().len(), 1);
}

#[test]
fn a_429_pauses_the_whole_source_for_its_retry_after() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    let limited = Err(Attempt::Failed(Outcome::Http {
        status: 429,
        retry_after_ms: Some(2_000),
    }));
    t.on("/a", vec![limited, Ok(b"a".to_vec())]);
    t.on("/b", vec![Ok(b"b".to_vec())]);
    let g = gate(SourcePolicy::new(1, None));
    let ra = Request::get("http://h/a");
    let rb = Request::get("http://h/b");
    let (a, b) = block_on(futures::future::join(
        fetch(&ra, &g, &t, &clock),
        fetch(&rb, &g, &t, &clock),
    ));
    assert_eq!(a.unwrap(), b"a");
    assert_eq!(b.unwrap(), b"b");
    let sent = t.sent();
    let first_429 = sent[0].1;
    // Every request after the 429 waited out the pause, the other symbol's too.
    for (req, at) in &sent[1..] {
        assert!(
            *at >= first_429 + 2_000,
            "{} sent {} ms after the 429",
            req.url,
            at - first_429
        );
    }
    assert_eq!(g.retries(), 1);
}

#[test]
fn a_429_asking_too_long_is_a_rate_limited_row() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/a",
        vec![Err(Attempt::Failed(Outcome::Http {
            status: 429,
            retry_after_ms: Some(600_000),
        }))],
    );
    let g = gate(SourcePolicy::new(1, None));
    let err = block_on(fetch(&Request::get("http://h/a"), &g, &t, &clock)).unwrap_err();
    assert_eq!(
        SymbolError::from(err),
        SymbolError::RateLimited {
            retry_after_secs: Some(600.0)
        }
    );
}

#[test]
fn a_stop_ends_a_backoff_and_is_not_an_error_row() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on("/x", vec![status(503)]);
    t.inner.stop_after.set(Some(1));
    let g = gate(SourcePolicy::new(1, None));
    let err = block_on(fetch(&Request::get("http://h/x"), &g, &t, &clock)).unwrap_err();
    assert_eq!(err, FetchError::Stopped);
    assert_eq!(t.sent().len(), 1, "nothing is sent after the stop");
    assert_eq!(SymbolError::from(err), SymbolError::Stopped);
    // Stopped before the first request: nothing is sent at all.
    let t = FakeTransport::new(&clock);
    t.inner.stopped.set(true);
    let err = block_on(fetch(&Request::get("http://h/x"), &g, &t, &clock)).unwrap_err();
    assert_eq!(err, FetchError::Stopped);
    assert!(t.sent().is_empty());
}

#[test]
fn the_in_flight_bound_holds_across_symbols() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on("/", vec![Ok(b"x".to_vec())]);
    let g = gate(SourcePolicy::new(2, None));
    let requests: Vec<Request> = (0..6)
        .map(|i| Request::get(format!("http://h/{i}")))
        .collect();
    let most = Cell::new(0);
    block_on(
        futures::stream::iter(&requests)
            .map(|r| {
                let g = &g;
                let (t, clock, most) = (&t, &clock, &most);
                async move {
                    let body = fetch(r, g, t, clock).await;
                    most.set(most.get().max(g.in_flight() + 1));
                    body
                }
            })
            .buffer_unordered(6)
            .collect::<Vec<_>>(),
    );
    assert_eq!(t.sent().len(), 6);
    assert!(most.get() <= 2, "at most 2 in flight, saw {}", most.get());
}

#[test]
fn network_messages_never_carry_the_key() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/x",
        vec![Err(Attempt::Failed(Outcome::Network(format!(
            "reset while reading https://h/x?apiKey={KEY} ({KEY})"
        ))))],
    );
    let g = gate(SourcePolicy::new(1, None));
    let err = block_on(fetch(&Request::get("http://h/x"), &g, &t, &clock)).unwrap_err();
    let text = SymbolError::from(err).to_string();
    assert!(!text.contains(KEY), "{text}");
    assert!(text.starts_with("fetch failed: network error:"), "{text}");
}

// ---------------------------------------------------------------- services

fn feed(
    source: SourceId,
    config: SourceConfig,
    t: &FakeTransport,
    clock: &FakeClock,
) -> Feed<FakeTransport, FakeClock> {
    Feed::new(source, config, t.clone(), clock.clone(), || {})
}

fn keyed(base: &str) -> SourceConfig {
    SourceConfig {
        base: base.into(),
        api_key: Some(KEY.into()),
        ..SourceConfig::default()
    }
}

fn polygon_page(t0: i64, n: usize, next: Option<&str>) -> Vec<u8> {
    let results: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"t":{},"o":10,"h":11,"l":9,"c":10.5,"v":100}}"#,
                t0 + i as i64 * DAY_MS
            )
        })
        .collect();
    let next = next.map_or(String::new(), |u| format!(r#","next_url":"{u}""#));
    format!(
        r#"{{"status":"OK","results":[{}]{next}}}"#,
        results.join(",")
    )
    .into_bytes()
}

#[test]
fn polygon_sends_the_key_in_the_authorization_header_never_in_the_url() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/v2/aggs/ticker/AAPL",
        vec![Ok(polygon_page(
            MON - 30 * DAY_MS,
            10,
            Some("http://127.0.0.1:9/v2/next?cursor=2"),
        ))],
    );
    t.on(
        "/v2/next",
        vec![Ok(polygon_page(MON - 20 * DAY_MS, 10, None))],
    );
    let f = feed(SourceId::Polygon, keyed("http://127.0.0.1:9"), &t, &clock);
    let got = block_on(f.load("AAPL", None)).unwrap();
    assert_eq!(got.bars.unwrap().len(), 20);
    let sent = t.sent();
    assert_eq!(sent.len(), 2);
    for (req, _) in &sent {
        assert!(!req.url.contains(KEY), "the key is not in {}", req.url);
        assert_eq!(
            req.headers,
            [("Authorization", format!("Bearer {KEY}"))],
            "{}",
            req.url
        );
    }
}

/// Regression (review §3B): `next_url` comes from the server and was
/// followed with the key appended, wherever it pointed.
#[test]
fn a_polygon_next_url_to_another_origin_is_refused_and_the_key_never_sent() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/v2/aggs/ticker/AAPL",
        vec![Ok(polygon_page(
            MON - 30 * DAY_MS,
            10,
            Some("https://evil.example/v2/next?cursor=2"),
        ))],
    );
    let f = feed(SourceId::Polygon, keyed("http://127.0.0.1:9"), &t, &clock);
    let err = block_on(f.load("AAPL", None)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("another host"), "{text}");
    assert!(!text.contains(KEY));
    assert!(matches!(err, SymbolError::FetchFailed(Failure::Request(_))));
    assert_eq!(t.sent().len(), 1, "the other host was never asked");
    assert!(t.sent().iter().all(|(r, _)| !r.url.contains("evil")));
    // Same host, another port or scheme: another origin too.
    for other in ["http://127.0.0.1:10/v2/next", "https://127.0.0.1:9/v2/next"] {
        let t = FakeTransport::new(&clock);
        t.on(
            "/v2/aggs",
            vec![Ok(polygon_page(MON - 30 * DAY_MS, 10, Some(other)))],
        );
        let f = feed(SourceId::Polygon, keyed("http://127.0.0.1:9"), &t, &clock);
        assert!(block_on(f.load("AAPL", None)).is_err(), "{other}");
        assert_eq!(t.sent().len(), 1);
    }
}

#[test]
fn twelve_data_sends_the_key_in_the_authorization_header() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/time_series",
        vec![Ok(br#"{"status":"ok","values":[{"datetime":"2024-01-05","open":"1","high":"2","low":"0.5","close":"1.5","volume":"10"}]}"#.to_vec())],
    );
    let f = feed(
        SourceId::TwelveData,
        keyed("http://127.0.0.1:9"),
        &t,
        &clock,
    );
    block_on(f.load("MSFT", None)).unwrap();
    let (req, _) = &t.sent()[0];
    assert!(
        !req.url.contains(KEY) && !req.url.contains("apikey"),
        "{}",
        req.url
    );
    assert_eq!(req.headers, [("Authorization", format!("apikey {KEY}"))]);
}

#[test]
fn a_keyed_service_without_a_key_fails_before_sending_anything() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    let f = feed(SourceId::Polygon, SourceConfig::default(), &t, &clock);
    let err = block_on(f.load("AAPL", None)).unwrap_err();
    assert!(err.to_string().contains("no API key"), "{err}");
    assert_eq!(err.kind(), "fetch-failed");
    assert!(t.sent().is_empty());
}

#[test]
fn a_service_error_echoing_the_key_is_redacted_in_the_row() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "/v2/aggs",
        vec![Ok(format!(
            r#"{{"status":"ERROR","error":"Unknown API Key {KEY}"}}"#
        )
        .into_bytes())],
    );
    let f = feed(SourceId::Polygon, keyed("http://127.0.0.1:9"), &t, &clock);
    let err = block_on(f.load("AAPL", None)).unwrap_err();
    assert_eq!(err.kind(), "invalid");
    let text = err.to_string();
    assert!(
        text.starts_with("invalid data: parse error: Polygon: AAPL:"),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
}

fn klines(t0: i64, n: usize) -> Vec<u8> {
    let rows: Vec<String> = (0..n)
        .map(|i| format!(r#"[{},"1","2","0.5","1.5","10"]"#, t0 + i as i64 * DAY_MS))
        .collect();
    format!("[{}]", rows.join(",")).into_bytes()
}

#[test]
fn binance_falls_back_to_the_main_host_on_a_network_failure_only() {
    let clock = FakeClock::at(MON);
    let t = FakeTransport::new(&clock);
    t.on(
        "data-api.binance.vision",
        vec![Err(Attempt::Failed(Outcome::Network("refused".into())))],
    );
    t.on("api.binance.com", vec![Ok(klines(MON - 5 * DAY_MS, 5))]);
    let f = feed(SourceId::Binance, SourceConfig::default(), &t, &clock);
    let got = block_on(f.load("BTCUSDT", None)).unwrap();
    assert_eq!(got.bars.unwrap().len(), 5);
    assert!(t
        .sent()
        .last()
        .unwrap()
        .0
        .url
        .starts_with("https://api.binance.com/"));

    // An HTTP answer from the data host is the answer: no fallback.
    let t = FakeTransport::new(&clock);
    t.on("data-api.binance.vision", vec![status(400)]);
    t.on("api.binance.com", vec![Ok(klines(MON - 5 * DAY_MS, 5))]);
    let f = feed(SourceId::Binance, SourceConfig::default(), &t, &clock);
    let err = block_on(f.load("BTCUSDT", None)).unwrap_err();
    assert!(matches!(
        err,
        SymbolError::FetchFailed(Failure::HttpStatus(400))
    ));
    assert!(t.sent().iter().all(|(r, _)| r.url.contains("data-api")));
}

#[test]
fn a_partial_answer_fails_the_symbol_and_nothing_is_cached() {
    // Binance tail paging: the second page fails for good.
    let clock = FakeClock::at(MON + 12 * HOUR);
    let t = FakeTransport::new(&clock);
    // A full first page (so a next one is asked for), then a refusal.
    t.on(
        "/api/v3/klines",
        vec![Ok(klines(MON - 2000 * DAY_MS, 1000)), status(400)],
    );
    let f = feed(SourceId::Binance, keyed("http://127.0.0.1:9"), &t, &clock);
    let store = FakeStore::with_clock(&clock);
    let plan = LoadPlan::new(SourceId::Binance, f.config());
    store.insert(
        plan.key("BTCUSDT"),
        daily(MON - 2100 * DAY_MS, 100, 10.0),
        MON - 2000 * DAY_MS,
    );
    let before = store.bars(&plan.key("BTCUSDT"));
    let got = block_on(load_symbol(&store, &f, &clock, &plan, "BTCUSDT", &|_| {}));
    assert!(got.is_err(), "a failed page fails the symbol");
    assert!(
        t.sent().len() >= 2,
        "the first page came, then the next failed"
    );
    assert_eq!(
        store.puts.get(),
        0,
        "nothing from a partial answer is cached"
    );
    assert_eq!(store.bars(&plan.key("BTCUSDT")), before);
}
