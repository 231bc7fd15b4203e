//! The rayon worker pool (wasm-bindgen-rayon), started once with
//! `navigator.hardwareConcurrency` threads when the page is cross-origin
//! isolated. The single-threaded build (no atomics) has no pool: scans then run
//! on the page in slices between frames (see `runner`).

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
const _: () = (); // single-threaded fallback build: no pool, by design (scripts/build-st.sh)

/// What the status line shows about parallelism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// Worker threads scanning (1 when single-threaded).
    pub threads: usize,
    /// `crossOriginIsolated` on this page.
    pub isolated: bool,
    /// Whether this is the threaded build with a running pool.
    pub threaded: bool,
    /// Why the pool is not running, when it is not.
    pub note: Option<String>,
}

thread_local! {
    static THREADS: Cell<usize> = const { Cell::new(0) };
}

fn isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn hardware_threads() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map_or(1, |n| n as usize)
}

/// `?threads=N` in the page URL caps the pool (the benchmark compares all
/// workers against one); anything else means every hardware thread.
fn requested_threads() -> Option<usize> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("threads="))
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
}

/// Runs started on the pool (scans and backtests), so work done in the
/// workers' idle time can give way to the next run.
static RUNS_STARTED: AtomicUsize = AtomicUsize::new(0);

/// Counts a run starting; returns its number (see [`runs_started`]).
pub fn run_started() -> usize {
    RUNS_STARTED.fetch_add(1, Ordering::Relaxed) + 1
}

/// How many runs have started so far.
pub fn runs_started() -> usize {
    RUNS_STARTED.load(Ordering::Relaxed)
}

/// Whether scans run on the worker pool (true after a successful `start`).
pub fn is_threaded() -> bool {
    THREADS.with(|t| t.get()) > 0
}

/// Starts the pool once (later calls return the same answer).
pub async fn start() -> PoolInfo {
    let isolated = isolated();
    #[cfg(target_feature = "atomics")]
    {
        if !isolated {
            return PoolInfo {
                threads: 1,
                isolated,
                threaded: false,
                note: Some("page is not cross-origin isolated".into()),
            };
        }
        let running = THREADS.with(|t| t.get());
        if running > 0 {
            return PoolInfo {
                threads: running,
                isolated,
                threaded: true,
                note: None,
            };
        }
        // Pool size: one worker per hardware thread, not one left to the
        // page. Measured side by side (`node scripts/bench-browser.mjs
        // --only scan,backtest`, 2 cores, headless Chromium, 2026-12-02):
        // the heavy backtest (5,000 × 2,520 bars, benches/backtest.rs's
        // HEAVY) took 1.88 s of engine time on 2 workers against 3.46 s on
        // 1 (= cores − 1), 1.84×, and the click-to-report time 1.83×; the
        // light synthetic-5000 scan 55 against 97 ms. The page thread only
        // drains a channel once a frame while the workers run, so a worker
        // on its core costs it little: first row 13 ms, all rows 67 ms.
        // `?threads=N` overrides it (the benchmark's 1-worker runs).
        let n = requested_threads().unwrap_or_else(hardware_threads);
        let promise = wasm_bindgen_rayon::init_thread_pool(n);
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => {
                THREADS.with(|t| t.set(n));
                rayon::spawn_broadcast(|_| warm_up());
                PoolInfo {
                    threads: n,
                    isolated,
                    threaded: true,
                    note: None,
                }
            }
            Err(e) => PoolInfo {
                threads: 1,
                isolated,
                threaded: false,
                note: Some(format!(
                    "worker pool failed to start: {}",
                    e.as_string().unwrap_or_else(|| format!("{e:?}"))
                )),
            },
        }
    }
    #[cfg(not(target_feature = "atomics"))]
    {
        let _ = (hardware_threads, requested_threads);
        PoolInfo {
            threads: 1,
            isolated,
            threaded: false,
            note: Some(if isolated {
                "single-threaded build".into()
            } else {
                "page is not cross-origin isolated".into()
            }),
        }
    }
}

/// Runs `work` off the page: on the pool when there is one (the page awaits
/// the answer over a channel), else on the page after the next frame.
/// `None` when a worker failed before answering.
pub async fn off_page<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if !is_threaded() {
        super::single_thread::next_frame().await;
        return Some(work());
    }
    let (tx, rx) = futures::channel::oneshot::channel::<T>();
    rayon::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.ok()
}

/// A few synthetic symbols generated and scanned with every preset, on each
/// worker as it starts (well under a millisecond of optimised code).
///
/// Why: V8 runs a wasm function in its baseline code (Liftoff) until it has
/// run enough to be worth optimising, then compiles it (TurboFan) on a
/// background thread. In the first scan of a fresh page, both workers keep
/// both cores busy, so those compiles wait for a core while the market is
/// generated and scanned in baseline code (CPU profiles of the workers
/// during a cold synthetic-5000 scan: ~100 ms in `bars_pair` and up to
/// ~45 ms in `Bars::new`'s validation per worker, against ~40 and ~2 in a
/// node loop of optimised code). Run here, the hot functions are optimised
/// while the page is still idle. Cold synthetic-5000 scans in fresh
/// browsers, alternating builds, 2 cores shared with another benchmark
/// (2026-12-02): 264 ms with this warm-up against 360 ms without (medians
/// of 10; 411 against 436 in a noisier set of 9). The single-threaded build
/// has no workers to warm: its scan runs on the page's thread.
#[cfg(target_feature = "atomics")]
fn warm_up() {
    use crate::data::synthetic;
    use crate::engine::lang::Scan;
    use crate::engine::score::Settings;
    let bars: Vec<_> = (0..8)
        .flat_map(|k| {
            let (a, b) = synthetic::bars_pair(1, (2 * k, 2 * k + 1), super::config::SYNTHETIC_BARS);
            [a, b]
        })
        .collect();
    let settings = Settings::default();
    for preset in crate::view::presets::PRESETS {
        let columns = crate::view::fields::column_list(preset.columns);
        let Ok(scan) = Scan::compile(preset.expr, &columns) else {
            continue;
        };
        let mut ws = scan.workspace();
        for b in &bars {
            let last = b.len() - 1;
            let mut p = scan.prepare(b, &mut ws, &settings);
            std::hint::black_box(p.matches_at(last));
            std::hint::black_box(p.score_at(last));
            for k in 0..columns.len() {
                std::hint::black_box(p.column_at(k, last));
            }
        }
    }
}
