//! The results table's columns, sort and filter: the Technic columns and the
//! scan's display columns, each with its header and its value for a row; the
//! order rows are shown in (numeric sort, undefined values last in both
//! directions, ties by symbol); and the key a drawn row is known by.
//! Pure: no browser crate, no Leptos.

use std::cmp::Ordering;

use crate::engine::run::{Outcome, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKey {
    Symbol,
    Signal,
    TechRating,
    ShortRating,
    Close,
    Change,
    Rsi,
    Atr,
    Entry,
    Stop,
    Target,
    Shares,
    /// The scan's display column `k`.
    Display(usize),
}

/// The Technic columns, in table order, with their headers.
pub const TECHNIC_COLUMNS: [(ColumnKey, &str); 12] = [
    (ColumnKey::Symbol, "Symbol"),
    (ColumnKey::Signal, "Signal"),
    (ColumnKey::TechRating, "TechRating"),
    (ColumnKey::ShortRating, "ShortRating"),
    (ColumnKey::Close, "Close"),
    (ColumnKey::Change, "Chg %"),
    (ColumnKey::Rsi, "RSI(14)"),
    (ColumnKey::Atr, "ATR %"),
    (ColumnKey::Entry, "Entry"),
    (ColumnKey::Stop, "Stop"),
    (ColumnKey::Target, "Target"),
    (ColumnKey::Shares, "Shares"),
];

impl ColumnKey {
    /// Number columns align right; the symbol and the signal chip left.
    pub fn aligns_right(self) -> bool {
        !matches!(self, ColumnKey::Symbol | ColumnKey::Signal)
    }

    /// Whether the column holds numbers (everything but the symbol and the
    /// signal label). The CSV export writes these as numbers.
    pub fn is_numeric(self) -> bool {
        self.aligns_right()
    }

    /// The value to sort by and show; `None` when undefined (error rows, no
    /// trade plan, warm-up).
    pub fn value(self, row: &Row) -> Option<f64> {
        let Outcome::Match(m) = &row.outcome else {
            return None;
        };
        let plan = m.score.plan.as_ref();
        let v = match self {
            ColumnKey::Symbol => return None,
            ColumnKey::Signal => f64::from(m.score.signal.code()),
            ColumnKey::TechRating => m.score.tech_rating,
            ColumnKey::ShortRating => m.score.short_rating,
            ColumnKey::Close => m.close,
            ColumnKey::Change => m.change_pct,
            ColumnKey::Rsi => m.score.features.rsi_14,
            ColumnKey::Atr => m.score.features.atr_pct_14 * 100.0,
            ColumnKey::Entry => plan?.entry,
            ColumnKey::Stop => plan?.stop,
            ColumnKey::Target => plan?.target,
            ColumnKey::Shares => plan?.shares as f64,
            ColumnKey::Display(k) => (*m.columns.get(k)?)?,
        };
        v.is_finite().then_some(v)
    }
}

/// The Technic columns the table shows, in order: indices into
/// [`TECHNIC_COLUMNS`]. The symbol is always shown, first. Kept by name in
/// the browser, so a later version with more columns reads an old choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChoice(Vec<usize>);

impl Default for ColumnChoice {
    fn default() -> Self {
        ColumnChoice((0..TECHNIC_COLUMNS.len()).collect())
    }
}

impl ColumnChoice {
    /// The shown columns with their headers, in order.
    pub fn columns(&self) -> Vec<(ColumnKey, &'static str)> {
        self.0.iter().map(|&i| TECHNIC_COLUMNS[i]).collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn shows(&self, i: usize) -> bool {
        self.0.contains(&i)
    }

    /// Shows or hides Technic column `i` (a column shown again goes last;
    /// the symbol cannot be hidden).
    pub fn toggle(&mut self, i: usize) {
        if i == 0 || i >= TECHNIC_COLUMNS.len() {
            return;
        }
        match self.0.iter().position(|&c| c == i) {
            Some(at) => {
                self.0.remove(at);
            }
            None => self.0.push(i),
        }
    }

    /// Moves shown column `i` one place left (`-1`) or right (`+1`); never
    /// before the symbol.
    pub fn shift(&mut self, i: usize, step: isize) {
        let Some(at) = self.0.iter().position(|&c| c == i) else {
            return;
        };
        let to = at as isize + step;
        if at == 0 || to < 1 || to as usize >= self.0.len() {
            return;
        }
        self.0.swap(at, to as usize);
    }

    /// The header names, for storage.
    pub fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|&i| TECHNIC_COLUMNS[i].1.to_string())
            .collect()
    }

    /// A stored choice: unknown names and repeats are dropped, the symbol
    /// put first; nothing usable is the default.
    pub fn from_names(names: &[String]) -> ColumnChoice {
        let mut out = vec![0];
        for name in names {
            if let Some(i) = TECHNIC_COLUMNS.iter().position(|(_, t)| t == name) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        if out.len() == 1 && names.iter().all(|n| n != TECHNIC_COLUMNS[0].1) {
            return ColumnChoice::default();
        }
        ColumnChoice(out)
    }
}

/// The symbols of the matching rows in `order`, one per line (what the
/// copy button puts on the clipboard).
pub fn matching_symbols(rows: &[Row], order: &[usize]) -> String {
    order
        .iter()
        .filter_map(|&i| rows.get(i))
        .filter(|r| matches!(r.outcome, Outcome::Match(_)))
        .map(|r| r.symbol.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which column the table sorts by, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub column: ColumnKey,
    pub descending: bool,
}

impl Sort {
    /// The sort after a click on `column`'s header: a new column sorts
    /// ascending, the current one flips direction.
    pub fn after_click(current: Option<Sort>, column: ColumnKey) -> Sort {
        match current {
            Some(cur) if cur.column == column => Sort {
                column,
                descending: !cur.descending,
            },
            _ => Sort {
                column,
                descending: false,
            },
        }
    }

    /// `aria-sort` of `column`'s header under `sort`.
    pub fn aria(sort: Option<Sort>, column: ColumnKey) -> &'static str {
        match sort {
            Some(s) if s.column == column && s.descending => "descending",
            Some(s) if s.column == column => "ascending",
            _ => "none",
        }
    }
}

/// Which rows the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RowFilter {
    #[default]
    All,
    Matches,
    Errors,
}

