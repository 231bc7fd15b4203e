//! See main.rs for what this module covers.

use proptest::prelude::*;
use technic::data::codec::{
    checksum, decode, encode, encoded_len, CodecError, MAGIC, SCHEMA_VERSION,
};
use technic::data::{csv, synthetic};
use technic::engine::bars::Columns;
use technic::engine::Bars;

use crate::common::{generated, repo_root, Series, SAMPLE_SYMBOLS};

fn sample_bars(symbol: &str) -> Bars {
    let path = repo_root().join("www/data").join(format!("{symbol}.csv"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    csv::read_bars(symbol, &bytes).unwrap_or_else(|e| panic!("{symbol}: {e}"))
}

fn series_bars(s: &Series) -> Bars {
    let mut cols = Columns::with_capacity(s.len());
    for i in 0..s.len() {
        // Daily bars in UTC milliseconds, starting 2000-01-03.
        let time = 946_857_600_000 + i as i64 * 86_400_000;
        cols.push(
            time,
            s.open[i],
            s.high[i],
            s.low[i],
            s.close[i],
            s.volume[i],
        );
    }
    Bars::new(&s.name, cols).unwrap_or_else(|e| panic!("{}: {e}", s.name))
}

/// Every bit of every column (so `-0.0` vs `0.0` or a NaN payload would show).
fn bits(b: &Bars) -> Vec<u64> {
    let times = b.time().iter().map(|&t| t as u64);
    let values = [b.open(), b.high(), b.low(), b.close(), b.volume()]
        .into_iter()
        .flatten()
        .map(|v| v.to_bits());
    times.chain(values).collect()
}

fn assert_round_trip(symbol: &str, bars: &Bars) {
    let bytes = encode(bars);
    assert_eq!(bytes.len(), encoded_len(bars.len()), "{symbol}: size");
    let back = decode(symbol, &bytes).unwrap_or_else(|e| panic!("{symbol}: {e}"));
    assert_eq!(bits(&back), bits(bars), "{symbol}: bits differ");
    assert_eq!(&back, bars);
}

/// Rewrites the trailing checksum so that only the deliberate change is seen.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let at = bytes.len() - 8;
    let sum = checksum(&bytes[..at]);
    bytes[at..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

fn small() -> Bars {
    synthetic::bars(11, 3, 10)
}

#[test]
fn real_sample_bars_round_trip() {
    for symbol in SAMPLE_SYMBOLS {
        let bars = sample_bars(symbol);
        assert!(bars.len() > 100, "{symbol}: only {} bars", bars.len());
        assert_round_trip(symbol, &bars);
    }
}

#[test]
fn generated_and_synthetic_bars_round_trip() {
    for s in generated() {
        assert_round_trip(&s.name, &series_bars(&s));
    }
    for i in 0..20 {
        let bars = synthetic::bars(42, i, 300);
        assert_round_trip(&synthetic::symbol_name(i), &bars);
    }
    assert_round_trip("ONE", &synthetic::bars(1, 0, 1));
}

#[test]
fn the_layout_is_magic_schema_count_columns_checksum() {
    let bars = small();
    let bytes = encode(&bars);
    assert_eq!(&bytes[0..4], &MAGIC);
    assert_eq!(&bytes[4..8], &SCHEMA_VERSION.to_le_bytes());
    assert_eq!(&bytes[8..16], &10u64.to_le_bytes());
    assert_eq!(&bytes[16..24], &bars.time()[0].to_le_bytes());
    let open_at = 16 + 10 * 8;
    assert_eq!(&bytes[open_at..open_at + 8], &bars.open()[0].to_le_bytes());
    let volume_at = 16 + 5 * 10 * 8;
    assert_eq!(
        &bytes[volume_at + 72..volume_at + 80],
        &bars.volume()[9].to_le_bytes()
    );
    let n = bytes.len();
    assert_eq!(&bytes[n - 8..], &checksum(&bytes[..n - 8]).to_le_bytes());
}

#[test]
fn empty_input_is_malformed() {
    assert_eq!(decode("X", &[]), Err(CodecError::Malformed));
    assert_eq!(decode("X", b"TCB1"), Err(CodecError::Malformed));
}

#[test]
fn every_truncation_is_detected() {
    let bytes = encode(&small());
    for cut in 0..bytes.len() {
        let err = decode("X", &bytes[..cut]).expect_err("truncated entry decoded");
        assert!(
            matches!(err, CodecError::Malformed | CodecError::Checksum),
            "cut at {cut}: {err:?}"
        );
    }
}

#[test]
fn a_flipped_byte_anywhere_is_checksum_or_malformed() {
    let bytes = encode(&small());
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            let err = decode("X", &bad).expect_err("corrupt entry decoded");
            let expected = if at < 4 {
                CodecError::Malformed
            } else {
                CodecError::Checksum
            };
            assert_eq!(err, expected, "byte {at} ^ {mask:#x}");
        }
    }
}

#[test]
fn a_flipped_byte_in_real_bars_is_detected() {
    let bytes = encode(&sample_bars("AAPL"));
    // Every 97th byte (a prime stride, so every column and offset is hit) plus the edges.
    let positions = (0..bytes.len())
        .step_by(97)
        .chain([bytes.len() - 1, bytes.len() - 9, 16]);
    for at in positions {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let err = decode("AAPL", &bad).expect_err("corrupt entry decoded");
        assert!(
            matches!(err, CodecError::Malformed | CodecError::Checksum),
            "byte {at}: {err:?}"
        );
    }
}

#[test]
fn wrong_magic_is_malformed() {
    let mut bytes = encode(&small());
    bytes[0..4].copy_from_slice(b"PNG\0");
    assert_eq!(decode("X", &reseal(bytes)), Err(CodecError::Malformed));
    assert_eq!(
        decode("X", b"{\"not\":\"bars\"} plus some more text"),
        Err(CodecError::Malformed)
    );
}

#[test]
fn an_older_or_newer_schema_is_a_schema_error() {
    for found in [0, SCHEMA_VERSION + 1] {
        let mut bytes = encode(&small());
        bytes[4..8].copy_from_slice(&found.to_le_bytes());
        assert_eq!(
            decode("X", &reseal(bytes)),
            Err(CodecError::Schema {
                found,
                expected: SCHEMA_VERSION
            })
        );
    }
    // An old entry with a different body length is still a schema error, not malformed.
    let mut old = Vec::new();
    old.extend_from_slice(&MAGIC);
    old.extend_from_slice(&0u32.to_le_bytes());
    old.extend_from_slice(&[7u8; 41]);
    old.extend_from_slice(&[0u8; 8]);
    assert_eq!(
        decode("X", &reseal(old)),
        Err(CodecError::Schema {
            found: 0,
            expected: SCHEMA_VERSION
        })
    );
}

#[test]
fn trailing_garbage_is_detected() {
    let bytes = encode(&small());
    for extra in [&[0u8][..], &[1, 2, 3], &[0; 8], &[0xff; 100]] {
        let mut bad = bytes.clone();
        bad.extend_from_slice(extra);
        let err = decode("X", &bad).expect_err("trailing garbage decoded");
        assert!(
            matches!(err, CodecError::Checksum | CodecError::Malformed),
            "{err:?}"
        );
        // Even with a checksum recomputed over the garbage, the count does not match.
        bad.extend_from_slice(&[0; 8]);
        assert_eq!(
            decode("X", &reseal(bad)),
            Err(CodecError::Malformed),
            "{} extra",
            extra.len()
        );
    }
}

#[test]
fn a_count_that_does_not_match_the_length_is_malformed() {
    for count in [0u64, 9, 11, u64::MAX, u64::MAX / 48 + 1, 1 << 40] {
        let mut bytes = encode(&small());
        bytes[8..16].copy_from_slice(&count.to_le_bytes());
        assert_eq!(
            decode("X", &reseal(bytes)),
            Err(CodecError::Malformed),
            "count {count}"
        );
    }
}

#[test]
fn invalid_bars_with_a_good_checksum_are_invalid() {
    let bars = small();
    let n = bars.len();
    // high[2] below low[2].
    let mut bytes = encode(&bars);
    let high_at = 16 + 2 * n * 8 + 2 * 8;
    bytes[high_at..high_at + 8].copy_from_slice(&0.001f64.to_le_bytes());
    let err = decode("SYN", &reseal(bytes)).expect_err("invalid bars decoded");
    assert!(
        matches!(&err, CodecError::Invalid(msg) if msg.contains("SYN") && msg.contains("bar 2")),
        "{err:?}"
    );
    // A NaN close.
    let mut bytes = encode(&bars);
    let close_at = 16 + 4 * n * 8;
    bytes[close_at..close_at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        decode("SYN", &reseal(bytes)),
        Err(CodecError::Invalid(_))
    ));
    // Zero bars.
    let empty = encode(&Bars::default());
    assert_eq!(empty.len(), encoded_len(0));
    assert!(matches!(decode("SYN", &empty), Err(CodecError::Invalid(_))));
}

