//! Fuzz target: the CSV readers (`technic::data::csv::read_bars`,
//! `read_bars_with_stats`, `read_long`) on arbitrary bytes. Never panics; every
//! `Bars` returned passes the validation invariants and the codec round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::csv;
use technic_fuzz::{check_bars, check_error};

fuzz_target!(|data: &[u8]| {
    // Opening a CSV reader builds csv-core's DFA, which dominates an execution
    // under coverage instrumentation: so `read_bars_with_stats` (what
    // `read_bars` wraps) runs again only when the input was accepted.
    match csv::read_bars("FUZZ", data) {
        Ok(bars) => {
            check_bars(&bars);
            let (again, stats) = csv::read_bars_with_stats("FUZZ", data).expect("read twice");
            assert_eq!(again, bars, "read_bars_with_stats disagrees with read_bars");
            assert_eq!(
                stats.rows,
                bars.len(),
                "ReadStats.rows disagrees with the bars"
            );
        }
        Err(e) => check_error(&e),
    }
    match csv::read_long(data) {
        Ok(symbols) => {
            for (i, (symbol, outcome)) in symbols.iter().enumerate() {
                // One entry per symbol cell as written: two cells that are not
                // UTF-8 may print alike (lossy names), but are rejected as
                // such; an accepted name is never listed twice.
                let not_utf8 =
                    |o: &Result<_, csv::CsvError>| matches!(o, Err(csv::CsvError::NotUtf8 { .. }));
                for (other, other_outcome) in &symbols[..i] {
                    assert!(
                        other != symbol || not_utf8(outcome) || not_utf8(other_outcome),
                        "symbol {symbol:?} listed twice"
                    );
                }
                match outcome {
                    Ok(bars) => check_bars(bars),
                    Err(e) => check_error(e),
                }
            }
        }
        Err(e) => check_error(&e),
    }
});
