//! The scan run: every symbol once, error rows, stop, auto-stop rules, order,
//! progress counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use technic::data::fetch_policy::Failure;
use technic::engine::bars::{Bars, Columns};
use technic::engine::lang::Scan;
use technic::engine::run::{
    self, Clock, Control, Flow, Limits, Loaded, Outcome, Progress, Row, RunOptions, Sink,
    StopReason, Summary, SymbolError, SystemClock,
};

use crate::common::random_walk;

fn bars(seed: u64, n: usize) -> Bars {
    let s = random_walk(seed, n, 50.0, 0.02);
    let mut c = Columns::default();
    for i in 0..n {
        c.push(
            1_600_000_000_000 + i as i64 * 86_400_000,
            s.open[i],
            s.high[i],
            s.low[i],
            s.close[i],
            s.volume[i],
        );
    }
    Bars::new("T", c).expect("generated bars are valid")
}

fn symbols(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("S{i:04}")).collect()
}

/// Bars for `S0007` etc. (seeded by the number); `BAD*` fails, `SHORT*` has 5 bars.
fn source(symbol: &str) -> Result<Loaded, SymbolError> {
    if symbol.starts_with("BAD") {
        return Err(SymbolError::FetchFailed(Failure::HttpStatus(503)));
    }
    let n = if symbol.starts_with("SHORT") { 5 } else { 120 };
    let seed = symbol
        .trim_start_matches(|c: char| c.is_alphabetic())
        .parse()
        .unwrap_or(0);
    Ok(Loaded {
        bars: std::sync::Arc::new(bars(seed, n)),
        from_cache: seed % 2 == 0,
        bytes: 100,
    })
}

#[derive(Default)]
struct Collect {
    rows: Mutex<Vec<Row>>,
    batches: AtomicU64,
}

impl Sink for Collect {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.rows.lock().unwrap().extend(rows);
        Flow::Continue
    }
}

fn scan(expr: &str) -> Scan {
    Scan::compile(expr, &["close".to_string()]).expect("valid scan")
}

fn go(
    scan: &Scan,
    syms: &[String],
    options: &RunOptions,
    control: &Control,
    sink: &dyn Sink,
    threads: usize,
) -> (Summary, Progress) {
    let progress = Progress::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let clock = SystemClock::default();
    let summary = pool.install(|| {
        run::run(
            scan, syms, &source, options, control, &progress, sink, &clock,
        )
    });
    (summary, progress)
}

#[test]
fn every_symbol_is_emitted_exactly_once_with_its_scan_id() {
    let syms = symbols(300);
    let sink = Collect::default();
    let options = RunOptions {
        scan_id: 42,
        ..RunOptions::default()
    };
    let (summary, progress) = go(&scan("true"), &syms, &options, &Control::new(), &sink, 2);
    let rows = sink.rows.into_inner().unwrap();
    assert_eq!(summary.reason, StopReason::Completed);
    assert_eq!(rows.len(), 300);
    let mut orders: Vec<usize> = rows.iter().map(|r| r.order).collect();
    orders.sort_unstable();
    assert_eq!(orders, (0..300).collect::<Vec<_>>());
    assert!(rows
        .iter()
        .all(|r| r.scan_id == 42 && r.symbol == syms[r.order]));
    let p = progress.snapshot();
    assert_eq!(
        (p.universe, p.done, p.matches, p.errors, p.ranked),
        (300, 300, 300, 0, 1)
    );
    assert_eq!(p.cache_hits + p.fetched, 300);
    assert_eq!(p.cache_hits, 150);
    assert_eq!(p.bytes, 300 * 100);
    assert!((p.fraction() - 1.0).abs() < 1e-12);
    assert!(
        sink.batches.load(Ordering::Relaxed) > 1,
        "rows must stream in several batches"
    );
}

