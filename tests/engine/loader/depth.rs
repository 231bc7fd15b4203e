//! A run asking for a depth (a backtest's bars per symbol) from Binance:
//! paging back 1,000 klines at a time to the depth or the listing start, a
//! shallow cached entry getting its head prepended and stored whole, a deep
//! entry serving a shallow request without a request, a failing head
//! leaving the entry untouched, and the bounds on a server that ignores the
//! range. The fake server honours `endTime` and `limit` as Binance does.

use super::*;

/// A Binance stand-in: one kline a day from `listing` to `today`, answering
/// `/api/v3/klines` with the newest `limit` klines opening at or before
/// `endTime` (or `startTime` on, paged forward). Counts what it was asked.
#[derive(Clone)]
struct Klines {
    listing: i64,
    today: i64,
    asked: Rc<RefCell<Vec<String>>>,
    /// Requests with an `endTime` below this fail with this status.
    fail_before: Rc<Cell<Option<(i64, u16)>>>,
    /// Answer every request with the newest page, whatever the range.
    ignore_range: bool,
}

impl Klines {
    fn new(listing: i64, today: i64) -> Klines {
        Klines {
            listing,
            today,
            asked: Rc::default(),
            fail_before: Rc::default(),
            ignore_range: false,
        }
    }
    fn asked(&self) -> Vec<String> {
        self.asked.borrow().clone()
    }
}

fn param(url: &str, name: &str) -> Option<i64> {
    let at = url.find(&format!("{name}="))? + name.len() + 1;
    url[at..].split('&').next()?.parse().ok()
}

impl Transport for Klines {
    async fn send(&self, request: &Request, _timeout_ms: u64) -> Result<Vec<u8>, Attempt> {
        let url = &request.url;
        self.asked.borrow_mut().push(url.clone());
        YieldOnce(false).await;
        let limit = param(url, "limit").unwrap_or(500) as usize;
        let end = param(url, "endTime");
        if let (Some(e), Some((below, code))) = (end, self.fail_before.get()) {
            if e < below {
                return status(code);
            }
        }
        let days: Vec<i64> = (0..)
            .map(|i| self.listing + i * DAY_MS)
            .take_while(|&t| t <= self.today)
            .collect();
        let page: Vec<i64> = match (param(url, "startTime"), end) {
            _ if self.ignore_range => days[days.len().saturating_sub(limit)..].to_vec(),
            (Some(s), _) => days.into_iter().filter(|&t| t >= s).take(limit).collect(),
            (None, e) => {
                let upto: Vec<i64> = days
                    .into_iter()
                    .filter(|&t| e.is_none_or(|e| t <= e))
                    .collect();
                upto[upto.len().saturating_sub(limit)..].to_vec()
            }
        };
        let rows: Vec<String> = page
            .iter()
            .map(|t| format!(r#"[{t},"1","2","0.5","1.5","10"]"#))
            .collect();
        Ok(format!("[{}]", rows.join(",")).into_bytes())
    }
    fn is_stopped(&self) -> bool {
        false
    }
}

/// "Now": noon of Monday 2024-01-08; the newest kline opens at its midnight.
const NOW: i64 = MON + 12 * HOUR;

fn binance() -> SourceConfig {
    SourceConfig {
        base: "http://127.0.0.1:9".into(),
        ..SourceConfig::default()
    }
}

fn deep(bars: usize) -> LoadPlan {
    LoadPlan::with_depth(SourceId::Binance, &binance(), bars)
}

fn run(
    server: &Klines,
    store: &FakeStore,
    clock: &FakeClock,
    plan: &LoadPlan,
) -> Result<Loaded, SymbolError> {
    let f = Feed::new(
        SourceId::Binance,
        binance(),
        server.clone(),
        clock.clone(),
        || {},
    );
    block_on(load_symbol(store, &f, clock, plan, "BTCUSDT", &|_| {}))
}

/// Every day from `first` to `last`, one bar each.
fn assert_every_day(bars: &Bars, first: i64, last: i64) {
    let t = bars.time();
    assert_eq!((t[0], t[t.len() - 1]), (first, last));
    assert!(
        t.windows(2).all(|w| w[1] - w[0] == DAY_MS),
        "no gap, no repeat"
    );
}

#[test]
fn a_deep_request_pages_back_a_thousand_klines_at_a_time() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let got = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(got.bars.len(), 2520);
    assert_every_day(&got.bars, MON - 2519 * DAY_MS, MON);
    let asked = server.asked();
    assert_eq!(asked.len(), 3, "{asked:#?}");
    // The newest page, then back from each page's first kline, the last
    // asking only for what is missing.
    assert_eq!(param(&asked[0], "endTime"), None);
    assert_eq!(param(&asked[0], "limit"), Some(1000));
    assert_eq!(param(&asked[1], "endTime"), Some(MON - 999 * DAY_MS - 1));
    assert_eq!(param(&asked[2], "endTime"), Some(MON - 1999 * DAY_MS - 1));
    assert_eq!(param(&asked[2], "limit"), Some(520));
    assert!(asked.iter().all(|u| param(u, "startTime").is_none()));
    let key = deep(2520).key("BTCUSDT");
    assert_eq!(store.bars(&key).map(|b| b.len()), Some(2520));
    assert!(!got.from_cache);
}

#[test]
fn a_scan_keeps_its_one_newest_page() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let scan = LoadPlan::new(SourceId::Binance, &binance());
    assert_eq!(scan.depth, None);
    let got = run(&server, &store, &clock, &scan).unwrap();
    assert_eq!(got.bars.len(), 1000);
    assert_eq!(server.asked().len(), 1);
    // Only a source that pages back takes a depth.
    assert_eq!(
        LoadPlan::with_depth(SourceId::Coinbase, &SourceConfig::default(), 2520).depth,
        None
    );
}

