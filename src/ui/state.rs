//! The page's state: one `ScanState` context of `Copy` signals (the form, the
//! running scan, the table view, the environment) plus the two browser handles
//! that are not reactive (the bar store, the running scan). No DOM here.

use std::rc::Rc;

use leptos::prelude::*;

use crate::data::formats::import::{parse_universe, UniverseEntry};
use crate::data::formats::Format;
use crate::data::history::Order;
use crate::data::interval::Interval;
use crate::engine::lang::{LangError, Scan};
use crate::engine::run::{ProgressSnapshot, Row};
use crate::view::bases::ServiceBases;
use crate::view::columns::{ColumnChoice, RowFilter, Sort};
use crate::view::fields::column_list;
use crate::view::presets::DEFAULT_PRESET;
use crate::web::history_store::HistoryStore;
use crate::web::pool::PoolInfo;
use crate::web::runner::{Finished, ScanHandle};
use crate::web::sources::SourceId;
use crate::web::store::{BarStore, CacheStats, StoreKind};

use super::stored;

/// localStorage entry of the service bases (a JSON map service → base).
const BASES_KEY: &str = "technic.bases";
/// localStorage entry of the shown Technic columns (header names, in order).
pub const COLUMNS_KEY: &str = "technic.columns";

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
    /// The fetch and compute order (learned from this device's history by default).
    pub order: RwSignal<Order>,
    /// The chosen source's own settings, the universe and imported files.
    pub data: DataForm,
}

/// The market-data part of the form. Numbers stay text until Run, like the
/// settings; `control::source_config` parses them and says which is wrong.
#[derive(Clone, Copy)]
pub struct DataForm {
    /// `http://host/path/{symbol}.csv` (URL source).
    pub url_template: RwSignal<String>,
    pub format: RwSignal<Format>,
    /// The bar length of a crypto source (`1m` … `1d`); other sources are daily.
    pub interval: RwSignal<Interval>,
    /// Binance: top N USDT pairs when the universe box is empty.
    pub binance_top: RwSignal<String>,
    /// The chosen source's key, mirrored from localStorage (`keys`). Never
    /// written to a URL, an export, a log or a message.
    pub api_key: RwSignal<String>,
    /// Requests per minute; empty = the source's default.
    pub per_minute: RwSignal<String>,
    pub request_timeout: RwSignal<String>,
    /// Refresh the open session after this many minutes; empty = 15.
    pub refresh_minutes: RwSignal<String>,
    /// The universe as typed, pasted or read from a symbol list.
    pub universe_text: RwSignal<String>,
    /// `universe_text` parsed (symbols, with sector / industry / cap if given).
    pub universe: Memo<Vec<UniverseEntry>>,
    /// Universe filters; empty = any.
    pub sector: RwSignal<String>,
    pub industry: RwSignal<String>,
    pub min_cap: RwSignal<String>,
    pub max_cap: RwSignal<String>,
    /// One row per imported file (or long-file symbol), for the results list.
    pub imports: RwSignal<Vec<ImportRow>>,
    /// Files being read or parsed right now.
    pub importing: RwSignal<bool>,
    /// Each service's base URL replacing its host (a proxy, or a loopback
    /// test server); none = the service's own host. One per service, so a
    /// mirror set for one never receives another's key.
    pub bases: RwSignal<ServiceBases>,
}

/// What became of one imported file, as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub file: String,
    pub symbol: Option<String>,
    /// Bars read (accepted rows).
    pub bars: usize,
    /// Why it was rejected; `None` = accepted.
    pub rejected: Option<String>,
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

#[derive(Clone, Copy)]
pub struct TableView {
    pub sort: RwSignal<Option<Sort>>,
    pub filter: RwSignal<RowFilter>,
    /// The grid's active row, as a display position (arrow keys move it).
    pub active: RwSignal<Option<usize>>,
    /// The Technic columns shown, in order (kept in this browser).
    pub columns: RwSignal<ColumnChoice>,
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
    /// This device's scan history (opened with the bar cache).
    pub history: StoredValue<Option<Rc<HistoryStore>>, LocalStorage>,
    /// Moves on every change of the history (the prediction follows).
    pub history_version: RwSignal<u64>,
}

