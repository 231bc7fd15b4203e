//! Shared test data and the oracle comparison: generated OHLCV series (random
//! walks, flat stretches, gaps, extreme values), the real sample bars from
//! www/data (written by scripts/fetch-sample-data.py), and `assert_oracle`.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::path::PathBuf;

/// Plain OHLCV columns for feeding both our kernels and the `ta-lib` crate.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.close.len()
    }

    fn push_bar(&mut self, open: f64, close: f64, wick: f64, volume: f64) {
        self.open.push(open);
        self.close.push(close);
        self.high.push(open.max(close) + wick);
        self.low
            .push((open.min(close) - wick).max(open.min(close) * 0.5));
        self.volume.push(volume);
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A seeded random walk of `n` bars starting near `start`, with daily
/// volatility `vol` (fraction) and random wicks and volume.
pub fn random_walk(seed: u64, n: usize, start: f64, vol: f64) -> Series {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut s = Series {
        name: format!("walk-{seed}-{n}-{start}-{vol}"),
        ..Default::default()
    };
    let mut price = start;
    for _ in 0..n {
        let open = price * (1.0 + vol * 0.3 * (rng.random::<f64>() - 0.5));
        let close = open * (1.0 + vol * (rng.random::<f64>() * 2.0 - 1.0));
        let wick = open * vol * rng.random::<f64>() * 0.5;
        let volume = (1.0e6 * (0.2 + rng.random::<f64>() * 3.0)).round();
        s.push_bar(open, close, wick, volume);
        price = close;
    }
    s
}

/// A walk with flat stretches (identical bars, zero range, zero volume) in it:
/// the edge that trips zero-division and zero tests (RSI, WILLR, CCI, MFI…).
pub fn with_flat_stretches(seed: u64, n: usize) -> Series {
    let mut s = random_walk(seed, n, 50.0, 0.02);
    s.name = format!("flat-{seed}-{n}");
    let mut i = n / 5;
    while i + 40 < n {
        let p = s.close[i];
        for j in i..i + 30 {
            s.open[j] = p;
            s.high[j] = p;
            s.low[j] = p;
            s.close[j] = p;
            s.volume[j] = if j % 2 == 0 { 0.0 } else { 1000.0 };
        }
        i += n / 3;
    }
    s
}

/// A walk with overnight gaps of ±8–25% every few dozen bars.
pub fn with_gaps(seed: u64, n: usize) -> Series {
    let mut rng = Pcg64::seed_from_u64(seed ^ 0x9e37);
    let base = random_walk(seed, n, 80.0, 0.015);
    let mut s = Series {
        name: format!("gaps-{seed}-{n}"),
        ..Default::default()
    };
    let mut factor = 1.0;
    for i in 0..n {
        if i > 0 && i % 37 == 0 {
            let g = 0.08 + rng.random::<f64>() * 0.17;
            factor *= if rng.random::<bool>() {
                1.0 + g
            } else {
                1.0 - g
            };
        }
        s.open.push(base.open[i] * factor);
        s.high.push(base.high[i] * factor);
        s.low.push(base.low[i] * factor);
        s.close.push(base.close[i] * factor);
        s.volume.push(base.volume[i]);
    }
    s
}

/// Tiny prices (sub-cent), huge prices and huge volumes, and violent moves.
pub fn extreme(seed: u64, n: usize) -> Vec<Series> {
    let mut tiny = random_walk(seed, n, 0.0004, 0.2);
    tiny.name = format!("tiny-{seed}");
    let mut huge = random_walk(seed + 1, n, 2.5e6, 0.05);
    huge.name = format!("huge-{seed}");
    huge.volume.iter_mut().for_each(|v| *v *= 1.0e6);
    let mut wild = random_walk(seed + 2, n, 100.0, 0.45);
    wild.name = format!("wild-{seed}");
    vec![tiny, huge, wild]
}

/// Every generated case the oracle tests run over.
pub fn generated() -> Vec<Series> {
    let mut all = vec![
        random_walk(1, 500, 100.0, 0.02),
        random_walk(2, 260, 20.0, 0.04),
        random_walk(3, 64, 10.0, 0.01),
        with_flat_stretches(4, 400),
        with_gaps(5, 400),
    ];
    all.extend(extreme(6, 300));
    all
}

/// The bundled real daily bars (AAPL, FB, GOOG, IBM, MSFT), back-adjusted by
/// Adj Close / Close, read straight with the `csv` crate (independent of the
/// engine's own reader, which is tested separately).
pub fn sample(symbol: &str) -> Series {
    let path = repo_root().join("www/data").join(format!("{symbol}.csv"));
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-sample-data.py)", path.display()));
    let mut s = Series {
        name: symbol.to_string(),
        ..Default::default()
    };
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let f = |i: usize| rec[i].parse::<f64>().unwrap();
        let k = f(6) / f(4);
        s.open.push(f(1) * k);
        s.high.push(f(2) * k);
        s.low.push(f(3) * k);
        s.close.push(f(4) * k);
        s.volume.push(f(5));
    }
    s
}

pub const SAMPLE_SYMBOLS: [&str; 5] = ["AAPL", "FB", "GOOG", "IBM", "MSFT"];

/// Generated cases plus all real sample series.
pub fn all_series() -> Vec<Series> {
    let mut all = generated();
    all.extend(SAMPLE_SYMBOLS.iter().map(|s| sample(s)));
    all
}

/// Compares one of our output columns (aligned with the input, `NaN` warm-up)
/// with TA-Lib's compacted output (`theirs[k]` belongs to input `beg + k`).
/// Passes when our first valid index is TA-Lib's `beg`, every value from there
/// on is within 1e-9 relative (absolute below magnitude 1), and the lengths agree.
pub fn assert_oracle(what: &str, ours: &[f64], theirs: &[f64], beg: usize, count: usize) {
    assert!(
        beg + count <= ours.len(),
        "{what}: TA-Lib range {beg}+{count} beyond {}",
        ours.len()
    );
    if count == 0 {
        assert!(
            ours.iter().all(|v| v.is_nan()),
            "{what}: TA-Lib has no output but we do"
        );
        return;
    }
    for (i, v) in ours[..beg].iter().enumerate() {
        assert!(
            v.is_nan(),
            "{what}: index {i} should be undefined (TA-Lib starts at {beg}), got {v}"
        );
    }
    for k in 0..count {
        let (o, t) = (ours[beg + k], theirs[k]);
        let tol = 1e-9 * t.abs().max(1.0);
        assert!(
            (o - t).abs() <= tol || (o.is_nan() && t.is_nan()),
            "{what}: index {} ours {o} TA-Lib {t} (diff {:e})",
            beg + k,
            (o - t).abs()
        );
    }
    for (i, v) in ours[beg + count..].iter().enumerate() {
        assert!(
            v.is_nan(),
            "{what}: index {} past TA-Lib's output should be undefined, got {v}",
            beg + count + i
        );
    }
}

/// Integer TA-Lib output (candlesticks) as `f64` for `assert_oracle`.
pub fn ints(v: &[i32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}