impl RowFilter {
    /// The filter select's option value.
    pub fn value(self) -> &'static str {
        match self {
            RowFilter::All => "all",
            RowFilter::Matches => "matches",
            RowFilter::Errors => "errors",
        }
    }

    /// The filter of an option value; anything unknown shows all rows.
    pub fn from_value(value: &str) -> RowFilter {
        match value {
            "matches" => RowFilter::Matches,
            "errors" => RowFilter::Errors,
            _ => RowFilter::All,
        }
    }

    /// Whether a row passes the filter.
    pub fn keeps(self, row: &Row) -> bool {
        match self {
            RowFilter::All => true,
            RowFilter::Matches => matches!(row.outcome, Outcome::Match(_)),
            RowFilter::Errors => matches!(row.outcome, Outcome::Error(_)),
        }
    }
}

/// Indices of the rows to show, filtered and sorted (ties by symbol, then
/// arrival order).
pub fn ordered(rows: &[Row], filter: RowFilter, sort: Option<Sort>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| filter.keeps(&rows[i]))
        .collect();
    let Some(sort) = sort else { return order };
    if sort.column == ColumnKey::Symbol {
        order.sort_by(|&a, &b| directed(rows[a].symbol.cmp(&rows[b].symbol), sort.descending));
        return order;
    }
    // Keys once, not per comparison: this runs every frame while rows stream.
    let keys: Vec<Option<f64>> = rows.iter().map(|r| sort.column.value(r)).collect();
    // Ties by symbol (then arrival): the same rows show in the same order
    // whatever order the workers finished them in (a shared link reproduces
    // the table).
    order.sort_by(|&a, &b| {
        match (keys[a], keys[b]) {
            (Some(x), Some(y)) => directed(x.total_cmp(&y), sort.descending),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then_with(|| rows[a].symbol.cmp(&rows[b].symbol))
    });
    order
}

fn directed(o: Ordering, descending: bool) -> Ordering {
    if descending {
        o.reverse()
    } else {
        o
    }
}

/// The key a drawn row is known by in the table's keyed list: the row itself
/// (scan and index) and the sort that placed it.
///
/// Why the sort is part of it: Leptos 0.8's keyed diff (tachys 0.2.19,
/// `view/keyed.rs`, `diff`) decides that a kept item needs no DOM move when
/// its index shifted by exactly the number of items added minus removed
/// before it, which is wrong when kept items also swap places. The smallest
/// case: `[4, 0, 3]` → `[2, 1, 3, 0, 4]` renders `0 2 1 3 4` (item 0 is
/// judged "shifted by the two adds" and stays before 3). A re-sort of the
/// virtual window is exactly that: rows enter and leave while the kept ones
/// change order. With the sort in the key, a re-sort replaces every drawn
/// row, and between re-sorts the kept rows never change their relative order
/// (streamed rows only insert, scrolling only shifts, a filter only removes
/// or adds), a change that diff handles correctly. Both properties are
/// tested below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowKey {
    pub scan_id: u64,
    pub sort: Option<Sort>,
    /// The row's index in the scan's arrival-ordered rows.
    pub index: usize,
}

