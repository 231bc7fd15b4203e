//! Fuzz target: the bar cache codec's `technic::data::codec::decode` and
//! `peek` (what a warm scan reads on the page before a worker decodes). The
//! raw input almost never carries a valid checksum, so each input is also
//! decoded with the magic, schema and checksum repaired: that reaches the
//! column and `Bars` validation paths. Whatever decodes must round-trip
//! through the canonical encoding to the same bars, and must peek to its own
//! bar count and last time (peek may accept what decode refuses, never the
//! reverse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use technic::data::codec;
use technic_fuzz::{assert_same_bars, check_bars, check_error};

fn decode_and_check(bytes: &[u8]) {
    let peeked = codec::peek(bytes);
    match codec::decode("FUZZ", bytes) {
        Ok(bars) => {
            check_bars(&bars);
            let p = peeked.expect("what decodes also peeks");
            assert_eq!(p.bars, bars.len(), "peek's bar count");
            assert_eq!(Some(&p.last_time), bars.time().last(), "peek's last time");
            // Several encodings decode to the same bars (a column may be raw
            // or decimal, at any sufficient scale): re-encoding gives the
            // canonical one, which is never larger and decodes the same.
            let canonical = codec::encode(&bars);
            assert!(canonical.len() <= codec::max_encoded_len(bars.len()));
            let again = codec::decode("FUZZ", &canonical).expect("round trip");
            assert_same_bars(&bars, &again);
            assert_eq!(codec::encode(&again), canonical, "the canonical encoding is stable");
        }
        Err(e) => check_error(&e),
    }
}

fuzz_target!(|data: &[u8]| {
    decode_and_check(data);
    let _ = codec::checksum(data);

    // Repaired frame: magic and schema forced, checksum recomputed.
    if data.len() >= 24 {
        let mut fixed = data.to_vec();
        fixed[0..4].copy_from_slice(&codec::MAGIC);
        fixed[4..8].copy_from_slice(&codec::SCHEMA_VERSION.to_le_bytes());
        let at = fixed.len() - 8;
        let sum = codec::checksum(&fixed[..at]);
        fixed[at..].copy_from_slice(&sum.to_le_bytes());
        decode_and_check(&fixed);
    }
});