#[test]
fn matches_carry_close_change_score_and_columns_at_the_last_bar() {
    let syms = vec!["S0003".to_string()];
    let sink = Collect::default();
    go(
        &scan("true"),
        &syms,
        &RunOptions::default(),
        &Control::new(),
        &sink,
        1,
    );
    let rows = sink.rows.into_inner().unwrap();
    let Outcome::Match(m) = &rows[0].outcome else {
        panic!("expected a match")
    };
    let b = bars(3, 120);
    assert_eq!(m.close, b.close()[119]);
    assert_eq!(m.columns, vec![Some(b.close()[119])]);
    assert!((m.change_pct - (b.close()[119] / b.close()[118] - 1.0) * 100.0).abs() < 1e-12);
    assert_eq!(m.time, b.time()[119]);
    assert_eq!(m.bars, 120);
}

#[test]
fn failing_and_short_symbols_become_error_rows_and_the_scan_goes_on() {
    let mut syms = symbols(20);
    syms.insert(3, "BAD1".into());
    syms.insert(9, "SHORT1".into());
    let sink = Collect::default();
    let (summary, progress) = go(
        &scan("close > sma(close, 20)"),
        &syms,
        &RunOptions::default(),
        &Control::new(),
        &sink,
        2,
    );
    assert_eq!(summary.reason, StopReason::Completed);
    let rows = sink.rows.into_inner().unwrap();
    let errors: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error(_)))
        .collect();
    assert_eq!(errors.len(), 2);
    for r in errors {
        match (&r.symbol[..], &r.outcome) {
            ("BAD1", Outcome::Error(e)) => {
                assert_eq!(e.to_string(), "fetch failed: HTTP 503 Service Unavailable")
            }
            ("SHORT1", Outcome::Error(e)) => {
                assert_eq!(e, &SymbolError::TooShort { need: 20, have: 5 });
                assert!(e.to_string().contains("needs 20 bars"), "{e}");
            }
            other => panic!("unexpected error row {other:?}"),
        }
    }
    let p = progress.snapshot();
    assert_eq!(p.done, 22);
    assert_eq!(p.data_failed, 1);
    assert_eq!(p.errors, 2);
    assert_eq!(p.matches, rows.len() - 2);
    // Not every symbol is above its SMA: the expression really filters.
    assert!(p.matches > 0 && p.matches < 20, "matches {}", p.matches);
}

#[test]
fn each_positions_outcome_is_recorded_for_the_history() {
    let mut syms = symbols(30);
    syms.insert(4, "BAD1".into());
    syms.insert(11, "SHORT1".into());
    let sink = Collect::default();
    let (_, progress) = go(
        &scan("close > sma(close, 20)"),
        &syms,
        &RunOptions::default(),
        &Control::new(),
        &sink,
        2,
    );
    let outcomes = progress.outcomes();
    assert_eq!(outcomes.len(), syms.len());
    // Errors (a failed fetch, too few bars) are not trials.
    assert_eq!(outcomes[4], None);
    assert_eq!(outcomes[11], None);
    let matched: Vec<&str> = sink
        .rows
        .into_inner()
        .unwrap()
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Match(_)))
        .map(|r| syms[r.order].as_str())
        .collect();
    for (i, o) in outcomes.iter().enumerate() {
        if i == 4 || i == 11 {
            continue;
        }
        assert_eq!(
            *o,
            Some(matched.contains(&syms[i].as_str())),
            "{}: a match exactly when a row says so",
            syms[i]
        );
    }
    assert!(outcomes.contains(&Some(false)) && outcomes.contains(&Some(true)));
}

#[test]
fn a_match_past_the_match_limit_still_counts_as_matched_and_unreached_ones_as_unknown() {
    let sink = Collect::default();
    let options = RunOptions {
        limits: Limits {
            max_matches: Some(3),
            ..Limits::default()
        },
        chunk: 1,
        ..RunOptions::default()
    };
    let (_, progress) = go(
        &scan("true"),
        &symbols(200),
        &options,
        &Control::new(),
        &sink,
        1,
    );
    let outcomes = progress.outcomes();
    let matched = outcomes.iter().filter(|o| **o == Some(true)).count();
    assert_eq!(sink.rows.into_inner().unwrap().len(), 3);
    assert!(matched >= 3, "every evaluated symbol matched: {matched}");
    assert!(outcomes.contains(&None), "the stop cut the rest off");
    assert!(!outcomes.contains(&Some(false)));
}

/// A sink that raises the stop flag after its first batch, and records
/// whether any row arrived after that.
struct StopAfterFirst<'a> {
    control: &'a Control,
    rows: Mutex<Vec<Row>>,
    after_stop: AtomicU64,
}

