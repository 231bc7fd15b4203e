//! Benchmark (b): the Technic score over a synthetic universe (default 5,000
//! symbols × 300 bars), in symbols per second on 1 thread and on all threads;
//! also a whole scan run (`run::run` with a typical expression and columns).
//!
//! `cargo bench --bench score`. Options (env): BENCH_SYMBOLS (5000),
//! BENCH_BARS (300), BENCH_ROUNDS (5), BENCH_EXPR (the scan run's
//! expression; the page's benchmark scan by default). Bars are generated before timing.
//! After the table, one JSON line per figure (`{"name", "value", "unit"}`, read
//! by scripts/bench.sh): `score.symbols_per_s.1t`/`.all`, `scan.native.ms.1t`/
//! `.all`, and the physical floor: a memcpy of 64 MB timed on 1 thread and on
//! all (`floor.memcpy_gb_s.*`), and `floor.scan_ms`, one pass over the
//! universe's bars (6 f64 = 48 B a bar) at the faster of the two.

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
    let expr = std::env::var("BENCH_EXPR").unwrap_or_else(|_| {
        "macd_hist(12, 26, 9) > 0 and adx(14) > 20 and tech_rating >= 0".to_string()
    });
    // The web app's synthetic market (seed 7), scan and default columns, so
    // `node scripts/bench-browser.mjs` compares like with like.
    let columns: Vec<String> = ["sma(close, 50)", "rsi(14)"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let scan = Scan::compile(&expr, &columns).expect("benchmark scan compiles");
    println!("Technic score: {n} synthetic symbols x {len} bars, {rounds} rounds, median; {all} hardware threads");
    let mut one = 0.0;
    let mut figures: Vec<(String, f64, &str)> = Vec::new();
    let tag = |threads: usize| if threads == 1 { "1t" } else { "all" };
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
        figures.push((
            format!("score.symbols_per_s.{}", tag(threads)),
            n as f64 / secs,
            "symbols/s",
        ));
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
    // The thread counts take turns round after round (a slow stretch on a
    // shared machine then hits both alike), each keeping its median.
    let counts = [1, all];
    let pools: Vec<rayon::ThreadPool> = counts
        .iter()
        .map(|&threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
        })
        .collect();
    let mut times = vec![Vec::new(); counts.len()];
    let mut rows = 0;
    for _ in 0..rounds {
        for (k, pool) in pools.iter().enumerate() {
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
            times[k].push(t.elapsed().as_secs_f64());
            rows = sink.0.load(Ordering::Relaxed);
        }
    }
    for (k, &threads) in counts.iter().enumerate() {
        let secs = median(&mut times[k]);
        if threads == 1 {
            one = secs;
        }
        figures.push((format!("scan.native.ms.{}", tag(threads)), secs * 1e3, "ms"));
        figures.push((
            format!("scan.native.symbols_per_s.{}", tag(threads)),
            n as f64 / secs,
            "symbols/s",
        ));
        println!("scan run       {threads:>2} thread(s): {:>9.0} symbols/s  ({:.1} ms, {rows} matches)  speed-up {:.2}x", n as f64 / secs, secs * 1e3, one / secs);
    }
    println!("scan: `{expr}` with columns {columns:?}");
    let bar_bytes = universe.iter().map(|b| b.len()).sum::<usize>() * 6 * 8;
    let (bw1, bw_all) = (memcpy_bandwidth(1, rounds), memcpy_bandwidth(all, rounds));
    let floor_ms = bar_bytes as f64 / bw1.max(bw_all) * 1e3;
    println!(
        "floor: memcpy {:.1} GB/s on 1 thread, {:.1} GB/s on {all}; one pass over {:.1} MB of bars = {floor_ms:.2} ms",
        bw1 / 1e9,
        bw_all / 1e9,
        bar_bytes as f64 / 1e6
    );
    figures.push(("floor.memcpy_gb_s.1t".into(), bw1 / 1e9, "GB/s"));
    figures.push(("floor.memcpy_gb_s.all".into(), bw_all / 1e9, "GB/s"));
    figures.push(("floor.scan_ms".into(), floor_ms, "ms"));
    for (name, value, unit) in figures {
        let value = if value.is_finite() {
            format!("{value:.4}")
        } else {
            "null".to_string()
        };
        println!("{{\"name\":{name:?},\"value\":{value},\"unit\":{unit:?}}}");
    }
}

/// Bytes per second copied by `threads` threads, each copying its share of a
/// 64 MB buffer (median of `rounds`, after a round that faults the pages in).
fn memcpy_bandwidth(threads: usize, rounds: usize) -> f64 {
    const BYTES: usize = 64 << 20;
    let src = vec![1u8; BYTES];
    let mut dst = vec![0u8; BYTES];
    let chunk = BYTES.div_ceil(threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let mut times = Vec::new();
    for round in 0..=rounds {
        let t = Instant::now();
        pool.install(|| {
            dst.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .for_each(|(d, s)| d.copy_from_slice(black_box(s)));
        });
        black_box(&dst);
        if round > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    BYTES as f64 / median(&mut times)
}
