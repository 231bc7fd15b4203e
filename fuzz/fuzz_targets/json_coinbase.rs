//! Fuzz target: Coinbase's candle parser and page merge
//! (`technic::data::formats::coinbase`). Never panics; merged bars pass the
//! invariants; merging a page with itself equals merging it once (overlapping
//! pages keep one candle per time).
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::formats::coinbase;
use technic_fuzz::{assert_same_bars, check_bars, check_error};

fuzz_target!(|data: &[u8]| {
    match coinbase::parse_single_page("BTC-USD", data) {
        Ok(bars) => check_bars(&bars),
        Err(e) => check_error(&e),
    }
    match coinbase::parse_candles("BTC-USD", data) {
        Ok(page) => {
            let once = coinbase::merge_pages("BTC-USD", std::slice::from_ref(&page));
            let twice = coinbase::merge_pages("BTC-USD", &[page.clone(), page]);
            match (&once, &twice) {
                (Ok(a), Ok(b)) => {
                    check_bars(a);
                    assert_same_bars(a, b);
                }
                (Err(a), Err(b)) => {
                    check_error(a);
                    check_error(b);
                }
                _ => panic!("merging a page twice changed the outcome: {once:?} vs {twice:?}"),
            }
        }
        Err(e) => check_error(&e),
    }
});
