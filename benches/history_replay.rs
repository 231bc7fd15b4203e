//! Benchmark (issue 9): replays daily rescans over history and prints the
//! fetch rank (1-based) of the first and the 10th match for each fetch
//! order: learned (history + the scan on yesterday's cached bars; with the
//! cache cleared the history's latest results say the same here, since the
//! replay runs every day), counts-only (an ablation: Thompson draws over the
//! decayed counts, without the latest results, margins or stale bars),
//! universe order, random order (mean of 20 seeds) and volume-first
//! (yesterday's volume, descending). Day d is
//! ordered by what was known before d only: history of days < d and bars
//! through d − 1; then day d's outcomes are recorded. With a fetch-bound
//! scan (one request per symbol at a fixed rate), time to the k-th match is
//! rank × the request interval, so ranks are the figures that matter.
//!
//! `cargo bench --bench history_replay`. Options (env): BENCH_SYMBOLS (1000
//! synthetic symbols), BENCH_BARS (400), BENCH_DAYS (40 measured days),
//! BENCH_WARMUP (10 days recorded before measuring), BENCH_SAMPLE_DAYS (500).
//! Markets: the synthetic one (`technic::data::synthetic`, seed 7: not real
//! prices) and the bundled sample (www/data/*.csv, 5 symbols: too few for a
//! 10th match, so only first-match ranks there). Prints one JSON line per
//! (market, scan, order), then a table.

use std::collections::HashMap;

use technic::data::csv::read_bars;
use technic::data::history::{
    rank, Candidate, Features, Fingerprint, History, MarginScan, Order, RunRecord, StaleEval,
    SymbolOutcome,
};
use technic::data::synthetic;
use technic::engine::bars::Bars;
use technic::engine::score::Settings;

const SCANS: [&str; 3] = [
    "rsi(14) < 30",
    "rsi(14) < 25 and close < sma(close, 50)",
    "close crosses above sma(close, 20)",
];
const RANDOM_SEEDS: u64 = 20;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Market {
    name: &'static str,
    symbols: Vec<String>,
    bars: Vec<Bars>,
}

/// Ranks of the 1st and 10th match on one day (`None`: fewer matches), and
/// the share of the day's matches found in the first quarter of the queue.
#[derive(Default, Clone, Copy)]
struct DayRanks {
    first: Option<f64>,
    tenth: Option<f64>,
    quarter: Option<f64>,
}

fn ranks(order: &[usize], matched: &[bool]) -> DayRanks {
    let hits: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(_, &i)| matched[i])
        .map(|(r, _)| r + 1)
        .collect();
    let q = order.len().div_ceil(4);
    DayRanks {
        first: hits.first().map(|&r| r as f64),
        tenth: hits.get(9).map(|&r| r as f64),
        quarter: (!hits.is_empty())
            .then(|| hits.iter().filter(|&&r| r <= q).count() as f64 / hits.len() as f64),
    }
}

#[derive(Default)]
struct Tally {
    first: Vec<f64>,
    tenth: Vec<f64>,
    quarter: Vec<f64>,
    days: usize,
}

impl Tally {
    fn add(&mut self, d: DayRanks) {
        self.days += 1;
        self.first.extend(d.first);
        self.tenth.extend(d.tenth);
        self.quarter.extend(d.quarter);
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn median(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    })
}

fn json(v: Option<f64>) -> String {
    v.map_or("null".into(), |x| format!("{x:.2}"))
}

fn cell(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{x:.1}"))
}

const ORDERS: [&str; 5] = ["learned", "counts-only", "universe", "random", "volume"];

struct Report {
    market: &'static str,
    scan: &'static str,
    symbols: usize,
    tallies: Vec<Tally>,
    match_error: Vec<f64>,
    mean_matches: f64,
    /// The history's encoded size, its (scan, symbol) entries and runs, and
    /// the encode and decode times (ms) at the end of the replay.
    bytes: usize,
    entries: usize,
    runs: usize,
    encode_ms: f64,
    decode_ms: f64,
}

