//! The streaming scan run: symbols are handed out in the given (priority) order
//! to every rayon thread, each computes its symbols with a reused workspace, and
//! rows go out in small batches to a [`Sink`] that can answer "stop". One atomic
//! flag stops everything (checked per symbol); auto-stop rules, per-stage
//! progress counted from real work. Knows nothing of browsers or files: bars
//! come through a [`BarSource`], time through a [`Clock`].
//!
//! Call [`run`] from a rayon pool thread or a plain thread, never from a browser
//! main thread (it blocks until the scan is over). A host that must not block
//! (the single-threaded browser build) drives a [`Run`] itself, one time-boxed
//! slice at a time, with a [`Queue`] that only hands out symbols whose bars
//! are ready.
//!
//! Error payloads are the data layer's typed errors (`data::fetch_policy::
//! Failure`, `data::formats::FormatError`, `data::csv::CsvError`): the engine
//! only carries and prints them.

mod progress;

pub use progress::{Progress, ProgressSnapshot};

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::bars::{Bars, BarsError};
use super::lang::Scan;
use super::score::{Score, Settings};
use super::sync::lock_without_parking;
use crate::data::csv::CsvError;
use crate::data::fetch_policy::Failure;
use crate::data::formats::FormatError;

/// Why one symbol produced no result. The scan goes on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SymbolError {
    #[error("no data")]
    NoData,
    #[error("too short: the scan needs {need} bars, the symbol has {have}")]
    TooShort { need: usize, have: usize },
    #[error("invalid data: {0}")]
    Invalid(InvalidData),
    #[error("fetch failed: {0}")]
    FetchFailed(Failure),
    #[error("rate limited{}", retry_after_secs.map(|s| format!(" (retry after {s:.0} s)")).unwrap_or_default())]
    RateLimited { retry_after_secs: Option<f64> },
    /// The computation of this symbol panicked (a bug): the scan goes on and
    /// the symbol gets this error row instead of taking the scan down.
    #[error("internal error: {0}")]
    Panicked(String),
    /// The scan was stopped before this symbol's bars arrived. Never a row:
    /// the run drops it (a stop is not an error).
    #[error("stopped before its bars arrived")]
    Stopped,
}

impl SymbolError {
    /// A short machine-readable kind, for filtering error rows.
    pub fn kind(&self) -> &'static str {
        match self {
            SymbolError::NoData => "no-data",
            SymbolError::TooShort { .. } => "too-short",
            SymbolError::Invalid(_) => "invalid",
            SymbolError::FetchFailed(_) => "fetch-failed",
            SymbolError::RateLimited { .. } => "rate-limited",
            SymbolError::Panicked(_) => "internal",
            SymbolError::Stopped => "stopped",
        }
    }
}

/// Bars that could not be read, with the reader's own typed error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidData {
    /// A service answer or a URL-template file that did not parse (the text
    /// reads "parse error: …", as the fetch layer has always said).
    #[error("parse error: {0}")]
    Format(FormatError),
    /// A CSV file the reader refused (CLI, imports).
    #[error("{0}")]
    Csv(CsvError),
    /// Bars that broke a rule once put together (pages that do not join).
    #[error("{0}")]
    Bars(BarsError),
    /// A file that could not be read at all.
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

impl From<FormatError> for SymbolError {
    fn from(e: FormatError) -> SymbolError {
        SymbolError::Invalid(InvalidData::Format(e))
    }
}

impl From<CsvError> for SymbolError {
    fn from(e: CsvError) -> SymbolError {
        SymbolError::Invalid(InvalidData::Csv(e))
    }
}

impl From<BarsError> for SymbolError {
    fn from(e: BarsError) -> SymbolError {
        SymbolError::Invalid(InvalidData::Bars(e))
    }
}

/// Bars as a source handed them over, with what it cost.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Shared, so a source that keeps bars in memory (a cache, the synthetic
    /// market) hands them over without copying six columns per symbol.
    pub bars: Arc<Bars>,
    /// Served from a cache rather than fetched or read.
    pub from_cache: bool,
    /// Bytes read or fetched for this symbol (0 for a cache hit).
    pub bytes: u64,
}

