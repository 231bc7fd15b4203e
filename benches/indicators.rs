//! Benchmark (a): the SPEC §2.2 indicator set, our kernels against the `ta-lib`
//! crate (the official Rust port of TA-Lib C) on the same data in one run.
//!
//! `cargo bench --bench indicators` prints, per indicator, nanoseconds per bar
//! for both and the speed ratio (TA-Lib time / our time: > 1 means we are
//! faster), then the whole set (fused cases, several indicators in one call
//! against TA-Lib's separate calls, are printed but not summed). Each case is
//! measured twice (`Mode`): hot, each symbol's columns in cache and both sides
//! timed on it in turn, the kernel's own cost as a scan pays it (a symbol's
//! bars stay in cache while its plan runs); and streaming, all symbols for
//! one side then for the other, the columns from memory each time (the
//! kernels reading several columns once then wait on memory, TA-Lib's too).
//! The times are the median round's, a ratio the median of the rounds' own.
//! Options (env): BENCH_SYMBOLS (default 200), BENCH_BARS (2000), BENCH_ROUNDS (7),
//! BENCH_FILTER (only the cases whose name contains it, comma-separated).
//! After the table, one JSON line per figure (`{"name", "value", "unit"}`, read
//! by scripts/bench.sh): `kernels.<NAME>.vs_talib` per kernel (NAME without its
//! parameters), `kernels.min_vs_talib` (the slowest kernel's ratio, named in
//! `kernel`), `kernels.set_vs_talib` (the whole set) and both sides' ns/bar,
//! all hot; the same streaming as `kernels.<NAME>.streaming_vs_talib`,
//! `kernels.streaming.min_vs_talib` and `kernels.streaming.set_vs_talib`; a
//! fused case as `kernels.fused.<NAME>.vs_separate_calls` (and
//! `.streaming_vs_separate_calls`).

use std::hint::black_box;
use std::time::Instant;

use ta_lib::{Core, MAType};
use technic::data::synthetic;
use technic::engine::indicators as ind;
use technic::engine::indicators::candles as cdl;