fn replay(m: &Market, expr: &'static str, days: usize, warmup: usize) -> Report {
    let settings = Settings::default();
    let scan = MarginScan::compile(expr).expect("the bench scans compile");
    let evals: Vec<Vec<StaleEval>> = m
        .bars
        .iter()
        .map(|b| scan.eval_each(b, &mut scan.workspace(), &settings))
        .collect();
    let index: Vec<HashMap<i64, usize>> = m
        .bars
        .iter()
        .map(|b| b.time().iter().enumerate().map(|(i, &t)| (t, i)).collect())
        .collect();
    let longest = m.bars.iter().max_by_key(|b| b.len()).expect("a market");
    let total = (days + warmup).min(longest.len().saturating_sub(2));
    let day_times = &longest.time()[longest.len() - total..];
    let fp = Fingerprint::new(&scan.scan().display(), m.name, "1d");
    let mut history = History::default();
    let mut tallies: Vec<Tally> = ORDERS.iter().map(|_| Tally::default()).collect();
    let (mut match_error, mut match_days, mut match_sum) = (Vec::new(), 0usize, 0.0);
    for (k, &t) in day_times.iter().enumerate() {
        // Today's universe: symbols with a bar today and one before it.
        let present: Vec<(usize, usize)> = (0..m.bars.len())
            .filter_map(|s| index[s].get(&t).filter(|&&i| i > 0).map(|&i| (s, i)))
            .collect();
        let matched: Vec<bool> = present
            .iter()
            .map(|&(s, i)| evals[s][i].matched == Some(true))
            .collect();
        let names: Vec<&str> = present
            .iter()
            .map(|&(s, _)| m.symbols[s].as_str())
            .collect();
        let stale: Vec<Candidate> = present
            .iter()
            .zip(&names)
            .map(|(&(s, i), name)| Candidate::with_stale(name, 1, &evals[s][i - 1]))
            .collect();
        let cold: Vec<Candidate> = names.iter().map(|n| Candidate::new(n, 1)).collect();
        let past = history.scan(fp);
        let prediction = history.predict(fp, &Features::default(), &names);
        if k >= warmup {
            let seed = k as u64;
            let learned = rank(Order::Learned, past, &stale, seed);
            let counts_only = past.map(|h| {
                let mut h = h.clone();
                h.after_class = Default::default();
                for st in h.symbols.values_mut() {
                    (st.last_result, st.last_margin) = (None, None);
                }
                h
            });
            let learned_h = rank(Order::Learned, counts_only.as_ref(), &cold, seed);
            let universe = rank(Order::Universe, past, &cold, seed);
            let mut volume: Vec<usize> = (0..present.len()).collect();
            let vol = |j: usize| {
                let (s, i) = present[j];
                m.bars[s].volume()[i - 1]
            };
            volume.sort_by(|&a, &b| vol(b).total_cmp(&vol(a)));
            tallies[0].add(ranks(&learned, &matched));
            tallies[1].add(ranks(&learned_h, &matched));
            tallies[2].add(ranks(&universe, &matched));
            // Random: the mean over seeds of each day's ranks.
            let draws: Vec<DayRanks> = (0..RANDOM_SEEDS)
                .map(|s| ranks(&rank(Order::Random, None, &cold, 1000 * seed + s), &matched))
                .collect();
            let avg = |f: fn(&DayRanks) -> Option<f64>| {
                let v: Vec<f64> = draws.iter().filter_map(f).collect();
                (v.len() == draws.len()).then(|| mean(&v)).flatten()
            };
            tallies[3].add(DayRanks {
                first: avg(|d| d.first),
                tenth: avg(|d| d.tenth),
                quarter: avg(|d| d.quarter),
            });
            tallies[4].add(ranks(&volume, &matched));
            let actual = matched.iter().filter(|&&x| x).count() as f64;
            if let Some(p) = prediction.matches {
                match_error.push((p - actual).abs() / actual.max(1.0));
            }
            match_days += 1;
            match_sum += actual;
        }
        let outcomes: Vec<SymbolOutcome> = present
            .iter()
            .zip(&names)
            .map(|(&(s, i), name)| SymbolOutcome {
                symbol: name.to_string(),
                matched: evals[s][i].matched,
                tech_rating: None,
                margin: evals[s][i].ahead,
                fetch_ms: Some(60.0),
            })
            .collect();
        let n = names.len() as u32;
        let hits = matched.iter().filter(|&&x| x).count() as u32;
        history.record_run(
            fp,
            RunRecord {
                time_ms: t,
                symbols: n,
                fetched: n,
                cache_hits: 0,
                requests: n,
                rate_per_s: None,
                bars: 0,
                indicators: scan.scan().indicator_count() as u32,
                threads: 1,
                duration_ms: 0.0,
                matches: hits,
                first_match_ms: None,
                tenth_match_ms: None,
                order: Order::Learned,
                predicted_ms: None,
                predicted_matches: prediction.matches,
            },
            &outcomes,
        );
    }
    let start = std::time::Instant::now();
    let bytes = history.to_bytes();
    let encode_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let back = History::from_bytes(&bytes).expect("the history reads back");
    let decode_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(back, history, "the history round-trips");
    Report {
        bytes: bytes.len(),
        entries: history.symbol_entries(),
        runs: history.all_runs().len(),
        encode_ms,
        decode_ms,
        market: m.name,
        scan: expr,
        symbols: m.bars.len(),
        tallies,
        match_error,
        mean_matches: match_sum / match_days.max(1) as f64,
    }
}

