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
//!
//! Layout: `error` (what went wrong, where), `time` (date and time cells),
//! `headers` (which column is which), `reader` (bytes to rows to bars),
//! `long` (long files grouped by symbol); this module holds the public entry
//! points and re-exports everything public, so the paths stay
//! `crate::data::csv::{read_bars, read_bars_with_stats, read_long, CsvError, …}`.

mod error;
mod headers;
mod long;
mod reader;
mod time;

pub use error::CsvError;
pub use long::{read_long, SymbolBars};
pub use reader::ReadStats;

use crate::engine::bars::Bars;
use reader::{parse_row, Accumulator, CsvFile, Row};

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
