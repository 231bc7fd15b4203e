//! Reading bars from CSV bytes (Yahoo, Stooq and generic headers, one symbol per
//! file or a long file with a symbol column) with the `csv` crate. Owns parsing,
//! header detection and adjustment only; validation is `Bars::new`'s. Must not
//! import anything browser-side.
//!
//! What is accepted (and decided here):
//! - Headers are matched case-insensitively after trimming, dropping a UTF-8
//!   BOM and every character that is not a letter or digit, so `Adj Close`,
//!   `adj_close`, `Adj. Close` and Stooq's `<CLOSE>` all match. Names:
//!   time `date datetime timestamp time ts t`; `open o`; `high h`; `low l`;
//!   `close c`; adjusted close `adjclose adjustedclose`; `volume vol v`;
//!   symbol `symbol ticker name code sym`. Other columns (`<PER>`,
//!   `<OPENINT>`, …) are ignored. When a file has both a date column and a
//!   `time` column (Stooq's `<DATE>,<TIME>`), the time column is the time of day.
//! - Volume may be missing: every bar then has volume 0.
//! - An adjusted close back-adjusts open, high, low and close by
//!   `adj_close / close` on each row (SPEC §2.1); volume is left as is. Rows
//!   whose close is not positive are left unadjusted so that `Bars::new`
//!   reports the bad price itself.
//! - Dates: `YYYY-MM-DD` (or `/`), optionally followed by ` ` or `T` and
//!   `HH:MM[:SS[.fff]]` and a `Z` or `±HH[:MM]` offset; `YYYYMMDD` (Stooq);
//!   integer or decimal epoch values, told apart by magnitude: below 1e11 are
//!   seconds, below 1e14 milliseconds, below 1e17 microseconds, above that
//!   nanoseconds (so epoch milliseconds before March 1973 would be misread as
//!   seconds). Times without an offset are taken as UTC. Stored as UTC epoch ms.
//! - Rows are kept in file order: out-of-order or duplicate dates are an error
//!   (from `Bars::new`, reported with the file line), never sorted away.
//! - Skipped, never an error: blank lines and rows whose cells are all empty;
//!   Yahoo's "null" rows, where every cell except the date (and symbol) is
//!   `null` — they are counted in [`ReadStats`]. A `null` among numbers, an
//!   empty cell or any other text is an error, and so are `nan`/`inf` spelled
//!   out (Rust's float parser would accept them).
//! - Fields are separated by `,`, or by `;`/tab when the header line has that
//!   and no comma.
//!
//! Lines are 1-based file lines (for a quoted field spanning lines: its last
//! line). Cells are parsed straight from the reused `ByteRecord`'s bytes: no
//! allocation per cell or per row, only per column and per error.

use crate::engine::bars::{Bars, BarsError, Columns, Rule};
use chrono::{DateTime, NaiveDate};
use std::collections::HashMap;

/// The longest offending cell text an error message repeats.
const MAX_TEXT: usize = 40;

/// What `read_long` calls the file in errors that belong to no symbol.
const LONG_FILE: &str = "long CSV";

