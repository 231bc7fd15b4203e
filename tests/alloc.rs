//! A scan allocates nothing per bar (issue 12, memory): the number of heap
//! allocations of a whole scan run is the same over 300-bar and 3,000-bar
//! series, so every buffer is sized once per symbol (or per worker), never
//! grown or made bar by bar. Counted with a counting global allocator, which
//! is why this is a test binary of its own; one worker, so the count is
//! deterministic. Bytes are not compared (longer series need bigger buffers).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use technic::data::synthetic;
use technic::engine::backtest;
use technic::engine::bars::Bars;
use technic::engine::lang::Scan;
use technic::engine::run::{
    self, Control, Flow, Loaded, Progress, Row, RunOptions, Sink, SymbolError, SystemClock,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Rows;

impl Sink for Rows {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        drop(rows);
        Flow::Continue
    }
}

/// SPEC §6's kind of scan: many indicators, the Technic score, display
/// columns; never true, so no rows are made (rows are per match, not per bar).
// `adx` with `plus_di`, and `bb_lower` with `sma(close, 20)`, run as fused plan steps.
const EXPR: &str = "sma(close, 50) > sma(close, 200) and rsi(14) < 0 and macd_hist(12, 26, 9) > 0 \
     and adx(14) > 25 and bb_lower(20, 2) > 0 and atr(14) > 0 and mfi(14) > 0 \
     and sar(0.02, 0.2) > 0 and cdl_engulfing() > 0 and stoch_k(14, 3, 3) > 0 and tech_rating > 0 \
     and plus_di(14) > 0 and sma(close, 20) > 0";

/// Allocations of one whole run over `symbols` series of `bars` bars (the
/// bars themselves made before counting).
fn allocations_of_a_run(symbols: usize, bars: usize) -> usize {
    let scan = Scan::compile(EXPR, &["ema(close, 20)".to_string(), "obv()".to_string()])
        .expect("the scan compiles");
    let series: Vec<Arc<Bars>> = (0..symbols)
        .map(|i| Arc::new(synthetic::bars(7, i, bars)))
        .collect();
    let names: Vec<String> = (0..symbols).map(synthetic::symbol_name).collect();
    let load = |symbol: &str| -> Result<Loaded, SymbolError> {
        let i = names
            .iter()
            .position(|n| n == symbol)
            .ok_or(SymbolError::NoData)?;
        Ok(Loaded {
            bars: series[i].clone(),
            from_cache: true,
            bytes: 0,
        })
    };
    let options = RunOptions {
        chunk: 1,
        ..RunOptions::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    pool.install(|| {
        let (control, progress) = (Control::new(), Progress::default());
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let summary = run::run(
            &scan,
            &names,
            &load,
            &options,
            &control,
            &progress,
            &Rows,
            &SystemClock::default(),
        );
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(summary.progress.done, symbols, "every symbol was computed");
        assert_eq!(summary.progress.matches, 0);
        after - before
    })
}

/// Allocations of one backtest of a scan that reads the Technic fields at
/// every bar and is never true (so no signal is recorded: signals are per
/// run of true bars, not per bar), over `symbols` series of `bars` bars.
fn allocations_of_a_backtest(symbols: usize, bars: usize) -> usize {
    let scan = Scan::compile(
        "tech_rating > 100 or signal = \"Strong Short\" and signal != \"Strong Short\"",
        &[],
    )
    .expect("the scan compiles");
    let series: Vec<Bars> = (0..symbols).map(|i| synthetic::bars(7, i, bars)).collect();
    let names: Vec<String> = (0..symbols).map(synthetic::symbol_name).collect();
    let universe: Vec<(&str, &Bars)> = names.iter().map(String::as_str).zip(&series).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    pool.install(|| {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let report = backtest::backtest(&scan, &universe, &backtest::Options::default())
            .expect("the backtest runs");
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(report.signals.len(), 0);
        after - before
    })
}

// One test function: the counter is global, and the harness runs tests on
// several threads at once.
#[test]
fn a_scan_allocates_per_symbol_never_per_bar() {
    let short = allocations_of_a_run(20, 300);
    let long = allocations_of_a_run(20, 3_000);
    let more = allocations_of_a_run(40, 300);
    eprintln!(
        "allocations of a run: 20 symbols × 300 bars {short}, × 3,000 bars {long}; 40 × 300 {more}"
    );
    assert_eq!(
        long, short,
        "allocations depend on the series length: {short} over 300 bars, {long} over 3,000"
    );
    // 20 more symbols: a bounded number each, whatever their length.
    let per_symbol = (more - short) as f64 / 20.0;
    assert!(
        (0.0..64.0).contains(&per_symbol),
        "{per_symbol} allocations per symbol ({short} for 20 symbols, {more} for 40)"
    );
    a_backtest_allocates_per_symbol_never_per_bar();
}

/// A backtest allocates per symbol (and per year of its bars: its yearly
/// tables), never per bar: the allocations each of 20 more symbols adds
/// grow by fewer than one per 100 bars from 300 to 3,000 bars (the Technic
/// fields at every bar included: the score's series once per symbol, its
/// fields without the trade plan or the tags, which had been one or two
/// allocations a bar). Called from the one test function.
fn a_backtest_allocates_per_symbol_never_per_bar() {
    let [a, b, c, d] = [(20, 300), (40, 300), (20, 3_000), (40, 3_000)]
        .map(|(symbols, bars)| allocations_of_a_backtest(symbols, bars));
    eprintln!(
        "allocations of a backtest: 20 / 40 symbols × 300 bars {a} / {b}; × 3,000 bars {c} / {d}"
    );
    let (short, long) = ((b - a) as f64 / 20.0, (d - c) as f64 / 20.0);
    assert!(
        long - short < 2_700.0 / 100.0,
        "allocations per symbol grow with its bars: {short} over 300 bars, {long} over 3,000"
    );
}
