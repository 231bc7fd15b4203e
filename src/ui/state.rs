//! The page's state: one `ScanState` context of `Copy` signals (the form, the
//! running scan, the table view, the environment) plus the two browser handles
//! that are not reactive (the bar store, the running scan). No DOM here.

use std::rc::Rc;

use leptos::prelude::*;

use crate::engine::lang::{LangError, Scan};
use crate::engine::run::{ProgressSnapshot, Row};
use crate::web::pool::PoolInfo;
use crate::web::runner::{Finished, ScanHandle};
use crate::web::sources::SourceId;
use crate::web::store::{BarStore, CacheStats, StoreKind};

use super::presets::DEFAULT_PRESET;

/// What the user typed: text stays text until Run, so a half-typed number is
/// never lost.
#[derive(Clone, Copy)]
pub struct ScanForm {
    pub expr: RwSignal<String>,
    /// Display columns, `;`-separated expressions.
    pub columns: RwSignal<String>,
    pub source: RwSignal<SourceId>,
    /// Bars kept per symbol; empty = all.
    pub lookback: RwSignal<String>,
    pub account: RwSignal<String>,
    pub risk_pct: RwSignal<String>,
    pub reward_risk: RwSignal<String>,
    /// Auto-stop after this many matches; empty = never.
    pub max_matches: RwSignal<String>,
}

/// The current (or last) scan as the runner reports it, frame by frame.
#[derive(Clone, Copy)]
pub struct ScanRun {
    /// The scan whose updates are accepted; any other scan_id is ignored.
    pub current: RwSignal<Option<u64>>,
    pub running: RwSignal<bool>,
    /// Matches and error rows in arrival order (append-only during a scan).
    pub rows: RwSignal<Vec<Row>>,
    /// The display columns of the scan that produced `rows` (table headers).
    pub columns: RwSignal<Vec<String>>,
    pub progress: RwSignal<ProgressSnapshot>,
    pub elapsed_ms: RwSignal<f64>,
    pub finished: RwSignal<Option<Finished>>,
    /// Why the last Run click started nothing.
    pub refused: RwSignal<Option<String>>,
    /// The source the rows come from (the form may have moved on).
    pub source: RwSignal<Option<SourceId>>,
    /// This device's past symbols/s for the scan's source (seeds the ETA).
    pub seed_rate: RwSignal<Option<f64>>,
}

/// Which column the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: super::columns::ColumnKey,
    pub descending: bool,
}

/// Which rows the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFilter {
    All,
    Matches,
    Errors,
}

#[derive(Clone, Copy)]
pub struct TableView {
    pub sort: RwSignal<Option<Sort>>,
    pub filter: RwSignal<RowFilter>,
}

/// The page's surroundings: workers, isolation, cache.
#[derive(Clone, Copy)]
pub struct Env {
    /// `None` until the pool has started (Run waits for it).
    pub pool: RwSignal<Option<PoolInfo>>,
    pub store_kind: RwSignal<Option<StoreKind>>,
    pub cache: RwSignal<Option<Result<CacheStats, String>>>,
    pub store: StoredValue<Option<Rc<BarStore>>, LocalStorage>,
    pub handle: StoredValue<Option<ScanHandle>, LocalStorage>,
}

#[derive(Clone, Copy)]
pub struct ScanState {
    pub form: ScanForm,
    pub run: ScanRun,
    pub table: TableView,
    pub env: Env,
    /// The first compile error of the expression or a display column, live.
    pub check: Memo<Option<LangError>>,
}

impl ScanState {
    pub fn new() -> ScanState {
        let form = ScanForm {
            expr: RwSignal::new(DEFAULT_PRESET.expr.to_string()),
            columns: RwSignal::new(DEFAULT_PRESET.columns.to_string()),
            source: RwSignal::new(SourceId::Sample),
            lookback: RwSignal::new(String::new()),
            account: RwSignal::new("10000".into()),
            risk_pct: RwSignal::new("1".into()),
            reward_risk: RwSignal::new("2".into()),
            max_matches: RwSignal::new(String::new()),
        };
        let check = Memo::new(move |_| {
            let columns = column_texts(&form.columns.read())
                .into_iter()
                .map(|c| c.text.to_string())
                .collect::<Vec<_>>();
            Scan::compile(&form.expr.read(), &columns).err()
        });
        ScanState {
            form,
            run: ScanRun {
                current: RwSignal::new(None),
                running: RwSignal::new(false),
                rows: RwSignal::new(Vec::new()),
                columns: RwSignal::new(Vec::new()),
                progress: RwSignal::new(ProgressSnapshot::default()),
                elapsed_ms: RwSignal::new(0.0),
                finished: RwSignal::new(None),
                refused: RwSignal::new(None),
                source: RwSignal::new(None),
                seed_rate: RwSignal::new(None),
            },
            table: TableView {
                sort: RwSignal::new(None),
                filter: RwSignal::new(RowFilter::All),
            },
            env: Env {
                pool: RwSignal::new(None),
                store_kind: RwSignal::new(None),
                cache: RwSignal::new(None),
                store: StoredValue::new_local(None),
                handle: StoredValue::new_local(None),
            },
            check,
        }
    }
}

/// The app's state, provided by `App`.
pub fn use_scan_state() -> ScanState {
    expect_context::<ScanState>()
}

/// One display column as typed: its text and byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnText<'a> {
    pub start: usize,
    pub text: &'a str,
}

/// Splits the display-columns input on `;`, trimming each and skipping empty
/// ones, keeping offsets so an error span can be shown in the input.
pub fn column_texts(input: &str) -> Vec<ColumnText<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in input.split(';') {
        let lead = piece.len() - piece.trim_start().len();
        let text = piece.trim();
        if !text.is_empty() {
            out.push(ColumnText {
                start: start + lead,
                text,
            });
        }
        start += piece.len() + 1;
    }
    out
}
