//! One symbol's load against scripted stores and fetchers: fresh, stale,
//! shallow and missing entries, tails that join or not, failures.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;

use futures::executor::block_on;

use super::*;
use crate::data::cache_policy::Calendar;
use crate::data::synthetic;

/// An entry still in codec bytes, as the browser's read-ahead holds it.
struct Bytes(Vec<u8>, Bars);

impl CachedBars for Bytes {
    fn bars(&self) -> &Bars {
        &self.1
    }
    fn saved_at_ms(&self) -> i64 {
        1
    }
    fn into_bars(self) -> Bars {
        self.1
    }
    fn into_encoded(self) -> Result<Vec<u8>, Self> {
        Ok(self.0)
    }
}

struct OneEntry {
    entry: RefCell<Option<Bytes>>,
    touched: Cell<usize>,
}

impl BarStore for OneEntry {
    type Entry = Bytes;
    type Error = Infallible;
    async fn get(&self, _: &EntryKey) -> Result<Option<Bytes>, Infallible> {
        Ok(self.entry.borrow_mut().take())
    }
    async fn put(&self, _: &EntryKey, _: &Bars) -> Result<(), Infallible> {
        panic!("a fresh hit is not stored again")
    }
    async fn touch(&self, _: &EntryKey, _: &Bytes, _: i64) -> Result<(), Infallible> {
        self.touched.set(self.touched.get() + 1);
        Ok(())
    }
}

struct NoNetwork;

impl Fetcher for NoNetwork {
    async fn fetch(&self, _: &str, _: Option<i64>) -> Result<Fetched, SymbolError> {
        panic!("a fresh hit fetches nothing")
    }
    async fn fetch_back(&self, _: &str, _: usize, _: Option<i64>) -> Result<Fetched, SymbolError> {
        panic!("a deep enough hit fetches nothing")
    }
}

struct Epoch;

impl Clock for Epoch {
    fn now_ms(&self) -> i64 {
        0
    }
    async fn sleep(&self, _: u64) {}
    fn random_u64(&self) -> u64 {
        0
    }
}

#[test]
fn a_fresh_hit_still_encoded_is_handed_over_encoded_and_decodes_to_the_same_bars() {
    let bars = synthetic::bars(7, 1, 40);
    let bytes = codec::encode(&bars);
    let plan = |depth| LoadPlan {
        source: "sample".into(),
        endpoint: String::new(),
        calendar: Calendar::Weekdays,
        rule: FreshnessRule::new(Calendar::Weekdays),
        supports_range: false,
        immutable: true,
        depth,
        interval: Interval::D1,
    };
    let store = || OneEntry {
        entry: RefCell::new(Some(Bytes(bytes.clone(), bars.clone()))),
        touched: Cell::new(0),
    };
    for depth in [None, Some(10)] {
        let s = store();
        let landed = block_on(load_symbol_landed(
            &s,
            &NoNetwork,
            &Epoch,
            &plan(depth),
            "S1",
            &|_| {},
        ))
        .unwrap();
        match &landed {
            Landed::Encoded(e) => assert_eq!(
                e,
                &Encoded {
                    bytes: bytes.clone(),
                    depth
                }
            ),
            Landed::Loaded(_) => panic!("decoded on the way"),
        }
        assert_eq!(s.touched.get(), 1, "a hit is marked as used");
        let loaded = landed.into_loaded("S1").unwrap();
        assert!(loaded.from_cache);
        let want = depth.map_or(bars.clone(), |n| bars.last(n));
        assert_eq!(*loaded.bars, want);
        // load_symbol decodes on the spot, to the same bars.
        let s = store();
        let now = block_on(load_symbol(
            &s,
            &NoNetwork,
            &Epoch,
            &plan(depth),
            "S1",
            &|_| {},
        ));
        assert_eq!(*now.unwrap().bars, want);
    }
}

// ------------------------------------------------------------ intervals

use crate::data::interval::Interval;

const MINUTE: i64 = 60_000;
/// 2024-03-15 13:07 UTC.
const NOW: i64 = 19_797 * 86_400_000 + 13 * 60 * MINUTE + 7 * MINUTE;

fn five_minute(first: i64, n: usize) -> Bars {
    let mut cols = crate::engine::bars::Columns::with_capacity(n);
    for k in 0..n as i64 {
        cols.push(first + k * 5 * MINUTE, 10.0, 11.0, 9.0, 10.0, 1.0);
    }
    Bars::new("BTCUSDT", cols).unwrap()
}

/// One entry saved at `saved`, kept (put replaces it).
struct Saved(RefCell<Option<(Bars, i64)>>);

struct Entry(Bars, i64);

impl CachedBars for Entry {
    fn bars(&self) -> &Bars {
        &self.0
    }
    fn saved_at_ms(&self) -> i64 {
        self.1
    }
    fn into_bars(self) -> Bars {
        self.0
    }
}