/// Why a CSV could not become bars: what and where (symbol, 1-based file
/// line, column as written in the header, offending text cut to 40 chars).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    #[error("{symbol}: the file is empty")]
    Empty { symbol: String },
    #[error("{symbol}: the file has a header (line {header_line}) but no data rows{}", nulls_note(*skipped_null_rows))]
    NoRows {
        symbol: String,
        header_line: u64,
        skipped_null_rows: usize,
    },
    #[error("{symbol}: line {line}: no {column} column (found: {found}){}", if *looks_headerless { "; is the header row missing?" } else { "" })]
    MissingColumn {
        symbol: String,
        line: u64,
        column: &'static str,
        found: String,
        looks_headerless: bool,
    },
    #[error("{symbol}: line {line}: {found} fields, but the header has {expected}")]
    Ragged {
        symbol: String,
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error("{symbol}: line {line}, column {column}: {}", not_a_number(text))]
    NotANumber {
        symbol: String,
        line: u64,
        column: String,
        text: String,
    },
    #[error("{symbol}: line {line}, column {column}: `{text}` is not a finite number (NaN and infinity are rejected)")]
    NotFinite {
        symbol: String,
        line: u64,
        column: String,
        text: String,
    },
    #[error("{symbol}: line {line}, column {column}: `{text}` is not a date (expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], YYYYMMDD or epoch seconds/milliseconds)")]
    BadDate {
        symbol: String,
        line: u64,
        column: String,
        text: String,
    },
    #[error("{symbol}: line {line}, column {column}: the bytes are not UTF-8 text (`{text}`)")]
    NotUtf8 {
        symbol: String,
        line: u64,
        column: String,
        text: String,
    },
    #[error("line {line}, column {column}: the symbol cell is empty")]
    BlankSymbol { line: u64, column: String },
    /// A row that `Bars::new` rejected, mapped back to its file line.
    #[error("{}: line {line}: {}{detail}", source.symbol, source.rule.describe())]
    InvalidBar {
        line: u64,
        detail: String,
        source: BarsError,
    },
    /// A whole-series rule that `Bars::new` rejected.
    #[error(transparent)]
    Bars(BarsError),
    #[error("{symbol}: line {line}: {message}")]
    Csv {
        symbol: String,
        line: u64,
        message: String,
    },
}

fn nulls_note(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} `null` rows skipped)")
    }
}

fn not_a_number(text: &str) -> String {
    if text.is_empty() {
        "the cell is empty, expected a number".to_string()
    } else {
        format!("`{text}` is not a number")
    }
}

/// Counts of what a read skipped on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Data rows that became bars.
    pub rows: usize,
    /// Yahoo-style rows whose every value was `null`.
    pub null_rows: usize,
}

/// Reads one symbol's bars from a CSV file's bytes (any symbol column is
/// ignored). See the module docs for the accepted formats.
pub fn read_bars(symbol: &str, bytes: &[u8]) -> Result<Bars, CsvError> {
    read_bars_with_stats(symbol, bytes).map(|(bars, _)| bars)
}

/// [`read_bars`], also saying how many rows were read and skipped.
pub fn read_bars_with_stats(symbol: &str, bytes: &[u8]) -> Result<(Bars, ReadStats), CsvError> {
    let mut file = CsvFile::open(bytes);
    let layout = file.header(symbol, false)?;
    let mut acc = Accumulator::new(symbol.to_string(), bytes.len() / 48);
    while let Some(line) = file.next_record(symbol)? {
        match parse_row(&layout, &file.rec, line, symbol)? {
            Row::Bar(bar) => acc.push(bar, line),
            Row::Null => acc.stats.null_rows += 1,
            Row::Blank => {}
        }
    }
    if acc.cols.is_empty() {
        return Err(CsvError::NoRows {
            symbol: symbol.to_string(),
            header_line: layout.line,
            skipped_null_rows: acc.stats.null_rows,
        });
    }
    acc.finish()
}

/// One symbol of a long file and what became of it.
pub type SymbolBars = (String, Result<Bars, CsvError>);

