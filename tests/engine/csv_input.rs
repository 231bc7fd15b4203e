//! See main.rs for what this module covers.

use crate::common::{repo_root, SAMPLE_SYMBOLS};
use proptest::prelude::*;
use technic::data::csv::{read_bars, read_bars_with_stats, read_long, CsvError};
use technic::engine::Bars;

const DAY: i64 = 86_400_000;
/// 2020-01-02 00:00 UTC.
const JAN2: i64 = 1_577_923_200_000;

fn ok(symbol: &str, text: &str) -> Bars {
    read_bars(symbol, text.as_bytes()).unwrap_or_else(|e| panic!("{symbol}: {e}"))
}

/// The error's message, after checking that it mentions every `needle`.
fn err(symbol: &str, bytes: &[u8], needles: &[&str]) -> String {
    let e = match read_bars(symbol, bytes) {
        Ok(b) => panic!("{symbol}: expected an error, read {} bars", b.len()),
        Err(e) => e.to_string(),
    };
    for n in needles {
        assert!(e.contains(n), "message {e:?} should mention {n:?}");
    }
    e
}

const YAHOO: &str = "\
Date,Open,High,Low,Close,Adj Close,Volume
2020-01-02,10,11,9,10.5,10.5,1000
2020-01-03,10.5,12,10,11,11,2000
2020-01-06,11,11.5,10.2,10.4,10.4,1500
";

// ---- malformed files: what and where, never a panic ----

#[test]
fn an_empty_file_says_it_is_empty() {
    for bytes in [&b""[..], b"\n\n  \n", b"\xEF\xBB\xBF", b",,,\n"] {
        err("AAPL", bytes, &["AAPL", "empty"]);
    }
}

#[test]
fn a_header_only_file_says_it_has_no_rows() {
    err(
        "AAPL",
        b"Date,Open,High,Low,Close,Volume\n",
        &["AAPL", "no data rows", "line 1"],
    );
}

#[test]
fn a_missing_column_is_named_with_what_was_found() {
    let e = err(
        "AAPL",
        b"Date,Open,High,Close,Volume\n2020-01-02,1,2,1,5\n",
        &[
            "AAPL",
            "line 1",
            "no Low column",
            "Date, Open, High, Close, Volume",
        ],
    );
    assert!(!e.contains("header row missing"), "{e}");
    err(
        "AAPL",
        b"Open,High,Low,Close\n1,2,1,1\n",
        &["no Date column"],
    );
    err(
        "AAPL",
        b"2020-01-02,1,2,1,1.5,100\n2020-01-03,1,2,1,1.5,100\n",
        &["no Date column", "header row missing"],
    );
}

#[test]
fn a_non_numeric_cell_names_line_column_and_text() {
    let text = YAHOO.replace("2020-01-03,10.5,12,10,11,", "2020-01-03,10.5,12,10,abc,");
    let e = err("AAPL", text.as_bytes(), &[]);
    assert_eq!(e, "AAPL: line 3, column Close: `abc` is not a number");
    let text = YAHOO.replace(",2000", ",");
    err(
        "AAPL",
        text.as_bytes(),
        &["line 3", "column Volume", "empty"],
    );
    let long_junk = "x".repeat(500);
    let text = YAHOO.replace(",1500", &format!(",{long_junk}"));
    let e = err("AAPL", text.as_bytes(), &["line 4", "column Volume", "…"]);
    assert!(e.len() < 200, "the offending text is cut short: {e}");
}

#[test]
fn nan_and_infinity_are_rejected_not_parsed() {
    for bad in ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"] {
        let text = YAHOO.replace("2020-01-03,10.5,12,", &format!("2020-01-03,10.5,{bad},"));
        err(
            "X",
            text.as_bytes(),
            &[
                "X: line 3",
                "column High",
                &format!("`{bad}`"),
                "not a finite number",
            ],
        );
    }
}

#[test]
fn out_of_order_dates_name_both_lines() {
    let text = "Date,Open,High,Low,Close\n\
                2020-01-02,1,2,1,1.5\n\
                2020-01-06,1,2,1,1.5\n\
                2020-01-03,1,2,1,1.5\n";
    err(
        "MSFT",
        text.as_bytes(),
        &[
            "MSFT: line 4",
            "strictly increase",
            "2020-01-03 is not after 2020-01-06 on line 3",
        ],
    );
}

#[test]
fn duplicate_dates_are_an_error_with_the_line() {
    let text = "Date,Open,High,Low,Close\n\
                2020-01-02,1,2,1,1.5\n\
                \n\
                2020-01-03,1,2,1,1.5\n\
                2020-01-03,1,2,1,1.6\n";
    err(
        "MSFT",
        text.as_bytes(),
        &[
            "MSFT: line 5",
            "duplicate",
            "2020-01-03 is not after 2020-01-03 on line 4",
        ],
    );
}

