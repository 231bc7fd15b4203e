//! Bars to bytes and back, for the bar cache: compact columns with a magic,
//! a schema version and a checksum, so a corrupt or old entry is detected and
//! dropped instead of trusted. Pure Rust; the IndexedDB store (src/web/store/)
//! only moves these bytes.
//!
//! Layout (all little-endian):
//!
//! | bytes        | what                                                    |
//! |--------------|---------------------------------------------------------|
//! | 0..4         | magic `b"TCB1"`                                         |
//! | 4..8         | schema version (`u32`)                                  |
//! | 8..16        | bar count `n` (`u64`)                                   |
//! | 16..len−8    | six columns in order: time, open, high, low, close, volume |
//! | last 8       | checksum (`u64`) over every byte before it              |
//!
//! Each column starts with a tag byte:
//! - `0` raw: `n` values of 8 bytes (`i64` for time, `f64` otherwise).
//! - `1` decimal: a scale byte `k` (0..=9), then `n` zigzag LEB128 varints:
//!   the first scaled integer, then the differences (time: the differences
//!   of the differences, so a regular calendar costs about a byte a bar).
//!   A value is `i / 10^k` (time: `i` itself).
//!
//! Exact by construction: the encoder uses the decimal form only when every
//! value comes back bit for bit from the same division the decoder does
//! (IEEE division is correctly rounded, so a price parsed from "123.45"
//! returns as itself from 12345 / 10²); otherwise the column stays raw.
//! Prices and volumes from CSV or JSON are decimals, so a cached entry is
//! about a quarter of the raw size: warm scans read 5,000 × 300 bars from
//! IndexedDB in a third of the time (the read is bound by bytes, not by
//! requests: `tests/web_store.rs` benchmark).
//!
//! The frame (magic and schema first, checksum last) is the same for every
//! schema version, so an older entry is recognised as `Schema` rather than as
//! corruption, and a flipped byte anywhere is `Checksum` (or `Malformed` when
//! it hits the magic) rather than a wrong schema number.

use crate::engine::bars::{Bars, Columns};

/// The cache entry layout version. Bump it when the layout changes: older
/// entries then fail to decode with `CodecError::Schema` and are refetched.
/// 2: compact decimal columns (1 stored eight raw bytes per value).
pub const SCHEMA_VERSION: u32 = 2;

/// First four bytes of every entry.
pub const MAGIC: [u8; 4] = *b"TCB1";

/// Magic, schema and count.
const HEADER_LEN: usize = 16;
/// The trailing checksum.
const CHECKSUM_LEN: usize = 8;
/// Column tags.
const RAW: u8 = 0;
const DECIMAL: u8 = 1;
/// Largest decimal scale: prices and volumes have at most a few decimals,
/// and 10^9 keeps every scaled value of a sane price far inside i64.
const MAX_SCALE: u8 = 9;
/// 10^k, exact in f64 for every k used.
const POW10: [f64; MAX_SCALE as usize + 1] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/// Integers up to 2^53 convert to f64 and back exactly.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("cache entry is truncated or not a bar entry")]
    Malformed,
    #[error("cache entry has schema {found}, expected {expected}")]
    Schema { found: u32, expected: u32 },
    #[error("cache entry checksum mismatch")]
    Checksum,
    #[error("cache entry holds invalid bars: {0}")]
    Invalid(String),
}

/// The largest encoded size of `n` bars, in bytes (every column raw; the
/// encoder never stores a column larger than that).
pub fn max_encoded_len(n: usize) -> usize {
    HEADER_LEN + 6 * (1 + n * 8) + CHECKSUM_LEN
}

/// Encodes valid bars.
pub fn encode(bars: &Bars) -> Vec<u8> {
    encode_columns(
        bars.time(),
        [
            bars.open(),
            bars.high(),
            bars.low(),
            bars.close(),
            bars.volume(),
        ],
    )
}