impl Sink for StopAfterFirst<'_> {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        if self.control.is_stopped() {
            self.after_stop
                .fetch_add(rows.len() as u64, Ordering::Relaxed);
        }
        self.rows.lock().unwrap().extend(rows);
        self.control.stop();
        Flow::Continue
    }
}

#[test]
fn stop_keeps_the_rows_found_and_emits_nothing_after() {
    let syms = symbols(5_000);
    let control = Control::new();
    let sink = StopAfterFirst {
        control: &control,
        rows: Mutex::new(vec![]),
        after_stop: AtomicU64::new(0),
    };
    let options = RunOptions {
        chunk: 1,
        ..RunOptions::default()
    };
    let (summary, progress) = go(&scan("true"), &syms, &options, &control, &sink, 2);
    assert_eq!(summary.reason, StopReason::User);
    let rows = sink.rows.into_inner().unwrap();
    assert!(!rows.is_empty() && rows.len() < 10, "rows {}", rows.len());
    assert_eq!(sink.after_stop.load(Ordering::Relaxed), 0);
    assert!(
        progress.snapshot().done < 100,
        "the producers really stopped"
    );
    assert_eq!(
        progress.snapshot().matches,
        rows.len(),
        "counters match emitted rows"
    );
}

#[test]
fn a_sink_can_answer_stop() {
    struct One;
    impl Sink for One {
        fn batch(&self, _rows: Vec<Row>) -> Flow {
            Flow::Stop
        }
    }
    let (summary, progress) = go(
        &scan("true"),
        &symbols(1_000),
        &RunOptions::default(),
        &Control::new(),
        &One,
        2,
    );
    assert_eq!(summary.reason, StopReason::Sink);
    assert!(progress.snapshot().done < 1_000);
}

#[test]
fn max_matches_emits_exactly_that_many_rows() {
    for threads in [1, 2] {
        let sink = Collect::default();
        let options = RunOptions {
            limits: Limits {
                max_matches: Some(7),
                ..Limits::default()
            },
            chunk: 3,
            ..RunOptions::default()
        };
        let (summary, progress) = go(
            &scan("true"),
            &symbols(500),
            &options,
            &Control::new(),
            &sink,
            threads,
        );
        assert_eq!(summary.reason, StopReason::MaxMatches);
        assert_eq!(
            sink.rows.into_inner().unwrap().len(),
            7,
            "threads {threads}"
        );
        assert_eq!(progress.snapshot().matches, 7);
    }
}

#[test]
fn max_symbols_takes_the_first_symbols_in_order() {
    let sink = Collect::default();
    let options = RunOptions {
        limits: Limits {
            max_symbols: Some(25),
            ..Limits::default()
        },
        ..RunOptions::default()
    };
    let (summary, progress) = go(
        &scan("true"),
        &symbols(500),
        &options,
        &Control::new(),
        &sink,
        2,
    );
    assert_eq!(summary.reason, StopReason::MaxSymbols);
    let mut orders: Vec<usize> = sink
        .rows
        .into_inner()
        .unwrap()
        .iter()
        .map(|r| r.order)
        .collect();
    orders.sort_unstable();
    assert_eq!(orders, (0..25).collect::<Vec<_>>());
    assert_eq!(progress.snapshot().done, 25);
}

/// A clock that advances one second every time it is read.
struct Ticking(AtomicU64);

impl Clock for Ticking {
    fn now_secs(&self) -> f64 {
        self.0.fetch_add(1, Ordering::Relaxed) as f64
    }
}

#[test]
fn max_seconds_stops_on_the_clock_it_is_given() {
    let sink = Collect::default();
    let options = RunOptions {
        limits: Limits {
            max_seconds: Some(10.0),
            ..Limits::default()
        },
        chunk: 1,
        ..RunOptions::default()
    };
    let progress = Progress::default();
    let control = Control::new();
    let syms = symbols(1_000);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let clock = Ticking(AtomicU64::new(0));
    let summary = pool.install(|| {
        run::run(
            &scan("true"),
            &syms,
            &source,
            &options,
            &control,
            &progress,
            &sink,
            &clock,
        )
    });
    assert_eq!(summary.reason, StopReason::MaxSeconds);
    let done = progress.snapshot().done;
    assert!((5..=12).contains(&done), "done {done}");
    assert_eq!(sink.rows.into_inner().unwrap().len(), done);
}

