//! Fuzz target: Polygon's aggregates parser
//! (`technic::data::formats::polygon::parse_aggregates`), and the next-page URL
//! it hands on. Never panics; bars pass the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::formats::polygon;
use technic_fuzz::{check_bars, check_error};

fuzz_target!(|data: &[u8]| {
    match polygon::parse_aggregates("AAPL", data) {
        Ok(page) => {
            check_bars(&page.bars);
            if let Some(next) = &page.next_url {
                match polygon::next_page_url(next, "KEY") {
                    Ok(url) => assert!(!url.is_empty()),
                    Err(e) => check_error(&e),
                }
            }
        }
        Err(e) => check_error(&e),
    }
});
