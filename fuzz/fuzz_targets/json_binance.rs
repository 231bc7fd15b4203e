//! Fuzz target: Binance's response parsers (`technic::data::formats::binance`):
//! klines and the 24-hour ticker list. Never panics; bars pass the invariants;
//! the ticker list is at most `n` USDT pairs, largest quote volume first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::formats::binance;
use technic_fuzz::{check_bars, check_error};

fuzz_target!(|data: &[u8]| {
    match binance::parse_klines("BTCUSDT", data) {
        Ok(bars) => check_bars(&bars),
        Err(e) => check_error(&e),
    }
    for n in [0, 3, 500] {
        match binance::top_usdt_pairs(data, n) {
            Ok(pairs) => {
                assert!(pairs.len() <= n, "more than {n} pairs");
                for p in &pairs {
                    assert!(
                        p.symbol.ends_with("USDT"),
                        "{} is not a USDT pair",
                        p.symbol
                    );
                    assert!(
                        p.quote_volume >= 0.0,
                        "negative quote volume for {}",
                        p.symbol
                    );
                }
                for w in pairs.windows(2) {
                    assert!(
                        w[0].quote_volume >= w[1].quote_volume,
                        "pairs not sorted by quote volume"
                    );
                }
            }
            Err(e) => check_error(&e),
        }
    }
});