#[test]
fn one_worker_follows_the_given_priority_order() {
    let sink = Collect::default();
    let mut syms = symbols(50);
    syms.reverse();
    let options = RunOptions {
        chunk: 1,
        ..RunOptions::default()
    };
    go(&scan("true"), &syms, &options, &Control::new(), &sink, 1);
    let rows = sink.rows.into_inner().unwrap();
    let got: Vec<&str> = rows.iter().map(|r| r.symbol.as_str()).collect();
    let want: Vec<&str> = syms.iter().map(String::as_str).collect();
    assert_eq!(got, want);
}

#[test]
fn lookback_keeps_only_the_newest_bars() {
    let sink = Collect::default();
    let options = RunOptions {
        lookback: Some(30),
        ..RunOptions::default()
    };
    go(
        &scan("true"),
        &["S0001".to_string()],
        &options,
        &Control::new(),
        &sink,
        1,
    );
    let rows = sink.rows.into_inner().unwrap();
    let Outcome::Match(m) = &rows[0].outcome else {
        panic!("expected a match")
    };
    assert_eq!(m.bars, 30);
}

/// A clock the test sets by hand (seconds).
struct Manual(AtomicU64);

impl Clock for Manual {
    fn now_secs(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64
    }
}

/// Hands out one position per call (a slice of one symbol), then says
/// "nothing ready" until the next slice.
struct OnePerSlice {
    next: AtomicU64,
    handed_this_slice: std::sync::atomic::AtomicBool,
}

impl run::Queue for OnePerSlice {
    fn next_batch(&self, _max: usize, out: &mut Vec<usize>) -> bool {
        out.clear();
        if self.handed_this_slice.swap(true, Ordering::Relaxed) {
            return false;
        }
        out.push(self.next.fetch_add(1, Ordering::Relaxed) as usize);
        true
    }
}

/// Regression (review §3F): the single-threaded build restarted the time
/// limit for every slice, so `max_seconds` never fired there.
#[test]
fn a_run_driven_in_slices_counts_its_time_limit_from_its_start() {
    let sink = Collect::default();
    let options = RunOptions {
        limits: Limits {
            max_seconds: Some(10.0),
            ..Limits::default()
        },
        chunk: 1,
        ..RunOptions::default()
    };
    let (control, progress) = (Control::new(), Progress::default());
    let syms = symbols(100);
    let clock = Manual(AtomicU64::new(0));
    let compiled = scan("true");
    let r = run::Run::new(
        &compiled, &syms, &source, &options, &control, &progress, &sink, &clock,
    );
    let queue = OnePerSlice {
        next: AtomicU64::new(0),
        handed_this_slice: Default::default(),
    };
    // Each slice takes 3 s of wall time: the limit is crossed in slice 4.
    for _ in 0..10 {
        queue.handed_this_slice.store(false, Ordering::Relaxed);
        r.work(&queue);
        clock.0.fetch_add(3, Ordering::Relaxed);
    }
    let summary = r.finish();
    assert_eq!(summary.reason, StopReason::MaxSeconds);
    assert_eq!(
        progress.snapshot().done,
        4,
        "slices at 0, 3, 6, 9 s ran; 12 s did not"
    );
    assert_eq!(summary.seconds, 30.0);
}

#[test]
fn a_queue_decides_the_order_symbols_are_computed_in() {
    struct Reverse(std::sync::Mutex<Vec<usize>>);
    impl run::Queue for Reverse {
        fn next_batch(&self, _max: usize, out: &mut Vec<usize>) -> bool {
            out.clear();
            out.extend(self.0.lock().unwrap().pop());
            !out.is_empty()
        }
    }
    let sink = Collect::default();
    let syms = symbols(5);
    let (control, progress, clock) = (Control::new(), Progress::default(), SystemClock::default());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let queue = Reverse(std::sync::Mutex::new((0..5).collect()));
    pool.install(|| {
        run::run_queued(
            &scan("true"),
            &syms,
            &source,
            &queue,
            &RunOptions {
                chunk: 1,
                ..RunOptions::default()
            },
            &control,
            &progress,
            &sink,
            &clock,
        )
    });
    let orders: Vec<usize> = sink
        .rows
        .into_inner()
        .unwrap()
        .iter()
        .map(|r| r.order)
        .collect();
    assert_eq!(orders, [4, 3, 2, 1, 0]);
}