/// The keys of the rows at `order[first..end]`, in display order.
pub fn window_keys(
    rows: &[Row],
    order: &[usize],
    first: usize,
    end: usize,
    sort: Option<Sort>,
) -> Vec<RowKey> {
    let end = end.min(order.len());
    order[first.min(end)..end]
        .iter()
        .map(|&index| RowKey {
            scan_id: rows[index].scan_id,
            sort,
            index,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::run::SymbolError;
    use crate::view::testing::{error_row, match_row};

    #[test]
    fn the_column_choice_hides_shows_and_reorders_but_keeps_the_symbol_first() {
        let mut c = ColumnChoice::default();
        assert_eq!(c.len(), TECHNIC_COLUMNS.len());
        c.toggle(0);
        assert!(c.shows(0), "the symbol cannot be hidden");
        c.toggle(3);
        assert!(!c.shows(3));
        c.toggle(3);
        assert_eq!(
            c.columns().last().unwrap().0,
            ColumnKey::ShortRating,
            "shown again, last"
        );
        c.shift(3, -1);
        assert_eq!(c.columns()[c.len() - 2].0, ColumnKey::ShortRating);
        c.shift(1, -1);
        assert_eq!(
            c.columns()[0].0,
            ColumnKey::Symbol,
            "nothing moves before the symbol"
        );
        assert_eq!(c.columns()[1].0, ColumnKey::Signal);
        let back = ColumnChoice::from_names(&c.names());
        assert_eq!(back, c);
    }

    #[test]
    fn a_stored_choice_with_unknown_or_repeated_names_is_cleaned() {
        let names: Vec<String> = ["Close", "Nope", "Close", "Symbol", "RSI(14)"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = ColumnChoice::from_names(&names);
        let shown: Vec<ColumnKey> = c.columns().iter().map(|(k, _)| *k).collect();
        assert_eq!(shown, [ColumnKey::Symbol, ColumnKey::Close, ColumnKey::Rsi]);
        assert_eq!(
            ColumnChoice::from_names(&["junk".to_string()]),
            ColumnChoice::default()
        );
        assert_eq!(ColumnChoice::from_names(&[]), ColumnChoice::default());
    }

    #[test]
    fn copied_symbols_are_the_matches_in_display_order() {
        let rows = vec![
            match_row(0, "B", 2.0),
            error_row(1, "E", SymbolError::NoData),
            match_row(2, "A", 1.0),
        ];
        assert_eq!(matching_symbols(&rows, &[2, 1, 0]), "A\nB");
        assert_eq!(matching_symbols(&rows, &[]), "");
    }

    fn rows() -> Vec<Row> {
        vec![
            match_row(0, "MSFT", 300.0),
            error_row(1, "BAD", SymbolError::NoData),
            match_row(2, "AAPL", 150.0),
            match_row(3, "NVDA", 150.0),
            match_row(4, "AMZN", 90.0),
        ]
    }

    fn symbols(rows: &[Row], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| rows[i].symbol.clone()).collect()
    }

    fn sort(column: ColumnKey, descending: bool) -> Option<Sort> {
        Some(Sort { column, descending })
    }

    #[test]
    fn without_a_sort_rows_keep_arrival_order() {
        let rows = rows();
        assert_eq!(ordered(&rows, RowFilter::All, None), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_numeric_sort_puts_undefined_values_last_in_both_directions() {
        let rows = rows();
        let up = ordered(&rows, RowFilter::All, sort(ColumnKey::Close, false));
        assert_eq!(symbols(&rows, &up), ["AMZN", "AAPL", "NVDA", "MSFT", "BAD"]);
        let down = ordered(&rows, RowFilter::All, sort(ColumnKey::Close, true));
        assert_eq!(
            symbols(&rows, &down),
            ["MSFT", "AAPL", "NVDA", "AMZN", "BAD"]
        );
    }

    #[test]
    fn equal_values_are_ordered_by_symbol_in_both_directions_whatever_their_arrival() {
        let rows = rows();
        for descending in [false, true] {
            let order = ordered(
                &rows,
                RowFilter::Matches,
                sort(ColumnKey::Close, descending),
            );
            let aapl = order.iter().position(|&i| i == 2).unwrap();
            let nvda = order.iter().position(|&i| i == 3).unwrap();
            assert!(aapl < nvda, "descending={descending}: {order:?}");
            // The same rows arriving the other way round: the same order.
            let mut swapped = rows.clone();
            swapped.swap(2, 3);
            let again = ordered(
                &swapped,
                RowFilter::Matches,
                sort(ColumnKey::Close, descending),
            );
            assert_eq!(symbols(&swapped, &again), symbols(&rows, &order));
        }
    }

    #[test]
    fn the_symbol_column_sorts_by_text() {
        let rows = rows();
        let order = ordered(&rows, RowFilter::All, sort(ColumnKey::Symbol, true));
        assert_eq!(
            symbols(&rows, &order),
            ["NVDA", "MSFT", "BAD", "AMZN", "AAPL"]
        );
    }

    #[test]
    fn filters_keep_only_matches_or_only_errors() {
        let rows = rows();
        assert_eq!(ordered(&rows, RowFilter::Matches, None), vec![0, 2, 3, 4]);
        assert_eq!(ordered(&rows, RowFilter::Errors, None), vec![1]);
    }

    #[test]
    fn filter_values_round_trip_and_unknown_ones_show_all() {
        for f in [RowFilter::All, RowFilter::Matches, RowFilter::Errors] {
            assert_eq!(RowFilter::from_value(f.value()), f);
        }
        assert_eq!(RowFilter::from_value("<script>"), RowFilter::All);
    }

    #[test]
    fn a_header_click_sorts_ascending_then_flips() {
        let first = Sort::after_click(None, ColumnKey::Rsi);
        assert_eq!(first, sort(ColumnKey::Rsi, false).unwrap());
        let second = Sort::after_click(Some(first), ColumnKey::Rsi);
        assert!(second.descending);
        let other = Sort::after_click(Some(second), ColumnKey::Close);
        assert_eq!(other, sort(ColumnKey::Close, false).unwrap());
        assert_eq!(Sort::aria(Some(second), ColumnKey::Rsi), "descending");
        assert_eq!(Sort::aria(Some(first), ColumnKey::Rsi), "ascending");
        assert_eq!(Sort::aria(Some(first), ColumnKey::Close), "none");
    }

    #[test]
    fn error_rows_and_missing_display_columns_have_no_value() {
        let rows = rows();
        assert_eq!(ColumnKey::Close.value(&rows[1]), None);
        assert_eq!(ColumnKey::Display(0).value(&rows[0]), Some(300.0));
        assert_eq!(ColumnKey::Display(1).value(&rows[0]), None);
        assert_eq!(ColumnKey::Display(9).value(&rows[0]), None);
        assert_eq!(ColumnKey::Symbol.value(&rows[0]), None);
    }

    /// Whether the keys present in both lists appear in the same relative
    /// order in each (the change Leptos's keyed diff handles correctly).
    fn kept_in_order(before: &[RowKey], after: &[RowKey]) -> bool {
        let kept_before: Vec<&RowKey> = before.iter().filter(|k| after.contains(k)).collect();
        let kept_after: Vec<&RowKey> = after.iter().filter(|k| before.contains(k)).collect();
        kept_before == kept_after
    }

    // Regression: rows were sometimes left out of order after a re-sort
    // (caught by the e2e sort check) because kept rows swapped places in the
    // same update that added and removed others (see `RowKey`).
    #[test]
    fn a_resort_gives_every_drawn_row_a_new_key() {
        let rows = rows();
        let before_sort = sort(ColumnKey::Close, false);
        let after_sort = sort(ColumnKey::Close, true);
        let before = window_keys(
            &rows,
            &ordered(&rows, RowFilter::All, before_sort),
            0,
            3,
            before_sort,
        );
        let after = window_keys(
            &rows,
            &ordered(&rows, RowFilter::All, after_sort),
            0,
            3,
            after_sort,
        );
        assert!(before.iter().all(|k| !after.contains(k)));
    }

    #[test]
    fn streamed_rows_scrolling_and_filters_keep_drawn_rows_in_relative_order() {
        // Rows arrive with pseudo-random closes while a sort is on; the
        // window shows 6 rows and scrolls now and then.
        let s = sort(ColumnKey::Close, true);
        let mut rows = Vec::new();
        let mut previous: Vec<RowKey> = Vec::new();
        let mut first = 0;
        let mut seed = 12345u64;
        for frame in 0..60 {
            for _ in 0..3 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let i = rows.len();
                if seed >> 60 == 0 {
                    rows.push(error_row(i, &format!("E{i}"), SymbolError::NoData));
                } else {
                    rows.push(match_row(i, &format!("S{i}"), (seed >> 40) as f64));
                }
            }
            if frame % 7 == 6 {
                first += 2;
            }
            let filter = if frame % 11 == 10 {
                RowFilter::Matches
            } else {
                RowFilter::All
            };
            let order = ordered(&rows, filter, s);
            let keys = window_keys(&rows, &order, first, first + 6, s);
            assert!(
                kept_in_order(&previous, &keys),
                "frame {frame}: {previous:?} -> {keys:?}"
            );
            previous = keys;
        }
    }

    #[test]
    fn window_keys_clamp_to_the_rows_there_are() {
        let rows = rows();
        let order = ordered(&rows, RowFilter::All, None);
        assert_eq!(window_keys(&rows, &order, 3, 99, None).len(), 2);
        assert!(window_keys(&rows, &order, 9, 99, None).is_empty());
    }
}
