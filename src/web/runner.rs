//! The scan runner in the browser: compiles the scan, resolves the universe,
//! loads bars (cache, then network, a bounded number of symbols at once per
//! source, under the cache policy's freshness rule and LRU quota) on the page
//! while the workers compute, and
//! hands the UI one update per animation frame (new rows + progress). The page
//! never blocks: compute runs on the rayon pool (`rayon::spawn`), and results
//! come back over a channel drained in `requestAnimationFrame`.
//! In the single-threaded build the same engine run is called on the page in
//! small slices, one slice per frame.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt;

use crate::data::cache_policy::{append_tail, Freshness, FreshnessRule};
use crate::engine::lang::{LangError, Scan};
use crate::engine::run::{
    self, BarSource, Control, Flow, Limits, Loaded, Progress, ProgressSnapshot, Row, RunOptions,
    Sink, StopReason, Summary, SymbolError,
};
use crate::engine::score::Settings;

use super::feeds::Feed;
use super::fetch::AbortRegistry;
use super::pool;
use super::sources::{self, SourceId, SyntheticSource};
use super::store::{BarStore, CacheKey, DEFAULT_QUOTA_BYTES};
use super::time::{now_ms, BrowserClock};

/// Everything a scan needs, as the page's form describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanJob {
    pub expr: String,
    pub columns: Vec<String>,
    pub source: SourceId,
    /// Template, format, universe, key and rate settings of the chosen source.
    pub config: sources::SourceConfig,
    pub settings: Settings,
    /// Keep only the newest N bars of each symbol.
    pub lookback: Option<usize>,
    pub limits: Limits,
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
        // one starts.
        self.state.aborts.abort_all();
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
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
    rows: Cell<usize>,
    errors: Cell<usize>,
    symbols: Cell<usize>,
    threads: usize,
    /// The abort controllers of this scan's requests.
    aborts: AbortRegistry,
    on_update: RefCell<Box<dyn FnMut(ScanUpdate)>>,
}

static NEXT_SCAN_ID: AtomicU64 = AtomicU64::new(1);

/// Compiles and starts a scan. A bad expression (or column) is returned before
/// anything starts. Updates arrive once per animation frame until the one that
/// says `finished`.
pub fn start(
    job: ScanJob,
    store: Rc<BarStore>,
    on_update: impl FnMut(ScanUpdate) + 'static,
) -> Result<ScanHandle, LangError> {
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
        rows: Cell::new(0),
        errors: Cell::new(0),
        symbols: Cell::new(0),
        threads,
        aborts: AbortRegistry::new(),
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
        let feed = match job.source {
            SourceId::Synthetic(_) | SourceId::Import => None,
            source => {
                let counter = shared.clone();
                Some(Feed::new(
                    source,
                    job.config.clone(),
                    st.aborts.clone(),
                    move || {
                        counter.progress.retries.fetch_add(1, Ordering::Relaxed);
                    },
                ))
            }
        };
        let symbols = match sources::universe(job.source, &job.config, feed.as_ref()).await {
            Ok(s) => s,
            Err(e) => {
                // No universe: the whole scan fails before it starts.
                let _ = tx.send(Msg::Rows(vec![Row {
                    scan_id: st.scan_id,
                    order: 0,
                    symbol: job.source.value(),
                    outcome: run::Outcome::Error(SymbolError::FetchFailed(e.to_string())),
                }]));
                let _ = tx.send(Msg::Done(Summary {
                    scan_id: st.scan_id,
                    reason: StopReason::Completed,
                    progress: st.shared.progress.snapshot(),
                    seconds: 0.0,
                }));
                return;
            }
        };
        st.symbols.set(symbols.len());
        st.shared
            .progress
            .universe
            .store(symbols.len(), Ordering::Relaxed);
        let symbols = Arc::new(symbols);
        match job.source {
            SourceId::Synthetic(n) => {
                let source = SyntheticSource::shared(n);
                compute(scan, symbols, source, options, shared, tx).await;
            }
            _ => {
                let slots = Arc::new(Slots::new(&symbols, shared.clone()));
                if pool::is_threaded() {
                    // Workers start now (this returns at once) and wait for each
                    // symbol's bars as they land.
                    compute(
                        scan,
                        symbols.clone(),
                        slots.clone(),
                        options,
                        shared.clone(),
                        tx,
                    )
                    .await;
                    load_all(
                        feed.as_ref(),
                        &job.config,
                        &symbols,
                        &slots,
                        &store,
                        &shared,
                    )
                    .await;
                } else {
                    load_all(
                        feed.as_ref(),
                        &job.config,
                        &symbols,
                        &slots,
                        &store,
                        &shared,
                    )
                    .await;
                    compute(scan, symbols, slots, options, shared, tx).await;
                }
            }
        }
    });
    schedule_frame(state.clone());
    Ok(ScanHandle { state })
}