/// Reads a long file (one row per symbol and date, with a symbol column such
/// as `Symbol` or `Ticker`): one entry per symbol in first-seen order. A bad
/// row fails only its own symbol (the first error is kept); the outer error is
/// for the file as a whole (empty, unreadable header, no symbol column). A row
/// with an empty symbol cell gets an entry of its own under the symbol `""`.
pub fn read_long(bytes: &[u8]) -> Result<Vec<SymbolBars>, CsvError> {
    let mut file = CsvFile::open(bytes);
    let layout = file.header(LONG_FILE, true)?;
    let Some(sym_col) = layout.symbol else {
        return Err(CsvError::MissingColumn {
            symbol: LONG_FILE.to_string(),
            line: layout.line,
            column: "Symbol",
            found: layout.names.join(", "),
            looks_headerless: false,
        });
    };
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut accs: Vec<Accumulator> = Vec::new();
    while let Some(line) = file.next_record(LONG_FILE)? {
        let rec = &file.rec;
        if is_blank(rec) {
            continue;
        }
        let raw = rec.get(sym_col).map(<[u8]>::trim_ascii).unwrap_or(b"");
        let slot = match index.get(raw) {
            Some(&i) => i,
            None => {
                let name = String::from_utf8_lossy(raw).into_owned();
                let mut acc = Accumulator::new(name, 256);
                if raw.is_empty() {
                    acc.err = Some(CsvError::BlankSymbol {
                        line,
                        column: layout.names[sym_col].clone(),
                    });
                } else if std::str::from_utf8(raw).is_err() {
                    acc.err = Some(CsvError::NotUtf8 {
                        symbol: acc.symbol.clone(),
                        line,
                        column: layout.names[sym_col].clone(),
                        text: shorten(raw),
                    });
                }
                index.insert(raw.to_vec(), accs.len());
                accs.push(acc);
                accs.len() - 1
            }
        };
        let acc = &mut accs[slot];
        if acc.err.is_some() {
            continue;
        }
        match parse_row(&layout, rec, line, &acc.symbol) {
            Ok(Row::Bar(bar)) => acc.push(bar, line),
            Ok(Row::Null) => acc.stats.null_rows += 1,
            Ok(Row::Blank) => {}
            Err(e) => acc.err = Some(e),
        }
    }
    if accs.is_empty() {
        return Err(CsvError::NoRows {
            symbol: LONG_FILE.to_string(),
            header_line: layout.line,
            skipped_null_rows: 0,
        });
    }
    Ok(accs
        .into_iter()
        .map(|acc| {
            let symbol = acc.symbol.clone();
            let result = match acc.err {
                Some(e) => Err(e),
                None if acc.cols.is_empty() => Err(CsvError::NoRows {
                    symbol: acc.symbol,
                    header_line: layout.line,
                    skipped_null_rows: acc.stats.null_rows,
                }),
                None => acc.finish().map(|(bars, _)| bars),
            };
            (symbol, result)
        })
        .collect())
}

/// One symbol's rows on their way to `Bars::new`, with each bar's file line.
struct Accumulator {
    symbol: String,
    cols: Columns,
    lines: Vec<u64>,
    stats: ReadStats,
    err: Option<CsvError>,
    /// The first (previous, this) pair of timestamps that did not increase.
    disorder: Option<(i64, i64)>,
}

impl Accumulator {
    fn new(symbol: String, capacity: usize) -> Self {
        Accumulator {
            symbol,
            cols: Columns::with_capacity(capacity),
            lines: Vec::with_capacity(capacity),
            stats: ReadStats::default(),
            err: None,
            disorder: None,
        }
    }

    fn push(&mut self, b: Bar, line: u64) {
        if let (Some(&prev), None) = (self.cols.time.last(), &self.disorder) {
            if b.time <= prev {
                self.disorder = Some((prev, b.time));
            }
        }
        self.cols
            .push(b.time, b.open, b.high, b.low, b.close, b.volume);
        self.lines.push(line);
        self.stats.rows += 1;
    }

    fn finish(self) -> Result<(Bars, ReadStats), CsvError> {
        let Accumulator {
            symbol,
            cols,
            lines,
            stats,
            disorder,
            ..
        } = self;
        let e = match Bars::new(&symbol, cols) {
            Ok(bars) => return Ok((bars, stats)),
            Err(e) => e,
        };
        let Some(row) = e.row else {
            return Err(CsvError::Bars(e));
        };
        let line = lines.get(row).copied().unwrap_or(0);
        // `Bars::new` reports the first broken row, so a time rule there is the
        // first disorder `push` saw.
        let detail = match (e.rule, disorder) {
            (Rule::TimeNotIncreasing, Some((prev, this))) => {
                let prev_line = row
                    .checked_sub(1)
                    .and_then(|p| lines.get(p))
                    .copied()
                    .unwrap_or(0);
                format!(
                    ": {} is not after {} on line {prev_line}",
                    show_time(this),
                    show_time(prev)
                )
            }
            _ => String::new(),
        };
        Err(CsvError::InvalidBar {
            line,
            detail,
            source: e,
        })
    }
}

