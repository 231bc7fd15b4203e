//! The results table's columns: the Technic columns and the scan's display
//! columns, each with its header, its value for a row and its sort order
//! (numeric; undefined values last in both directions).

use std::cmp::Ordering;

use crate::engine::run::{Outcome, Row};

use super::state::{RowFilter, Sort};

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

/// Whether a row passes the filter.
pub fn keeps(filter: RowFilter, row: &Row) -> bool {
    match filter {
        RowFilter::All => true,
        RowFilter::Matches => matches!(row.outcome, Outcome::Match(_)),
        RowFilter::Errors => matches!(row.outcome, Outcome::Error(_)),
    }
}

/// Indices of the rows to show, filtered and sorted (stable: ties keep
/// arrival order).
pub fn ordered(rows: &[Row], filter: RowFilter, sort: Option<Sort>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| keeps(filter, &rows[i]))
        .collect();
    let Some(sort) = sort else { return order };
    if sort.column == ColumnKey::Symbol {
        order.sort_by(|&a, &b| directed(rows[a].symbol.cmp(&rows[b].symbol), sort.descending));
        return order;
    }
    // Keys once, not per comparison: this runs every frame while rows stream.
    let keys: Vec<Option<f64>> = rows.iter().map(|r| sort.column.value(r)).collect();
    order.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (Some(x), Some(y)) => directed(x.total_cmp(&y), sort.descending),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
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
