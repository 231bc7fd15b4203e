//! Fuzz target: Polygon's aggregates parser
//! (`technic::data::formats::polygon::parse_aggregates`), and the next-page URL
//! it hands on. Never panics; bars pass the invariants; a followed next page
//! stays on the configured base's origin (the key goes in a header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::formats::polygon;
use technic_fuzz::{check_bars, check_error};

/// The host is case-insensitive (`api.polygon.Io` is the base's origin); what
/// follows the base must end the authority.
fn on_base(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower
        .strip_prefix(polygon::BASE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#', ':']))
}

fuzz_target!(|data: &[u8]| {
    match polygon::parse_aggregates("AAPL", data) {
        Ok(page) => {
            check_bars(&page.bars);
            if let Some(next) = &page.next_url {
                match polygon::next_page_url(polygon::BASE, next) {
                    Ok(url) => assert!(on_base(&url), "{url} left the base"),
                    Err(e) => check_error(&e),
                }
            }
        }
        Err(e) => check_error(&e),
    }
});
