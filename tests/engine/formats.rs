//! See main.rs for what this module covers.

use crate::common::repo_root;
use proptest::prelude::*;
use std::io::Write;
use technic::data::formats::import::{import_files, parse_universe, ImportError};
use technic::data::formats::{
    binance, coinbase, expand_template, polygon, redact, twelvedata, Format, FormatError, Service,
};
use technic::engine::bars::Rule;
use technic::engine::Bars;

const DAY: i64 = 86_400_000;
/// 2024-01-01 00:00 UTC.
const JAN1: i64 = 1_704_067_200_000;
const KEY: &str = "sEcReT-kEy_123";

fn fixture(path: &str) -> Vec<u8> {
    let p = repo_root().join("tests/fixtures").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The error's message, after checking that it mentions every `needle`.
fn message_with(e: &FormatError, needles: &[&str]) -> String {
    let m = e.to_string();
    for n in needles {
        assert!(m.contains(n), "message {m:?} should mention {n:?}");
    }
    m
}

fn columns(b: &Bars) -> Vec<(i64, f64, f64, f64, f64, f64)> {
    (0..b.len())
        .map(|i| {
            (
                b.time()[i],
                b.open()[i],
                b.high()[i],
                b.low()[i],
                b.close()[i],
                b.volume()[i],
            )
        })
        .collect()
}

// ---- Binance ----

#[test]
fn binance_klines_become_bars_at_their_open_time() {
    let b = binance::parse_klines("BTCUSDT", &fixture("binance/klines_BTCUSDT_1d.json")).unwrap();
    assert_eq!(
        columns(&b),
        vec![
            (JAN1, 42283.58, 44184.10, 42180.77, 44179.55, 27174.29903),
            (
                JAN1 + DAY,
                44179.55,
                45879.63,
                44148.34,
                44946.91,
                65146.40661
            ),
            (
                JAN1 + 2 * DAY,
                44946.91,
                45500.0,
                40750.0,
                42845.23,
                81194.55173
            ),
        ]
    );
}

#[test]
fn binance_error_object_gives_its_code_and_message() {
    let e = binance::parse_klines("FOOUSDT", &fixture("binance/error_invalid_symbol.json"))
        .unwrap_err();
    assert!(matches!(
        &e,
        FormatError::Service { code: Some(-1121), message, .. } if message == "Invalid symbol."
    ));
    message_with(&e, &["Binance", "FOOUSDT", "-1121", "Invalid symbol."]);
}

#[test]
fn binance_empty_array_is_an_empty_answer() {
    let e = binance::parse_klines("BTCUSDT", &fixture("binance/klines_empty.json")).unwrap_err();
    assert!(matches!(
        e,
        FormatError::Empty {
            service: Service::Binance,
            ..
        }
    ));
    message_with(&e, &["BTCUSDT", "no bars"]);
}

#[test]
fn binance_value_that_is_not_a_number_is_named_by_its_path_and_text() {
    let body = br#"[[1704067200000,"1","2","0.5","1.5","10",0],[1704153600000,"1.5","abc","1","1.2","10",0]]"#;
    let e = binance::parse_klines("X", body).unwrap_err();
    message_with(&e, &["[1][2]", "`abc`", "not a number"]);
    let short = br#"[[1704067200000,"1","2","0.5"]]"#;
    message_with(
        &binance::parse_klines("X", short).unwrap_err(),
        &["[0][4]", "missing"],
    );
    let bad_time = br#"[["yesterday","1","2","0.5","1.5","10"]]"#;
    message_with(
        &binance::parse_klines("X", bad_time).unwrap_err(),
        &["[0][0]", "yesterday", "integer time"],
    );
}

#[test]
fn binance_nan_infinite_and_negative_prices_are_rejected_at_their_row() {
    for (bad, rule) in [
        ("NaN", Rule::NotFinite),
        ("inf", Rule::NotFinite),
        ("1e999", Rule::NotFinite),
        ("-1.5", Rule::NonPositivePrice),
    ] {
        let body = format!(
            r#"[[1704067200000,"1","2","0.5","1.5","10"],[1704153600000,"1","2","0.5","{bad}","10"]]"#
        );
        match binance::parse_klines("X", body.as_bytes()) {
            Err(FormatError::InvalidBar { path, source, .. }) => {
                assert_eq!(
                    (path.as_str(), source.rule, source.row),
                    ("[1]", rule, Some(1))
                );
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn binance_out_of_order_klines_are_an_error_not_sorted() {
    let body =
        br#"[[1704153600000,"1","2","0.5","1.5","10"],[1704067200000,"1","2","0.5","1.5","10"]]"#;
    let e = binance::parse_klines("X", body).unwrap_err();
    message_with(&e, &["[1]", "strictly increase"]);
}

#[test]
fn truncated_and_invalid_json_say_where_parsing_stopped() {
    let full = fixture("binance/klines_BTCUSDT_1d.json");
    let cut = &full[..full.len() / 2];
    let e = binance::parse_klines("BTCUSDT", cut).unwrap_err();
    assert!(
        matches!(e, FormatError::Json { line, .. } if line >= 2),
        "{e}"
    );
    message_with(&e, &["BTCUSDT", "not valid JSON", "line"]);
    for (body, service) in [
        (&b"[1,2,"[..], Service::Binance),
        (b"<html>502</html>", Service::Binance),
        (b"   ", Service::Binance),
    ] {
        let e = binance::parse_klines("X", body).unwrap_err();
        assert!(
            matches!(&e, FormatError::Json { service: s, .. } | FormatError::Shape { service: s, .. } if *s == service),
            "{e:?}"
        );
    }
}

#[test]
fn binance_top_pairs_are_usdt_pairs_by_quote_volume() {
    let body = fixture("binance/ticker_24hr.json");
    let top = binance::top_usdt_pairs(&body, 3).unwrap();
    let names: Vec<&str> = top.iter().map(|t| t.symbol.as_str()).collect();
    assert_eq!(names, ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
    assert_eq!(top[0].quote_volume, 2_944_745_003.301_656);
    let all = binance::top_usdt_pairs(&body, 100).unwrap();
    assert_eq!(all.len(), 5, "ETHBTC is not a USDT pair");
    assert_eq!(all[4].symbol, "BNBUSDT");
    assert!(binance::top_usdt_pairs(&body, 0).unwrap().is_empty());
    let bad = br#"[{"symbol":"AUSDT","quoteVolume":"lots"}]"#;
    message_with(
        &binance::top_usdt_pairs(bad, 5).unwrap_err(),
        &["[0].quoteVolume", "lots"],
    );
    message_with(
        &binance::top_usdt_pairs(br#"{"code":-1003,"msg":"Too many requests."}"#, 5).unwrap_err(),
        &["-1003", "Too many requests."],
    );
}

#[test]
fn binance_klines_url_carries_range_and_clamped_limit() {
    let req = binance::KlinesRequest {
        start_time: Some(JAN1),
        end_time: Some(JAN1 + 10 * DAY),
        limit: 5000,
        ..binance::KlinesRequest::daily(binance::DATA_API_BASE, "btcusdt")
    };
    assert_eq!(
        req.url().unwrap(),
        "https://data-api.binance.vision/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime=1704067200000&endTime=1704931200000&limit=1000"
    );
    let plain = binance::KlinesRequest::daily("https://api.binance.com/", "ETHUSDT");
    assert_eq!(
        plain.url().unwrap(),
        "https://api.binance.com/api/v3/klines?symbol=ETHUSDT&interval=1d&limit=1000"
    );
    assert_eq!(
        binance::ticker_24hr_url(binance::API_BASE).unwrap(),
        "https://api.binance.com/api/v3/ticker/24hr"
    );
    let reversed = binance::KlinesRequest {
        start_time: Some(JAN1),
        end_time: Some(JAN1 - 1),
        ..plain.clone()
    };
    message_with(&reversed.url().unwrap_err(), &["before startTime"]);
    message_with(
        &binance::KlinesRequest::daily("ftp://x", "BTCUSDT")
            .url()
            .unwrap_err(),
        &["http"],
    );
    message_with(
        &binance::KlinesRequest::daily(binance::API_BASE, "  ")
            .url()
            .unwrap_err(),
        &["not a symbol"],
    );
}

#[test]
fn binance_paging_continues_after_a_full_page_only() {
    let page =
        binance::parse_klines("BTCUSDT", &fixture("binance/klines_BTCUSDT_1d.json")).unwrap();
    let full = binance::KlinesRequest {
        limit: 3,
        ..binance::KlinesRequest::daily(binance::DATA_API_BASE, "BTCUSDT")
    };
    let next = full.next_page(&page).unwrap();
    assert_eq!(next.start_time, Some(JAN1 + 2 * DAY + 1));
    assert!(next.url().unwrap().contains("startTime=1704240000001"));
    let short = binance::KlinesRequest {
        limit: 4,
        ..full.clone()
    };
    assert_eq!(short.next_page(&page), None);
    let ended = binance::KlinesRequest {
        end_time: Some(JAN1 + 2 * DAY),
        ..full
    };
    assert_eq!(ended.next_page(&page), None);
}

// ---- Coinbase ----

#[test]
fn coinbase_page_is_read_newest_first_as_sent() {
    let page = coinbase::parse_candles("BTC-USD", &fixture("coinbase/candles_BTC-USD_page1.json"))
        .unwrap();
    assert_eq!(page.len(), 2);
    let c = page[0];
    assert_eq!(
        (c.time, c.low, c.high, c.open, c.close, c.volume),
        (
            JAN1 + 2 * DAY,
            40750.1,
            45503.24,
            44943.87,
            42836.34,
            29862.88451226
        )
    );
    assert_eq!(page[1].time, JAN1 + DAY);
    assert!(coinbase::parse_candles("BTC-USD", b"[]")
        .unwrap()
        .is_empty());
}

#[test]
fn coinbase_pages_merge_into_ascending_bars_without_the_overlap() {
    let p1 = coinbase::parse_candles("BTC-USD", &fixture("coinbase/candles_BTC-USD_page1.json"))
        .unwrap();
    let p2 = coinbase::parse_candles("BTC-USD", &fixture("coinbase/candles_BTC-USD_page2.json"))
        .unwrap();
    let expected = vec![
        (JAN1, 42288.58, 44189.99, 42165.48, 44183.33, 8950.20366524),
        (
            JAN1 + DAY,
            44183.33,
            45899.99,
            44150.0,
            44946.57,
            18556.39814706,
        ),
        (
            JAN1 + 2 * DAY,
            44943.87,
            45503.24,
            40750.1,
            42836.34,
            29862.88451226,
        ),
    ];
    let merged = coinbase::merge_pages("BTC-USD", &[p1.clone(), p2.clone()]).unwrap();
    assert_eq!(columns(&merged), expected);
    let other_order = coinbase::merge_pages("BTC-USD", &[p2, Vec::new(), p1]).unwrap();
    assert_eq!(columns(&other_order), expected);
    let e = coinbase::merge_pages("BTC-USD", &[Vec::new()]).unwrap_err();
    assert!(matches!(
        e,
        FormatError::Empty {
            service: Service::Coinbase,
            ..
        }
    ));
}

#[test]
fn coinbase_bad_candle_is_named_by_page_and_index() {
    let good = coinbase::parse_candles("X", b"[[1704153600,1,2,1.5,1.5,3]]").unwrap();
    // low above open and close, on the second page's second row.
    let bad = coinbase::parse_candles(
        "X",
        b"[[1704326400,1,2,1.5,1.5,3],[1704240000,1.8,2,1.5,1.6,3]]",
    )
    .unwrap();
    let e = coinbase::merge_pages("X", &[good, bad]).unwrap_err();
    message_with(&e, &["Coinbase", "page 1 [1]", "low is above"]);
    message_with(
        &coinbase::parse_candles("X", b"[[1704153600,1,\"x\",1.5,1.5,3]]").unwrap_err(),
        &["[0][2]", "`x`"],
    );
}

#[test]
fn coinbase_error_message_is_reported() {
    let e =
        coinbase::parse_candles("NOPE-USD", &fixture("coinbase/error_not_found.json")).unwrap_err();
    assert!(matches!(&e, FormatError::Service { message, .. } if message == "NotFound"));
    message_with(&e, &["Coinbase", "NOPE-USD", "NotFound"]);
}

#[test]
fn coinbase_page_ranges_cover_the_range_in_pages_of_300_days() {
    let from = JAN1 + 3_600_000; // mid-morning: taken down to midnight
    let to = JAN1 + 700 * DAY;
    let pages = coinbase::page_ranges(from, to);
    assert_eq!(pages.first().unwrap().start, JAN1);
    assert_eq!(pages.last().unwrap().end, to);
    for p in &pages {
        assert!(p.end >= p.start);
        assert!(
            (p.end - p.start) / DAY < 300,
            "{p:?} covers more than 300 days"
        );
    }
    for w in pages.windows(2) {
        assert_eq!(
            w[1].start, w[0].end,
            "consecutive pages share a day, no gap"
        );
    }
    // 701 days, 299 new days per page after the first 300: 3 pages.
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].end, JAN1 + 299 * DAY);
    assert_eq!(pages[0].start_iso(), "2024-01-01T00:00:00Z");
    assert_eq!(pages[0].end_iso(), "2024-10-26T00:00:00Z");
    assert_eq!(coinbase::page_ranges(JAN1, JAN1).len(), 1);
    assert!(coinbase::page_ranges(JAN1, JAN1 - DAY).is_empty());
    assert!(coinbase::page_ranges(i64::MIN, i64::MAX).is_empty());
}

#[test]
fn coinbase_candles_url_asks_for_one_page_of_daily_candles() {
    let page = coinbase::page_ranges(JAN1, JAN1 + 10 * DAY)[0];
    assert_eq!(
        coinbase::candles_url(coinbase::BASE, "btc-usd", page).unwrap(),
        "https://api.exchange.coinbase.com/products/BTC-USD/candles?granularity=86400&start=2024-01-01T00%3A00%3A00Z&end=2024-01-11T00%3A00%3A00Z"
    );
    let too_long = coinbase::PageRange {
        start: JAN1,
        end: JAN1 + 300 * DAY,
    };
    message_with(
        &coinbase::candles_url(coinbase::BASE, "BTC-USD", too_long).unwrap_err(),
        &["300 days"],
    );
}

// ---- Polygon ----

#[test]
fn polygon_aggregates_become_bars_at_their_window_start() {
    let page = polygon::parse_aggregates("AAPL", &fixture("polygon/aggs_AAPL.json")).unwrap();
    assert_eq!(page.next_url, None);
    // 2024-01-02 05:00 UTC is midnight in New York.
    let t0 = JAN1 + DAY + 5 * 3_600_000;
    assert_eq!(
        columns(&page.bars),
        vec![
            (t0, 187.15, 188.44, 183.885, 185.64, 82488674.0),
            (t0 + DAY, 184.22, 185.88, 183.43, 184.25, 58414460.0),
            (t0 + 2 * DAY, 182.15, 183.0872, 180.88, 181.91, 71983570.0),
            (t0 + 3 * DAY, 181.99, 182.76, 180.17, 181.18, 62379661.0),
        ]
    );
}

#[test]
fn polygon_pages_follow_next_url_and_delayed_is_an_answer() {
    let p1 = polygon::parse_aggregates("AAPL", &fixture("polygon/aggs_AAPL_page1.json")).unwrap();
    let next = p1.next_url.as_deref().unwrap();
    assert!(next.contains("cursor=bGltaXQ9MiZzb3J0PWFzYw"));
    assert_eq!(polygon::next_page_url(polygon::BASE, next).unwrap(), next);
    let p2 = polygon::parse_aggregates("AAPL", &fixture("polygon/aggs_AAPL_page2.json")).unwrap();
    assert_eq!(p2.next_url, None);
    let whole = polygon::parse_aggregates("AAPL", &fixture("polygon/aggs_AAPL.json")).unwrap();
    let mut joined = p1.bars.into_columns();
    let tail = p2.bars.into_columns();
    joined.time.extend(tail.time);
    joined.close.extend(tail.close);
    assert_eq!(joined.time, whole.bars.time());
    assert_eq!(joined.close, whole.bars.close());
}

#[test]
fn polygon_error_statuses_give_the_service_message() {
    let e =
        polygon::parse_aggregates("AAPL", &fixture("polygon/error_unknown_key.json")).unwrap_err();
    assert!(
        matches!(&e, FormatError::Service { status: Some(s), message, .. }
        if s == "ERROR" && message == "Unknown API Key")
    );
    message_with(&e, &["Polygon", "AAPL", "ERROR", "Unknown API Key"]);
    let e = polygon::parse_aggregates("AAPL", &fixture("polygon/error_not_authorized.json"))
        .unwrap_err();
    message_with(&e, &["NOT_AUTHORIZED", "not entitled"]);
    let e = polygon::parse_aggregates("ZZZZ", &fixture("polygon/aggs_empty.json")).unwrap_err();
    assert!(matches!(
        e,
        FormatError::Empty {
            service: Service::Polygon,
            ..
        }
    ));
    let e = polygon::parse_aggregates("X", br#"{"results":[]}"#).unwrap_err();
    message_with(&e, &["no status"]);
    let e = polygon::parse_aggregates("X", b"[]").unwrap_err();
    message_with(&e, &["expected a JSON object"]);
    let e = polygon::parse_aggregates(
        "X",
        br#"{"status":"OK","results":[{"t":1704171600000,"o":1,"h":2,"l":0.5,"c":1.5}]}"#,
    )
    .unwrap_err();
    message_with(&e, &["results[0].v", "missing"]);
    let e = polygon::parse_aggregates(
        "X",
        br#"{"status":"OK","results":[{"t":1704171600000,"o":1,"h":2,"l":0.5,"c":-1.5,"v":1}]}"#,
    )
    .unwrap_err();
    message_with(&e, &["results[0]", "price must be positive"]);
}

#[test]
fn polygon_url_asks_for_adjusted_ascending_daily_aggregates() {
    let url = polygon::aggregates_url(polygon::BASE, "aapl", JAN1, JAN1 + 30 * DAY).unwrap();
    assert_eq!(
        url,
        "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-01-01/2024-01-31?adjusted=true&sort=asc&limit=50000"
    );
    assert_eq!(
        polygon::auth_header(polygon::BASE, KEY).unwrap(),
        ("Authorization", format!("Bearer {KEY}"))
    );
    message_with(
        &polygon::auth_header(polygon::BASE, " ").unwrap_err(),
        &["no API key"],
    );
    message_with(
        &polygon::aggregates_url(polygon::BASE, "AAPL", JAN1 + DAY, JAN1).unwrap_err(),
        &["before it starts"],
    );
    // A key the server echoed in next_url is dropped (the key goes in a header).
    let echoed = "https://api.polygon.io/v2/x?cursor=abc&apiKey=old";
    assert_eq!(
        polygon::next_page_url(polygon::BASE, echoed).unwrap(),
        "https://api.polygon.io/v2/x?cursor=abc"
    );
}

/// Regression (review §3B): a server-supplied `next_url` to another origin
/// was followed with the key.
#[test]
fn polygon_next_url_is_followed_on_the_base_origin_only() {
    for other in [
        "https://evil.example/v2/x?cursor=1",
        "http://api.polygon.io/v2/x",
        "https://api.polygon.io:8443/v2/x",
        "https://api.polygon.io.evil.example/v2/x",
    ] {
        let e = polygon::next_page_url(polygon::BASE, other).unwrap_err();
        message_with(&e, &["another host", "not followed"]);
    }
    assert!(polygon::next_page_url("http://127.0.0.1:9", "http://127.0.0.1:9/v2/n").is_ok());
    assert!(polygon::next_page_url("http://127.0.0.1:9", "http://127.0.0.1:10/v2/n").is_err());
}

/// Host names are ASCII only (`idna_adapter` 1.0, without the Unicode IDNA
/// tables): an internationalised host is refused with a message naming
/// `next_url`, never followed and never a panic; its punycode form is a host
/// like any other.
#[test]
fn polygon_next_url_with_a_unicode_host_is_refused_by_name() {
    let e = polygon::next_page_url(polygon::BASE, "https://bücher.example/v2/x").unwrap_err();
    message_with(&e, &["next_url"]);
    let e =
        polygon::next_page_url(polygon::BASE, "https://xn--bcher-kva.example/v2/x").unwrap_err();
    message_with(&e, &["another host", "not followed"]);
}

/// Regression (found by the json_polygon fuzz target): an empty user part
/// (`https://@api.polygon.io/…`) is the base's origin, but `fetch` refuses a
/// URL with credentials; the next page is followed in its normalised form,
/// and a next_url with a user or password is not followed at all.
#[test]
fn polygon_next_url_is_followed_in_normalised_form_and_never_with_credentials() {
    assert_eq!(
        polygon::next_page_url(polygon::BASE, "https://@api.polygon.io/v2/x?cursor=c").unwrap(),
        "https://api.polygon.io/v2/x?cursor=c"
    );
    assert_eq!(
        polygon::next_page_url(polygon::BASE, "https://API.Polygon.io/v2/x").unwrap(),
        "https://api.polygon.io/v2/x"
    );
    for with_user in [
        "https://user@api.polygon.io/v2/x",
        "https://user:pw@api.polygon.io/v2/x",
        "https://:pw@api.polygon.io/v2/x",
    ] {
        let e = polygon::next_page_url(polygon::BASE, with_user).unwrap_err();
        message_with(&e, &["credentials", "not followed"]);
    }
}

// ---- Twelve Data ----

#[test]
fn twelvedata_values_newest_first_become_ascending_bars() {
    let b = twelvedata::parse_time_series("AAPL", &fixture("twelvedata/time_series_AAPL.json"))
        .unwrap();
    assert_eq!(
        columns(&b),
        vec![
            (JAN1 + DAY, 187.14999, 188.44, 183.89, 185.64, 82488700.0),
            (
                JAN1 + 2 * DAY,
                184.22,
                185.88,
                183.42999,
                184.25,
                58414500.0
            ),
            (
                JAN1 + 3 * DAY,
                182.14999,
                183.08501,
                180.88,
                181.91,
                71983600.0
            ),
            (
                JAN1 + 4 * DAY,
                181.99001,
                182.75999,
                180.17,
                181.17999,
                62379700.0
            ),
        ]
    );
}

#[test]
fn twelvedata_error_shape_gives_code_and_message() {
    for (file, code, words) in [
        (
            "twelvedata/error_401.json",
            401,
            "**apikey** parameter is incorrect",
        ),
        (
            "twelvedata/error_400_symbol.json",
            400,
            "**symbol** not found",
        ),
        ("twelvedata/error_429.json", 429, "run out of API credits"),
    ] {
        let e = twelvedata::parse_time_series("AAPL", &fixture(file)).unwrap_err();
        assert!(
            matches!(&e, FormatError::Service { code: Some(c), .. } if *c == code),
            "{e:?}"
        );
        message_with(&e, &["Twelve Data", "AAPL", &code.to_string(), words]);
    }
}

#[test]
fn twelvedata_bad_values_are_named_by_their_index_as_sent() {
    let body = br#"{"status":"ok","values":[
        {"datetime":"2024-01-03","open":"10","high":"11","low":"9","close":"10.5","volume":"5"},
        {"datetime":"2024-01-02","open":"10","high":"11","low":"9","close":"oops","volume":"5"}]}"#;
    message_with(
        &twelvedata::parse_time_series("X", body).unwrap_err(),
        &["values[1].close", "`oops`"],
    );
    // Newest first, so the sent index differs from the bar's row.
    let body = br#"{"status":"ok","values":[
        {"datetime":"2024-01-03","open":"10","high":"11","low":"9","close":"10.5"},
        {"datetime":"2024-01-02","open":"10","high":"11","low":"9","close":"NaN"}]}"#;
    match twelvedata::parse_time_series("X", body) {
        Err(FormatError::InvalidBar { path, source, .. }) => {
            assert_eq!(path, "values[1]");
            assert_eq!((source.rule, source.row), (Rule::NotFinite, Some(0)));
        }
        other => panic!("{other:?}"),
    }
    let body = br#"{"status":"ok","values":[{"datetime":"Jan 2","open":"1","high":"1","low":"1","close":"1"}]}"#;
    message_with(
        &twelvedata::parse_time_series("X", body).unwrap_err(),
        &["values[0].datetime", "`Jan 2`", "not a date"],
    );
    // Volume is optional (forex); intraday datetimes are read as UTC.
    let body = br#"{"status":"ok","values":[{"datetime":"2024-01-01 09:30:00","open":"1","high":"1","low":"1","close":"1"}]}"#;
    let b = twelvedata::parse_time_series("EUR/USD", body).unwrap();
    assert_eq!((b.time()[0], b.volume()[0]), (JAN1 + 34_200_000, 0.0));
}

#[test]
fn twelvedata_url_asks_for_daily_utc_values_and_the_key_goes_in_a_header() {
    let url = twelvedata::time_series_url(twelvedata::BASE, "aapl", JAN1, JAN1 + 4 * DAY).unwrap();
    assert_eq!(
        url,
        "https://api.twelvedata.com/time_series?symbol=AAPL&interval=1day&start_date=2024-01-01&end_date=2024-01-05&outputsize=5000&timezone=UTC"
    );
    assert_eq!(
        twelvedata::auth_header(twelvedata::BASE, KEY).unwrap(),
        ("Authorization", format!("apikey {KEY}"))
    );
    message_with(
        &twelvedata::auth_header(twelvedata::BASE, "").unwrap_err(),
        &["no API key"],
    );
    let eur = twelvedata::time_series_url(twelvedata::BASE, "EUR/USD", JAN1, JAN1).unwrap();
    assert!(eur.contains("symbol=EUR%2FUSD"));
}

// ---- keys never leak ----

#[test]
fn redact_removes_the_key_from_every_url_builder_output() {
    let urls = [
        polygon::aggregates_url(polygon::BASE, "AAPL", JAN1, JAN1 + DAY).unwrap(),
        polygon::next_page_url(polygon::BASE, "https://api.polygon.io/v2/x?cursor=c").unwrap(),
        twelvedata::time_series_url(twelvedata::BASE, "AAPL", JAN1, JAN1 + DAY).unwrap(),
        binance::KlinesRequest::daily(binance::DATA_API_BASE, "BTCUSDT")
            .url()
            .unwrap(),
        coinbase::candles_url(
            coinbase::BASE,
            "BTC-USD",
            coinbase::page_ranges(JAN1, JAN1)[0],
        )
        .unwrap(),
        expand_template(
            &format!("http://127.0.0.1:8080/{{symbol}}.json?apikey={KEY}"),
            "AAPL",
        )
        .unwrap(),
    ];
    for url in &urls {
        let r = redact(url);
        assert!(!r.contains(KEY), "{r}");
        // Everything but the key survives.
        assert_eq!(r.replace("REDACTED", KEY), *url);
    }
    assert!(
        !urls[0].contains(KEY) && !urls[1].contains(KEY) && !urls[2].contains(KEY),
        "keyed services' URLs never carry the key (it goes in a header)"
    );
}

#[test]
fn no_error_message_repeats_a_key() {
    let base_with_key = format!("https://api.polygon.io?apiKey={KEY}&x=1");
    let errors = [
        // Builders refusing a base, symbol or range that carries a key.
        polygon::aggregates_url("ftp://x?apiKey=sEcReT-kEy_123", "AAPL", JAN1, JAN1).unwrap_err(),
        polygon::aggregates_url(&base_with_key, "AAPL", JAN1 + DAY, JAN1).unwrap_err(),
        polygon::aggregates_url(&base_with_key, " ", JAN1, JAN1).unwrap_err(),
        polygon::next_page_url(polygon::BASE, &format!("nonsense?apiKey={KEY}")).unwrap_err(),
        polygon::next_page_url(polygon::BASE, &format!("https://evil.example/?apiKey={KEY}"))
            .unwrap_err(),
        twelvedata::time_series_url(&format!("https://h/?apikey={KEY}"), "AAPL", JAN1 + DAY, JAN1)
            .unwrap_err(),
        twelvedata::time_series_url(&format!("ws://h/?apikey={KEY}"), "AAPL", JAN1, JAN1)
            .unwrap_err(),
        expand_template(&format!("http://h/data.csv?apikey={KEY}"), "AAPL").unwrap_err(),
        expand_template(&format!("file:///{{symbol}}?APIKEY={KEY}"), "AAPL").unwrap_err(),
        // Services quoting a URL with the key back in their messages or values.
        polygon::parse_aggregates(
            "AAPL",
            format!(r#"{{"status":"ERROR","error":"bad request https://api.polygon.io/v2?apiKey={KEY}"}}"#)
                .as_bytes(),
        )
        .unwrap_err(),
        twelvedata::parse_time_series(
            "AAPL",
            format!(r#"{{"status":"error","code":401,"message":"apikey={KEY} is wrong"}}"#)
                .as_bytes(),
        )
        .unwrap_err(),
        binance::parse_klines(
            "X",
            format!(r#"[[1704067200000,"apiKey={KEY}","2","1","1","1"]]"#).as_bytes(),
        )
        .unwrap_err(),
    ];
    for e in &errors {
        let m = e.to_string();
        assert!(!m.contains(KEY), "{m}");
        assert!(!format!("{e:?}").contains(KEY), "{e:?}");
    }
    assert!(errors[0].to_string().contains("REDACTED"));
}

// ---- URL template and format choice ----

#[test]
fn url_template_fills_the_symbol_and_each_format_parses_its_shape() {
    assert_eq!(
        expand_template("http://127.0.0.1:9/data/{symbol}.csv", "BRK.B").unwrap(),
        "http://127.0.0.1:9/data/BRK.B.csv"
    );
    assert_eq!(
        expand_template("https://h/{symbol}/{symbol}.json", "A B").unwrap(),
        "https://h/A%20B/A%20B.json"
    );
    message_with(
        &expand_template("http://h/data.csv", "AAPL").unwrap_err(),
        &["{symbol}"],
    );
    let csv = Format::Csv
        .parse("AAPL", &fixture("import/AAPL.csv"))
        .unwrap();
    assert_eq!(csv.close(), &[185.64, 184.25, 181.91]);
    let poly = Format::PolygonJson
        .parse("AAPL", &fixture("polygon/aggs_AAPL.json"))
        .unwrap();
    assert_eq!(poly.len(), 4);
    let bin = Format::BinanceJson
        .parse("BTCUSDT", &fixture("binance/klines_BTCUSDT_1d.json"))
        .unwrap();
    assert_eq!(bin.close()[2], 42845.23);
    message_with(
        &Format::Csv
            .parse("BAD", &fixture("import/BAD.csv"))
            .unwrap_err(),
        &["BAD", "line 3", "abc"],
    );
    assert_eq!("Binance-JSON".parse::<Format>(), Ok(Format::BinanceJson));
}

// ---- import ----

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        if name.ends_with('/') {
            w.add_directory(*name, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_with_one_bad_file_accepts_the_others_and_names_the_bad_one() {
    let (aapl, msft, bad, long) = (
        fixture("import/AAPL.csv"),
        fixture("import/msft.us.txt"),
        fixture("import/BAD.csv"),
        fixture("import/long.csv"),
    );
    let archive = zip_of(&[
        ("data/", b""),
        ("data/AAPL.csv", &aapl),
        ("data/bad/BAD.csv", &bad),
        ("data/stooq/msft.us.txt", &msft),
        ("__MACOSX/data/._AAPL.csv", b"\0\x05\x16\x07junk"),
        ("data/.DS_Store", b"\0\0\0\x01Bud1"),
        ("README.md", b"# prices"),
        ("long.csv", &long),
    ]);
    let results = import_files(vec![("prices.zip".to_string(), archive)]);
    let summary: Vec<(&str, Option<&str>, bool)> = results
        .iter()
        .map(|r| (r.file.as_str(), r.symbol.as_deref(), r.is_accepted()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("prices.zip/data/AAPL.csv", Some("AAPL"), true),
            ("prices.zip/data/bad/BAD.csv", Some("BAD"), false),
            ("prices.zip/data/stooq/msft.us.txt", Some("MSFT.US"), true),
            ("prices.zip/README.md", None, false),
            ("prices.zip/long.csv", Some("IBM"), true),
            ("prices.zip/long.csv", Some("KO"), true),
            ("prices.zip/long.csv", Some("XOM"), true),
        ]
    );
    assert_eq!(results[0].bar_count(), 3);
    assert_eq!(
        results[0].outcome.as_ref().unwrap().close(),
        &[185.64, 184.25, 181.91]
    );
    assert_eq!(results[2].bar_count(), 2);
    let reason = results[1].outcome.as_ref().unwrap_err().to_string();
    for needle in ["BAD", "line 3", "High", "abc"] {
        assert!(
            reason.contains(needle),
            "{reason:?} should mention {needle:?}"
        );
    }
    assert!(matches!(results[3].outcome, Err(ImportError::NotCsv)));
}

#[test]
fn a_corrupt_zip_is_one_rejection_and_the_other_files_still_import() {
    let mut broken = zip_of(&[("AAPL.csv", &fixture("import/AAPL.csv"))]);
    broken.truncate(broken.len() / 2);
    let results = import_files(vec![
        ("broken.zip".to_string(), broken),
        ("not-a-zip.ZIP".to_string(), b"hello".to_vec()),
        ("AAPL.csv".to_string(), fixture("import/AAPL.csv")),
        ("notes.pdf".to_string(), b"%PDF".to_vec()),
    ]);
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].file, "broken.zip");
    assert!(matches!(results[0].outcome, Err(ImportError::Zip { .. })));
    assert!(results[0]
        .outcome
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("ZIP"));
    assert!(matches!(results[1].outcome, Err(ImportError::Zip { .. })));
    assert!(results[2].is_accepted());
    assert_eq!(results[2].symbol.as_deref(), Some("AAPL"));
    assert!(matches!(results[3].outcome, Err(ImportError::NotCsv)));
}

/// Regression (review §3E): the limits were 256 MiB a member and 1 GiB in
/// all, as large as the whole wasm heap, so a big archive aborted the page.
#[test]
fn zip_limits_stay_well_under_the_wasm_heap() {
    use technic::data::formats::import::{MAX_MEMBER_BYTES, MAX_ZIP_BYTES, MAX_ZIP_MEMBERS};
    const WASM_HEAP: u64 = 1 << 30;
    const { assert!(MAX_MEMBER_BYTES <= WASM_HEAP / 16) };
    const { assert!(MAX_ZIP_BYTES <= WASM_HEAP / 4) };
    const { assert!(MAX_ZIP_MEMBERS <= 50_000) };
}

#[test]
fn a_huge_archive_is_refused_with_a_result_naming_it_never_an_abort() {
    use technic::data::formats::import::{import_files_within, ImportLimits};
    let aapl = fixture("import/AAPL.csv");
    let big = vec![b'x'; 4_000];
    let limits = ImportLimits {
        member_bytes: 3_000,
        zip_bytes: 2 * aapl.len() as u64 + 100,
        zip_members: 5,
    };
    // One member past the member limit: that member is refused, by name.
    let archive = zip_of(&[("AAPL.csv", &aapl), ("big/HUGE.csv", &big)]);
    let roomy = ImportLimits {
        zip_bytes: 100_000,
        ..limits
    };
    let r = import_files_within(vec![("a.zip".into(), archive)], &roomy);
    assert!(r[0].is_accepted());
    assert_eq!(r[1].file, "a.zip/big/HUGE.csv");
    assert_eq!(r[1].outcome, Err(ImportError::TooLarge { limit: 3_000 }));
    // The total spent: the archive is named, the rest not read.
    let archive = zip_of(&[("A.csv", &aapl), ("B.csv", &aapl), ("C.csv", &aapl)]);
    let r = import_files_within(vec![("b.zip".into(), archive)], &limits);
    assert_eq!(r.len(), 3);
    assert!(r[0].is_accepted() && r[1].is_accepted());
    assert_eq!(r[2].file, "b.zip");
    let why = r[2].outcome.as_ref().unwrap_err().to_string();
    assert!(why.contains("in all") && why.contains("not read"), "{why}");
    // Too many members: one result for the archive, nothing inflated.
    let many: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| (format!("S{i}.csv"), aapl.clone()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let r = import_files_within(vec![("c.zip".into(), zip_of(&refs))], &limits);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].file, "c.zip");
    assert_eq!(
        r[0].outcome,
        Err(ImportError::TooManyMembers { count: 6, limit: 5 })
    );
}

#[test]
fn a_long_file_gives_one_result_per_symbol() {
    let mut long = fixture("import/long.csv");
    long.extend_from_slice(b"KO,2024-01-04,59.5,59.6,59.9,59.4,1\n"); // high below low
    let results = import_files(vec![("all.csv".to_string(), long)]);
    let symbols: Vec<_> = results
        .iter()
        .map(|r| r.symbol.as_deref().unwrap())
        .collect();
    assert_eq!(symbols, ["IBM", "KO", "XOM"]);
    assert_eq!(
        results[0].outcome.as_ref().unwrap().close(),
        &[161.5, 160.1]
    );
    assert_eq!(results[2].bar_count(), 2);
    let ko = results[1].outcome.as_ref().unwrap_err().to_string();
    assert!(ko.contains("KO") && ko.contains("line 8"), "{ko}");
}

#[test]
fn a_symbol_imported_twice_keeps_its_first_file() {
    let aapl = fixture("import/AAPL.csv");
    let results = import_files(vec![
        ("AAPL.csv".to_string(), aapl.clone()),
        ("more/aapl.csv".to_string(), aapl),
    ]);
    assert!(results[0].is_accepted());
    match &results[1].outcome {
        Err(e @ ImportError::Duplicate { .. }) => {
            assert!(e.to_string().contains("AAPL.csv"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn universe_lists_split_on_spaces_commas_and_lines() {
    let u = parse_universe("aapl, MSFT  goog\nibm;\"KO\"\n\nAAPL\tXOM");
    let symbols: Vec<&str> = u.iter().map(|e| e.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAPL", "MSFT", "GOOG", "IBM", "KO", "XOM"]);
    assert!(u
        .iter()
        .all(|e| e.sector.is_none() && e.market_cap.is_none()));
    assert!(parse_universe("").is_empty());
    assert!(parse_universe(" ,\n ; ").is_empty());
}

#[test]
fn universe_csv_keeps_sector_industry_and_market_cap() {
    let text = String::from_utf8(fixture("import/universe.csv")).unwrap();
    let u = parse_universe(&text);
    assert_eq!(u.len(), 4, "the repeated AAPL keeps its first entry");
    assert_eq!(u[0].symbol, "AAPL");
    assert_eq!(u[0].sector.as_deref(), Some("Information Technology"));
    assert_eq!(u[0].industry.as_deref(), Some("Technology Hardware"));
    assert_eq!(u[0].market_cap, Some(2.87e12));
    assert_eq!(
        (u[1].symbol.as_str(), u[1].market_cap),
        ("MSFT", Some(2.81e12))
    );
    assert_eq!((u[2].symbol.as_str(), u[2].market_cap), ("XOM", None));
    assert_eq!(u[3].industry, None);
    assert_eq!(u[3].market_cap, Some(258.5e9));
    let semicolons = parse_universe("Ticker;Sector\nSAP;Software\n");
    assert_eq!(semicolons[0].symbol, "SAP");
    assert_eq!(semicolons[0].sector.as_deref(), Some("Software"));
}

// ---- nothing panics ----

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    proptest::string::string_regex(r#"[\[\]{}",:0-9a-zA-Z.eE+\- ]{0,160}"#)
        .unwrap()
        .prop_map(String::into_bytes)
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), json_ish()]
}

proptest! {
    #[test]
    fn every_parser_survives_random_bytes(bytes in any_bytes()) {
        let _ = binance::parse_klines("X", &bytes);
        let _ = binance::top_usdt_pairs(&bytes, 5);
        let _ = coinbase::parse_candles("X", &bytes).map(|p| coinbase::merge_pages("X", &[p]));
        let _ = polygon::parse_aggregates("X", &bytes);
        let _ = twelvedata::parse_time_series("X", &bytes);
        for f in Format::ALL {
            let _ = f.parse("X", &bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_universe(&text);
        let r = redact(&text);
        prop_assert!(r.len() <= text.len() + 8 * text.len());
        let results = import_files(vec![
            ("x.csv".to_string(), bytes.clone()),
            ("x.zip".to_string(), bytes.clone()),
        ]);
        prop_assert!(results.len() >= 2, "every file gets a result");
    }

    #[test]
    fn well_formed_klines_with_random_values_never_panic(
        rows in proptest::collection::vec(
            (any::<i64>(), any::<f64>(), any::<f64>(), any::<f64>(), any::<f64>(), any::<f64>()),
            0..8,
        )
    ) {
        let body = format!(
            "[{}]",
            rows.iter()
                .map(|(t, o, h, l, c, v)| format!(r#"[{t},"{o}","{h}","{l}","{c}","{v}"]"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        if let Ok(b) = binance::parse_klines("X", body.as_bytes()) {
            prop_assert_eq!(b.len(), rows.len());
        }
    }

    #[test]
    fn a_zip_of_random_members_never_panics(
        members in proptest::collection::vec(("[a-z_./]{1,12}", any_bytes()), 0..5)
    ) {
        let refs: Vec<(&str, &[u8])> = members
            .iter()
            .filter(|(n, _)| !n.ends_with('/') && !n.starts_with('/'))
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let refs: Vec<_> = refs.into_iter().filter(|(n, _)| seen.insert(*n)).collect();
        let archive = zip_of(&refs);
        let _ = import_files(vec![("r.zip".to_string(), archive)]);
    }
}
