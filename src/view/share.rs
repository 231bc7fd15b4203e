//! The scan as a link: what the URL hash keeps so that opening the link
//! reproduces the scan (expression, display columns, source and its bar
//! interval, the universe when short, settings, order, sort), as compact JSON in base64url, deflated
//! when long. Never an API key: the key field is not part of it, and a URL
//! template whose query names a key, token, secret or password is left out
//! (the receiver types their own). Pure: no browser crate.
//!
//! Format: `s=1.j.<base64url(json)>` or `s=1.z.<base64url(deflate(json))>`;
//! `1` is the layout version, refused with a message when unknown.

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::columns::{ColumnKey, Sort, TECHNIC_COLUMNS};
use crate::data::interval::Interval;

/// The hash parameter's name.
pub const PARAM: &str = "s";
/// JSON longer than this is deflated.
pub const DEFLATE_OVER: usize = 512;
/// A universe longer than this (characters) stays out of the link.
pub const MAX_UNIVERSE_CHARS: usize = 4_000;
/// A hash longer than this is refused when read (a browser keeps far more;
/// this bounds what a crafted link can make the page inflate).
pub const MAX_HASH_CHARS: usize = 64_000;
const MAX_JSON_BYTES: u64 = 256_000;

/// What a link carries. Text fields stay text, as the form holds them.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SharedScan {
    #[serde(rename = "e")]
    pub expr: String,
    #[serde(rename = "c", default, skip_serializing_if = "String::is_empty")]
    pub columns: String,
    /// `SourceId::value()` (`sample`, `synthetic-5000`, `url`, …).
    #[serde(rename = "s")]
    pub source: String,
    #[serde(rename = "u", default, skip_serializing_if = "String::is_empty")]
    pub universe: String,
    #[serde(rename = "t", default, skip_serializing_if = "String::is_empty")]
    pub template: String,
    #[serde(rename = "f", default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    #[serde(rename = "lb", default, skip_serializing_if = "String::is_empty")]
    pub lookback: String,
    #[serde(rename = "ac", default, skip_serializing_if = "String::is_empty")]
    pub account: String,
    #[serde(rename = "rk", default, skip_serializing_if = "String::is_empty")]
    pub risk_pct: String,
    #[serde(rename = "rr", default, skip_serializing_if = "String::is_empty")]
    pub reward_risk: String,
    #[serde(rename = "mm", default, skip_serializing_if = "String::is_empty")]
    pub max_matches: String,
    #[serde(rename = "or", default, skip_serializing_if = "String::is_empty")]
    pub order: String,
    /// `c<k>` (Technic column k) or `d<k>` (display column k), then `a`/`d`.
    #[serde(rename = "so", default, skip_serializing_if = "String::is_empty")]
    pub sort: String,
    /// The bar interval's name (`5m`), empty for daily: links made before
    /// intervals existed, and daily scans, carry none.
    #[serde(rename = "iv", default, skip_serializing_if = "String::is_empty")]
    pub interval: String,
}

impl SharedScan {
    /// The bar interval the link asks for: daily when it names none (an
    /// old link) or one this app does not know.
    pub fn interval(&self) -> Interval {
        self.interval.parse().unwrap_or_default()
    }

    /// The link's interval field for `interval`: empty for daily.
    pub fn interval_field(interval: Interval) -> String {
        if interval.is_daily() {
            String::new()
        } else {
            interval.name().to_string()
        }
    }
}

/// Why a link's scan could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShareError {
    #[error("the link is too long ({0} characters)")]
    TooLong(usize),
    #[error("the link was made by another version of this app (layout {0})")]
    Version(String),
    #[error("the link is damaged ({0})")]
    Damaged(String),
}

/// Whether a URL template can go in a link: not when its query names a
/// key, token, secret or password.
pub fn template_is_shareable(template: &str) -> bool {
    let Some((_, query)) = template.split_once('?') else {
        return true;
    };
    let query = query.to_ascii_lowercase();
    !["key", "token", "secret", "password", "auth", "sig"]
        .iter()
        .any(|w| query.contains(w))
}