/// Runs the engine: on the pool when there is one (the page returns at once),
/// otherwise on the page in slices of symbols, yielding a frame between slices.
async fn compute<S: BarSource + Send + Sync + 'static>(
    scan: Arc<Scan>,
    symbols: Arc<Vec<String>>,
    source: Arc<S>,
    options: RunOptions,
    shared: Arc<Shared>,
    tx: Sender<Msg>,
) {
    if pool::is_threaded() {
        rayon::spawn(move || {
            let clock = BrowserClock::default();
            let sink = ChannelSink(tx.clone());
            let summary = run::run(
                &scan,
                &symbols,
                source.as_ref(),
                &options,
                &shared.control,
                &shared.progress,
                &sink,
                &clock,
            );
            let _ = tx.send(Msg::Done(summary));
        });
        return;
    }
    const SLICE: usize = 64;
    let clock = BrowserClock::default();
    let sink = ChannelSink(tx.clone());
    let mut summary = None;
    for (k, slice) in symbols.chunks(SLICE).enumerate() {
        if shared.control.is_stopped() {
            break;
        }
        let slice_opts = RunOptions {
            limits: remaining(&options.limits, &shared.progress),
            ..options.clone()
        };
        let slice_progress = Progress::default();
        let s = run::run(
            &scan,
            slice,
            source.as_ref(),
            &slice_opts,
            &shared.control,
            &slice_progress,
            &OffsetSink {
                inner: &sink,
                offset: k * SLICE,
            },
            &clock,
        );
        add_progress(&shared.progress, &slice_progress.snapshot());
        summary = Some(s);
        next_frame().await;
    }
    let mut s = summary.unwrap_or(Summary {
        scan_id: options.scan_id,
        reason: StopReason::Completed,
        progress: ProgressSnapshot::default(),
        seconds: 0.0,
    });
    s.progress = shared.progress.snapshot();
    if let Some(r) = shared.control.reason() {
        s.reason = r;
    }
    let _ = tx.send(Msg::Done(s));
}

/// Limits left for the next slice of a single-threaded run.
fn remaining(limits: &Limits, progress: &Progress) -> Limits {
    let p = progress.snapshot();
    Limits {
        max_matches: limits.max_matches.map(|m| m.saturating_sub(p.matches)),
        max_symbols: limits.max_symbols.map(|m| m.saturating_sub(p.done)),
        max_seconds: limits.max_seconds,
    }
}

fn add_progress(total: &Progress, slice: &ProgressSnapshot) {
    let add = |a: &std::sync::atomic::AtomicUsize, v: usize| {
        a.fetch_add(v, Ordering::Relaxed);
    };
    add(&total.cache_hits, slice.cache_hits);
    add(&total.fetched, slice.fetched);
    add(&total.data_failed, slice.data_failed);
    total.bytes.fetch_add(slice.bytes, Ordering::Relaxed);
    add(&total.retries, slice.retries);
    add(&total.done, slice.done);
    add(&total.matches, slice.matches);
    add(&total.errors, slice.errors);
}

/// Shifts row positions of a slice back to the whole universe's order.
struct OffsetSink<'a> {
    inner: &'a ChannelSink,
    offset: usize,
}

impl Sink for OffsetSink<'_> {
    fn batch(&self, mut rows: Vec<Row>) -> Flow {
        rows.iter_mut().for_each(|r| r.order += self.offset);
        self.inner.batch(rows)
    }
}

/// Resolves on the next animation frame.
async fn next_frame() {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::request_animation_frame(move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Bars for fetched sources: the page fills one slot per symbol (from the
/// cache or the network) in scan order; a worker asking for a symbol waits for
/// its slot. Only the page writes, so setting a slot never blocks the page.
struct Slots {
    index: HashMap<String, usize>,
    slots: Vec<OnceLock<Result<Loaded, SymbolError>>>,
    shared: Arc<Shared>,
}

impl Slots {
    fn new(symbols: &[String], shared: Arc<Shared>) -> Slots {
        Slots {
            index: symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i))
                .collect(),
            slots: symbols.iter().map(|_| OnceLock::new()).collect(),
            shared,
        }
    }

    fn fill(&self, i: usize, value: Result<Loaded, SymbolError>) {
        let _ = self.slots[i].set(value);
    }
}

impl BarSource for Slots {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        let i = *self.index.get(symbol).ok_or(SymbolError::NoData)?;
        loop {
            if let Some(v) = self.slots[i].get() {
                return v.clone();
            }
            if self.shared.control.is_stopped() {
                return Err(SymbolError::FetchFailed("stopped".into()));
            }
            // Workers may wait; the page never does.
            std::thread::park_timeout(Duration::from_millis(2));
        }
    }
}