#[test]
fn a_negative_price_names_the_line() {
    let text = YAHOO.replace("2020-01-06,11,", "2020-01-06,-11,");
    err(
        "IBM",
        text.as_bytes(),
        &["IBM: line 4", "price must be positive"],
    );
}

#[test]
fn high_below_low_names_the_line() {
    let text = YAHOO.replace("2020-01-03,10.5,12,10,", "2020-01-03,10.5,9,10,");
    err("IBM", text.as_bytes(), &["IBM: line 3", "high is below"]);
}

#[test]
fn a_ragged_row_says_how_many_fields() {
    let text = YAHOO.replace(
        "2020-01-03,10.5,12,10,11,11,2000",
        "2020-01-03,10.5,12,10,11",
    );
    err(
        "IBM",
        text.as_bytes(),
        &["IBM: line 3", "5 fields", "header has 7"],
    );
}

#[test]
fn a_bad_date_names_the_cell() {
    for bad in ["2020-02-30", "01/02/2020", "yesterday", "2020-01-03 25:00"] {
        let text = YAHOO.replace("2020-01-03,", &format!("{bad},"));
        err(
            "IBM",
            text.as_bytes(),
            &[
                "IBM: line 3",
                "column Date",
                &format!("`{bad}`"),
                "not a date",
            ],
        );
    }
}

#[test]
fn non_utf8_bytes_are_reported_where_they_are() {
    let mut bytes = YAHOO.as_bytes().to_vec();
    let at = YAHOO.find("12,10,11").unwrap();
    bytes[at] = 0xFF;
    err("IBM", &bytes, &["IBM: line 3", "column High", "not UTF-8"]);
    err("IBM", b"Date,Op\xFFen\n", &["IBM: line 1", "not UTF-8"]);
}

#[test]
fn a_one_row_file_reads_as_one_bar() {
    // The scan runner, not the reader, reports such a symbol as too short.
    let b = ok(
        "ONE",
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n",
    );
    assert_eq!(b.len(), 1);
    assert_eq!(b.time(), &[JAN2]);
    assert_eq!(b.volume(), &[10.0]);
}

#[test]
fn a_ten_megabyte_file_with_one_garbage_line_names_that_line() {
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    let mut line = 1;
    let mut garbage_line = 0;
    let mut day = 0i64;
    while text.len() < 10_000_000 {
        line += 1;
        day += 1;
        let t = (JAN2 / 1000) + day * 86_400;
        if line == 100_000 {
            garbage_line = line;
            text.push_str(&format!("{t},12.5,13.,12.1,#REF!,123456\n"));
        } else {
            text.push_str(&format!("{t},12.5,13.25,12.125,12.75,{}\n", 1000 + line));
        }
    }
    assert!(line > 150_000, "the garbage sits in the middle");
    let e = err(
        "BIG",
        text.as_bytes(),
        &[
            &format!("BIG: line {garbage_line}, column Close"),
            "`#REF!`",
        ],
    );
    assert!(!e.contains('\n'));
    // The same file without the garbage reads in full.
    let clean = text.replace("#REF!", "12.75");
    assert_eq!(read_bars("BIG", clean.as_bytes()).unwrap().len(), line - 1);
}

#[test]
fn line_numbers_stay_right_after_blank_lines_and_crlf() {
    let text =
        "Date,Open,High,Low,Close\r\n\r\n\r\n2020-01-02,1,2,1,1.5\r\n\n  \n2020-01-03,1,2,1,x\r\n";
    err("CR", text.as_bytes(), &["CR: line 7", "`x`"]);
}

// ---- accepted formats ----

#[test]
fn yahoo_headers_read_with_adjustment_and_volume() {
    let b = ok("Y", YAHOO);
    assert_eq!(b.len(), 3);
    assert_eq!(b.time(), &[JAN2, JAN2 + DAY, JAN2 + 4 * DAY]);
    assert_eq!(b.close(), &[10.5, 11.0, 10.4]);
    assert_eq!(b.volume(), &[1000.0, 2000.0, 1500.0]);
}

#[test]
fn adj_close_back_adjusts_ohlc_but_not_volume() {
    let text = "Date,Open,High,Low,Close,Volume,Adj Close\n\
                2020-01-02,100,110,90,100,1000,50\n\
                2020-01-03,40,44,38,42,3000,42\n";
    let b = ok("ADJ", text);
    // Row 1: factor 50/100 = 0.5; row 2: factor 1.
    assert_eq!(b.open(), &[50.0, 40.0]);
    assert_eq!(b.high(), &[55.0, 44.0]);
    assert_eq!(b.low(), &[45.0, 38.0]);
    assert_eq!(b.close(), &[50.0, 42.0]);
    assert_eq!(b.volume(), &[1000.0, 3000.0]);
    for header in ["adj_close", "Adjusted Close", "ADJ. CLOSE"] {
        let t = text.replace("Adj Close", header);
        assert_eq!(ok("ADJ", &t).high(), &[55.0, 44.0], "{header}");
    }
}

