//! See main.rs for what this module covers.

use proptest::prelude::*;
use technic::data::codec::{
    checksum, decode, encode, encode_columns, max_encoded_len, CodecError, MAGIC, SCHEMA_VERSION,
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
    assert!(bytes.len() <= max_encoded_len(bars.len()), "{symbol}: size");
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
    // The time column: decimal tag, scale 0, then the first time as a
    // zigzag varint (daily times differ by a constant: the rest are zeros).
    assert_eq!(&bytes[16..18], &[1, 0]);
    let n = bytes.len();
    assert_eq!(&bytes[n - 8..], &checksum(&bytes[..n - 8]).to_le_bytes());
}

/// Unadjusted prices are decimals (cents, a few decimals from services):
/// every column is stored in its decimal form, under a third of the raw
/// size. The sample's CSVs carry an adjusted close, so their OHLC are
/// back-adjusted (full-precision floats) and stay raw; volume and time still
/// shrink. Both come back bit for bit.
#[test]
fn decimal_bars_are_stored_compactly_and_everything_exactly() {
    // The synthetic market is priced in cents, volumes in whole shares.
    let decimal = synthetic::bars(5, 1, 300);
    let bytes = encode(&decimal);
    assert!(
        bytes.len() * 3 < max_encoded_len(decimal.len()),
        "{} bytes for {} bars",
        bytes.len(),
        decimal.len()
    );
    assert_round_trip("SYN", &decimal);
    for symbol in SAMPLE_SYMBOLS {
        let bars = sample_bars(symbol);
        let bytes = encode(&bars);
        assert!(
            bytes.len() < max_encoded_len(bars.len()) * 9 / 10,
            "{symbol}"
        );
        assert_round_trip(symbol, &bars);
    }
}

/// A column that is not a short decimal (full-precision floats, -0.0, a
/// huge value) is stored raw, and still comes back bit for bit.
#[test]
fn columns_that_are_not_short_decimals_stay_raw_and_exact() {
    let n = 5;
    let time: Vec<i64> = (0..n).map(|i| 1_000 + i * 86_400_000).collect();
    let close = [1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2, 1e-12, 7.5];
    let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
    let low: Vec<f64> = close.iter().map(|c| c * 0.5).collect();
    let volume = [0.0, 1e300, 3.0, 4.0, 5.0];
    let bytes = encode_columns(&time, [&close, &high, &low, &close, &volume]);
    let back = decode("RAW", &bytes).expect("valid bars");
    assert_eq!(bits(&back)[n as usize..], bits(&back)[n as usize..]);
    assert_eq!(
        back.close().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        close.map(f64::to_bits)
    );
    assert_eq!(
        back.volume()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        volume.map(f64::to_bits)
    );
    // Irregular times (a gap, a step back up) are exact too.
    let time = [5, 6, 1_000_000, 1_000_001, i64::MAX / 2];
    let bytes = encode_columns(&time, [&close, &high, &low, &close, &[1.0; 5]]);
    assert_eq!(decode("T", &bytes).expect("valid").time(), time);
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

/// Regression (fuzz, codec_decode): a volume of -0.0 took the decimal form
/// (-0.0 / 1 is -0.0) and came back as +0.0 from the integer 0.
#[test]
fn negative_zero_keeps_its_sign() {
    let time = [0];
    let price = [10.0];
    let bytes = encode_columns(&time, [&price, &price, &price, &price, &[-0.0]]);
    let back = decode("ZERO", &bytes).expect("valid bars");
    assert_eq!(back.volume()[0].to_bits(), (-0.0f64).to_bits());
}

/// Regression (fuzz, codec_decode): a large value exact at scale 0 beside a
/// value that needs scale 7 was stored at scale 7, where it no longer fits
/// 2^53: it came back as i64::MAX / 10^7. The column must stay raw.
#[test]
fn a_large_value_beside_a_finer_one_keeps_the_column_exact() {
    // Thirty bars, so the decimal form would be smaller than raw.
    let time: Vec<i64> = (0..30).map(|i| i * 86_400_000).collect();
    let price = [10.0; 30];
    let mut volume = [5.0; 30];
    volume[0] = 4_294_967_296_000.0;
    volume[1] = 0.123_456_7;
    let bytes = encode_columns(&time, [&price, &price, &price, &price, &volume]);
    let back = decode("BIG", &bytes).expect("valid bars");
    assert_eq!(
        back.volume()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        volume.map(f64::to_bits)
    );
}

#[test]
fn invalid_bars_with_a_good_checksum_are_invalid() {
    let bars = small();
    let (open, low, close, volume) = (bars.open(), bars.low(), bars.close(), bars.volume());
    // high[2] below low[2].
    let mut high = bars.high().to_vec();
    high[2] = 0.001;
    let bytes = encode_columns(bars.time(), [open, &high, low, close, volume]);
    let err = decode("SYN", &bytes).expect_err("invalid bars decoded");
    assert!(
        matches!(&err, CodecError::Invalid(msg) if msg.contains("SYN") && msg.contains("bar 2")),
        "{err:?}"
    );
    // A NaN close.
    let mut nan_close = close.to_vec();
    nan_close[4] = f64::NAN;
    let bytes = encode_columns(bars.time(), [open, bars.high(), low, &nan_close, volume]);
    assert!(matches!(decode("SYN", &bytes), Err(CodecError::Invalid(_))));
    // Zero bars.
    let empty = encode(&Bars::default());
    assert!(empty.len() <= max_encoded_len(0));
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
