//! Feed tests: each service against a scripted transport and a fixed clock.

use std::cell::RefCell;

use futures::executor::block_on;

use super::*;
use crate::data::loader::request::Attempt;

/// 2024-03-15 13:07:30 UTC: inside a 5m, 1h and 4h bar alike.
const NOW: i64 = 19_797 * DAY_MS + 13 * 3_600_000 + 7 * 60_000 + 30_000;
const HOUR: i64 = 3_600_000;

struct At(i64);

impl Clock for At {
    fn now_ms(&self) -> i64 {
        self.0
    }
    async fn sleep(&self, _: u64) {}
    fn random_u64(&self) -> u64 {
        0
    }
}

/// A loopback exchange in the documented shapes: Binance klines and
/// Coinbase candles of any length, every period from 20,000 periods
/// back to the one still open at `NOW`; logs each URL asked for.
#[derive(Default)]
struct Exchange {
    urls: RefCell<Vec<String>>,
}

fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// Open times of the periods of `step` ms in `[from, to]` that exist.
fn periods(step: i64, from: i64, to: i64) -> Vec<i64> {
    let newest = NOW.div_euclid(step) * step;
    let first = (newest - 20_000 * step).max(from.div_euclid(step) * step);
    let first = if first < from { first + step } else { first };
    (0..)
        .map(|k| first + k * step)
        .take_while(|&t| t <= to.min(newest))
        .collect()
}

fn price(t: i64) -> f64 {
    100.0 + ((t / 60_000) % 97) as f64
}

fn iso(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&text.replace("%3A", ":"))
        .map(|d| d.timestamp_millis())
        .unwrap_or(i64::MIN)
}

impl Exchange {
    fn body(&self, url: &str) -> String {
        if url.contains("/api/v3/klines") {
            let step = query(url, "interval")
                .and_then(|i| i.parse::<Interval>().ok())
                .map_or(1, Interval::ms);
            let limit: usize = query(url, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(500);
            let start = query(url, "startTime").and_then(|t| t.parse().ok());
            let end = query(url, "endTime").and_then(|t| t.parse().ok());
            let all = periods(step, start.unwrap_or(i64::MIN / 2), end.unwrap_or(i64::MAX));
            let page: &[i64] = match start {
                Some(_) => &all[..all.len().min(limit)],
                None => &all[all.len().saturating_sub(limit)..],
            };
            let rows: Vec<String> = page
                .iter()
                .map(|&t| {
                    let p = price(t);
                    format!(
                        r#"[{t},"{p}","{}","{}","{p}","10",{},"0",1,"0","0","0"]"#,
                        p + 1.0,
                        p - 1.0,
                        t + step - 1
                    )
                })
                .collect();
            format!("[{}]", rows.join(","))
        } else {
            let step = query(url, "granularity")
                .and_then(|g| g.parse::<i64>().ok())
                .unwrap_or(1)
                * 1000;
            let (from, to) = (
                iso(query(url, "start").unwrap_or("")),
                iso(query(url, "end").unwrap_or("")),
            );
            let rows: Vec<String> = periods(step, from, to)
                .iter()
                .rev()
                .map(|&t| {
                    let p = price(t);
                    format!("[{},{},{},{p},{p},10]", t / 1000, p - 1.0, p + 1.0)
                })
                .collect();
            format!("[{}]", rows.join(","))
        }
    }
}

impl Transport for Exchange {
    async fn send(&self, request: &Request, _: u64) -> Result<Vec<u8>, Attempt> {
        self.urls.borrow_mut().push(request.url.clone());
        Ok(self.body(&request.url).into_bytes())
    }
    fn is_stopped(&self) -> bool {
        false
    }
}

fn feed(source: SourceId, interval: Interval) -> Feed<Exchange, At> {
    let config = SourceConfig {
        base: "http://127.0.0.1:9".into(),
        interval,
        ..SourceConfig::default()
    };
    Feed::new(source, config, Exchange::default(), At(NOW), || {})
}

fn spaced(bars: &Bars, step: i64) -> bool {
    bars.time().windows(2).all(|w| w[1] - w[0] == step)
}

#[test]
fn a_binance_history_at_5m_is_one_page_of_the_newest_1000_five_minute_klines() {
    let f = feed(SourceId::Binance, Interval::M5);
    let bars = block_on(f.load("BTCUSDT", None)).unwrap().bars.unwrap();
    let urls = f.transport().urls.borrow();
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].contains("interval=5m") && urls[0].contains("limit=1000"),
        "{}",
        urls[0]
    );
    assert_eq!(bars.len(), 1_000);
    assert_eq!(*bars.time().last().unwrap(), Interval::M5.open_of(NOW));
    assert!(spaced(&bars, Interval::M5.ms()));
}

