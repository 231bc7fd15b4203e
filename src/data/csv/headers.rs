//! The header row: which column holds the date, time of day, OHLC, adjusted
//! close, volume and symbol (names matched case- and punctuation-blind, see
//! the module docs of `csv`). Imports the errors and the date parser (to tell
//! a headerless file); not the reader.

use super::error::{shorten, CsvError};
use super::time::parse_time;

/// Where each needed column sits, and the header's names for messages.
pub(super) struct Layout {
    pub(super) line: u64,
    pub(super) width: usize,
    pub(super) names: Vec<String>,
    pub(super) time: usize,
    pub(super) time_of_day: Option<usize>,
    pub(super) open: usize,
    pub(super) high: usize,
    pub(super) low: usize,
    pub(super) close: usize,
    pub(super) adj_close: Option<usize>,
    pub(super) volume: Option<usize>,
    pub(super) symbol: Option<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Date,
    Time,
    Open,
    High,
    Low,
    Close,
    AdjClose,
    Volume,
    Symbol,
}

fn classify(name: &str) -> Option<Field> {
    let key: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "date" | "datetime" | "timestamp" | "ts" => Field::Date,
        "time" | "t" => Field::Time,
        "open" | "o" => Field::Open,
        "high" | "h" => Field::High,
        "low" | "l" => Field::Low,
        "close" | "c" => Field::Close,
        "adjclose" | "adjustedclose" => Field::AdjClose,
        "volume" | "vol" | "v" => Field::Volume,
        "symbol" | "ticker" | "name" | "code" | "sym" => Field::Symbol,
        _ => return None,
    })
}

impl Layout {
    pub(super) fn from_header(
        rec: &csv::ByteRecord,
        line: u64,
        symbol: &str,
        want_symbol: bool,
    ) -> Result<Layout, CsvError> {
        let mut names = Vec::with_capacity(rec.len());
        for field in rec.iter() {
            let text = std::str::from_utf8(field).map_err(|_| CsvError::NotUtf8 {
                symbol: symbol.to_string(),
                line,
                column: "header".to_string(),
                text: shorten(field),
            })?;
            names.push(text.trim().trim_start_matches('\u{feff}').to_string());
        }
        let mut found: [Option<usize>; 9] = [None; 9];
        for (i, name) in names.iter().enumerate() {
            if let Some(f) = classify(name) {
                let slot = &mut found[f as usize];
                if slot.is_none() {
                    *slot = Some(i);
                }
            }
        }
        let get = |f: Field| found[f as usize];
        // A lone `time` column is the timestamp; beside a date it is the time of day.
        let (time, time_of_day) = match (get(Field::Date), get(Field::Time)) {
            (Some(d), tod) => (Some(d), tod),
            (None, t) => (t, None),
        };
        let missing = |column: &'static str| CsvError::MissingColumn {
            symbol: symbol.to_string(),
            line,
            column,
            found: names.join(", "),
            looks_headerless: names
                .first()
                .is_some_and(|n| parse_time(n.as_bytes()).is_some()),
        };
        Ok(Layout {
            line,
            width: names.len(),
            time: time.ok_or_else(|| missing("Date"))?,
            time_of_day,
            open: get(Field::Open).ok_or_else(|| missing("Open"))?,
            high: get(Field::High).ok_or_else(|| missing("High"))?,
            low: get(Field::Low).ok_or_else(|| missing("Low"))?,
            close: get(Field::Close).ok_or_else(|| missing("Close"))?,
            adj_close: get(Field::AdjClose),
            volume: get(Field::Volume),
            symbol: if want_symbol {
                get(Field::Symbol)
            } else {
                None
            },
            names,
        })
    }
}
