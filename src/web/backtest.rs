//! The backtest and the walk-forward search on the page: the scan's universe
//! and bars are had as a scan has them (the same universe, feed, cache and
//! slots: `web::universe`, `web::loader`), or generated for the synthetic
//! market at a chosen length, then the engine runs on the worker pool (or, in
//! the single-threaded build, a few symbols per frame with
//! `backtest::Stepper`). The page never blocks: one update per animation
//! frame (per-symbol progress), the last one with the outcome. Stop aborts
//! the requests in flight and stops the engine between symbols.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::channel::oneshot;
use futures::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use rayon::prelude::*;

use crate::data::loader::{Feed, LoadPlan, Slots};
use crate::data::synthetic;
use crate::engine::backtest::walk::{optimize_watched, WalkError, WalkOptions, WalkReport};
use crate::engine::backtest::{
    backtest_watched, AveragePath, Ended, Options, Report, Stepper, Watch,
};
use crate::engine::bars::Bars;
use crate::engine::lang::{LangError, Scan};
use crate::engine::run::BarSource;
use crate::engine::sync::lock_without_parking;

use super::fetch::{AbortRegistry, BrowserTransport};
use super::loader::{fill_imported, load_all, WebFeed};
use super::pool;
use super::single_thread::next_frame;
use super::sources::{SourceConfig, SourceId, SYNTHETIC_SEED};
use super::store::BarStore;
use super::time::{epoch_ms, now_ms, WebClock};
use super::universe::universe;

/// Most bars per symbol the synthetic market is generated with for a backtest.
pub const MAX_SYNTHETIC_BARS: usize = 2520;

/// Most bars a backtest holds (48 bytes each, in a 1 GB wasm memory shared
/// with everything else): synthetic-5000 × 2,520 bars (12.6 M) fits.
pub const MAX_BARS_BACKTEST: usize = 13_000_000;
/// The search also copies each symbol's in-sample part.
pub const MAX_BARS_OPTIMIZE: usize = 7_000_000;

/// How long one slice of the single-threaded build may compute.
const SLICE_MS: f64 = 8.0;

/// The universe's bars, by symbol, shared with the workers and kept with the
/// result (the signal list draws a symbol's bars around its signal).
pub type Universe = Arc<Vec<(String, Arc<Bars>)>>;

/// What to run, as the page's form describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The scan; for a search, with its ranges (`{20..40 step 5}`).
    pub expr: String,
    pub source: SourceId,
    pub config: SourceConfig,
    /// Bars per symbol of the synthetic market, and the history Binance
    /// is paged back to (other sources load their default history).
    pub synthetic_bars: usize,
    pub task: Task,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// A backtest with the path chart's length (the longest horizon).
    Backtest(Options),
    Optimize(WalkOptions),
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Universe,
    Loading,
    Computing,
    Done,
}