/// Encodes columns as they are, valid or not (tests build invalid entries
/// with it; the store only ever encodes `Bars`). Columns are cut to the
/// time column's length.
pub fn encode_columns(time: &[i64], values: [&[f64]; 5]) -> Vec<u8> {
    let n = time.len();
    let mut out = Vec::with_capacity(HEADER_LEN + n * 16 + CHECKSUM_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
    out.extend_from_slice(&(n as u64).to_le_bytes());
    put_time(&mut out, time);
    for column in values {
        put_values(&mut out, &column[..n.min(column.len())]);
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Decodes an entry; `symbol` names the bars (and their validation errors).
pub fn decode(symbol: &str, bytes: &[u8]) -> Result<Bars, CodecError> {
    let (n, mut body) = frame(bytes)?;
    let mut cols = Columns {
        time: body.time(n)?,
        ..Columns::default()
    };
    for target in [
        &mut cols.open,
        &mut cols.high,
        &mut cols.low,
        &mut cols.close,
        &mut cols.volume,
    ] {
        *target = body.values(n)?;
    }
    if !body.0.is_empty() {
        return Err(CodecError::Malformed);
    }
    Bars::new(symbol, cols).map_err(|e| CodecError::Invalid(e.to_string()))
}

/// An entry's bar count and last bar time, as [`peek`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek {
    pub bars: usize,
    /// The last bar's open time (epoch ms).
    pub last_time: i64,
}

/// What deciding on an entry needs (its bar count and last bar time)
/// without decoding it: the frame is checked as [`decode`] checks it (magic,
/// checksum, schema) and only the time column is read, so a warm scan can
/// leave the rest of the decoding to the worker that computes the symbol.
/// The time column is checked as `Bars` checks it (increasing); the price
/// and volume columns are not read, so [`decode`] can still refuse an entry
/// that peeks well (only one written by a faulty encoder: the checksum holds).
pub fn peek(bytes: &[u8]) -> Result<Peek, CodecError> {
    let (n, mut body) = frame(bytes)?;
    let time = body.time(n)?;
    if time.windows(2).any(|w| w[1] <= w[0]) {
        return Err(CodecError::Invalid("times do not increase".into()));
    }
    let last_time = *time
        .last()
        .ok_or_else(|| CodecError::Invalid("no bars".into()))?;
    Ok(Peek { bars: n, last_time })
}

/// Checks the frame (magic, checksum, schema) and the bar count; returns the
/// count and the body (the six columns).
fn frame(bytes: &[u8]) -> Result<(usize, Reader<'_>), CodecError> {
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN || bytes[0..4] != MAGIC {
        return Err(CodecError::Malformed);
    }
    // Frame first: the checksum covers the schema field too, so a flipped bit
    // there is corruption, not an "old schema".
    let (payload, stored_sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if checksum(payload) != read_u64(stored_sum) {
        return Err(CodecError::Checksum);
    }
    let found = read_u32(&payload[4..8]);
    if found != SCHEMA_VERSION {
        return Err(CodecError::Schema {
            found,
            expected: SCHEMA_VERSION,
        });
    }
    let count = read_u64(&payload[8..16]);
    let body = Reader(&payload[HEADER_LEN..]);
    // Every value takes at least a byte: a count beyond that is a lie, and
    // nothing is allocated for it.
    let n = usize::try_from(count)
        .ok()
        .filter(|&n| n.checked_mul(6).is_some_and(|b| b <= body.0.len()))
        .ok_or(CodecError::Malformed)?;
    Ok((n, body))
}

/// The time column: differences of differences as varints (a regular
/// calendar is mostly zeros), raw if one overflows.
fn put_time(out: &mut Vec<u8>, time: &[i64]) {
    let mut ints = Vec::with_capacity(time.len());
    let (mut prev, mut prev_step) = (0i64, 0i64);
    for &t in time {
        let Some(step) = t.checked_sub(prev) else {
            return put_raw(out, time.iter().map(|t| t.to_le_bytes()));
        };
        let Some(dd) = step.checked_sub(prev_step) else {
            return put_raw(out, time.iter().map(|t| t.to_le_bytes()));
        };
        ints.push(dd);
        (prev, prev_step) = (t, step);
    }
    let start = out.len();
    out.push(DECIMAL);
    out.push(0);
    for v in ints {
        put_varint(out, v);
    }
    if out.len() - start > 1 + 8 * time.len() {
        out.truncate(start);
        put_raw(out, time.iter().map(|t| t.to_le_bytes()));
    }
}

/// A value column: the decimal form at the smallest scale every value
/// survives exactly, else raw.
fn put_values(out: &mut Vec<u8>, values: &[f64]) {
    let Some(k) = scale_of(values) else {
        return put_raw(out, values.iter().map(|v| v.to_le_bytes()));
    };
    let start = out.len();
    out.push(DECIMAL);
    out.push(k);
    let mut prev = 0i64;
    for &v in values {
        // Exact: `scale_of` checked that v·10^k is an integer below 2^53.
        let i = (v * POW10[k as usize]).round() as i64;
        put_varint(out, i - prev);
        prev = i;
    }
    // Never larger than raw (wild jumps cost up to ten bytes a value).
    if out.len() - start > 1 + 8 * values.len() {
        out.truncate(start);
        put_raw(out, values.iter().map(|v| v.to_le_bytes()));
    }
}

fn put_raw(out: &mut Vec<u8>, words: impl Iterator<Item = [u8; 8]>) {
    out.push(RAW);
    for w in words {
        out.extend_from_slice(&w);
    }
}

/// The smallest k such that every value is exactly `i / 10^k` for an
/// integer |i| ≤ 2^53 (checked with the decoder's own division, bit for
/// bit: `-0.0`, NaN and infinities never qualify). The column's scale is
/// the largest of its values' smallest ones, and then every value is
/// checked again at that scale: exactness at k carries over to k + 1 (the
/// same quotient, correctly rounded) only while the scaled integer stays
/// within 2^53, so a large value exact at k = 0 can fail at the column's k
/// (the fuzzer found 4.294967296e12 beside a value needing k = 7).
fn scale_of(values: &[f64]) -> Option<u8> {
    let mut k = 0u8;
    for &v in values {
        while !exact_at(v, k) {
            k += 1;
            if k > MAX_SCALE {
                return None;
            }
        }
    }
    values.iter().all(|&v| exact_at(v, k)).then_some(k)
}

/// Whether `v` comes back bit for bit through the integer the encoder
/// stores and the decoder's own steps (`i as f64 / 10^k`): going through
/// the integer is what rules out `-0.0` (the fuzzer found the sign lost).
fn exact_at(v: f64, k: u8) -> bool {
    let scaled = (v * POW10[k as usize]).round();
    scaled.abs() <= EXACT_INT
        && ((scaled as i64) as f64 / POW10[k as usize]).to_bits() == v.to_bits()
}

/// Zigzag LEB128.
fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// The body, read front to back; anything out of place is `Malformed`.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let (&b, rest) = self.0.split_first().ok_or(CodecError::Malformed)?;
        self.0 = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<i64, CodecError> {
        let mut z = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            // The tenth byte may carry only the top bit.
            if shift == 63 && b > 1 {
                return Err(CodecError::Malformed);
            }
            z |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
            }
        }
        Err(CodecError::Malformed)
    }

    fn raw(&mut self, n: usize) -> Result<&[u8], CodecError> {
        let len = n.checked_mul(8).ok_or(CodecError::Malformed)?;
        if self.0.len() < len {
            return Err(CodecError::Malformed);
        }
        let (words, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(words)
    }

    fn time(&mut self, n: usize) -> Result<Vec<i64>, CodecError> {
        match self.byte()? {
            RAW => Ok(self
                .raw(n)?
                .as_chunks::<8>()
                .0
                .iter()
                .map(|w| i64::from_le_bytes(*w))
                .collect()),
            DECIMAL => {
                if self.byte()? != 0 {
                    return Err(CodecError::Malformed);
                }
                let mut out = Vec::with_capacity(n);
                let (mut prev, mut step) = (0i64, 0i64);
                for _ in 0..n {
                    step = step
                        .checked_add(self.varint()?)
                        .ok_or(CodecError::Malformed)?;
                    prev = prev.checked_add(step).ok_or(CodecError::Malformed)?;
                    out.push(prev);
                }
                Ok(out)
            }
            _ => Err(CodecError::Malformed),
        }
    }

    fn values(&mut self, n: usize) -> Result<Vec<f64>, CodecError> {
        match self.byte()? {
            RAW => Ok(self
                .raw(n)?
                .as_chunks::<8>()
                .0
                .iter()
                .map(|w| f64::from_le_bytes(*w))
                .collect()),
            DECIMAL => {
                let k = self.byte()?;
                let div = *POW10.get(usize::from(k)).ok_or(CodecError::Malformed)?;
                let mut out = Vec::with_capacity(n);
                let mut i = 0i64;
                for _ in 0..n {
                    i = i.checked_add(self.varint()?).ok_or(CodecError::Malformed)?;
                    out.push(i as f64 / div);
                }
                Ok(out)
            }
            _ => Err(CodecError::Malformed),
        }
    }
}

fn read_u32(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(word)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a (64-bit) over little-endian 8-byte words, then the tail bytes, then
/// the length. Word-wise rather than byte-wise: eight times fewer multiplies
/// (60 MB of bars hash in a few milliseconds), and each step
/// `h -> (h ^ word) * prime` is a bijection for a fixed word, so any change
/// confined to one word always changes the result.
pub fn checksum(bytes: &[u8]) -> u64 {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut h = FNV_OFFSET;
    for w in words {
        h = (h ^ u64::from_le_bytes(*w)).wrapping_mul(FNV_PRIME);
    }
    for &b in tail {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    (h ^ bytes.len() as u64).wrapping_mul(FNV_PRIME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic;

    #[test]
    fn peek_reads_the_count_and_last_time_and_checks_the_frame() {
        let bars = synthetic::bars(7, 3, 250);
        let mut bytes = encode(&bars);
        assert_eq!(
            peek(&bytes),
            Ok(Peek {
                bars: 250,
                last_time: *bars.time().last().unwrap()
            })
        );
        // A flipped byte in a price column is caught by the checksum, as decode does.
        let at = bytes.len() - 20;
        bytes[at] ^= 1;
        assert_eq!(peek(&bytes), Err(CodecError::Checksum));
        assert_eq!(peek(b"TCB1"), Err(CodecError::Malformed));
    }
}
