//! The scan handle and the per-frame drain: compiles the scan, resolves the
//! universe, starts loading (`web::loader`) and computing (on the rayon pool,
//! or on the page in slices: `web::single_thread`), and hands the UI one
//! update per animation frame (new rows + progress). The page never blocks:
//! results come back over a channel drained in `requestAnimationFrame`.
//! Before fetching, the symbols are put in the chosen order (`web::learn`:
//! learned from this device's history, universe, random) and the run is
//! predicted; once it is over it is recorded in the history.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, Once};

use crate::data::fetch_policy::Failure;
use crate::data::history::{Order, Prediction};
use crate::data::loader::{Feed, LoadPlan, Slots};
use crate::engine::bars::Bars;
use crate::engine::lang::{LangError, Scan};
use crate::engine::run::{
    self, BarSource, Control, Flow, InOrder, Limits, Outcome, Progress, ProgressSnapshot, Row,
    RunOptions, Sink, StopReason, Summary, SymbolError,
};
use crate::engine::score::Settings;

use super::fetch::{AbortRegistry, BrowserTransport};
use super::history_store::HistoryStore;
use super::learn::{self, Pending};
use super::loader::{fill_imported, load_all, WebFeed};
use super::pool;
use super::single_thread;
use super::sources::{FetchError, SourceConfig, SourceId, SyntheticSource};
use super::store::BarStore;
use super::time::{now_ms, BrowserClock, WebClock};
use super::universe::universe;

mod learning;

use learning::{plan_run, record_run};

/// Everything a scan needs, as the page's form describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanJob {
    pub expr: String,
    pub columns: Vec<String>,
    pub source: SourceId,
    /// Template, format, base, universe, key and rate settings of the chosen source.
    pub config: SourceConfig,
    pub settings: Settings,
    /// Keep only the newest N bars of each symbol.
    pub lookback: Option<usize>,
    pub limits: Limits,
    /// The fetch and compute order.
    pub order: Order,
}

/// How a scan ended, with the figures `window.__technicLastScan` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub reason: StopReason,
    /// Milliseconds from `start` (the Run click) to the first row handed to the UI.
    pub first_row_ms: Option<f64>,
    pub total_ms: f64,
    /// The engine's own compute time (first symbol taken to last symbol done,
    /// on the workers' clock); `None` when the scan was stopped from the page.
    pub compute_ms: Option<f64>,
    /// Matching rows handed to the UI (error rows are counted in `errors`).
    pub rows: usize,
    /// Error rows handed to the UI.
    pub errors: usize,
    pub symbols: usize,
    pub threads: usize,
    pub stopped: bool,
    /// From the Run click to the first / tenth matching row handed to the
    /// UI (`None`: fewer matches).
    pub first_match_ms: Option<f64>,
    pub tenth_match_ms: Option<f64>,
    /// The order the symbols were fetched and computed in.
    pub order: Order,
    /// What was predicted before the run (`None`: no history to go on).
    pub prediction: Option<Prediction>,
}

/// One frame's worth of news for the UI.
#[derive(Debug, Clone)]
pub struct ScanUpdate {
    pub scan_id: u64,
    /// Rows that arrived since the last update (matches and error rows).
    pub rows: Vec<Row>,
    pub progress: ProgressSnapshot,
    pub elapsed_ms: f64,
    /// `Some` exactly once, in the last update.
    pub finished: Option<Finished>,
}

/// A running scan. Dropping the handle does not stop it; `stop` does.
#[derive(Clone)]
pub struct ScanHandle {
    state: Rc<State>,
}

impl ScanHandle {
    pub fn scan_id(&self) -> u64 {
        self.state.scan_id
    }

    /// Stops the scan: producers stop at their next check, no row is handed
    /// to the UI after this call, and the next frame reports it finished.
    pub fn stop(&self) {
        self.state.shared.control.stop();
        self.state.user_stopped.set(true);
        // Every request in flight is aborted (the server sees it) and no new
        // one starts; workers waiting for bars wake and end.
        self.state.aborts.abort_all();
        if let Some(slots) = self.state.slots.borrow().as_ref() {
            slots.close();
        }
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }

    /// A symbol's bars as this scan saw them (its lookback applied), from the
    /// scan's own source (the slots of fetched or imported bars, or the
    /// synthetic market) rather than fetched again. `None` when the symbol
    /// is not this scan's, was never loaded (a stop cut it off) or failed.
    pub fn bars(&self, symbol: &str) -> Option<Arc<Bars>> {
        let loaded = if let Some(source) = self.state.synthetic.borrow().as_ref() {
            source.load(symbol)
        } else {
            self.state.slots.borrow().as_ref()?.load(symbol)
        };
        let bars = loaded.ok()?.bars;
        Some(match self.state.lookback {
            Some(n) if n < bars.len() => Arc::new(bars.last(n)),
            _ => bars,
        })
    }

    /// A symbol's whole series as this scan loaded it (no lookback cut): what
    /// a live scan grows from. `None` as for [`ScanHandle::bars`].
    pub fn series(&self, symbol: &str) -> Option<Arc<Bars>> {
        let loaded = if let Some(source) = self.state.synthetic.borrow().as_ref() {
            source.load(symbol)
        } else {
            self.state.slots.borrow().as_ref()?.load(symbol)
        };
        loaded.ok().map(|l| l.bars)
    }

    /// The run's symbols in the order used (empty until the universe is known).
    pub fn symbols(&self) -> Vec<String> {
        self.state
            .symbols
            .borrow()
            .as_ref()
            .map_or_else(Vec::new, |s| s.as_ref().clone())
    }

    /// The job as it was started.
    pub fn job(&self) -> &ScanJob {
        &self.state.job
    }

    /// The scan's expression, as it was run.
    pub fn expr(&self) -> &str {
        &self.state.expr
    }

    /// The trade-plan settings the scan ran with.
    pub fn settings(&self) -> Settings {
        self.state.settings
    }
}

enum Msg {
    Rows(Vec<Row>),
    Done(Summary),
}

struct ChannelSink(Sender<Msg>);

impl Sink for ChannelSink {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        // The page dropped the receiver: nobody is listening any more.
        match self.0.send(Msg::Rows(rows)) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}

/// What the page and the workers share for one scan.
struct Shared {
    control: Control,
    progress: Progress,
}

struct State {
    scan_id: u64,
    started_ms: f64,
    shared: Arc<Shared>,
    rx: RefCell<Option<Receiver<Msg>>>,
    user_stopped: Cell<bool>,
    finished: Cell<bool>,
    first_row_ms: Cell<Option<f64>>,
    first_match_ms: Cell<Option<f64>>,
    tenth_match_ms: Cell<Option<f64>>,
    rows: Cell<usize>,
    errors: Cell<usize>,
    symbols_count: Cell<usize>,
    threads: usize,
    /// The abort controllers of this scan's requests.
    aborts: AbortRegistry,
    /// The scan's slots once the universe is known (Stop wakes the workers).
    slots: RefCell<Option<Arc<Slots>>>,
    /// The synthetic market the scan reads (`None` for the other sources).
    synthetic: RefCell<Option<Arc<SyntheticSource>>>,
    /// The run's symbols in the order used, once known.
    symbols: RefCell<Option<Arc<Vec<String>>>>,
    order: Order,
    /// What the history is told when the run is over (set before fetching).
    pending: RefCell<Option<Pending>>,
    /// TechRating of each matching symbol, for the history.
    ratings: RefCell<HashMap<String, f64>>,
    /// Fetch time per position, once the loads are over.
    fetch_ms: RefCell<Vec<Option<f64>>>,
    history: Rc<HistoryStore>,
    /// The scan's text, settings and lookback, for the history's margins.
    expr: String,
    settings: Settings,
    lookback: Option<usize>,
    /// The job as started (a live scan continues it).
    job: ScanJob,
    on_update: RefCell<Box<dyn FnMut(ScanUpdate)>>,
}

static NEXT_SCAN_ID: AtomicU64 = AtomicU64::new(1);

/// Set by the panic hook: with `panic=abort` on wasm a panicking worker
/// traps and never reports, so the page ends the scan itself.
static WORKER_PANICKED: AtomicBool = AtomicBool::new(false);
static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