/// The sort as the link writes it.
pub fn sort_code(sort: Option<Sort>) -> String {
    let Some(sort) = sort else {
        return String::new();
    };
    let column = match sort.column {
        ColumnKey::Display(k) => format!("d{k}"),
        c => match TECHNIC_COLUMNS.iter().position(|(k, _)| *k == c) {
            Some(i) => format!("c{i}"),
            None => return String::new(),
        },
    };
    format!("{column}{}", if sort.descending { 'd' } else { 'a' })
}

/// The sort a link's code names (`None` for none or nonsense).
pub fn sort_from_code(code: &str) -> Option<Sort> {
    let descending = match code.chars().last()? {
        'd' => true,
        'a' => false,
        _ => return None,
    };
    let body = &code[..code.len() - 1];
    let k: usize = body.get(1..)?.parse().ok()?;
    let column = match body.chars().next()? {
        'c' => TECHNIC_COLUMNS.get(k)?.0,
        'd' => ColumnKey::Display(k),
        _ => return None,
    };
    Some(Sort { column, descending })
}

/// The hash fragment (without `#`) for `scan`.
pub fn encode(scan: &SharedScan) -> String {
    let mut scan = scan.clone();
    if !template_is_shareable(&scan.template) {
        scan.template.clear();
    }
    if scan.universe.chars().count() > MAX_UNIVERSE_CHARS {
        scan.universe.clear();
    }
    let json = serde_json::to_vec(&scan).unwrap_or_default();
    if json.len() > DEFLATE_OVER {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        if z.write_all(&json).is_ok() {
            if let Ok(bytes) = z.finish() {
                return format!("{PARAM}=1.z.{}", URL_SAFE_NO_PAD.encode(bytes));
            }
        }
    }
    format!("{PARAM}=1.j.{}", URL_SAFE_NO_PAD.encode(json))
}