impl BarStore for Saved {
    type Entry = Entry;
    type Error = Infallible;
    async fn get(&self, _: &EntryKey) -> Result<Option<Entry>, Infallible> {
        Ok(self.0.borrow().clone().map(|(b, t)| Entry(b, t)))
    }
    async fn put(&self, _: &EntryKey, bars: &Bars) -> Result<(), Infallible> {
        self.0.replace(Some((bars.clone(), NOW)));
        Ok(())
    }
    async fn touch(&self, _: &EntryKey, _: &Entry, _: i64) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Answers every fetch with five-minute bars up to `NOW` from where it
/// was asked (the newest 1,000 for a whole history); logs the asks.
#[derive(Default)]
struct Exchange(RefCell<Vec<Option<i64>>>);

impl Fetcher for Exchange {
    async fn fetch(&self, _: &str, from_ms: Option<i64>) -> Result<Fetched, SymbolError> {
        self.0.borrow_mut().push(from_ms);
        let newest = Interval::M5.open_of(NOW);
        let first = from_ms.unwrap_or(newest - 999 * 5 * MINUTE);
        let n = ((newest - first) / (5 * MINUTE) + 1) as usize;
        Ok(Fetched {
            bars: Some(five_minute(first, n)),
            bytes: 1,
        })
    }
    async fn fetch_back(&self, _: &str, _: usize, _: Option<i64>) -> Result<Fetched, SymbolError> {
        panic!("a scan without a depth never pages back")
    }
}

struct Now;

impl Clock for Now {
    fn now_ms(&self) -> i64 {
        NOW
    }
    async fn sleep(&self, _: u64) {}
    fn random_u64(&self) -> u64 {
        0
    }
}

fn config(interval: Interval) -> SourceConfig {
    SourceConfig {
        interval,
        ..SourceConfig::default()
    }
}

#[test]
fn the_cache_key_names_the_interval_so_each_interval_has_its_own_entry() {
    let daily = LoadPlan::new(SourceId::Binance, &config(Interval::D1));
    let five = LoadPlan::new(SourceId::Binance, &config(Interval::M5));
    assert_eq!(daily.key("BTCUSDT").interval, "1d");
    assert_eq!(five.key("BTCUSDT").interval, "5m");
    assert_ne!(daily.key("BTCUSDT"), five.key("BTCUSDT"));
    assert_eq!(five.interval, Interval::M5);
    // A stock source stays daily whatever the form said.
    let polygon = LoadPlan::new(SourceId::Polygon, &config(Interval::M5));
    assert_eq!(polygon.key("AAPL").interval, "1d");
    assert_eq!(
        LoadPlan::new(SourceId::Coinbase, &config(Interval::H4))
            .key("X")
            .interval,
        "4h"
    );
}

#[test]
fn a_scan_asks_for_a_depth_only_when_its_lookback_is_longer_than_the_default_history() {
    let c = config(Interval::H1);
    assert_eq!(LoadPlan::for_scan(SourceId::Binance, &c, None).depth, None);
    assert_eq!(
        LoadPlan::for_scan(SourceId::Binance, &c, Some(1_000)).depth,
        None
    );
    let deep = LoadPlan::for_scan(SourceId::Binance, &c, Some(3_000));
    assert_eq!((deep.depth, deep.interval), (Some(3_000), Interval::H1));
    // Coinbase cannot page back: its default history.
    assert_eq!(
        LoadPlan::for_scan(SourceId::Coinbase, &c, Some(3_000)).depth,
        None
    );
}

#[test]
fn a_stale_five_minute_entry_gets_the_tail_from_its_first_missing_period() {
    let plan = LoadPlan::new(SourceId::Binance, &config(Interval::M5));
    // 100 bars up to the 12:00 bar, saved at 12:06, after it closed:
    // the 12:05 bar is the first missing one.
    let last = NOW - 67 * MINUTE; // 12:00
    let store = Saved(RefCell::new(Some((
        five_minute(last - 99 * 5 * MINUTE, 100),
        last + 6 * MINUTE,
    ))));
    let exchange = Exchange::default();
    let loaded = block_on(load_symbol(
        &store,
        &exchange,
        &Now,
        &plan,
        "BTCUSDT",
        &|_| {},
    ))
    .unwrap();
    assert_eq!(*exchange.0.borrow(), [Some(last + 5 * MINUTE)]);
    assert!(!loaded.from_cache);
    assert_eq!(loaded.bars.len(), 100 + 13, "12:05 … 13:05 joined on");
    assert_eq!(
        *loaded.bars.time().last().unwrap(),
        Interval::M5.open_of(NOW)
    );
}

#[test]
fn an_intraday_entry_left_longer_than_the_history_is_fetched_whole_not_topped_up() {
    let plan = LoadPlan::new(SourceId::Binance, &config(Interval::M5));
    // Two weeks old: 4,000 five-minute periods behind.
    let last = Interval::M5.open_of(NOW - 14 * 86_400_000);
    let store = Saved(RefCell::new(Some((
        five_minute(last - 50 * 5 * MINUTE, 51),
        last + 5 * MINUTE,
    ))));
    let exchange = Exchange::default();
    let loaded = block_on(load_symbol(
        &store,
        &exchange,
        &Now,
        &plan,
        "BTCUSDT",
        &|_| {},
    ))
    .unwrap();
    assert_eq!(*exchange.0.borrow(), [None], "the newest history, whole");
    assert_eq!(loaded.bars.len(), 1_000);
    // A daily entry as old still takes its tail.
    let daily = LoadPlan::new(SourceId::Binance, &config(Interval::D1));
    assert!(!daily.tail_is_longer_than_history(0, NOW));
}