/// Per-frame progress: symbols had (bars loaded or generated) of `total`,
/// and symbols (or grid points) computed of `steps`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    pub stage: Stage,
    pub total: usize,
    pub loaded: usize,
    pub computed: usize,
    /// What `computed` counts to: symbols (a backtest) or grid points (a search).
    pub steps: usize,
    pub elapsed_ms: f64,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Backtest {
        report: Arc<Report>,
        path: AveragePath,
    },
    Optimize(Arc<WalkReport>),
    /// Stopped from the page (a value, not an error).
    Stopped {
        done: usize,
        total: usize,
    },
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Finished {
    pub outcome: Outcome,
    /// Wall time from the Run click (ms).
    pub total_ms: f64,
    /// The engine's own time (ms), on the workers' clock; `None` when it did
    /// not run to the end.
    pub compute_ms: Option<f64>,
    /// The bars the run used.
    pub universe: Universe,
    /// Symbols whose bars could not be had, with why.
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Update {
    pub id: u64,
    pub progress: Progress,
    /// `Some` exactly once, in the last update.
    pub finished: Option<Finished>,
}

struct State {
    id: u64,
    watch: Arc<Watch>,
    aborts: AbortRegistry,
    slots: RefCell<Option<Arc<Slots>>>,
    finished: Cell<bool>,
}

/// A running backtest or search. Dropping it does not stop it; `stop` does.
#[derive(Clone)]
pub struct Handle {
    state: Rc<State>,
}

impl Handle {
    pub fn id(&self) -> u64 {
        self.state.id
    }

    pub fn stop(&self) {
        self.state.watch.stop();
        self.state.aborts.abort_all();
        if let Some(slots) = self.state.slots.borrow().as_ref() {
            slots.close();
        }
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// Starts a run; a scan that does not compile starts nothing. (A search's
/// ranges are checked by the engine, which names their span.)
pub fn start(
    job: Job,
    store: Rc<BarStore>,
    mut on_update: impl FnMut(Update) + 'static,
) -> Result<Handle, LangError> {
    let scan = match &job.task {
        Task::Backtest(_) => Some(Arc::new(Scan::compile(&job.expr, &[])?)),
        Task::Optimize(_) => None,
    };
    // Idle-time work on the pool (keeping a synthetic market) gives way.
    super::pool::run_started();
    let state = Rc::new(State {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed) as u64,
        watch: Arc::new(Watch::new()),
        aborts: AbortRegistry::new(),
        slots: RefCell::new(None),
        finished: Cell::new(false),
    });
    let st = state.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let started = now_ms();
        let counters = Arc::new(Counters::default());
        let mut emit = |stage: Stage, finished: Option<Finished>| {
            let progress = Progress {
                stage,
                total: counters.total.load(Ordering::Relaxed),
                loaded: counters.loaded.load(Ordering::Relaxed),
                computed: st.watch.done(),
                steps: st.watch.total(),
                elapsed_ms: now_ms() - started,
            };
            if finished.is_some() {
                st.finished.set(true);
            }
            on_update(Update {
                id: st.id,
                progress,
                finished,
            });
        };
        emit(Stage::Universe, None);
        let (universe, failed) = match load(&job, &store, &st, &counters, &mut emit).await {
            Ok(had) => had,
            Err(message) => {
                let finished = Finished {
                    outcome: Outcome::Failed(message),
                    total_ms: now_ms() - started,
                    compute_ms: None,
                    universe: Arc::new(Vec::new()),
                    failed: Vec::new(),
                };
                return emit(Stage::Done, Some(finished));
            }
        };
        let compute_ms = Arc::new(Mutex::new(None));
        let outcome = if st.watch.is_stopped() {
            Outcome::Stopped {
                done: 0,
                total: universe.len(),
            }
        } else if universe.is_empty() {
            Outcome::Failed(match failed.first() {
                Some((s, why)) => format!("no bars for any symbol ({s}: {why})"),
                None => "no symbols".into(),
            })
        } else {
            compute(
                scan,
                &job,
                universe.clone(),
                &st.watch,
                &compute_ms,
                &mut emit,
            )
            .await
        };
        // The page's thread must never park (see `engine::sync`).
        let compute_ms = *lock_without_parking(&compute_ms);
        let finished = Finished {
            compute_ms: compute_ms.filter(|_| matches!(outcome, Outcome::Backtest { .. })),
            outcome,
            total_ms: now_ms() - started,
            universe,
            failed,
        };
        emit(Stage::Done, Some(finished));
    });
    Ok(Handle { state })
}

#[derive(Default)]
struct Counters {
    total: AtomicUsize,
    loaded: AtomicUsize,
}