fn show_time(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) if ms.rem_euclid(MS_PER_DAY) == 0 => t.format("%Y-%m-%d").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{ms} ms"),
    }
}

/// The reader over one file's bytes, with the reused record and a line counter
/// (the `csv` crate's own record positions drift after blank lines).
struct CsvFile<'a> {
    bytes: &'a [u8],
    rdr: csv::Reader<&'a [u8]>,
    rec: csv::ByteRecord,
    counted_to: usize,
    newlines: u64,
}

impl<'a> CsvFile<'a> {
    fn open(bytes: &'a [u8]) -> Self {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(b"");
        let delimiter = if first_line.contains(&b',') {
            b','
        } else if first_line.contains(&b';') {
            b';'
        } else if first_line.contains(&b'\t') {
            b'\t'
        } else {
            b','
        };
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(bytes);
        CsvFile {
            bytes,
            rdr,
            rec: csv::ByteRecord::new(),
            counted_to: 0,
            newlines: 0,
        }
    }

    /// Reads the next record into `self.rec`; returns its 1-based line.
    fn next_record(&mut self, symbol: &str) -> Result<Option<u64>, CsvError> {
        match self.rdr.read_byte_record(&mut self.rec) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let end = (self.rdr.position().byte() as usize).min(self.bytes.len());
                let mut content_end = end.max(self.counted_to);
                while content_end > self.counted_to
                    && matches!(self.bytes[content_end - 1], b'\n' | b'\r')
                {
                    content_end -= 1;
                }
                self.newlines += self.bytes[self.counted_to..content_end]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                self.counted_to = content_end;
                Ok(Some(self.newlines + 1))
            }
            Err(e) => Err(CsvError::Csv {
                symbol: symbol.to_string(),
                line: self.newlines + 1,
                message: e.to_string(),
            }),
        }
    }

    /// Reads the first non-blank record as the header and maps its columns.
    fn header(&mut self, symbol: &str, want_symbol: bool) -> Result<Layout, CsvError> {
        let line = loop {
            match self.next_record(symbol)? {
                None => {
                    return Err(CsvError::Empty {
                        symbol: symbol.to_string(),
                    })
                }
                Some(line) if !is_blank(&self.rec) => break line,
                Some(_) => {}
            }
        };
        Layout::from_header(&self.rec, line, symbol, want_symbol)
    }
}

fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.iter().all(|f| f.trim_ascii().is_empty())
}