#[test]
fn the_listing_start_ends_paging() {
    let clock = FakeClock::at(NOW);
    // Listed 1,500 days ago: the second page comes short, nothing more is asked.
    let server = Klines::new(MON - 1499 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let got = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(got.bars.len(), 1500);
    assert_every_day(&got.bars, MON - 1499 * DAY_MS, MON);
    assert_eq!(server.asked().len(), 2);

    // Listed exactly 2,000 days ago: two full pages, then an empty one.
    let server = Klines::new(MON - 1999 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let got = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(got.bars.len(), 2000);
    assert_eq!(server.asked().len(), 3);
    let key = deep(2520).key("BTCUSDT");
    assert_eq!(store.bars(&key).map(|b| b.len()), Some(2000));

    // A cached entry already at the listing start: one head request finds
    // nothing earlier, and the entry stands as it was (not rewritten).
    let (puts, touches) = (store.puts.get(), store.touches.get());
    let again = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(again.bars.len(), 2000);
    assert_eq!(server.asked().len(), 4);
    assert_eq!(
        param(&server.asked()[3], "endTime"),
        Some(MON - 1999 * DAY_MS - 1)
    );
    assert_eq!(store.puts.get(), puts);
    assert_eq!(store.touches.get(), touches + 1, "marked as used");
}

#[test]
fn a_shallow_cached_entry_gets_its_head_prepended_and_is_stored_whole() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    // A scan cached the newest 1,000 days, just now (fresh).
    let key = deep(2520).key("BTCUSDT");
    store.insert(key.clone(), daily(MON - 999 * DAY_MS, 1000, 10.0), NOW);
    let got = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(got.bars.len(), 2520);
    assert_every_day(&got.bars, MON - 2519 * DAY_MS, MON);
    let asked = server.asked();
    assert_eq!(asked.len(), 2, "only the head: {asked:#?}");
    assert_eq!(param(&asked[0], "endTime"), Some(MON - 999 * DAY_MS - 1));
    assert_eq!(param(&asked[1], "limit"), Some(520));
    // Stored whole: the fetched head and the cached bars as they were.
    let stored = store.bars(&key).unwrap();
    assert_eq!(stored.len(), 2520);
    assert_eq!(stored.time(), got.bars.time());
    assert_eq!(
        stored.close()[1520..],
        *daily(MON - 999 * DAY_MS, 1000, 10.0).close()
    );
    assert_eq!(store.puts.get(), 1);

    // The next run is served from the cache without a request.
    let again = run(&server, &store, &clock, &deep(2520)).unwrap();
    assert_eq!(server.asked().len(), 2);
    assert!(again.from_cache);
    assert_eq!(again.bars.len(), 2520);
}

#[test]
fn a_stale_shallow_entry_gets_its_tail_and_its_head() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    // Cached three days ago, up to that day.
    let key = deep(1260).key("BTCUSDT");
    store.insert(
        key.clone(),
        daily(MON - 1002 * DAY_MS, 1000, 10.0),
        MON - 3 * DAY_MS + 12 * HOUR,
    );
    let got = run(&server, &store, &clock, &deep(1260)).unwrap();
    assert_eq!(got.bars.len(), 1260);
    assert_every_day(&got.bars, MON - 1259 * DAY_MS, MON);
    let asked = server.asked();
    assert_eq!(asked.len(), 2, "{asked:#?}");
    // The tail from the saved day on (its session was open when saved).
    assert_eq!(param(&asked[0], "startTime"), Some(MON - 3 * DAY_MS));
    assert_eq!(param(&asked[1], "endTime"), Some(MON - 1002 * DAY_MS - 1));
    assert_eq!(param(&asked[1], "limit"), Some(257));
    assert_eq!(store.bars(&key).unwrap().len(), 1260);
}