/// The universe's bars: generated (synthetic) or loaded as a scan loads them.
async fn load(
    job: &Job,
    store: &BarStore,
    st: &State,
    counters: &Arc<Counters>,
    emit: &mut impl FnMut(Stage, Option<Finished>),
) -> Result<(Universe, Vec<(String, String)>), String> {
    if let SourceId::Synthetic(n) = job.source {
        counters.total.store(n, Ordering::Relaxed);
        let len = job.synthetic_bars.clamp(1, MAX_SYNTHETIC_BARS);
        too_many_bars(&job.task, n * len)?;
        let market = synthetic_market(n, len, &st.watch, counters, emit).await;
        return Ok((market, Vec::new()));
    }
    let feed: Option<WebFeed> = job.source.is_fetched().then(|| {
        Feed::new(
            job.source,
            job.config.clone(),
            BrowserTransport {
                aborts: st.aborts.clone(),
            },
            WebClock,
            || {},
        )
    });
    let symbols = universe(job.source, &job.config, feed.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    counters.total.store(symbols.len(), Ordering::Relaxed);
    let slots = Arc::new(Slots::new(&symbols));
    st.slots.replace(Some(slots.clone()));
    if st.watch.is_stopped() {
        slots.close();
    }
    let loading = async {
        match feed.as_ref() {
            Some(feed) => {
                // Binance pages back to the bars asked for; other
                // sources load their default history.
                let depth = job.synthetic_bars.clamp(1, MAX_SYNTHETIC_BARS);
                let plan = LoadPlan::with_depth(job.source, &job.config, depth);
                load_all(feed, &plan, &symbols, &slots, store).await;
            }
            None => fill_imported(&symbols, &slots),
        }
    };
    let watching = async {
        while !slots.is_done() || slots.filled() < symbols.len() {
            counters.loaded.store(slots.filled(), Ordering::Relaxed);
            emit(Stage::Loading, None);
            if st.watch.is_stopped() {
                break;
            }
            next_frame().await;
        }
    };
    futures::future::select(Box::pin(loading), Box::pin(watching)).await;
    counters.loaded.store(slots.filled(), Ordering::Relaxed);
    let bars: usize = symbols
        .iter()
        .filter_map(|s| slots.load(s).ok())
        .map(|l| l.bars.len())
        .sum();
    too_many_bars(&job.task, bars)?;
    let mut had = Vec::with_capacity(symbols.len());
    let mut failed = Vec::new();
    for symbol in symbols.iter() {
        match slots.load(symbol) {
            Ok(loaded) if !loaded.bars.is_empty() => had.push((symbol.clone(), loaded.bars)),
            Ok(_) => failed.push((symbol.clone(), "no bars".to_string())),
            Err(e) => failed.push((symbol.clone(), e.to_string())),
        }
    }
    Ok((Arc::new(had), failed))
}

/// Refuses a run whose bars would not fit in the page's memory.
fn too_many_bars(task: &Task, bars: usize) -> Result<(), String> {
    let (limit, what) = match task {
        Task::Backtest(_) => (MAX_BARS_BACKTEST, "a backtest"),
        Task::Optimize(_) => (MAX_BARS_OPTIMIZE, "a search (it copies the in-sample bars)"),
    };
    if bars > limit {
        return Err(format!(
            "{bars} bars are more than {what} can hold in the page's memory ({limit}): choose fewer bars per symbol or fewer symbols"
        ));
    }
    Ok(())
}

/// The synthetic market at `len` bars per symbol, kept for the next run of
/// the same size (only the last size: 5,000 × 2,520 bars take ~600 MB).
async fn synthetic_market(
    n: usize,
    len: usize,
    watch: &Arc<Watch>,
    counters: &Arc<Counters>,
    emit: &mut impl FnMut(Stage, Option<Finished>),
) -> Universe {
    static MARKET: Mutex<Option<((usize, usize), Universe)>> = Mutex::new(None);
    {
        let mut kept = lock_without_parking(&MARKET);
        match kept.as_ref() {
            Some((size, market)) if *size == (n, len) => {
                counters.loaded.store(n, Ordering::Relaxed);
                return market.clone();
            }
            // Freed before the new one is generated.
            _ => *kept = None,
        }
    }
    let generate = move |i: usize| {
        let bars = Arc::new(synthetic::bars(SYNTHETIC_SEED, i, len));
        (synthetic::symbol_name(i), bars)
    };
    let market: Vec<(String, Arc<Bars>)> = if pool::is_threaded() {
        let (watch, counters) = (watch.clone(), counters.clone());
        on_pool(
            None,
            || emit(Stage::Loading, None),
            // Two symbols at a time (`synthetic::bars_pair`: the lanes of
            // one vector, the same bits as two `bars` calls, ~half the time
            // in V8).
            move || {
                (0..n.div_ceil(2))
                    .into_par_iter()
                    .flat_map_iter(|k| {
                        let (a, b) = (2 * k, 2 * k + 1);
                        // A stopped run only needs to end: empty bars are cheap.
                        let (bars_a, bars_b) = if watch.is_stopped() {
                            (Bars::default(), Bars::default())
                        } else if b < n {
                            counters.loaded.fetch_add(2, Ordering::Relaxed);
                            synthetic::bars_pair(SYNTHETIC_SEED, (a, b), len)
                        } else {
                            counters.loaded.fetch_add(1, Ordering::Relaxed);
                            (synthetic::bars(SYNTHETIC_SEED, a, len), Bars::default())
                        };
                        [(a, bars_a), (b, bars_b)]
                            .into_iter()
                            .filter(move |(i, _)| *i < n)
                            .map(|(i, bars)| (synthetic::symbol_name(i), Arc::new(bars)))
                    })
                    .collect::<Vec<_>>()
            },
        )
        .await
        .unwrap_or_default()
    } else {
        let mut market = Vec::with_capacity(n);
        while market.len() < n && !watch.is_stopped() {
            let until = now_ms() + SLICE_MS;
            while market.len() < n && now_ms() < until {
                market.push(generate(market.len()));
            }
            counters.loaded.store(market.len(), Ordering::Relaxed);
            emit(Stage::Loading, None);
            next_frame().await;
        }
        market
    };
    let market = Arc::new(market);
    if !watch.is_stopped() {
        *lock_without_parking(&MARKET) = Some(((n, len), market.clone()));
    }
    market
}

/// How often the page shows a pool job's progress while it waits: the bar
/// counts move ten times a second, as the elapsed time is shown. Every
/// frame, as before, cost the page thread a third of a core (style, layout,
/// paint of the progress line; a CPU profile of the heavy backtest), taken
/// from the workers when they hold every core: 2 workers ran 1.48x one.
const PROGRESS_MS: u32 = 100;

/// Runs `job` on the pool and waits for its answer without blocking the page,
/// calling `tick` now and every [`PROGRESS_MS`]; the answer wakes the wait
/// at once. `None` when `stop` is found stopped at a tick (the job's workers
/// end on their own at their next symbol) or the job ended without an answer.
async fn on_pool<T: Send + 'static>(
    stop: Option<&Watch>,
    mut tick: impl FnMut(),
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, mut rx) = oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(job());
    });
    loop {
        if stop.is_some_and(Watch::is_stopped) {
            return None;
        }
        tick();
        match select(&mut rx, TimeoutFuture::new(PROGRESS_MS)).await {
            Either::Left((answer, _)) => return answer.ok(),
            Either::Right(_) => {}
        }
    }
}

