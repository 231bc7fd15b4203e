//! Long files: one row per symbol and date, grouped by a symbol column into
//! one result per symbol (a bad row fails only its own symbol). Imports the
//! reader, the header layout and the errors.

use std::collections::HashMap;

use super::error::{shorten, CsvError};
use super::reader::{is_blank, parse_row, Accumulator, CsvFile, Row};
use crate::engine::bars::Bars;

/// What `read_long` calls the file in errors that belong to no symbol.
const LONG_FILE: &str = "long CSV";

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