/// Chains a hook that records a panic (on any thread) before the one
/// installed at start-up runs.
fn watch_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut m) = PANIC_MESSAGE.try_lock() {
                m.get_or_insert_with(|| info.to_string());
            }
            WORKER_PANICKED.store(true, Ordering::Release);
            previous(info);
        }));
    });
}

/// Compiles and starts a scan. A bad expression (or column) is returned before
/// anything starts. Updates arrive once per animation frame until the one that
/// says `finished`.
pub fn start(
    job: ScanJob,
    store: Rc<BarStore>,
    history: Rc<HistoryStore>,
    on_update: impl FnMut(ScanUpdate) + 'static,
) -> Result<ScanHandle, LangError> {
    watch_panics();
    // A panic recorded before this scan is not this scan's.
    WORKER_PANICKED.store(false, Ordering::Release);
    let run_number = pool::run_started();
    let started_ms = now_ms();
    let scan = Arc::new(Scan::compile(&job.expr, &job.columns)?);
    let (tx, rx) = channel();
    let shared = Arc::new(Shared {
        control: Control::new(),
        progress: Progress::default(),
    });
    let threads = if pool::is_threaded() {
        rayon::current_num_threads()
    } else {
        1
    };
    let state = Rc::new(State {
        scan_id: NEXT_SCAN_ID.fetch_add(1, Ordering::Relaxed),
        started_ms,
        shared: shared.clone(),
        rx: RefCell::new(Some(rx)),
        user_stopped: Cell::new(false),
        finished: Cell::new(false),
        first_row_ms: Cell::new(None),
        first_match_ms: Cell::new(None),
        tenth_match_ms: Cell::new(None),
        rows: Cell::new(0),
        errors: Cell::new(0),
        symbols_count: Cell::new(0),
        threads,
        aborts: AbortRegistry::new(),
        slots: RefCell::new(None),
        synthetic: RefCell::new(None),
        symbols: RefCell::new(None),
        order: job.order,
        pending: RefCell::new(None),
        ratings: RefCell::new(HashMap::new()),
        fetch_ms: RefCell::new(Vec::new()),
        history,
        expr: job.expr.clone(),
        settings: job.settings,
        lookback: job.lookback,
        job: job.clone(),
        on_update: RefCell::new(Box::new(on_update)),
    });
    let options = RunOptions {
        scan_id: state.scan_id,
        settings: job.settings,
        lookback: job.lookback,
        limits: job.limits,
        chunk: 2,
    };
    let st = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let feed: Option<WebFeed> = job.source.is_fetched().then(|| {
            let counter = shared.clone();
            Feed::new(
                job.source,
                job.config.clone(),
                BrowserTransport {
                    aborts: st.aborts.clone(),
                },
                WebClock,
                move || {
                    counter.progress.retries.fetch_add(1, Ordering::Relaxed);
                },
            )
        });
        let symbols = match universe(job.source, &job.config, feed.as_ref()).await {
            Ok(s) => s,
            Err(e) => {
                // No universe: the whole scan fails before it starts.
                let _ = tx.send(Msg::Rows(vec![Row {
                    scan_id: st.scan_id,
                    order: 0,
                    symbol: job.source.value(),
                    outcome: Outcome::Error(SymbolError::FetchFailed(universe_failure(e))),
                }]));
                let _ = tx.send(Msg::Done(st.ended_early(StopReason::Completed)));
                return;
            }
        };
        st.symbols_count.set(symbols.len());
        shared
            .progress
            .universe
            .store(symbols.len(), Ordering::Relaxed);
        let symbols = Arc::new(plan_run(&job, &scan, symbols, &store, &st).await);
        st.symbols_used(symbols.clone());
        if shared.control.is_stopped() {
            let _ = tx.send(Msg::Done(st.ended_early(StopReason::User)));
            return;
        }
        if let SourceId::Synthetic(n) = job.source {
            let source = SyntheticSource::shared(n);
            st.synthetic.replace(Some(source.clone()));
            if pool::is_threaded() {
                // Once the scan is over, the idle workers keep the market
                // for the next scans (giving way to the next run).
                let market = source.clone();
                let then = move || market.keep(|| pool::runs_started() != run_number);
                on_pool(scan, symbols, source, None, options, shared, tx, then);
            } else {
                let order = InOrder::new(symbols.len());
                let summary = single_thread::run(
                    &scan,
                    &symbols,
                    source.as_ref(),
                    &order,
                    &options,
                    &shared.control,
                    &shared.progress,
                    &ChannelSink(tx.clone()),
                )
                .await;
                let _ = tx.send(Msg::Done(summary));
            }
            return;
        }
        let slots = Arc::new(Slots::new(&symbols));
        st.slots.replace(Some(slots.clone()));
        if shared.control.is_stopped() {
            slots.close();
        }
        let loading = async {
            match feed.as_ref() {
                Some(feed) => {
                    let plan = LoadPlan::for_scan(job.source, &job.config, job.lookback);
                    let fetch_ms = load_all(feed, &plan, &symbols, &slots, &store).await;
                    st.fetch_ms.replace(fetch_ms);
                }
                None => fill_imported(&symbols, &slots),
            }
        };
        if pool::is_threaded() {
            // Workers start now (this returns at once) and take each symbol
            // as its bars land.
            on_pool(
                scan,
                symbols.clone(),
                slots.clone(),
                Some(slots.clone()),
                options,
                shared.clone(),
                tx,
                || (),
            );
            loading.await;
        } else {
            // Loading and computing interleave on the page: a slice per
            // frame computes whatever has landed.
            let sink = ChannelSink(tx.clone());
            let computing = single_thread::run(
                &scan,
                &symbols,
                slots.as_ref(),
                slots.as_ref(),
                &options,
                &shared.control,
                &shared.progress,
                &sink,
            );
            let ((), summary) = futures::future::join(loading, computing).await;
            let _ = tx.send(Msg::Done(summary));
        }
    });
    schedule_frame(state.clone());
    Ok(ScanHandle { state })
}