#[test]
fn a_deep_entry_serves_a_shallow_request_without_a_request() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let key = deep(630).key("BTCUSDT");
    let cached = daily(MON - 2519 * DAY_MS, 2520, 10.0);
    store.insert(key.clone(), cached.clone(), NOW);
    let got = run(&server, &store, &clock, &deep(630)).unwrap();
    assert!(server.asked().is_empty());
    assert!(got.from_cache);
    // The newest 630, the entry untouched.
    assert_eq!(*got.bars, cached.last(630));
    assert_eq!(store.bars(&key), Some(cached.clone()));
    assert_eq!(store.puts.get(), 0);
    // A scan is served the whole deep entry.
    let scan = LoadPlan::new(SourceId::Binance, &binance());
    let got = run(&server, &store, &clock, &scan).unwrap();
    assert_eq!(*got.bars, cached);
    assert!(server.asked().is_empty());
}

#[test]
fn a_failing_head_page_leaves_the_cached_entry_untouched_and_fails_the_row() {
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 5000 * DAY_MS, MON);
    // The first head page comes, the second is refused.
    server.fail_before.set(Some((MON - 1999 * DAY_MS, 400)));
    let store = FakeStore::with_clock(&clock);
    let key = deep(2520).key("BTCUSDT");
    let cached = daily(MON - 999 * DAY_MS, 1000, 10.0);
    store.insert(key.clone(), cached.clone(), NOW);
    let err = run(&server, &store, &clock, &deep(2520)).unwrap_err();
    assert!(
        matches!(err, SymbolError::FetchFailed(Failure::HttpStatus(400))),
        "{err}"
    );
    assert_eq!(server.asked().len(), 2);
    assert_eq!(store.puts.get(), 0, "nothing half-written");
    assert_eq!(store.bars(&key), Some(cached));
}

#[test]
fn a_server_ignoring_the_range_is_an_error_row_not_a_loop() {
    let clock = FakeClock::at(NOW);
    let mut server = Klines::new(MON - 5000 * DAY_MS, MON);
    server.ignore_range = true;
    let store = FakeStore::with_clock(&clock);
    let err = run(&server, &store, &clock, &deep(2520)).unwrap_err();
    assert_eq!(err.kind(), "invalid");
    assert!(err.to_string().contains("outside the asked range"), "{err}");
    assert_eq!(server.asked().len(), 2, "the second page was refused");
    assert_eq!(store.puts.get(), 0);
}

#[test]
fn paging_back_is_bounded() {
    // 50 pages of 1,000 at most, however deep the request.
    let clock = FakeClock::at(NOW);
    let server = Klines::new(MON - 80_000 * DAY_MS, MON);
    let store = FakeStore::with_clock(&clock);
    let got = run(&server, &store, &clock, &deep(1_000_000)).unwrap();
    assert_eq!(got.bars.len(), 50_000);
    assert_eq!(server.asked().len(), 50);
}