/// Where the run gets each symbol's bars (a folder of CSVs, a cache, a
/// synthetic market, a test). Called from worker threads.
pub trait BarSource: Sync {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError>;
}

impl<F> BarSource for F
where
    F: Fn(&str) -> Result<Loaded, SymbolError> + Sync,
{
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        self(symbol)
    }
}

/// A monotonic clock in seconds. The engine cannot read one itself: there is
/// no `std::time::Instant` on `wasm32-unknown-unknown`.
pub trait Clock: Sync {
    fn now_secs(&self) -> f64;
}

/// `std::time::Instant`-based clock for native runs.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
pub struct SystemClock(std::time::Instant);

#[cfg(not(target_arch = "wasm32"))]
impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(std::time::Instant::now())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_secs(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// What the sink tells the run after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives result rows in batches, from any worker thread. The UI (a channel
/// drained per animation frame), the CLI (a collector) and tests are sinks.
pub trait Sink: Sync {
    fn batch(&self, rows: Vec<Row>) -> Flow;
}

/// One symbol that matched, with its Technic score and display columns at the
/// last bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Time of the bar the scan was evaluated at (UTC epoch ms).
    pub time: i64,
    pub close: f64,
    /// Percent change of close over the previous bar (NaN with one bar).
    pub change_pct: f64,
    pub score: Score,
    /// Display column values, in the scan's column order (`None` where undefined).
    pub columns: Vec<Option<f64>>,
    pub bars: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Match(Box<Match>),
    Error(SymbolError),
}

/// A result row, tagged with its scan so a stopped scan's rows never leak into
/// the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub scan_id: u64,
    /// Position of the symbol in the run's input order.
    pub order: usize,
    pub symbol: String,
    pub outcome: Outcome,
}

/// Auto-stop rules (SPEC §2.5). `None` = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub max_matches: Option<usize>,
    pub max_seconds: Option<f64>,
    pub max_symbols: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    pub scan_id: u64,
    pub settings: Settings,
    /// Keep only the newest N bars of each symbol (None = all loaded history).
    pub lookback: Option<usize>,
    pub limits: Limits,
    /// Symbols a worker takes from the queue at a time (1 keeps priority order
    /// tightest; more means fewer atomic operations).
    pub chunk: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            scan_id: 0,
            settings: Settings::default(),
            lookback: None,
            limits: Limits::default(),
            chunk: 4,
        }
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StopReason {
    /// Every symbol was done.
    Completed = 0,
    /// The user (or the host) raised the stop flag.
    User = 1,
    /// The sink answered `Flow::Stop`.
    Sink = 2,
    MaxMatches = 3,
    MaxSeconds = 4,
    MaxSymbols = 5,
}

impl StopReason {
    fn from_u8(v: u8) -> StopReason {
        match v {
            1 => StopReason::User,
            2 => StopReason::Sink,
            3 => StopReason::MaxMatches,
            4 => StopReason::MaxSeconds,
            5 => StopReason::MaxSymbols,
            _ => StopReason::Completed,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::User => "stopped",
            StopReason::Sink => "stopped by the consumer",
            StopReason::MaxMatches => "stopped: match limit reached",
            StopReason::MaxSeconds => "stopped: time limit reached",
            StopReason::MaxSymbols => "stopped: symbol limit reached",
        }
    }
}

/// The stop flag, shared between the run and whoever may stop it. The first
/// reason to stop wins. A user stop and a batch handed to the sink exclude
/// each other (one small lock), so once [`Control::stop`] returns no batch is
/// being handed over and none will be.
#[derive(Debug, Default)]
pub struct Control {
    stop: AtomicBool,
    reason: AtomicU8,
    /// Held while a batch is handed to the sink, and by a user stop.
    emitting: Mutex<()>,
}