impl State {
    /// The summary of a scan that ended before its run started (no
    /// universe, or stopped while it was being ordered).
    fn ended_early(&self, reason: StopReason) -> Summary {
        Summary {
            scan_id: self.scan_id,
            reason,
            progress: self.shared.progress.snapshot(),
            seconds: 0.0,
        }
    }
}

/// Why the universe could not be had, as the failure its error row shows.
fn universe_failure(e: FetchError) -> Failure {
    match e {
        FetchError::Status { status, .. } => Failure::HttpStatus(status),
        FetchError::Network { url, message } => Failure::Network(format!("{url}: {message}")),
        FetchError::Parse { url, message } => Failure::Parse {
            line: None,
            message: format!("{url}: {message}"),
        },
    }
}

/// Runs the engine on the pool (the page returns at once): symbols in order,
/// or as `slots` hands them out; then `then` on the same worker, the run's
/// summary already sent (idle-time work, such as keeping a synthetic market).
#[allow(clippy::too_many_arguments)]
fn on_pool<S: BarSource + Send + Sync + 'static>(
    scan: Arc<Scan>,
    symbols: Arc<Vec<String>>,
    source: Arc<S>,
    slots: Option<Arc<Slots>>,
    options: RunOptions,
    shared: Arc<Shared>,
    tx: Sender<Msg>,
    then: impl FnOnce() + Send + 'static,
) {
    rayon::spawn(move || {
        let clock = BrowserClock::default();
        let sink = ChannelSink(tx.clone());
        let (control, progress) = (&shared.control, &shared.progress);
        let summary = match &slots {
            Some(queue) => run::run_queued(
                &scan,
                &symbols,
                source.as_ref(),
                queue.as_ref(),
                &options,
                control,
                progress,
                &sink,
                &clock,
            ),
            None => run::run(
                &scan,
                &symbols,
                source.as_ref(),
                &options,
                control,
                progress,
                &sink,
                &clock,
            ),
        };
        let _ = tx.send(Msg::Done(summary));
        then();
    });
}

fn schedule_frame(state: Rc<State>) {
    leptos::prelude::request_animation_frame(move || {
        if tick(&state) {
            schedule_frame(state);
        }
    });
}

