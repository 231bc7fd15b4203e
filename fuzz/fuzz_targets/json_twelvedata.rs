//! Fuzz target: Twelve Data's time-series parser
//! (`technic::data::formats::twelvedata::parse_time_series`). Never panics;
//! bars pass the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::formats::twelvedata;
use technic_fuzz::{check_bars, check_error};

fuzz_target!(|data: &[u8]| {
    match twelvedata::parse_time_series("AAPL", data) {
        Ok(bars) => check_bars(&bars),
        Err(e) => check_error(&e),
    }
});