#[test]
fn stooq_headers_read_both_styles() {
    let plain =
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,7\n2020-01-03,1.5,2,1,1.8,8\n";
    let b = ok("S", plain);
    assert_eq!(b.time(), &[JAN2, JAN2 + DAY]);
    let bracket = "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n\
                   AAPL.US,D,20200102,000000,1,2,0.5,1.5,7,0\n\
                   AAPL.US,D,20200103,000000,1.5,2,1,1.8,8,0\n";
    let s = ok("S", bracket);
    assert_eq!(s, b);
    let intraday = bracket.replace("20200103,000000", "20200102,153000");
    assert_eq!(ok("S", &intraday).time(), &[JAN2, JAN2 + 55_800_000]);
}

#[test]
fn generic_and_short_headers_read() {
    let b = ok(
        "G",
        " timestamp , open , high , low , close , volume \n2020-01-02,1,2,0.5,1.5,7\n",
    );
    assert_eq!((b.time()[0], b.close()[0]), (JAN2, 1.5));
    let b = ok(
        "G",
        "Datetime,Open,High,Low,Close\n2020-01-02 00:00:00,1,2,0.5,1.5\n",
    );
    assert_eq!(b.time(), &[JAN2]);
    let b = ok("G", "time,o,h,l,c,v\n1577923200,1,2,0.5,1.5,7\n");
    assert_eq!((b.time()[0], b.volume()[0]), (JAN2, 7.0));
    let b = ok(
        "G",
        "\u{feff}DATE;OPEN;HIGH;LOW;CLOSE\n2020-01-02;1;2;0.5;1.5\n",
    );
    assert_eq!(b.time(), &[JAN2]);
}

#[test]
fn a_missing_volume_column_gives_zero_volume() {
    let b = ok(
        "V",
        "Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n2020-01-03,1,2,0.5,1.5\n",
    );
    assert_eq!(b.volume(), &[0.0, 0.0]);
}

#[test]
fn every_date_format_lands_on_the_same_instant() {
    let forms = [
        ("2020-01-02", JAN2),
        ("2020/01/02", JAN2),
        ("20200102", JAN2),
        ("2020-01-02 14:30", JAN2 + 52_200_000),
        ("2020-01-02 14:30:15", JAN2 + 52_215_000),
        ("2020-01-02T14:30:15", JAN2 + 52_215_000),
        ("2020-01-02T14:30:15.250Z", JAN2 + 52_215_250),
        ("2020-01-02 09:30:00-05:00", JAN2 + 52_200_000),
        ("1577923200", JAN2),
        ("1577923200000", JAN2),
        ("1577975400", JAN2 + 52_200_000),
        ("1577975400000", JAN2 + 52_200_000),
    ];
    for (text, want) in forms {
        let b = ok(
            "D",
            &format!("Date,Open,High,Low,Close\n{text},1,2,0.5,1.5\n"),
        );
        assert_eq!(b.time(), &[want], "{text}");
    }
}

#[test]
fn epoch_seconds_and_milliseconds_are_told_apart_by_magnitude() {
    let secs = ok(
        "E",
        "time,open,high,low,close\n1577923200,1,2,0.5,1.5\n1578009600,1,2,0.5,1.5\n",
    );
    let ms = ok(
        "E",
        "time,open,high,low,close\n1577923200000,1,2,0.5,1.5\n1578009600000,1,2,0.5,1.5\n",
    );
    assert_eq!(secs.time(), ms.time());
    assert_eq!(secs.time(), &[JAN2, JAN2 + DAY]);
}

#[test]
fn yahoo_null_rows_are_skipped_and_counted() {
    let text = YAHOO.replace(
        "2020-01-06,",
        "2020-01-04,null,null,null,null,null,null\n2020-01-06,",
    );
    let (b, stats) = read_bars_with_stats("N", text.as_bytes()).unwrap();
    assert_eq!((b.len(), stats.rows, stats.null_rows), (3, 3, 1));
    // A lone null among numbers is an error, not a skipped row.
    let text = YAHOO.replace("2020-01-03,10.5,", "2020-01-03,null,");
    err(
        "N",
        text.as_bytes(),
        &["N: line 3", "column Open", "`null` is not a number"],
    );
    // Only null rows: no data.
    err(
        "N",
        b"Date,Open,High,Low,Close\n2020-01-02,null,null,null,null\n",
        &["no data rows", "1 `null` rows skipped"],
    );
}