#[test]
fn the_checksum_sees_every_word_and_the_length() {
    let data: Vec<u8> = (0..77u8).collect();
    let base = checksum(&data);
    for at in 0..data.len() {
        let mut d = data.clone();
        d[at] ^= 0x40;
        assert_ne!(checksum(&d), base, "byte {at}");
    }
    assert_ne!(checksum(&[0; 8]), checksum(&[0; 16]));
    assert_ne!(checksum(&[]), checksum(&[0]));
}

/// Valid bars from arbitrary draws: increasing times, positive prices,
/// wicks that contain the body, non-negative volume.
fn arb_bars() -> impl Strategy<Value = Bars> {
    let bar = (
        1i64..10_000_000_000,
        1e-6f64..1e7,
        -0.5f64..0.5,
        0f64..0.5,
        0f64..1e12,
    );
    (any::<i64>(), proptest::collection::vec(bar, 1..200)).prop_map(|(start, rows)| {
        let mut cols = Columns::with_capacity(rows.len());
        let mut time = start / 4; // room for the steps without overflow
        for (step, open, change, wick, volume) in rows {
            time += step;
            let close = open * (1.0 + change);
            let high = open.max(close) * (1.0 + wick);
            let low = open.min(close) * (1.0 - wick);
            cols.push(time, open, high, low, close, volume);
        }
        Bars::new("P", cols).expect("generated bars are valid")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode("R", &bytes);
    }

    #[test]
    fn random_framed_bytes_never_panic(count in any::<u64>(), schema in 0u32..3, body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&schema.to_le_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&[0; 8]);
        let _ = decode("R", &reseal(bytes));
    }

    #[test]
    fn random_bars_round_trip(bars in arb_bars()) {
        let back = decode("P", &encode(&bars));
        prop_assert_eq!(back.as_ref().map(bits), Ok(bits(&bars)));
    }

    #[test]
    fn random_corruption_of_random_bars_is_detected(bars in arb_bars(), at in any::<prop::sample::Index>(), mask in 1u8..) {
        let mut bytes = encode(&bars);
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
        let err = decode("P", &bytes);
        prop_assert!(matches!(err, Err(CodecError::Checksum | CodecError::Malformed)), "byte {}: {:?}", i, err);
    }
}
