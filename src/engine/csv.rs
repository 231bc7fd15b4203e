//! Reading bars from CSV text (Yahoo, Stooq and generic headers, one symbol per
//! file or a long file with a symbol column) with the `csv` crate. Owns parsing
//! and header detection only; validation is `Bars::new`'s.
//!
//! TODO(engine issue): implement.

use super::bars::{Bars, BarsError};

/// Why a CSV could not become bars: what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    #[error("{symbol}: the file is empty")]
    Empty { symbol: String },
    #[error(transparent)]
    Bars(#[from] BarsError),
}

/// Reads one symbol's bars from a CSV file's bytes.
pub fn read_bars(symbol: &str, _bytes: &[u8]) -> Result<Bars, CsvError> {
    Err(CsvError::Empty {
        symbol: symbol.to_string(),
    })
}