/// Regression (review §3F): a panic on a worker left the scan running with
/// no end; now the symbol is an error row and the scan completes.
#[test]
fn a_panic_while_computing_a_symbol_is_its_error_row_and_the_scan_completes() {
    let boom = |symbol: &str| -> Result<Loaded, SymbolError> {
        if symbol == "S0003" {
            panic!("kaboom in {symbol}");
        }
        source(symbol)
    };
    let sink = Collect::default();
    let syms = symbols(8);
    let (control, progress, clock) = (Control::new(), Progress::default(), SystemClock::default());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let summary = pool.install(|| {
        run::run(
            &scan("true"),
            &syms,
            &boom,
            &RunOptions::default(),
            &control,
            &progress,
            &sink,
            &clock,
        )
    });
    assert_eq!(summary.reason, StopReason::Completed);
    let rows = sink.rows.into_inner().unwrap();
    assert_eq!(rows.len(), 8, "every symbol has its row");
    let bad = rows.iter().find(|r| r.symbol == "S0003").unwrap();
    match &bad.outcome {
        Outcome::Error(e @ SymbolError::Panicked(m)) => {
            assert!(m.contains("kaboom in S0003"), "{m}");
            assert_eq!(e.kind(), "internal");
        }
        other => panic!("expected a panic row, got {other:?}"),
    }
    assert_eq!(progress.snapshot().done, 8);
}

/// Regression (review §3F): `flush` read the stop reason and then handed
/// the batch over, so a stop in between still let a batch out. Now a user
/// stop waits for a batch in hand-over and none starts after it returns.
#[test]
fn no_batch_reaches_the_sink_after_stop_returns() {
    use std::sync::atomic::AtomicBool;
    struct Watch {
        stopped: AtomicBool,
        late: AtomicU64,
        control: std::sync::Arc<Control>,
        batches: AtomicU64,
    }
    impl Sink for Watch {
        fn batch(&self, _rows: Vec<Row>) -> Flow {
            if self.stopped.load(Ordering::SeqCst) {
                self.late.fetch_add(1, Ordering::SeqCst);
            }
            // Stop from another thread while this batch is being handed over.
            if self.batches.fetch_add(1, Ordering::SeqCst) == 3 {
                let control = self.control.clone();
                let stopper = std::thread::spawn(move || control.stop());
                std::thread::sleep(std::time::Duration::from_millis(20));
                assert!(
                    !stopper.is_finished(),
                    "stop waits for the batch in hand-over"
                );
                // `stopped` is raised by the stopper only after stop() returns.
                let _ = stopper;
            }
            Flow::Continue
        }
    }
    let control = std::sync::Arc::new(Control::new());
    let sink = Watch {
        stopped: AtomicBool::new(false),
        late: AtomicU64::new(0),
        control: control.clone(),
        batches: AtomicU64::new(0),
    };
    let syms = symbols(400);
    let (progress, clock) = (Progress::default(), SystemClock::default());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let compiled = scan("true");
    let options = RunOptions {
        chunk: 1,
        ..RunOptions::default()
    };
    pool.install(|| {
        rayon::scope(|s| {
            s.spawn(|_| {
                run::run(
                    &compiled, &syms, &source, &options, &control, &progress, &sink, &clock,
                );
            });
            // Once stop() has returned, mark it: any batch after that is late.
            s.spawn(|_| {
                while !control.is_stopped() {
                    std::thread::yield_now();
                }
                control.stop(); // returns once no batch is in hand-over
                sink.stopped.store(true, Ordering::SeqCst);
            });
        });
    });
    assert_eq!(
        sink.late.load(Ordering::SeqCst),
        0,
        "a batch came after stop returned"
    );
    assert_eq!(control.reason(), Some(StopReason::User));
}
