//! Result rows for the view tests: a real score of a small synthetic series,
//! with the close and display values each test needs.

use crate::engine::run::{Match, Outcome, Row, SymbolError};
use crate::engine::score::{score, Settings};

/// A match row of scan 1 whose close (and first display column) is `close`.
pub fn match_row(index: usize, symbol: &str, close: f64) -> Row {
    let bars = crate::data::synthetic::bars(7, index, 60);
    let last = bars.len() - 1;
    Row {
        scan_id: 1,
        order: index,
        symbol: symbol.into(),
        outcome: Outcome::Match(Box::new(Match {
            time: bars.time()[last],
            close,
            change_pct: -1.5,
            score: score(&bars, &Settings::default()),
            columns: vec![Some(close), None],
            bars: bars.len(),
        })),
    }
}

/// An error row of scan 1.
pub fn error_row(index: usize, symbol: &str, error: SymbolError) -> Row {
    Row {
        scan_id: 1,
        order: index,
        symbol: symbol.into(),
        outcome: Outcome::Error(error),
    }
}
