//! Benchmark (b): the Technic score over a synthetic universe (default 5,000
//! symbols × 300 bars), in symbols per second on 1 thread and on all threads;
//! also a whole scan run (`run::run` with a typical expression and columns).
//!
//! `cargo bench --bench score`. Options (env): BENCH_SYMBOLS (5000),
//! BENCH_BARS (300), BENCH_ROUNDS (5). Bars are generated before timing.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use technic::data::synthetic;
use technic::engine::bars::Bars;
use technic::engine::lang::Scan;
use technic::engine::run::{
    self, Control, Flow, Loaded, Progress, Row, RunOptions, Sink, SymbolError, SystemClock,
};
use technic::engine::score::{self, Settings};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Count(AtomicUsize);

impl Sink for Count {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        self.0.fetch_add(rows.len(), Ordering::Relaxed);
        Flow::Continue
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let n = env("BENCH_SYMBOLS", 5000);
    let len = env("BENCH_BARS", 300);
    let rounds = env("BENCH_ROUNDS", 5);
    let all = std::thread::available_parallelism().map_or(1, |p| p.get());
    let universe: Vec<Arc<Bars>> = (0..n)
        .into_par_iter()
        .map(|i| Arc::new(synthetic::bars(7, i, len)))
        .collect();
    let names: Vec<String> = (0..n).map(synthetic::symbol_name).collect();
    let settings = Settings::default();
    let expr = "macd_hist(12, 26, 9) > 0 and adx(14) > 20 and tech_rating >= 0";
    // The web app's synthetic market (seed 7), scan and default columns, so
    // `node scripts/bench-browser.mjs` compares like with like.
    let columns: Vec<String> = ["sma(close, 50)", "rsi(14)"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let scan = Scan::compile(expr, &columns).expect("benchmark scan compiles");
    println!("Technic score: {n} synthetic symbols x {len} bars, {rounds} rounds, median; {all} hardware threads");
    let mut one = 0.0;
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let mut times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let total: f64 = pool.install(|| {
                universe
                    .par_iter()
                    .map(|b| score::score(black_box(b), &settings).tech_rating)
                    .filter(|x| x.is_finite())
                    .sum()
            });
            black_box(total);
            times.push(t.elapsed().as_secs_f64());
        }
        let secs = median(&mut times);
        if threads == 1 {
            one = secs;
        }
        println!(
            "score only     {threads:>2} thread(s): {:>9.0} symbols/s  ({:.1} ms)  speed-up {:.2}x",
            n as f64 / secs,
            secs * 1e3,
            one / secs
        );
    }
    let source = |s: &str| -> Result<Loaded, SymbolError> {
        let i: usize = s
            .trim_start_matches("SYN")
            .parse()
            .map_err(|_| SymbolError::NoData)?;
        Ok(Loaded {
            bars: universe[i].clone(),
            from_cache: true,
            bytes: 0,
        })
    };
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..rounds {
            let sink = Count(AtomicUsize::new(0));
            let (control, progress, clock) =
                (Control::new(), Progress::default(), SystemClock::default());
            let t = Instant::now();
            pool.install(|| {
                run::run(
                    &scan,
                    &names,
                    &source,
                    &RunOptions::default(),
                    &control,
                    &progress,
                    &sink,
                    &clock,
                )
            });
            times.push(t.elapsed().as_secs_f64());
            rows = sink.0.load(Ordering::Relaxed);
        }
        let secs = median(&mut times);
        if threads == 1 {
            one = secs;
        }
        println!("scan run       {threads:>2} thread(s): {:>9.0} symbols/s  ({:.1} ms, {rows} matches)  speed-up {:.2}x", n as f64 / secs, secs * 1e3, one / secs);
    }
    println!("scan: `{expr}` with columns {columns:?}");
}