#[test]
fn a_long_file_gives_one_entry_per_symbol_and_a_bad_one_sinks_alone() {
    let text = "Symbol,Date,Open,High,Low,Close,Volume\n\
                AAA,2020-01-02,1,2,0.5,1.5,7\n\
                BBB,2020-01-02,10,20,5,15,70\n\
                AAA,2020-01-03,1.5,2,1,1.8,8\n\
                BBB,2020-01-03,15,oops,10,18,80\n\
                BBB,2020-01-06,18,19,17,18,90\n\
                AAA,2020-01-06,1.8,1.9,1.7,1.8,9\n\
                ,2020-01-06,1,1,1,1,1\n";
    let out = read_long(text.as_bytes()).unwrap();
    let names: Vec<&str> = out.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["AAA", "BBB", ""]);
    let aaa = out[0].1.as_ref().unwrap();
    assert_eq!(aaa.close(), &[1.5, 1.8, 1.8]);
    assert_eq!(aaa.time(), &[JAN2, JAN2 + DAY, JAN2 + 4 * DAY]);
    let bbb = out[1].1.as_ref().unwrap_err().to_string();
    assert_eq!(bbb, "BBB: line 5, column High: `oops` is not a number");
    let blank = out[2].1.as_ref().unwrap_err().to_string();
    assert!(
        blank.contains("line 8") && blank.contains("symbol cell is empty"),
        "{blank}"
    );
}

#[test]
fn a_long_file_without_a_symbol_column_is_a_file_error() {
    let e = read_long(YAHOO.as_bytes()).unwrap_err().to_string();
    assert!(
        e.contains("no Symbol column") && e.contains("Adj Close"),
        "{e}"
    );
    assert!(matches!(read_long(b""), Err(CsvError::Empty { .. })));
    let stooq = "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>\n\
                 A.US,D,20200102,000000,1,2,0.5,1.5,7\n\
                 B.US,D,20200102,000000,1,2,0.5,1.5,7\n\
                 A.US,D,20200102,000000,1,2,0.5,1.5,7\n";
    let out = read_long(stooq.as_bytes()).unwrap();
    assert_eq!(out[0].0, "A.US");
    let e = out[0].1.as_ref().unwrap_err().to_string();
    assert!(e.contains("A.US: line 4") && e.contains("on line 2"), "{e}");
    assert_eq!(out[1].1.as_ref().unwrap().len(), 1);
}

#[test]
fn the_bundled_sample_files_read_with_the_counts_in_universe_json() {
    let dir = repo_root().join("www/data");
    let universe: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("universe.json")).unwrap()).unwrap();
    let entries = universe["symbols"].as_array().unwrap();
    assert_eq!(entries.len(), SAMPLE_SYMBOLS.len());
    for entry in entries {
        let symbol = entry["symbol"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(entry["file"].as_str().unwrap())).unwrap();
        let bars = read_bars(symbol, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            bars.len() as u64,
            entry["bars"].as_u64().unwrap(),
            "{symbol}"
        );
        let first = ok(
            "P",
            &format!(
                "Date,Open,High,Low,Close\n{},1,1,1,1\n",
                entry["first"].as_str().unwrap()
            ),
        );
        let last = ok(
            "P",
            &format!(
                "Date,Open,High,Low,Close\n{},1,1,1,1\n",
                entry["last"].as_str().unwrap()
            ),
        );
        assert_eq!(bars.time()[0], first.time()[0], "{symbol} first date");
        assert_eq!(
            *bars.time().last().unwrap(),
            last.time()[0],
            "{symbol} last date"
        );
        // Back-adjusted: the last close equals the last Adj Close cell.
        let text = String::from_utf8(bytes).unwrap();
        let last_row = text.trim_end().lines().last().unwrap();
        let adj: f64 = last_row.rsplit(',').next().unwrap().parse().unwrap();
        let close = *bars.close().last().unwrap();
        assert!(
            (close - adj).abs() <= 1e-12 * adj,
            "{symbol}: {close} vs {adj}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_bars("P", &bytes);
        let _ = read_long(&bytes);
    }

    #[test]
    fn mangled_csv_never_panics(
        cuts in proptest::collection::vec((0usize..400, any::<u8>()), 0..8),
        tail in "[0-9a-zA-Z,.:;\\- \n\"\r]{0,80}",
    ) {
        let mut bytes = format!("Symbol,{YAHOO}").replace('\n', "\nAAA,").into_bytes();
        for (at, b) in cuts {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.extend_from_slice(tail.as_bytes());
        let _ = read_bars("P", &bytes);
        let _ = read_long(&bytes);
    }
}
