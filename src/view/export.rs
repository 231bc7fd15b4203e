//! The results as CSV, as the table shows them (filter and sort applied): the
//! Technic columns, the scan's display columns and, for error rows, the
//! reason. Built from engine rows only, so no setting, URL or API key can
//! reach the file. Pure: the page hands the text to the browser.
//!
//! Every cell is inert in a spreadsheet. A text cell (symbol, signal, error
//! reason, header) that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, so Excel, LibreOffice and Google Sheets show it
//! as text instead of running it as a formula (OWASP "CSV injection"). Number
//! cells of number columns are written by Rust's float formatting, which
//! only ever produces digits, one `.` and a leading `-`: a cell such as
//! `-1.25` is a number to every spreadsheet, never a formula, so it stays a
//! number the user can sort and sum. Prefixing it would turn every negative
//! change or display value into text.

use std::borrow::Cow;

use crate::engine::run::{Outcome, Row};

use super::columns::ColumnKey;

/// The CSV text of `rows` in `order`: the Technic columns `shown` (as the
/// table shows them: [`super::columns::ColumnChoice::columns`]), then the
/// display columns headed `display`, then the error.
pub fn to_csv(
    rows: &[Row],
    order: &[usize],
    display: &[String],
    shown: &[(ColumnKey, &str)],
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<Cow<'_, str>> = shown.iter().map(|(_, title)| inert(title)).collect();
    header.extend(display.iter().map(|d| inert(d)));
    header.push(Cow::Borrowed("Error"));
    // Writing into a Vec cannot fail; a failure would only drop that record.
    let _ = w.write_record(header.iter().map(|c| c.as_bytes()));
    for row in order.iter().filter_map(|&i| rows.get(i)) {
        let mut record: Vec<String> = Vec::with_capacity(header.len());
        for &(key, _) in shown {
            record.push(match (key, &row.outcome) {
                (ColumnKey::Symbol, _) => inert(&row.symbol).into_owned(),
                (ColumnKey::Signal, Outcome::Match(m)) => {
                    inert(m.score.signal.label()).into_owned()
                }
                _ => key.value(row).map(number).unwrap_or_default(),
            });
        }
        record.extend((0..display.len()).map(|k| {
            ColumnKey::Display(k)
                .value(row)
                .map(number)
                .unwrap_or_default()
        }));
        record.push(match &row.outcome {
            Outcome::Error(e) => inert(&e.to_string()).into_owned(),
            Outcome::Match(_) => String::new(),
        });
        let _ = w.write_record(&record);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A number cell: full precision, shortest round-trip form (never an
/// exponent, so never anything but digits, `.` and a leading `-`). Only
/// finite values reach here (`ColumnKey::value` drops the rest).
fn number(v: f64) -> String {
    v.to_string()
}

/// A text cell a spreadsheet will not evaluate: a leading `'` when the text
/// starts with a character that makes a formula.
pub fn inert(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::fetch_policy::Failure;
    use crate::engine::run::{InvalidData, SymbolError};
    use crate::view::columns::TECHNIC_COLUMNS;
    use crate::view::testing::{error_row, match_row};

    fn records(text: &str) -> Vec<Vec<String>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn formula_characters_at_the_start_of_text_are_neutralised() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert(text), format!("'{text}"), "{text:?}");
        }
        for text in ["AAPL", "BRK.B", "1=1", "a-b", "", "'quoted"] {
            assert_eq!(inert(text), text, "{text:?}");
        }
    }

    #[test]
    fn a_symbol_that_is_a_formula_is_exported_as_text() {
        let rows = vec![match_row(0, "=HYPERLINK(\"http://x\")", 10.0)];
        let out = records(&to_csv(&rows, &[0], &[], &TECHNIC_COLUMNS));
        assert_eq!(out[1][0], "'=HYPERLINK(\"http://x\")");
    }

    // Regression: server error texts went out unescaped (issue 7).
    #[test]
    fn an_error_reason_from_a_server_never_starts_a_formula() {
        for error in [
            SymbolError::Invalid(InvalidData::File {
                path: "-2+3 =cmd|' /C calc'!A0".into(),
                message: "unreadable".into(),
            }),
            SymbolError::FetchFailed(Failure::Network("=cmd|' /C calc'!A0".into())),
        ] {
            let rows = vec![error_row(0, "X", error.clone())];
            let out = records(&to_csv(&rows, &[0], &[], &TECHNIC_COLUMNS));
            let reason = out[1].last().unwrap();
            assert_eq!(*reason, inert(&error.to_string()));
            assert!(
                !reason.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{reason}"
            );
            assert!(reason.contains("cmd|' /C calc'!A0"), "{reason}");
        }
    }

    #[test]
    fn the_export_follows_the_columns_shown_in_their_order() {
        let rows = vec![match_row(0, "AAPL", 12.5)];
        let shown = [
            (ColumnKey::Symbol, "Symbol"),
            (ColumnKey::Close, "Close"),
            (ColumnKey::Signal, "Signal"),
        ];
        let out = records(&to_csv(&rows, &[0], &[], &shown));
        assert_eq!(out[0], ["Symbol", "Close", "Signal", "Error"]);
        assert_eq!(out[1][0], "AAPL");
        assert_eq!(out[1][1], "12.5");
    }

    #[test]
    fn a_display_header_starting_with_minus_is_text_but_negative_numbers_stay_numbers() {
        let rows = vec![match_row(0, "AAPL", -2.5)];
        let out = records(&to_csv(
            &rows,
            &[0],
            &["-close".to_string(), "rsi(14)".to_string()],
            &TECHNIC_COLUMNS,
        ));
        let header = &out[0];
        assert_eq!(header[TECHNIC_COLUMNS.len()], "'-close");
        assert_eq!(header[TECHNIC_COLUMNS.len() + 1], "rsi(14)");
        let row = &out[1];
        let close = TECHNIC_COLUMNS
            .iter()
            .position(|(k, _)| *k == ColumnKey::Close)
            .unwrap();
        let change = TECHNIC_COLUMNS
            .iter()
            .position(|(k, _)| *k == ColumnKey::Change)
            .unwrap();
        assert_eq!(row[close], "-2.5");
        assert_eq!(row[change], "-1.5");
        assert_eq!(row[TECHNIC_COLUMNS.len()], "-2.5");
        assert_eq!(row[TECHNIC_COLUMNS.len() + 1], "");
    }

    #[test]
    fn markup_and_quotes_in_a_symbol_survive_as_plain_text() {
        let symbol = "<img src=x onerror=alert(1)>\"'";
        let rows = vec![match_row(0, symbol, 1.0)];
        let out = records(&to_csv(&rows, &[0], &[], &TECHNIC_COLUMNS));
        assert_eq!(out[1][0], symbol);
    }

    #[test]
    fn rows_follow_the_given_order_and_every_record_has_every_column() {
        let rows = vec![
            match_row(0, "A", 1.0),
            error_row(1, "B", SymbolError::NoData),
            match_row(2, "C", 3.0),
        ];
        let out = records(&to_csv(&rows, &[2, 1, 0], &["x".into()], &TECHNIC_COLUMNS));
        assert_eq!(out.len(), 4);
        let firsts: Vec<&str> = out[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(firsts, ["C", "B", "A"]);
        assert!(out.iter().all(|r| r.len() == TECHNIC_COLUMNS.len() + 2));
        assert_eq!(out[2].last().unwrap(), "no data");
    }

    #[test]
    fn numbers_never_use_an_exponent() {
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(-1.5e12), "-1500000000000");
    }
}