/// The scan in a hash fragment (with or without `#`); `Ok(None)` when the
/// hash carries no scan.
pub fn decode(hash: &str) -> Result<Option<SharedScan>, ShareError> {
    let hash = hash.trim_start_matches('#');
    if hash.len() > MAX_HASH_CHARS {
        return Err(ShareError::TooLong(hash.len()));
    }
    let Some(value) = hash
        .split('&')
        .find_map(|kv| kv.strip_prefix(PARAM)?.strip_prefix('='))
    else {
        return Ok(None);
    };
    let mut parts = value.splitn(3, '.');
    let (version, kind, data) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if version != "1" {
        return Err(ShareError::Version(version.chars().take(8).collect()));
    }
    let damaged = |e: &dyn std::fmt::Display| ShareError::Damaged(e.to_string());
    let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|e| damaged(&e))?;
    let json = match kind {
        "j" => bytes,
        "z" => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(&bytes[..])
                .take(MAX_JSON_BYTES)
                .read_to_end(&mut out)
                .map_err(|e| damaged(&e))?;
            out
        }
        other => return Err(damaged(&format!("unknown encoding {other:?}"))),
    };
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| damaged(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan() -> SharedScan {
        SharedScan {
            expr: "rsi(14) < 30 and close > sma(close, 200)".into(),
            columns: "rsi(14); sma(close, 200)".into(),
            source: "synthetic-1000".into(),
            lookback: "300".into(),
            order: "random".into(),
            sort: sort_code(Some(Sort {
                column: ColumnKey::TechRating,
                descending: true,
            })),
            ..SharedScan::default()
        }
    }

    #[test]
    fn a_short_scan_round_trips_as_plain_json() {
        let hash = encode(&scan());
        assert!(hash.starts_with("s=1.j."), "{hash}");
        assert!(hash
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "=._-".contains(c)));
        assert_eq!(decode(&format!("#{hash}")).unwrap(), Some(scan()));
    }

    #[test]
    fn a_long_scan_is_deflated_and_round_trips() {
        let mut long = scan();
        long.source = "url".into();
        long.template = "https://data.example.com/{symbol}.csv".into();
        long.universe = (0..400).map(|i| format!("SYM{i}\n")).collect();
        let hash = encode(&long);
        assert!(hash.starts_with("s=1.z."));
        assert!(hash.len() < long.universe.len(), "deflated: {}", hash.len());
        assert_eq!(decode(&hash).unwrap(), Some(long));
    }

    #[test]
    fn never_a_key_in_the_link() {
        let mut s = scan();
        s.source = "url".into();
        s.template = "https://x.test/{symbol}.csv?apikey=SECRET123".into();
        let hash = encode(&s);
        let back = decode(&hash).unwrap().unwrap();
        assert_eq!(back.template, "", "a template naming a key is left out");
        assert!(!hash.contains("SECRET"));
        assert!(template_is_shareable("https://x.test/{symbol}.csv"));
        assert!(!template_is_shareable("https://x/{symbol}?token=abc"));
    }

    #[test]
    fn a_huge_universe_stays_out_of_the_link() {
        let mut s = scan();
        s.universe = "X\n".repeat(MAX_UNIVERSE_CHARS);
        assert_eq!(decode(&encode(&s)).unwrap().unwrap().universe, "");
    }

    #[test]
    fn no_scan_damaged_and_foreign_links_are_told_apart() {
        assert_eq!(decode(""), Ok(None));
        assert_eq!(decode("#other=1"), Ok(None));
        assert!(matches!(decode("#s=2.j.e30"), Err(ShareError::Version(v)) if v == "2"));
        assert!(matches!(decode("#s=1.j.%%%"), Err(ShareError::Damaged(_))));
        assert!(matches!(decode("#s=1.z.AAAA"), Err(ShareError::Damaged(_))));
        assert!(matches!(decode("#s=1.q.e30"), Err(ShareError::Damaged(_))));
        let huge = format!("s=1.j.{}", "A".repeat(MAX_HASH_CHARS));
        assert!(matches!(decode(&huge), Err(ShareError::TooLong(_))));
    }

    #[test]
    fn a_deflate_bomb_is_cut_off_not_inflated_whole() {
        let zeros = vec![b' '; 10_000_000];
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&zeros).unwrap();
        let bytes = z.finish().unwrap();
        let hash = format!("s=1.z.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert!(hash.len() < MAX_HASH_CHARS, "{}", hash.len());
        assert!(matches!(decode(&hash), Err(ShareError::Damaged(_))));
    }

    #[test]
    fn the_link_keeps_the_interval_and_an_old_link_without_one_is_daily() {
        let mut five = scan();
        five.source = "binance".into();
        five.interval = SharedScan::interval_field(Interval::M5);
        let back = decode(&encode(&five)).unwrap().unwrap();
        assert_eq!(back.interval(), Interval::M5);
        assert_eq!(back, five);
        // A link made before intervals: no `iv` key at all.
        let old = format!(
            "s=1.j.{}",
            URL_SAFE_NO_PAD.encode(r#"{"e":"close > 0","s":"binance"}"#)
        );
        assert_eq!(decode(&old).unwrap().unwrap().interval(), Interval::D1);
        // Daily writes nothing; nonsense reads as daily.
        assert_eq!(SharedScan::interval_field(Interval::D1), "");
        let daily = encode(&scan());
        let json = URL_SAFE_NO_PAD.decode(&daily["s=1.j.".len()..]).unwrap();
        assert!(!String::from_utf8(json).unwrap().contains("\"iv\""));
        let odd = SharedScan {
            interval: "7m".into(),
            ..scan()
        };
        assert_eq!(odd.interval(), Interval::D1);
    }

    #[test]
    fn sort_codes_round_trip_and_nonsense_is_no_sort() {
        for column in [ColumnKey::Symbol, ColumnKey::Shares, ColumnKey::Display(3)] {
            for descending in [false, true] {
                let s = Some(Sort { column, descending });
                assert_eq!(sort_from_code(&sort_code(s)), s);
            }
        }
        for bad in ["", "x", "c99a", "cza", "d1q", "e1a"] {
            assert_eq!(sort_from_code(bad), None, "{bad}");
        }
    }
}