/// Where each needed column sits, and the header's names for messages.
struct Layout {
    line: u64,
    width: usize,
    names: Vec<String>,
    time: usize,
    time_of_day: Option<usize>,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    adj_close: Option<usize>,
    volume: Option<usize>,
    symbol: Option<usize>,
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
    fn from_header(
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

struct Bar {
    time: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

enum Row {
    Bar(Bar),
    Null,
    Blank,
}

fn parse_row(
    layout: &Layout,
    rec: &csv::ByteRecord,
    line: u64,
    symbol: &str,
) -> Result<Row, CsvError> {
    if is_blank(rec) {
        return Ok(Row::Blank);
    }
    if rec.len() != layout.width {
        return Err(CsvError::Ragged {
            symbol: symbol.to_string(),
            line,
            expected: layout.width,
            found: rec.len(),
        });
    }
    let cell = |i: usize| rec.get(i).unwrap_or(b"").trim_ascii();
    let numeric = [layout.open, layout.high, layout.low, layout.close];
    let is_null_row = numeric
        .into_iter()
        .chain(layout.adj_close)
        .chain(layout.volume)
        .all(|i| cell(i).eq_ignore_ascii_case(b"null"));
    if is_null_row {
        return Ok(Row::Null);
    }
    let cell_error = |i: usize, kind: CellError| {
        let raw = cell(i);
        let (symbol, column, text) = (symbol.to_string(), layout.names[i].clone(), shorten(raw));
        match kind {
            CellError::NotUtf8 => CsvError::NotUtf8 {
                symbol,
                line,
                column,
                text,
            },
            CellError::NotANumber => CsvError::NotANumber {
                symbol,
                line,
                column,
                text,
            },
            CellError::NotFinite => CsvError::NotFinite {
                symbol,
                line,
                column,
                text,
            },
            CellError::BadDate => CsvError::BadDate {
                symbol,
                line,
                column,
                text,
            },
        }
    };
    let mut time = parse_time(cell(layout.time)).ok_or_else(|| {
        let kind = if std::str::from_utf8(cell(layout.time)).is_err() {
            CellError::NotUtf8
        } else {
            CellError::BadDate
        };
        cell_error(layout.time, kind)
    })?;
    if let Some(t) = layout.time_of_day {
        let extra =
            parse_time_of_day_cell(cell(t)).ok_or_else(|| cell_error(t, CellError::BadDate))?;
        time = time.saturating_add(extra);
    }
    let num = |i: usize| parse_number(cell(i)).map_err(|kind| cell_error(i, kind));
    let mut open = num(layout.open)?;
    let mut high = num(layout.high)?;
    let mut low = num(layout.low)?;
    let mut close = num(layout.close)?;
    if let Some(a) = layout.adj_close {
        let adj = num(a)?;
        if close > 0.0 {
            let k = adj / close;
            open *= k;
            high *= k;
            low *= k;
            // Not `adj` itself: the same factor on all four keeps their order.
            close *= k;
        }
    }
    let volume = match layout.volume {
        Some(v) => num(v)?,
        None => 0.0,
    };
    Ok(Row::Bar(Bar {
        time,
        open,
        high,
        low,
        close,
        volume,
    }))
}

enum CellError {
    NotUtf8,
    NotANumber,
    NotFinite,
    BadDate,
}

/// A finite decimal number; `nan`, `inf` and overflowing values are refused.
fn parse_number(b: &[u8]) -> Result<f64, CellError> {
    let s = std::str::from_utf8(b).map_err(|_| CellError::NotUtf8)?;
    let v: f64 = s.parse().map_err(|_| CellError::NotANumber)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(CellError::NotFinite)
    }
}

/// The cell's text for a message: lossy UTF-8, at most 40 characters.
fn shorten(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let mut out: String = text.chars().take(MAX_TEXT).collect();
    if text.chars().nth(MAX_TEXT).is_some() {
        out.push('…');
    }
    out
}

const MS_PER_DAY: i64 = 86_400_000;

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        b.iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')),
    )
}

/// Midnight UTC of a calendar date, in epoch ms.
fn date_ms(y: &[u8], m: &[u8], d: &[u8]) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(digits(y)? as i32, digits(m)?, digits(d)?)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A timestamp cell as UTC epoch ms (see the module docs for the formats).
fn parse_time(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        if let Some(ms) = date_ms(&b[0..4], &b[4..6], &b[6..8]) {
            return Some(ms);
        }
    }
    if b.iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.'))
        && b.iter().any(u8::is_ascii_digit)
        && !(b.len() >= 10 && (b[4] == b'-'))
    {
        return parse_epoch(b);
    }
    if b.len() < 10 || !matches!(b[4], b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    let midnight = date_ms(&b[0..4], &b[5..7], &b[8..10])?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(midnight);
    }
    if !matches!(rest[0], b' ' | b'T' | b't') {
        return None;
    }
    let (of_day, rest) = parse_clock(rest[1..].trim_ascii_start())?;
    let offset = parse_offset(rest.trim_ascii())?;
    Some(midnight + of_day - offset)
}

