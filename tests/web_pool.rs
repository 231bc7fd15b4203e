//! The wasm-bindgen-rayon worker pool in headless Chromium: it starts inside
//! the test page (once per test binary), and work spawned on it reports back
//! through a oneshot channel awaited without blocking the page's thread.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use futures::channel::oneshot;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use rayon::prelude::*;
use technic::data::synthetic;
use technic::web::pool::{self, PoolInfo};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    /// The pool may be started only once per page; every test awaits the same start.
    static POOL: RefCell<Option<Shared<LocalBoxFuture<'static, PoolInfo>>>> = const { RefCell::new(None) };
}

async fn started_pool() -> PoolInfo {
    let start = POOL.with(|p| {
        p.borrow_mut()
            .get_or_insert_with(|| pool::start().boxed_local().shared())
            .clone()
    });
    start.await
}

/// Runs `job` on the pool and awaits its answer (never blocks this thread).
async fn on_pool<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(job());
    });
    rx.await.expect("the pool dropped the job")
}

#[wasm_bindgen_test]
async fn the_pool_starts_with_several_threads_when_isolated() {
    let info = started_pool().await;
    assert!(
        info.isolated,
        "the test runner serves with COOP/COEP, so the page should be isolated: {info:?}"
    );
    assert!(info.threaded, "{info:?}");
    assert!(info.threads >= 1 && pool::is_threaded(), "{info:?}");
    assert_eq!(rayon::current_num_threads(), info.threads);
    // One worker per logical core the browser reports (several anywhere but a one-core machine).
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency()) as usize;
    assert_eq!(info.threads, cores.max(1));
    if cores > 1 {
        assert!(rayon::current_num_threads() > 1, "{info:?}");
    }
    // Starting again returns the same pool.
    assert_eq!(pool::start().await, info);
}

#[wasm_bindgen_test]
async fn a_spawned_job_answers_through_a_channel() {
    let info = started_pool().await;
    let (sum, worker, threads) = on_pool(|| {
        let sum: u64 = (0..1_000_000u64).into_par_iter().sum();
        (
            sum,
            rayon::current_thread_index(),
            rayon::current_num_threads(),
        )
    })
    .await;
    assert_eq!(sum, 999_999 * 1_000_000 / 2);
    assert!(worker.is_some(), "the job ran off the pool");
    assert_eq!(threads, info.threads);
}

#[wasm_bindgen_test]
async fn parallel_work_matches_sequential_work() {
    started_pool().await;
    let expected: Vec<f64> = (0..64)
        .map(|i| synthetic::bars(3, i, 260).close().iter().sum())
        .collect();
    let (sums, workers) = on_pool(|| {
        let sums: Vec<f64> = (0..64usize)
            .into_par_iter()
            .map(|i| synthetic::bars(3, i, 260).close().iter().sum())
            .collect();
        let workers: std::collections::BTreeSet<usize> = (0..256usize)
            .into_par_iter()
            .filter_map(|_| rayon::current_thread_index())
            .collect();
        (sums, workers)
    })
    .await;
    assert_eq!(sums, expected);
    assert!(!workers.is_empty() && workers.iter().all(|&w| w < rayon::current_num_threads()));
}

#[wasm_bindgen_test]
async fn several_jobs_in_flight_all_answer() {
    started_pool().await;
    let answers =
        futures::future::join_all((0..16u64).map(|k| on_pool(move || (0..=k * 1000).sum::<u64>())))
            .await;
    let expected: Vec<u64> = (0..16u64).map(|k| (0..=k * 1000).sum()).collect();
    assert_eq!(answers, expected);
}