impl Control {
    pub fn new() -> Self {
        Control::default()
    }

    /// Asks the run to stop; it finishes the symbols in hand and emits nothing
    /// after this returns (it waits for a batch being handed over, if any).
    pub fn stop(&self) {
        if IN_SINK.with(Cell::get) {
            // Called by the sink itself, inside the hand-over this thread
            // holds the lock for: no other batch can start meanwhile.
            self.stop_because(StopReason::User);
            return;
        }
        // The page calls this: it must not park (see `super::sync`).
        let _emitting = lock_without_parking(&self.emitting);
        self.stop_because(StopReason::User);
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn stop_because(&self, reason: StopReason) {
        if !self.stop.swap(true, Ordering::AcqRel) {
            self.reason.store(reason as u8, Ordering::Release);
        }
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.is_stopped()
            .then(|| StopReason::from_u8(self.reason.load(Ordering::Acquire)))
    }

    /// Hands `rows` to `sink` unless a user or sink stop came first; the
    /// check and the hand-over are one step under the lock [`Control::stop`]
    /// takes. Returns whether the rows went out.
    fn emit(&self, sink: &dyn Sink, rows: Vec<Row>) -> bool {
        let _emitting = self.emitting.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(self.reason(), Some(StopReason::User | StopReason::Sink)) {
            return false;
        }
        IN_SINK.with(|s| s.set(true));
        let flow = sink.batch(rows);
        IN_SINK.with(|s| s.set(false));
        if flow == Flow::Stop {
            self.stop_because(StopReason::Sink);
        }
        true
    }
}

thread_local! {
    /// This thread is inside `Sink::batch` (holding the emit lock), so a
    /// stop from the sink must not take the lock again.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// What a finished run reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub scan_id: u64,
    pub reason: StopReason,
    pub progress: ProgressSnapshot,
    pub seconds: f64,
}

/// Hands out the positions of the symbols to compute next. The plain run
/// takes them in order ([`InOrder`]); the browser hands out the symbols whose
/// bars have arrived, lowest position first.
pub trait Queue: Sync {
    /// Puts up to `max` positions into `out` (cleared first). `false` when
    /// there is nothing to hand out (the queue is done, or, for a host that
    /// drives the run in slices, nothing is ready now). May block until a
    /// position is ready.
    fn next_batch(&self, max: usize, out: &mut Vec<usize>) -> bool;
}

/// Positions `0..end` in order, `chunk` at a time from any thread.
#[derive(Debug, Default)]
pub struct InOrder {
    next: AtomicUsize,
    end: usize,
}

impl InOrder {
    pub fn new(end: usize) -> InOrder {
        InOrder {
            next: AtomicUsize::new(0),
            end,
        }
    }

    /// Whether every position has been handed out.
    pub fn is_done(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.end
    }
}

impl Queue for InOrder {
    fn next_batch(&self, max: usize, out: &mut Vec<usize>) -> bool {
        out.clear();
        let first = self.next.fetch_add(max.max(1), Ordering::Relaxed);
        out.extend(first.min(self.end)..(first + max.max(1)).min(self.end));
        !out.is_empty()
    }
}

/// Runs `scan` over `symbols` in the given order on the current rayon pool.
/// Every symbol that matches or fails becomes a row sent to `sink`; symbols
/// that simply do not match are only counted. Returns when every worker is done
/// or stopped; no row is emitted after `control` is stopped.
pub fn run(
    scan: &Scan,
    symbols: &[String],
    source: &dyn BarSource,
    options: &RunOptions,
    control: &Control,
    progress: &Progress,
    sink: &dyn Sink,
    clock: &dyn Clock,
) -> Summary {
    let run = Run::new(
        scan, symbols, source, options, control, progress, sink, clock,
    );
    let queue = InOrder::new(run.limit);
    run.on_pool(&queue);
    run.finish()
}

/// [`run`] with the symbols handed out by `queue` (positions in `symbols`).
pub fn run_queued(
    scan: &Scan,
    symbols: &[String],
    source: &dyn BarSource,
    queue: &dyn Queue,
    options: &RunOptions,
    control: &Control,
    progress: &Progress,
    sink: &dyn Sink,
    clock: &dyn Clock,
) -> Summary {
    let run = Run::new(
        scan, symbols, source, options, control, progress, sink, clock,
    );
    run.on_pool(queue);
    run.finish()
}

/// One scan run that its host drives: [`Run::work`] from as many threads as
/// it likes, as many times as it likes (a single-threaded host calls it once
/// per frame with a queue that stops handing out when its time is up), then
/// [`Run::finish`]. The time limit and the match limit count over the whole
/// run, from [`Run::new`], not from each call.
pub struct Run<'a> {
    scan: &'a Scan,
    symbols: &'a [String],
    source: &'a dyn BarSource,
    options: &'a RunOptions,
    control: &'a Control,
    progress: &'a Progress,
    sink: &'a dyn Sink,
    clock: &'a dyn Clock,
    started: f64,
    limit: usize,
    match_slots: AtomicUsize,
}