struct Data {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

struct Out {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    d: Vec<f64>,
    e: Vec<f64>,
    i: Vec<i32>,
}

type Ours = fn(&Data, &mut Out);
type Theirs = fn(&Core, &Data, &mut Out);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

macro_rules! cases {
    ($($name:literal => |$d:ident, $o:ident| $ours:expr, |$core:ident, $d2:ident, $o2:ident| $theirs:expr;)*) => {
        vec![$(($name, (|$d: &Data, $o: &mut Out| { $ours; }) as Ours, (|$core: &Core, $d2: &Data, $o2: &mut Out| { let n = $d2.close.len() - 1; let _ = black_box($theirs(n)); }) as Theirs)),*]
    };
}

fn main() {
    let symbols = env("BENCH_SYMBOLS", 200);
    let bars = env("BENCH_BARS", 2000);
    let rounds = env("BENCH_ROUNDS", 7);
    let data: Vec<Data> = (0..symbols)
        .map(|i| {
            let b = synthetic::bars(7, i, bars);
            Data {
                open: b.open().to_vec(),
                high: b.high().to_vec(),
                low: b.low().to_vec(),
                close: b.close().to_vec(),
                volume: b.volume().to_vec(),
            }
        })
        .collect();
    let len = data[0].close.len();
    assert!(len > 300, "synthetic market returned {len} bars");
    let mut out = Out {
        a: vec![0.0; len],
        b: vec![0.0; len],
        c: vec![0.0; len],
        d: vec![0.0; len],
        e: vec![0.0; len],
        i: vec![0; len],
    };
    let core = Core::new();

    let cases: Vec<(&str, Ours, Theirs)> = cases! {
        "SMA(30)" => |d, o| ind::sma(&d.close, 30, &mut o.a), |c, d, o| |n| c.sma(0, n, &d.close, 30, &mut o.a);
        "EMA(30)" => |d, o| ind::ema(&d.close, 30, &mut o.a), |c, d, o| |n| c.ema(0, n, &d.close, 30, &mut o.a);
        "WMA(30)" => |d, o| ind::wma(&d.close, 30, &mut o.a), |c, d, o| |n| c.wma(0, n, &d.close, 30, &mut o.a);
        "DEMA(30)" => |d, o| ind::dema(&d.close, 30, &mut o.a), |c, d, o| |n| c.dema(0, n, &d.close, 30, &mut o.a);
        "TEMA(30)" => |d, o| ind::tema(&d.close, 30, &mut o.a), |c, d, o| |n| c.tema(0, n, &d.close, 30, &mut o.a);
        "KAMA(30)" => |d, o| ind::kama(&d.close, 30, &mut o.a), |c, d, o| |n| c.kama(0, n, &d.close, 30, &mut o.a);
        "RSI(14)" => |d, o| ind::rsi(&d.close, 14, &mut o.a), |c, d, o| |n| c.rsi(0, n, &d.close, 14, &mut o.a);
        "MACD(12,26,9)" => |d, o| ind::macd(&d.close, 12, 26, 9, &mut o.a, &mut o.b, &mut o.c), |c, d, o| |n| c.macd(0, n, &d.close, 12, 26, 9, &mut o.a, &mut o.b, &mut o.c);
        "STOCH(5,3,3)" => |d, o| ind::stoch(&d.high, &d.low, &d.close, 5, 3, 3, &mut o.a, &mut o.b), |c, d, o| |n| c.stoch(0, n, &d.high, &d.low, &d.close, 5, 3, MAType::SMA, 3, MAType::SMA, &mut o.a, &mut o.b);
        "STOCHRSI(14,5,3)" => |d, o| ind::stochrsi(&d.close, 14, 5, 3, &mut o.a, &mut o.b), |c, d, o| |n| c.stochrsi(0, n, &d.close, 14, 5, 3, MAType::SMA, &mut o.a, &mut o.b);
        "WILLR(14)" => |d, o| ind::willr(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.willr(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "CCI(14)" => |d, o| ind::cci(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.cci(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "MFI(14)" => |d, o| ind::mfi(&d.high, &d.low, &d.close, &d.volume, 14, &mut o.a), |c, d, o| |n| c.mfi(0, n, &d.high, &d.low, &d.close, &d.volume, 14, &mut o.a);
        "ROC(10)" => |d, o| ind::roc(&d.close, 10, &mut o.a), |c, d, o| |n| c.roc(0, n, &d.close, 10, &mut o.a);
        "MOM(10)" => |d, o| ind::mom(&d.close, 10, &mut o.a), |c, d, o| |n| c.mom(0, n, &d.close, 10, &mut o.a);
        "ATR(14)" => |d, o| ind::atr(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.atr(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "NATR(14)" => |d, o| ind::natr(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.natr(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "TRANGE" => |d, o| ind::trange(&d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.trange(0, n, &d.high, &d.low, &d.close, &mut o.a);
        "ADX(14)" => |d, o| ind::adx(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.adx(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "PLUS_DI(14)" => |d, o| ind::plus_di(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.plus_di(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "MINUS_DI(14)" => |d, o| ind::minus_di(&d.high, &d.low, &d.close, 14, &mut o.a), |c, d, o| |n| c.minus_di(0, n, &d.high, &d.low, &d.close, 14, &mut o.a);
        "DMI fused(14) vs 3 calls" => |d, o| ind::dmi(&d.high, &d.low, &d.close, 14, &mut o.a, &mut o.b, &mut o.c), |c, d, o| |n| (c.plus_di(0, n, &d.high, &d.low, &d.close, 14, &mut o.a), c.minus_di(0, n, &d.high, &d.low, &d.close, 14, &mut o.b), c.adx(0, n, &d.high, &d.low, &d.close, 14, &mut o.c));
        "AROON(14)" => |d, o| ind::aroon(&d.high, &d.low, 14, &mut o.a, &mut o.b), |c, d, o| |n| c.aroon(0, n, &d.high, &d.low, 14, &mut o.a, &mut o.b);
        "AROONOSC(14)" => |d, o| ind::aroonosc(&d.high, &d.low, 14, &mut o.a), |c, d, o| |n| c.aroonosc(0, n, &d.high, &d.low, 14, &mut o.a);
        "BBANDS(20,2)" => |d, o| ind::bbands(&d.close, 20, 2.0, 2.0, &mut o.a, &mut o.b, &mut o.c), |c, d, o| |n| c.bbands(0, n, &d.close, 20, 2.0, 2.0, MAType::SMA, &mut o.a, &mut o.b, &mut o.c);
        "STDDEV(20)" => |d, o| ind::stddev(&d.close, 20, 1.0, &mut o.a), |c, d, o| |n| c.stddev(0, n, &d.close, 20, 1.0, &mut o.a);
        "BANDS fused(20) vs 3 calls" => |d, o| ind::bands(&d.close, 20, ind::Bands { sma: Some(&mut o.d), stddev: Some((2.0, &mut o.e)), bbands: Some(ind::BbandsOut { nbdev_up: 2.0, nbdev_dn: 2.0, upper: &mut o.a, middle: &mut o.b, lower: &mut o.c }) }), |c, d, o| |n| (c.sma(0, n, &d.close, 20, &mut o.d), c.stddev(0, n, &d.close, 20, 2.0, &mut o.e), c.bbands(0, n, &d.close, 20, 2.0, 2.0, MAType::SMA, &mut o.a, &mut o.b, &mut o.c));
        "OBV" => |d, o| ind::obv(&d.close, &d.volume, &mut o.a), |c, d, o| |n| c.obv(0, n, &d.close, &d.volume, &mut o.a);
        "AD" => |d, o| ind::ad(&d.high, &d.low, &d.close, &d.volume, &mut o.a), |c, d, o| |n| c.ad(0, n, &d.high, &d.low, &d.close, &d.volume, &mut o.a);
        "ADOSC(3,10)" => |d, o| ind::adosc(&d.high, &d.low, &d.close, &d.volume, 3, 10, &mut o.a), |c, d, o| |n| c.adosc(0, n, &d.high, &d.low, &d.close, &d.volume, 3, 10, &mut o.a);
        "SAR(0.02,0.2)" => |d, o| ind::sar(&d.high, &d.low, 0.02, 0.2, &mut o.a), |c, d, o| |n| c.sar(0, n, &d.high, &d.low, 0.02, 0.2, &mut o.a);
        "LINEARREG(14)" => |d, o| ind::linearreg(&d.close, 14, &mut o.a), |c, d, o| |n| c.linearreg(0, n, &d.close, 14, &mut o.a);
        "LINEARREG_SLOPE(14)" => |d, o| ind::linearreg_slope(&d.close, 14, &mut o.a), |c, d, o| |n| c.linearreg_slope(0, n, &d.close, 14, &mut o.a);
        "MAX(20)" => |d, o| ind::highest(&d.close, 20, &mut o.a), |c, d, o| |n| c.max(0, n, &d.close, 20, &mut o.a);
        "MIN(20)" => |d, o| ind::lowest(&d.close, 20, &mut o.a), |c, d, o| |n| c.min(0, n, &d.close, 20, &mut o.a);
        "SUM(20)" => |d, o| ind::sum(&d.close, 20, &mut o.a), |c, d, o| |n| c.sum(0, n, &d.close, 20, &mut o.a);
        "CDLENGULFING" => |d, o| cdl::cdl_engulfing(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlengulfing(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLHAMMER" => |d, o| cdl::cdl_hammer(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlhammer(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLDOJI" => |d, o| cdl::cdl_doji(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdldoji(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLMORNINGSTAR" => |d, o| cdl::cdl_morningstar(&d.open, &d.high, &d.low, &d.close, 0.3, &mut o.a), |c, d, o| |n| c.cdlmorningstar(0, n, &d.open, &d.high, &d.low, &d.close, 0.3, &mut o.i);
        "CDLEVENINGSTAR" => |d, o| cdl::cdl_eveningstar(&d.open, &d.high, &d.low, &d.close, 0.3, &mut o.a), |c, d, o| |n| c.cdleveningstar(0, n, &d.open, &d.high, &d.low, &d.close, 0.3, &mut o.i);
        "CDLSHOOTINGSTAR" => |d, o| cdl::cdl_shootingstar(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlshootingstar(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLHARAMI" => |d, o| cdl::cdl_harami(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlharami(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDL3WHITESOLDIERS" => |d, o| cdl::cdl_3whitesoldiers(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdl3whitesoldiers(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDL3BLACKCROWS" => |d, o| cdl::cdl_3blackcrows(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdl3blackcrows(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLPIERCING" => |d, o| cdl::cdl_piercing(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlpiercing(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
        "CDLDARKCLOUDCOVER" => |d, o| cdl::cdl_darkcloudcover(&d.open, &d.high, &d.low, &d.close, 0.5, &mut o.a), |c, d, o| |n| c.cdldarkcloudcover(0, n, &d.open, &d.high, &d.low, &d.close, 0.5, &mut o.i);
        "CDLMARUBOZU" => |d, o| cdl::cdl_marubozu(&d.open, &d.high, &d.low, &d.close, &mut o.a), |c, d, o| |n| c.cdlmarubozu(0, n, &d.open, &d.high, &d.low, &d.close, &mut o.i);
    };

    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    let cases: Vec<(&str, Ours, Theirs)> = cases
        .into_iter()
        .filter(|(name, _, _)| filter.is_empty() || filter.split(',').any(|f| name.contains(f)))
        .collect();
    let total_bars = (symbols * len) as f64;
    println!("indicator set vs ta-lib 0.8: {symbols} synthetic symbols x {len} bars, {rounds} rounds, median");
    println!("hot: each symbol's columns read into cache first (untimed), then both sides timed on it, as a scan runs its plan on one symbol's bars");
    println!("streaming: every symbol for one side, then for the other; the columns come from memory each time");
    println!(
        "{:<22} {:>12} {:>13} {:>8} {:>10}",
        "indicator", "ours ns/bar", "TA-Lib ns/bar", "hot", "streaming"
    );
    let mut totals = [[0.0; 2]; 2];
    let mut ratios: Vec<(&str, [f64; 2])> = Vec::new();
    let mut fused: Vec<(&str, [f64; 2])> = Vec::new();
    for &(name, ours, theirs) in &cases {
        let hot = measure(&data, &mut out, &core, (ours, theirs), rounds, Mode::Hot);
        let streaming = measure(
            &data,
            &mut out,
            &core,
            (ours, theirs),
            rounds,
            Mode::Streaming,
        );
        // A fused case (several indicators in one call, against TA-Lib's
        // separate calls) is printed but kept out of the set's total and the
        // slowest kernel, which stay the SPEC §2.2 kernels one by one.
        if name.contains("fused") {
            fused.push((name, [hot.ratio, streaming.ratio]));
        } else {
            for (total, m) in totals.iter_mut().zip([&hot, &streaming]) {
                total[0] += m.ours;
                total[1] += m.theirs;
            }
            ratios.push((name, [hot.ratio, streaming.ratio]));
        }
        println!(
            "{name:<22} {:>12.2} {:>13.2} {:>7.2}x {:>9.2}x",
            hot.ours * 1e9 / total_bars,
            hot.theirs * 1e9 / total_bars,
            hot.ratio,
            streaming.ratio
        );
    }
    let [hot_total, streaming_total] = totals;
    println!(
        "{:<22} {:>12.2} {:>13.2} {:>7.2}x {:>9.2}x   <- whole set: TA-Lib time / our time",
        "ALL",
        hot_total[0] * 1e9 / total_bars,
        hot_total[1] * 1e9 / total_bars,
        hot_total[1] / hot_total[0],
        streaming_total[1] / streaming_total[0]
    );
    for (name, [hot, streaming]) in &ratios {
        let kernel = kernel_name(name);
        figure(&format!("kernels.{kernel}.vs_talib"), *hot, "x", "");
        figure(
            &format!("kernels.{kernel}.streaming_vs_talib"),
            *streaming,
            "x",
            "",
        );
    }
    for (name, [hot, streaming]) in &fused {
        let kernel = kernel_name(name).replace(" fused", "").to_lowercase();
        figure(
            &format!("kernels.fused.{kernel}.vs_separate_calls"),
            *hot,
            "x",
            "",
        );
        figure(
            &format!("kernels.fused.{kernel}.streaming_vs_separate_calls"),
            *streaming,
            "x",
            "",
        );
    }
    for (side, prefix) in ["kernels", "kernels.streaming"].iter().enumerate() {
        if let Some((name, r)) = ratios.iter().min_by(|a, b| a.1[side].total_cmp(&b.1[side])) {
            let kernel = format!(",\"kernel\":{:?}", kernel_name(name));
            figure(&format!("{prefix}.min_vs_talib"), r[side], "x", &kernel);
        }
        let [ours, theirs] = totals[side];
        figure(&format!("{prefix}.set_vs_talib"), theirs / ours, "x", "");
    }
    figure(
        "kernels.set.ours_ns_per_bar",
        hot_total[0] * 1e9 / total_bars,
        "ns/bar",
        "",
    );
    figure(
        "kernels.set.talib_ns_per_bar",
        hot_total[1] * 1e9 / total_bars,
        "ns/bar",
        "",
    );
}

/// How a round gives the kernels their columns.
#[derive(Clone, Copy)]
enum Mode {
    /// Each symbol's columns read into cache first (untimed), then ours and
    /// TA-Lib's timed on them one after the other (which goes first
    /// alternates by symbol): the kernel's own cost, as in a scan, where a
    /// symbol's bars stay in cache while its plan runs.
    Hot,
    /// Every symbol for one side, then every symbol for the other: the
    /// 16 MB of columns come from memory each time, so the kernels that
    /// read several columns once wait on memory as much as they compute.
    Streaming,
}

/// One case's median round: our time, TA-Lib's, and the median of the
/// rounds' own ratios (TA-Lib's time over ours in that round). The ratio of
/// each round, not of the two medians: this VM's speed moved between two
/// states for seconds at a time (TA-Lib's KAMA at 2.1 or 3.7 ns a bar),
/// which landed on one side's median.
struct Measured {
    ours: f64,
    theirs: f64,
    ratio: f64,
}

fn measure(
    data: &[Data],
    out: &mut Out,
    core: &Core,
    (ours, theirs): (Ours, Theirs),
    rounds: usize,
    mode: Mode,
) -> Measured {
    let (mut t_ours, mut t_theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (mut o, mut t) = (0.0, 0.0);
        match mode {
            Mode::Streaming => {
                let start = Instant::now();
                for d in data {
                    ours(black_box(d), out);
                    black_box(&out.a);
                }
                o = start.elapsed().as_secs_f64();
                let start = Instant::now();
                for d in data {
                    theirs(core, black_box(d), out);
                    black_box(&out.a);
                }
                t = start.elapsed().as_secs_f64();
            }
            Mode::Hot => {
                for (i, d) in data.iter().enumerate() {
                    black_box(warm(d));
                    let run_ours = |out: &mut Out| {
                        let start = Instant::now();
                        ours(black_box(d), out);
                        black_box(&out.a);
                        start.elapsed().as_secs_f64()
                    };
                    let run_theirs = |out: &mut Out| {
                        let start = Instant::now();
                        theirs(core, black_box(d), out);
                        black_box(&out.a);
                        start.elapsed().as_secs_f64()
                    };
                    if i % 2 == 0 {
                        o += run_ours(out);
                        t += run_theirs(out);
                    } else {
                        t += run_theirs(out);
                        o += run_ours(out);
                    }
                }
            }
        }
        t_ours.push(o);
        t_theirs.push(t);
    }
    let mut paired: Vec<f64> = t_theirs.iter().zip(&t_ours).map(|(t, o)| t / o).collect();
    Measured {
        ratio: median(&mut paired),
        ours: median(&mut t_ours),
        theirs: median(&mut t_theirs),
    }
}

/// Reads every column of `d` (into cache).
fn warm(d: &Data) -> f64 {
    [&d.open, &d.high, &d.low, &d.close, &d.volume]
        .iter()
        .map(|c| c.iter().sum::<f64>())
        .sum()
}

/// `"SMA(30)"` → `"SMA"`: the TA-Lib function's name, as the JSON names use it.
fn kernel_name(case: &str) -> &str {
    case.split('(').next().unwrap_or(case)
}

/// One JSON line `{"name", "value", "unit"}` (+ `extra`, already `,"k":v`).
fn figure(name: &str, value: f64, unit: &str, extra: &str) {
    let value = if value.is_finite() {
        format!("{value:.4}")
    } else {
        "null".to_string()
    };
    println!("{{\"name\":{name:?},\"value\":{value},\"unit\":{unit:?}{extra}}}");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