#[derive(Clone, Copy)]
pub struct ScanState {
    pub form: ScanForm,
    pub run: ScanRun,
    pub table: TableView,
    pub env: Env,
    /// The first compile error of the expression or a display column, live.
    pub check: Memo<Option<LangError>>,
    /// Saved scans and past runs (`ui::saved`).
    pub lists: super::saved::Lists,
    /// The symbol whose detail (chart) is open (`ui::detail`).
    pub detail: RwSignal<Option<String>>,
    /// The live scan (`ui::live`).
    pub live: super::live::LiveState,
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
            order: RwSignal::new(Order::default()),
            data: DataForm::new(),
        };
        // The key field always shows the chosen source's saved key.
        Effect::new(move || {
            let source = form.source.get();
            form.data
                .api_key
                .set(super::keys::load(source).unwrap_or_default());
        });
        // Parameter ranges (`{20..40 step 5}`) are the Optimise panel's: the
        // editor underlines a bad one, or says a scan needs plain values.
        let check = Memo::new(move |_| {
            let expr = form.expr.read();
            crate::view::backtest::range_check(&expr)
                .or_else(|| Scan::compile(&expr, &column_list(&form.columns.read())).err())
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
                active: RwSignal::new(None),
                columns: RwSignal::new(
                    stored::read::<Vec<String>>(COLUMNS_KEY)
                        .map_or_else(ColumnChoice::default, |n| ColumnChoice::from_names(&n)),
                ),
            },
            env: Env {
                pool: RwSignal::new(None),
                store_kind: RwSignal::new(None),
                cache: RwSignal::new(None),
                store: StoredValue::new_local(None),
                handle: StoredValue::new_local(None),
                history: StoredValue::new_local(None),
                history_version: RwSignal::new(0),
            },
            check,
            lists: super::saved::Lists::new(),
            detail: RwSignal::new(None),
            live: super::live::LiveState::new(),
        }
    }
}

impl DataForm {
    fn new() -> DataForm {
        let universe_text = RwSignal::new(String::new());
        DataForm {
            url_template: RwSignal::new(String::new()),
            format: RwSignal::new(Format::default()),
            interval: RwSignal::new(Interval::default()),
            binance_top: RwSignal::new(String::new()),
            api_key: RwSignal::new(String::new()),
            per_minute: RwSignal::new(String::new()),
            request_timeout: RwSignal::new(String::new()),
            refresh_minutes: RwSignal::new(String::new()),
            universe_text,
            universe: Memo::new(move |_| parse_universe(&universe_text.read())),
            sector: RwSignal::new(String::new()),
            industry: RwSignal::new(String::new()),
            min_cap: RwSignal::new(String::new()),
            max_cap: RwSignal::new(String::new()),
            imports: RwSignal::new(Vec::new()),
            importing: RwSignal::new(false),
            bases: RwSignal::new(stored::read(BASES_KEY).unwrap_or_default()),
        }
    }

    /// The base typed for `service` (a source's cache name).
    pub fn base(&self, service: &'static str) -> String {
        self.bases.with(|b| b.get(service).to_string())
    }

    /// Sets `service`'s base and remembers all bases in this browser (best
    /// effort: a refused write only loses them at the next visit).
    pub fn set_base(&self, service: &'static str, text: &str) {
        self.bases.update(|b| b.set(service, text));
        self.bases.with_untracked(|b| stored::write(BASES_KEY, b));
    }

    /// Symbols the last import accepted, in import order.
    pub fn imported_symbols(&self) -> Vec<String> {
        self.imports.with(|rows| {
            rows.iter()
                .filter(|r| r.rejected.is_none())
                .filter_map(|r| r.symbol.clone())
                .collect()
        })
    }
}

/// The app's state, provided by `App`.
pub fn use_scan_state() -> ScanState {
    expect_context::<ScanState>()
}