async fn compute(
    scan: Option<Arc<Scan>>,
    job: &Job,
    universe: Universe,
    watch: &Arc<Watch>,
    compute_ms: &Arc<Mutex<Option<f64>>>,
    emit: &mut impl FnMut(Stage, Option<Finished>),
) -> Outcome {
    match (&job.task, scan) {
        (Task::Backtest(opts), Some(scan)) => {
            let path_len = opts.horizons.iter().copied().max().unwrap_or(0);
            let ended = if pool::is_threaded() {
                let (opts, on_pool_watch) = (opts.clone(), watch.clone());
                let (u, took) = (universe.clone(), compute_ms.clone());
                // Stop ends the wait at its next tick; the workers end at
                // their next symbol.
                let answer = on_pool(
                    Some(watch),
                    || emit(Stage::Computing, None),
                    move || {
                        let t0 = epoch_ms();
                        let refs: Vec<(&str, &Bars)> =
                            u.iter().map(|(s, b)| (s.as_str(), b.as_ref())).collect();
                        let r = backtest_watched(&scan, &refs, &opts, path_len, &on_pool_watch);
                        *took.lock().unwrap_or_else(|p| p.into_inner()) = Some(epoch_ms() - t0);
                        r
                    },
                )
                .await;
                answer.unwrap_or_else(|| {
                    Ok(Ended::Stopped {
                        done: watch.done(),
                        total: universe.len(),
                    })
                })
            } else {
                let t0 = epoch_ms();
                let r = step_on_page(&scan, &universe, opts, path_len, watch, emit).await;
                *compute_ms.lock().unwrap_or_else(|p| p.into_inner()) = Some(epoch_ms() - t0);
                r
            };
            match ended {
                Ok(Ended::Done { report, path }) => Outcome::Backtest {
                    report: Arc::from(report),
                    path,
                },
                Ok(Ended::Stopped { done, total }) => Outcome::Stopped { done, total },
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
        (Task::Optimize(opts), _) => {
            let run = {
                let (opts, expr, u) = (opts.clone(), job.expr.clone(), universe.clone());
                let watch = watch.clone();
                move || {
                    let refs: Vec<(&str, &Bars)> =
                        u.iter().map(|(s, b)| (s.as_str(), b.as_ref())).collect();
                    optimize_watched(&expr, &refs, &opts, &watch)
                }
            };
            let result: Option<Result<Option<WalkReport>, WalkError>> = if pool::is_threaded() {
                on_pool(Some(watch), || emit(Stage::Computing, None), run).await
            } else {
                // One grid point after another on the page (rayon runs in
                // place without threads): a short freeze on small universes.
                emit(Stage::Computing, None);
                next_frame().await;
                Some(run())
            };
            match result {
                Some(Ok(Some(report))) => Outcome::Optimize(Arc::new(report)),
                Some(Err(e)) => Outcome::Failed(e.to_string()),
                // Counted in grid points, as its progress is.
                Some(Ok(None)) | None => Outcome::Stopped {
                    done: watch.done(),
                    total: watch.total(),
                },
            }
        }
        (Task::Backtest(_), None) => Outcome::Failed("the scan did not compile".into()),
    }
}

/// The single-threaded build: a few symbols per frame.
async fn step_on_page(
    scan: &Scan,
    universe: &Universe,
    opts: &Options,
    path_len: usize,
    watch: &Watch,
    emit: &mut impl FnMut(Stage, Option<Finished>),
) -> Result<Ended, crate::engine::backtest::BacktestError> {
    let refs: Vec<(&str, &Bars)> = universe
        .iter()
        .map(|(s, b)| (s.as_str(), b.as_ref()))
        .collect();
    let mut stepper = Stepper::new(scan, &refs, opts, path_len)?;
    loop {
        let until = now_ms() + SLICE_MS;
        let mut more = true;
        while more && now_ms() < until {
            more = stepper.step(4);
        }
        watch.set_done(stepper.done());
        emit(Stage::Computing, None);
        if !more || watch.is_stopped() {
            break;
        }
        next_frame().await;
    }
    Ok(stepper.finish())
}
