//! How fast the synthetic market is generated natively (`data::synthetic::bars`),
//! per thread and on all threads: the cold part of a synthetic scan. A plain
//! example binary (no test), so it can be built at two commits and run side by
//! side. Imports no browser crate.
//!
//! `cargo run --release --example synthetic_speed`. Options (env):
//! BENCH_SYMBOLS (5000), BENCH_BARS (300), BENCH_ROUNDS (5). Prints one JSON
//! line per figure and a readable line.

use std::hint::black_box;
use std::time::Instant;

use rayon::prelude::*;
use technic::data::synthetic;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds to generate symbols `0..n` of `len` bars, on the calling thread
/// (`threads == 1`) or on rayon's pool.
fn generate(n: usize, len: usize, threads: usize) -> f64 {
    let t = Instant::now();
    let bars: usize = if threads == 1 {
        (0..n)
            .map(|i| black_box(synthetic::bars(7, i, len)).len())
            .sum()
    } else {
        (0..n)
            .into_par_iter()
            .map(|i| black_box(synthetic::bars(7, i, len)).len())
            .sum()
    };
    assert_eq!(bars, n * len);
    t.elapsed().as_secs_f64()
}

fn main() {
    let n = env("BENCH_SYMBOLS", 5000);
    let len = env("BENCH_BARS", 300);
    let rounds = env("BENCH_ROUNDS", 5).max(1);
    let all = std::thread::available_parallelism().map_or(1, |p| p.get());
    generate(n.min(200), len, 1); // warm-up
    for threads in [1, all] {
        let secs = median((0..rounds).map(|_| generate(n, len, threads)).collect());
        let symbols_per_s = n as f64 / secs;
        let bars_per_s = (n * len) as f64 / secs;
        println!(
            "{{\"name\":\"synthetic.generate.symbols_per_s\",\"threads\":{threads},\"value\":{symbols_per_s:.0},\"unit\":\"symbols/s\"}}"
        );
        println!(
            "synthetic {n} × {len} on {threads} thread(s): {:.1} ms, {symbols_per_s:.0} symbols/s, {:.2} M bars/s ({:.0} ns/bar per thread)",
            secs * 1e3,
            bars_per_s / 1e6,
            secs * 1e9 * threads as f64 / (n * len) as f64,
        );
    }
}