/// One frame: drain the channel, hand the UI one update. Returns whether to
/// keep going.
fn tick(state: &State) -> bool {
    let mut rows = Vec::new();
    let mut done = None;
    if let Some(rx) = state.rx.borrow().as_ref() {
        loop {
            match rx.try_recv() {
                Ok(Msg::Rows(batch)) => rows.extend(batch),
                Ok(Msg::Done(s)) => {
                    done = Some(s);
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => break,
            }
        }
    }
    let now = now_ms();
    let user_stopped = state.user_stopped.get();
    if user_stopped {
        // Rows computed after the Stop click are not shown.
        rows.clear();
    }
    rows.retain(|r| r.scan_id == state.scan_id);
    // A worker that panicked (trapped) never reports: end the scan with an
    // error row that says so, and stop the rest.
    let crashed = done.is_none() && !user_stopped && WORKER_PANICKED.load(Ordering::Acquire);
    if crashed {
        state.shared.control.stop();
        state.aborts.abort_all();
        if let Some(slots) = state.slots.borrow().as_ref() {
            slots.close();
        }
        let message = PANIC_MESSAGE
            .try_lock()
            .ok()
            .and_then(|mut m| m.take())
            .unwrap_or_else(|| "a worker crashed".into());
        WORKER_PANICKED.store(false, Ordering::Release);
        rows.push(Row {
            scan_id: state.scan_id,
            order: usize::MAX,
            symbol: "(scan)".into(),
            outcome: Outcome::Error(SymbolError::Panicked(message)),
        });
    }
    if !rows.is_empty() && state.first_row_ms.get().is_none() {
        state.first_row_ms.set(Some(now - state.started_ms));
    }
    let errors = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error(_)))
        .count();
    state.errors.set(state.errors.get() + errors);
    state.rows.set(state.rows.get() + rows.len() - errors);
    let matches = state.rows.get();
    if matches >= 1 && state.first_match_ms.get().is_none() {
        state.first_match_ms.set(Some(now - state.started_ms));
    }
    if matches >= 10 && state.tenth_match_ms.get().is_none() {
        state.tenth_match_ms.set(Some(now - state.started_ms));
    }
    {
        let mut ratings = state.ratings.borrow_mut();
        for row in &rows {
            if let Outcome::Match(m) = &row.outcome {
                ratings.insert(row.symbol.clone(), m.score.tech_rating);
            }
        }
    }
    let progress = state.shared.progress.snapshot();
    let finished = if user_stopped || crashed || done.is_some() {
        state.finished.set(true);
        state.rx.borrow_mut().take();
        // An auto-stop (match, time or symbol limit) ends the loads too: no
        // request goes out for a scan that is over (a completed scan's loads
        // are over already).
        state.aborts.abort_all();
        if let Some(slots) = state.slots.borrow().as_ref() {
            slots.close();
        }
        let reason = if user_stopped || crashed {
            StopReason::User
        } else {
            done.as_ref().map_or(StopReason::Completed, |s| s.reason)
        };
        Some(Finished {
            reason,
            first_row_ms: state.first_row_ms.get(),
            total_ms: now - state.started_ms,
            compute_ms: if user_stopped || crashed {
                None
            } else {
                done.as_ref().map(|s| s.seconds * 1000.0)
            },
            rows: state.rows.get(),
            errors: state.errors.get(),
            symbols: state.symbols_count.get(),
            threads: state.threads,
            stopped: reason != StopReason::Completed,
            first_match_ms: state.first_match_ms.get(),
            tenth_match_ms: state.tenth_match_ms.get(),
            order: state.order,
            prediction: state
                .pending
                .borrow()
                .as_ref()
                .map(|p| p.prediction.clone())
                .filter(|p| p.duration_ms.is_some() || p.matches.is_some()),
        })
    } else {
        None
    };
    if let Some(f) = &finished {
        if !crashed && learn::worth_recording(f.reason) {
            record_run(state, f, progress);
        }
    }
    let keep_going = finished.is_none();
    let update = ScanUpdate {
        scan_id: state.scan_id,
        rows,
        progress,
        elapsed_ms: now - state.started_ms,
        finished,
    };
    (state.on_update.borrow_mut())(update);
    keep_going
}