impl<'a> Run<'a> {
    pub fn new(
        scan: &'a Scan,
        symbols: &'a [String],
        source: &'a dyn BarSource,
        options: &'a RunOptions,
        control: &'a Control,
        progress: &'a Progress,
        sink: &'a dyn Sink,
        clock: &'a dyn Clock,
    ) -> Run<'a> {
        progress.universe.store(symbols.len(), Ordering::Relaxed);
        progress.track(symbols.len());
        Run {
            scan,
            symbols,
            source,
            options,
            control,
            progress,
            sink,
            clock,
            started: clock.now_secs(),
            limit: options
                .limits
                .max_symbols
                .map_or(symbols.len(), |m| m.min(symbols.len())),
            match_slots: AtomicUsize::new(0),
        }
    }

    /// Works `queue` on every thread of the current rayon pool.
    fn on_pool(&self, queue: &dyn Queue) {
        let threads = rayon::current_num_threads().max(1);
        rayon::scope(|s| {
            for _ in 1..threads {
                s.spawn(|_| self.work(queue));
            }
            self.work(queue);
        });
    }

    /// One thread's loop: take the next positions from `queue`, compute
    /// them, send their rows, until the queue has nothing more or the run is
    /// stopped. Positions past the symbol limit are skipped.
    pub fn work(&self, queue: &dyn Queue) {
        let chunk = self.options.chunk.max(1);
        let mut ws = self.scan.workspace();
        let mut rows = Vec::new();
        let mut batch = Vec::with_capacity(chunk);
        'queue: while !self.control.is_stopped() && queue.next_batch(chunk, &mut batch) {
            for &order in batch.iter().filter(|&&o| o < self.limit) {
                if self.should_stop() {
                    break 'queue;
                }
                let computed = catch_unwind(AssertUnwindSafe(|| self.symbol(order, &mut ws)));
                match computed {
                    Ok(row) => rows.extend(row),
                    Err(panic) => {
                        // The workspace may be half-written: start a fresh one.
                        ws = self.scan.workspace();
                        self.progress.done.fetch_add(1, Ordering::Relaxed);
                        rows.push(self.row(
                            order,
                            Outcome::Error(SymbolError::Panicked(panic_text(&*panic))),
                        ));
                    }
                }
            }
            self.flush(&mut rows);
        }
        self.flush(&mut rows);
    }

    /// Ends the run: the symbol-limit reason, the rank stage, the summary.
    pub fn finish(self) -> Summary {
        if !self.control.is_stopped() && self.limit < self.symbols.len() {
            self.control.stop_because(StopReason::MaxSymbols);
        }
        self.progress.ranked.store(1, Ordering::Relaxed);
        Summary {
            scan_id: self.options.scan_id,
            reason: self.control.reason().unwrap_or(StopReason::Completed),
            progress: self.progress.snapshot(),
            seconds: self.clock.now_secs() - self.started,
        }
    }

    /// Sends the rows in hand, and counts them as emitted. After a user or sink
    /// stop nothing is sent; after an auto-stop the rows already found still go
    /// out (the match limit reserved their places).
    fn flush(&self, rows: &mut Vec<Row>) {
        if rows.is_empty() {
            return;
        }
        let errors = rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Error(_)))
            .count();
        let matches = rows.len() - errors;
        if self.control.emit(self.sink, std::mem::take(rows)) {
            self.progress.errors.fetch_add(errors, Ordering::Relaxed);
            self.progress.matches.fetch_add(matches, Ordering::Relaxed);
        }
    }

    fn should_stop(&self) -> bool {
        if self.control.is_stopped() {
            return true;
        }
        if let Some(max) = self.options.limits.max_seconds {
            if self.clock.now_secs() - self.started >= max {
                self.control.stop_because(StopReason::MaxSeconds);
                return true;
            }
        }
        false
    }

    fn row(&self, order: usize, outcome: Outcome) -> Row {
        Row {
            scan_id: self.options.scan_id,
            order,
            symbol: self.symbols[order].clone(),
            outcome,
        }
    }

    fn symbol(&self, order: usize, ws: &mut super::lang::Workspace) -> Option<Row> {
        let symbol = &self.symbols[order];
        let p = self.progress;
        let loaded = match self.source.load(symbol) {
            Ok(l) => l,
            // Not a result and not a failure: the scan is being stopped.
            Err(SymbolError::Stopped) => return None,
            Err(e) => {
                p.data_failed.fetch_add(1, Ordering::Relaxed);
                p.done.fetch_add(1, Ordering::Relaxed);
                return Some(self.row(order, Outcome::Error(e)));
            }
        };
        if loaded.from_cache {
            p.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            p.fetched.fetch_add(1, Ordering::Relaxed);
        }
        p.bytes.fetch_add(loaded.bytes, Ordering::Relaxed);
        let bars = match self.options.lookback {
            Some(n) if n < loaded.bars.len() => Arc::new(loaded.bars.last(n)),
            _ => loaded.bars,
        };
        let outcome = self.evaluate(&bars, ws);
        p.done.fetch_add(1, Ordering::Relaxed);
        match &outcome {
            None => p.record(order, false),
            Some(Outcome::Match(_)) => p.record(order, true),
            Some(Outcome::Error(_)) => {}
        }
        match outcome? {
            m @ Outcome::Match(_) => {
                if let Some(max) = self.options.limits.max_matches {
                    // Reserve a place: exactly `max` matches are ever emitted.
                    let before = self.match_slots.fetch_add(1, Ordering::AcqRel);
                    if before + 1 >= max {
                        self.control.stop_because(StopReason::MaxMatches);
                    }
                    if before >= max {
                        return None;
                    }
                }
                Some(self.row(order, m))
            }
            e => Some(self.row(order, e)),
        }
    }

    fn evaluate(&self, bars: &Bars, ws: &mut super::lang::Workspace) -> Option<Outcome> {
        let need = self.scan.min_bars();
        if bars.len() < need {
            return Some(Outcome::Error(SymbolError::TooShort {
                need,
                have: bars.len(),
            }));
        }
        let last = bars.len() - 1;
        let mut prepared = self.scan.prepare(bars, ws, &self.options.settings);
        if !prepared.matches_at(last) {
            return None;
        }
        let columns = (0..self.scan.columns().len())
            .map(|k| prepared.column_at(k, last))
            .collect();
        let score = prepared.score_at(last).clone();
        let close = bars.close()[last];
        let change_pct = if last > 0 {
            (close / bars.close()[last - 1] - 1.0) * 100.0
        } else {
            f64::NAN
        };
        Some(Outcome::Match(Box::new(Match {
            time: bars.time()[last],
            close,
            change_pct,
            score,
            columns,
            bars: bars.len(),
        })))
    }
}

/// A panic's message, for its error row.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the computation panicked".to_string())
}