fn sample() -> Market {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("www/data is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let mut symbols = Vec::new();
    let mut bars = Vec::new();
    for f in files {
        let sym = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let bytes = std::fs::read(&f).expect("a sample file is readable");
        match read_bars(&sym, &bytes) {
            Ok(b) => {
                symbols.push(sym);
                bars.push(b);
            }
            Err(e) => eprintln!("skipping {}: {e}", f.display()),
        }
    }
    Market {
        name: "sample",
        symbols,
        bars,
    }
}

fn main() {
    let n = env("BENCH_SYMBOLS", 1000);
    let len = env("BENCH_BARS", 400);
    let days = env("BENCH_DAYS", 40);
    let warmup = env("BENCH_WARMUP", 10);
    let sample_days = env("BENCH_SAMPLE_DAYS", 500);
    let markets = [
        (
            Market {
                name: "synthetic",
                symbols: (0..n).map(synthetic::symbol_name).collect(),
                bars: (0..n).map(|i| synthetic::bars(7, i, len)).collect(),
            },
            days,
        ),
        (sample(), sample_days),
    ];
    let mut reports = Vec::new();
    for (m, d) in &markets {
        for expr in SCANS {
            let r = replay(m, expr, *d, warmup);
            for (o, t) in ORDERS.iter().zip(&r.tallies) {
                println!(
                    "{{\"name\":\"history_replay\",\"market\":{:?},\"symbols\":{},\"scan\":{:?},\"order\":{o:?},\"days\":{},\"days_with_1\":{},\"first_rank_mean\":{},\"first_rank_median\":{},\"tenth_rank_mean\":{},\"tenth_rank_median\":{},\"days_with_10\":{},\"first_quarter_share\":{}}}",
                    r.market,
                    r.symbols,
                    r.scan,
                    t.days,
                    t.first.len(),
                    json(mean(&t.first)),
                    json(median(&t.first)),
                    json(mean(&t.tenth)),
                    json(median(&t.tenth)),
                    t.tenth.len(),
                    json(mean(&t.quarter)),
                );
            }
            println!(
                "{{\"name\":\"history_replay.match_prediction\",\"market\":{:?},\"scan\":{:?},\"mean_matches\":{:.2},\"median_abs_error\":{},\"within_half\":{}}}",
                r.market,
                r.scan,
                r.mean_matches,
                json(median(&r.match_error)),
                json(mean(
                    &r.match_error
                        .iter()
                        .map(|e| f64::from(u8::from(*e <= 0.5)))
                        .collect::<Vec<_>>()
                )),
            );
            println!(
                "{{\"name\":\"history_replay.store\",\"market\":{:?},\"scan\":{:?},\"bytes\":{},\"symbol_entries\":{},\"runs\":{},\"encode_ms\":{:.2},\"decode_ms\":{:.2}}}",
                r.market, r.scan, r.bytes, r.entries, r.runs, r.encode_ms, r.decode_ms
            );
            reports.push(r);
        }
    }
    println!();
    println!(
        "{:<17} {:<40} {:<12} {:>5} {:>6} {:>9} {:>7} {:>10} {:>9} {:>7}",
        "market",
        "scan",
        "order",
        "days",
        "≥1 hit",
        "1st mean",
        "≥10 hit",
        "10th mean",
        "10th med",
        "in 1/4"
    );
    for r in &reports {
        for (o, t) in ORDERS.iter().zip(&r.tallies) {
            println!(
                "{:<17} {:<40} {:<12} {:>5} {:>6} {:>9} {:>7} {:>10} {:>9} {:>7}",
                format!("{} ({})", r.market, r.symbols),
                r.scan,
                o,
                t.days,
                t.first.len(),
                cell(mean(&t.first)),
                t.tenth.len(),
                cell(mean(&t.tenth)),
                cell(median(&t.tenth)),
                mean(&t.quarter).map_or("—".into(), |q| format!("{:.0}%", q * 100.0)),
            );
        }
    }
}
