//! The reader shared by one-symbol and long files: the byte reader with its
//! line counter and delimiter guess, one row parsed into a bar (numbers,
//! adjustment, `null` rows), and the accumulator that hands a symbol's rows
//! to `Bars::new` and maps its verdict back to file lines. Imports the
//! errors, the header layout and the date parser; not the long-file grouping.

use super::error::{shorten, CsvError};
use super::headers::Layout;
use super::time::{parse_time, parse_time_of_day_cell, show_time};
use crate::engine::bars::{Bars, Columns, Rule};

/// Counts of what a read skipped on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Data rows that became bars.
    pub rows: usize,
    /// Yahoo-style rows whose every value was `null`.
    pub null_rows: usize,
}

/// One symbol's rows on their way to `Bars::new`, with each bar's file line.
pub(super) struct Accumulator {
    pub(super) symbol: String,
    pub(super) cols: Columns,
    pub(super) lines: Vec<u64>,
    pub(super) stats: ReadStats,
    pub(super) err: Option<CsvError>,
    /// The first (previous, this) pair of timestamps that did not increase.
    pub(super) disorder: Option<(i64, i64)>,
}

impl Accumulator {
    pub(super) fn new(symbol: String, capacity: usize) -> Self {
        Accumulator {
            symbol,
            cols: Columns::with_capacity(capacity),
            lines: Vec::with_capacity(capacity),
            stats: ReadStats::default(),
            err: None,
            disorder: None,
        }
    }

    pub(super) fn push(&mut self, b: Bar, line: u64) {
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

    pub(super) fn finish(self) -> Result<(Bars, ReadStats), CsvError> {
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

/// The reader over one file's bytes, with the reused record and a line counter
/// (the `csv` crate's own record positions drift after blank lines).
pub(super) struct CsvFile<'a> {
    bytes: &'a [u8],
    rdr: csv::Reader<&'a [u8]>,
    pub(super) rec: csv::ByteRecord,
    counted_to: usize,
    newlines: u64,
}

impl<'a> CsvFile<'a> {
    pub(super) fn open(bytes: &'a [u8]) -> Self {
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
    pub(super) fn next_record(&mut self, symbol: &str) -> Result<Option<u64>, CsvError> {
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
    pub(super) fn header(&mut self, symbol: &str, want_symbol: bool) -> Result<Layout, CsvError> {
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

pub(super) fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.iter().all(|f| f.trim_ascii().is_empty())
}

pub(super) struct Bar {
    time: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

pub(super) enum Row {
    Bar(Bar),
    Null,
    Blank,
}

pub(super) fn parse_row(
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

pub(super) enum CellError {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