/// Epoch seconds, ms, µs or ns, told apart by magnitude.
fn parse_epoch(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    if let Ok(v) = s.parse::<i64>() {
        let a = v.unsigned_abs();
        return if a < 100_000_000_000 {
            v.checked_mul(1000)
        } else if a < 100_000_000_000_000 {
            Some(v)
        } else if a < 100_000_000_000_000_000 {
            Some(v / 1000)
        } else {
            Some(v / 1_000_000)
        };
    }
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    let ms = if a < 1e11 {
        v * 1000.0
    } else if a < 1e14 {
        v
    } else if a < 1e17 {
        v / 1000.0
    } else {
        v / 1e6
    };
    if ms.abs() < 9.0e18 {
        Some(ms.round() as i64)
    } else {
        None
    }
}

/// `HH:MM[:SS[.fff…]]` at the start of `b`: (ms into the day, the rest).
fn parse_clock(b: &[u8]) -> Option<(i64, &[u8])> {
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = i64::from(digits(&b[0..2])?);
    let m = i64::from(digits(&b[3..5])?);
    let mut rest = &b[5..];
    let mut s = 0;
    let mut frac_ms = 0;
    if rest.first() == Some(&b':') {
        s = i64::from(digits(rest.get(1..3)?)?);
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut scale = 100;
            for &d in rest[1..1 + n].iter().take(3) {
                frac_ms += i64::from(d - b'0') * scale;
                scale /= 10;
            }
            rest = &rest[1 + n..];
        }
    }
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some((((h * 60 + m) * 60 + s) * 1000 + frac_ms, rest))
}

/// `""`, `Z`, `UTC` or `±HH[:MM]` / `±HHMM`, as ms to subtract.
fn parse_offset(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.eq_ignore_ascii_case(b"z") || b.eq_ignore_ascii_case(b"utc") {
        return Some(0);
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = match rest.len() {
        2 => (digits(rest)?, 0),
        4 => (digits(&rest[0..2])?, digits(&rest[2..4])?),
        5 if rest[2] == b':' => (digits(&rest[0..2])?, digits(&rest[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 60 + i64::from(m)) * 60_000)
}

/// A separate time-of-day cell: `HH:MM[:SS]` or Stooq's `HHMMSS`.
fn parse_time_of_day_cell(b: &[u8]) -> Option<i64> {
    if b.len() == 6 && b.iter().all(u8::is_ascii_digit) {
        let (h, m, s) = (digits(&b[0..2])?, digits(&b[2..4])?, digits(&b[4..6])?);
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        return Some(i64::from((h * 60 + m) * 60 + s) * 1000);
    }
    let (ms, rest) = parse_clock(b)?;
    if rest.is_empty() && ms < MS_PER_DAY {
        Some(ms)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_forms_agree_on_the_same_day() {
        let day = parse_time(b"2020-01-02").unwrap();
        assert_eq!(day, 1_577_923_200_000);
        assert_eq!(parse_time(b"20200102"), Some(day));
        assert_eq!(parse_time(b"2020/01/02"), Some(day));
        assert_eq!(parse_time(b"1577923200"), Some(day));
        assert_eq!(parse_time(b"1577923200000"), Some(day));
        assert_eq!(parse_time(b"2020-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_time(b"2020-01-02 01:30:15.5"), Some(day + 5_415_500));
        assert_eq!(parse_time(b"2020-01-01 19:00:00-05:00"), Some(day));
    }

    #[test]
    fn impossible_dates_and_clocks_are_refused() {
        for bad in [
            &b"2020-02-30"[..],
            b"2020-13-01",
            b"2020-01-02 24:00",
            b"2020-01-02X10:00",
            b"yesterday",
            b"",
            b"2020-01-02 10:00+99:00",
        ] {
            assert_eq!(parse_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn spelled_out_nan_and_infinity_are_not_numbers() {
        for bad in ["nan", "NaN", "inf", "-Infinity", "1e999"] {
            assert!(matches!(
                parse_number(bad.as_bytes()),
                Err(CellError::NotFinite)
            ));
        }
        assert!(matches!(parse_number(b"1.5e3"), Ok(v) if v == 1500.0));
    }

    #[test]
    fn long_cell_text_is_cut_to_forty_characters() {
        let s = shorten("x".repeat(100).as_bytes());
        assert_eq!(s.chars().count(), 41);
        assert!(s.ends_with('…'));
    }
}