/// Regression: a contended `Mutex::lock` on the page's thread parks it with
/// `Atomics.wait`, which traps on a browser's main thread, so a warm
/// 5,000-symbol scan that filled slots while a worker held their lock never
/// ended. The page takes shared locks with `lock_without_parking`: here a
/// worker holds the lock for a while and the page takes it meanwhile.
#[wasm_bindgen_test]
async fn the_page_takes_a_lock_a_worker_holds_without_trapping() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use technic::engine::sync::lock_without_parking;

    started_pool().await;
    let shared = Arc::new(Mutex::new(0u32));
    let held = Arc::new(AtomicBool::new(false));
    let worker = {
        let (shared, held) = (shared.clone(), held.clone());
        on_pool(move || {
            let mut guard = shared.lock().unwrap();
            held.store(true, Ordering::Release);
            // A worker may park: its sleep is an Atomics.wait, allowed off the page.
            std::thread::sleep(std::time::Duration::from_millis(200));
            *guard = 7;
        })
    };
    let page = async {
        while !held.load(Ordering::Acquire) {
            gloo_timers::future::TimeoutFuture::new(1).await;
        }
        // Contended now: `shared.lock()` here would trap.
        *lock_without_parking(&shared)
    };
    let ((), seen) = futures::join!(worker, page);
    assert_eq!(
        seen, 7,
        "the page got the lock only after the worker let go"
    );
}

/// `job` on the pool with the market `source`.
async fn on_market<T: Send + 'static>(
    source: &std::sync::Arc<technic::web::sources::SyntheticSource>,
    job: impl FnOnce(&technic::web::sources::SyntheticSource) -> T + Send + 'static,
) -> T {
    let source = source.clone();
    on_pool(move || job(&source)).await
}

/// Loads `order` from `source`: each symbol's index, whether its bars are
/// `synthetic::bars`' own, and whether the load was a cache hit.
fn loads(
    source: &technic::web::sources::SyntheticSource,
    order: &[usize],
) -> Vec<(usize, bool, bool)> {
    use technic::engine::run::BarSource;
    use technic::web::sources::{SYNTHETIC_BARS, SYNTHETIC_SEED};
    order
        .iter()
        .map(|&i| {
            let loaded = source.load(&synthetic::symbol_name(i)).unwrap();
            let same = *loaded.bars == synthetic::bars(SYNTHETIC_SEED, i, SYNTHETIC_BARS);
            (i, same, loaded.from_cache)
        })
        .collect()
}

/// The synthetic market in the page: a scan's loads generate the bars (each
/// pair once, the partner waiting for its own load), the idle workers then
/// keep them, and later loads are cache hits with the same bars; `keep`
/// gives way (keeps nothing) when told to stop.
#[wasm_bindgen_test]
async fn the_synthetic_market_is_generated_then_kept_by_idle_workers() {
    use technic::engine::run::BarSource;
    use technic::web::sources::SyntheticSource;
    let info = started_pool().await;
    assert!(info.threads > 1, "{info:?}");
    let n = 7; // an odd size: the last symbol has no partner
    let source = SyntheticSource::shared(n);
    // Odd symbols first, so each even one is taken from its pair's slot.
    let first = on_market(&source, |s| loads(s, &[3, 1, 6, 2, 0, 5, 4])).await;
    assert!(
        first.iter().all(|&(_, same, hit)| same && !hit),
        "{first:?}"
    );
    // Told to stop at once, keep keeps nothing.
    on_market(&source, |s| s.keep(|| true)).await;
    let again = on_market(&source, |s| loads(s, &[0])).await;
    assert!(
        again.iter().all(|&(_, same, hit)| same && !hit),
        "{again:?}"
    );
    on_market(&source, |s| s.keep(|| false)).await;
    // Kept: every symbol comes from memory, in parallel, with the same bars
    // (symbol 1 too, made with symbol 0 above and left waiting).
    let kept = on_market(&source, move |s| {
        (0..n)
            .into_par_iter()
            .map(|i| loads(s, &[i])[0])
            .collect::<Vec<_>>()
    })
    .await;
    assert!(kept.iter().all(|&(_, same, _)| same), "{kept:?}");
    assert!(kept.iter().all(|&(_, _, hit)| hit), "{kept:?}");
    assert!(source.load("SYN99999").is_err());
}
