//! The scan run: every symbol once, error rows, stop, auto-stop rules, order,
//! progress counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
        return Err(SymbolError::FetchFailed("HTTP 503".into()));
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
            ("BAD1", Outcome::Error(e)) => assert_eq!(e.to_string(), "fetch failed: HTTP 503"),
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