#[test]
fn binance_pages_back_to_a_depth_and_forward_for_a_tail_at_any_interval() {
    let f = feed(SourceId::Binance, Interval::H1);
    let deep = block_on(f.load_back("BTCUSDT", 2_500, None))
        .unwrap()
        .bars
        .unwrap();
    assert_eq!(deep.len(), 2_500);
    assert!(spaced(&deep, HOUR));
    assert_eq!(f.transport().urls.borrow().len(), 3);
    let f = feed(SourceId::Binance, Interval::M1);
    let from = Interval::M1.open_of(NOW) - 1_500 * 60_000;
    let tail = block_on(f.load("BTCUSDT", Some(from)))
        .unwrap()
        .bars
        .unwrap();
    assert_eq!(tail.time()[0], from);
    assert_eq!(tail.len(), 1_501);
    let urls = f.transport().urls.borrow();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls.iter().all(|u| u.contains("interval=1m")));
}

#[test]
fn load_between_brings_exactly_the_bars_of_the_range_paged_forward() {
    let f = feed(SourceId::Binance, Interval::M5);
    let step = Interval::M5.ms();
    let end = Interval::M5.last_closed_open(NOW);
    let start = end - 2_399 * step;
    let got = block_on(f.load_between("ETHUSDT", start, end)).unwrap();
    let bars = got.bars.unwrap();
    assert_eq!((bars.len(), bars.time()[0]), (2_400, start));
    assert_eq!(*bars.time().last().unwrap(), end);
    assert!(spaced(&bars, step));
    {
        let urls = f.transport().urls.borrow();
        assert_eq!(urls.len(), 3, "{urls:?}");
        assert!(urls[0].contains(&format!("startTime={start}&endTime={end}")));
        assert!(urls[1].contains(&format!("startTime={}", start + 999 * step + 1)));
    }
    // Nothing in the range (the future), or a reversed range: no bars.
    assert_eq!(
        block_on(f.load_between("ETHUSDT", NOW + HOUR, NOW + 2 * HOUR))
            .unwrap()
            .bars,
        None
    );
    assert_eq!(
        block_on(f.load_between("ETHUSDT", end, start))
            .unwrap()
            .bars,
        None
    );
    // Coinbase: the candle pages covering the range, cut to it.
    let f = feed(SourceId::Coinbase, Interval::M15);
    let end = Interval::M15.last_closed_open(NOW);
    let start = end - 9 * Interval::M15.ms();
    let bars = block_on(f.load_between("BTC-USD", start, end))
        .unwrap()
        .bars
        .unwrap();
    assert_eq!((bars.len(), bars.time()[0]), (10, start));
    assert!(f.transport().urls.borrow()[0].contains("granularity=900"));
}

#[test]
fn coinbase_4h_asks_for_hourly_candles_and_yields_four_hour_bars() {
    let f = feed(SourceId::Coinbase, Interval::H4);
    let bars = block_on(f.load("BTC-USD", None)).unwrap().bars.unwrap();
    let urls = f.transport().urls.borrow();
    assert!(
        urls.iter().all(|u| u.contains("granularity=3600")),
        "{urls:?}"
    );
    // 1,000 four-hour bars of hourly candles: 4,000 candles, 300 a page
    // with one shared per page.
    assert_eq!(urls.len(), 14);
    assert!(bars.time().iter().all(|t| t % (4 * HOUR) == 0));
    assert!(spaced(&bars, 4 * HOUR));
    assert_eq!(bars.len(), 1_001, "the 1,000 back and the bar still open");
    // The open bar (12:00) holds the hours so far: 12:00 and 13:00.
    let last = bars.len() - 1;
    assert_eq!(bars.time()[last], Interval::H4.open_of(NOW));
    assert_eq!(bars.volume()[last], 20.0);
    assert_eq!(bars.volume()[last - 1], 40.0);
}

#[test]
fn a_daily_coinbase_history_still_asks_for_daily_candles() {
    let f = feed(SourceId::Coinbase, Interval::D1);
    let bars = block_on(f.load("BTC-USD", None)).unwrap().bars.unwrap();
    let urls = f.transport().urls.borrow();
    assert!(urls.iter().all(|u| u.contains("granularity=86400")));
    assert_eq!(urls.len(), 4);
    assert!(spaced(&bars, DAY_MS));
    // A stock source ignores the interval.
    assert_eq!(
        feed(SourceId::Polygon, Interval::M5).interval(),
        Interval::D1
    );
}
