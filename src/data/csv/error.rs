//! Why a CSV could not become bars ([`CsvError`]), and how an offending cell
//! is quoted in a message. Imports only the bars' own error; nothing else of
//! the reader.

use crate::engine::bars::BarsError;

/// The longest offending cell text an error message repeats.
const MAX_TEXT: usize = 40;

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

/// The cell's text for a message: lossy UTF-8, at most 40 characters.
pub(super) fn shorten(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let mut out: String = text.chars().take(MAX_TEXT).collect();
    if text.chars().nth(MAX_TEXT).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cell_text_is_cut_to_forty_characters() {
        let s = shorten("x".repeat(100).as_bytes());
        assert_eq!(s.chars().count(), 41);
        assert!(s.ends_with('…'));
    }
}