/// Loads every symbol's bars: imported files from the page's memory; fetched
/// sources through the cache policy, up to the source's in-flight bound at
/// once (symbols start in scan order; each slot is filled as its symbol
/// completes, and the workers wait per slot). Nothing from a failed, partial
/// or unparsable response is cached.
async fn load_all(
    feed: Option<&Feed>,
    config: &sources::SourceConfig,
    symbols: &[String],
    slots: &Slots,
    store: &BarStore,
    shared: &Shared,
) {
    let Some(feed) = feed else {
        // Imported files (the only non-synthetic source without a feed).
        for (i, symbol) in symbols.iter().enumerate() {
            let loaded = sources::imported_bars(symbol)
                .map(|bars| Loaded {
                    bars,
                    from_cache: true,
                    bytes: 0,
                })
                .ok_or(SymbolError::NoData);
            slots.fill(i, loaded);
        }
        return;
    };
    let rule = FreshnessRule {
        calendar: feed.calendar(),
        open_session_max_age_ms: i64::from(config.refresh_minutes.max(1)) * 60_000,
    };
    // Interim (store API change): the URL field names the endpoint for every
    // source (template or service base); the loader rewrite builds it per source.
    let endpoint = format!("url={}", config.url_template.trim());
    let endpoint = endpoint.as_str();
    futures::stream::iter(symbols.iter().enumerate())
        .map(|(i, symbol)| async move {
            let loaded = if shared.control.is_stopped() {
                Err(SymbolError::FetchFailed("stopped".into()))
            } else {
                load_symbol(feed, &rule, store, endpoint, symbol).await
            };
            (i, loaded)
        })
        .buffer_unordered(feed.max_in_flight())
        .for_each(|(i, loaded)| {
            slots.fill(i, loaded);
            futures::future::ready(())
        })
        .await;
    // Last uses of the cache hits, in one write.
    if let Err(why) = store.flush_touches().await {
        web_sys::console::warn_1(&format!("bar cache: {why}").into());
    }
}

/// One symbol: a fresh cache entry is used as it is; a stale one gets only
/// its missing tail (sources that take a date range) or is refetched whole;
/// a miss is fetched whole. Complete, validated bars are then cached within
/// the quota (least-recently-used entries evicted).
async fn load_symbol(
    feed: &Feed,
    rule: &FreshnessRule,
    store: &BarStore,
    endpoint: &str,
    symbol: &str,
) -> Result<Loaded, SymbolError> {
    let key = CacheKey::daily(feed.source().cache_name(), endpoint, symbol);
    let now = js_sys::Date::now();
    let mut cached = None;
    let mut from_ms = None;
    // A store error is a miss: the network is always correct.
    if let Ok(Some(entry)) = store.get_entry(&key).await {
        let decision = match entry.bars.time().last() {
            None => Freshness::Refetch,
            Some(_) if feed.is_immutable() => Freshness::Fresh,
            Some(&last) => rule.decide(last, entry.saved_at_ms, now as i64),
        };
        match decision {
            Freshness::Fresh => {
                store.touch(&key);
                return Ok(Loaded {
                    bars: Arc::new(entry.bars),
                    from_cache: true,
                    bytes: 0,
                });
            }
            Freshness::NeedsTail { from_ms: from } if feed.supports_range() => {
                from_ms = Some(from);
                cached = Some(entry);
            }
            // The URL template cannot ask for a range: refetch it whole.
            _ => {}
        }
    }
    let fetched = feed.load(symbol, from_ms).await?;
    let mut bytes = fetched.bytes;
    let bars = match (cached, fetched.bars) {
        (Some(entry), Some(tail)) => match append_tail(&entry.bars, &tail, feed.calendar()) {
            Ok(merged) => merged,
            Err(why) => {
                // A tail that does not join (a gap, a rewrite): start over.
                web_sys::console::warn_1(
                    &format!("bar cache: {symbol}: {why}; refetching the whole series").into(),
                );
                let whole = feed.load(symbol, None).await?;
                bytes += whole.bytes;
                whole.bars.ok_or(SymbolError::NoData)?
            }
        },
        // Nothing new since the save (a holiday): the cached bars stand, and
        // are saved again so the entry counts as checked now.
        (Some(entry), None) => entry.bars,
        (None, Some(bars)) => bars,
        (None, None) => return Err(SymbolError::NoData),
    };
    if let Err(why) = store.put_within(&key, &bars, DEFAULT_QUOTA_BYTES).await {
        web_sys::console::warn_1(&format!("bar cache: {symbol} not cached: {why}").into());
    }
    Ok(Loaded {
        bars: Arc::new(bars),
        from_cache: false,
        bytes,
    })
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
    if !rows.is_empty() && state.first_row_ms.get().is_none() {
        state.first_row_ms.set(Some(now - state.started_ms));
    }
    let errors = rows
        .iter()
        .filter(|r| matches!(r.outcome, run::Outcome::Error(_)))
        .count();
    state.errors.set(state.errors.get() + errors);
    state.rows.set(state.rows.get() + rows.len() - errors);
    let progress = state.shared.progress.snapshot();
    let finished = if user_stopped || done.is_some() {
        state.finished.set(true);
        state.rx.borrow_mut().take();
        let reason = if user_stopped {
            StopReason::User
        } else {
            done.as_ref().map_or(StopReason::Completed, |s| s.reason)
        };
        Some(Finished {
            reason,
            first_row_ms: state.first_row_ms.get(),
            total_ms: now - state.started_ms,
            compute_ms: if user_stopped {
                None
            } else {
                done.as_ref().map(|s| s.seconds * 1000.0)
            },
            rows: state.rows.get(),
            errors: state.errors.get(),
            symbols: state.symbols.get(),
            threads: state.threads,
            stopped: reason != StopReason::Completed,
        })
    } else {
        None
    };
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
