//! The backtest (SPEC §2.7): signals and every per-horizon statistic against a
//! straightforward reference built here (RSI from the `ta-lib` crate on the
//! bundled real sample), by-year figures the same way, no look-ahead, the
//! first-bar-of-run rule, the trade rules (gap through the stop, both touched),
//! determinism across thread counts, and the `technic backtest` JSON contract.

use std::collections::BTreeMap;
use std::process::Command;

use ta_lib::Core;
use technic::data::csv::read_bars;
use technic::engine::backtest::{
    self, stats::t_975, trade, year_of, HorizonStats, Options, Outcome, Report,
};
use technic::engine::bars::{Bars, Columns};
use technic::engine::lang::Scan;
use technic::engine::score::{Side, TradePlan};

use crate::common::{repo_root, SAMPLE_SYMBOLS};

fn sample_bars() -> Vec<(String, Bars)> {
    SAMPLE_SYMBOLS
        .iter()
        .map(|s| {
            let path = repo_root().join("www/data").join(format!("{s}.csv"));
            let bytes = std::fs::read(&path).unwrap();
            (s.to_string(), read_bars(s, &bytes).unwrap())
        })
        .collect()
}

fn run(scan: &str, universe: &[(String, Bars)], opts: &Options) -> Report {
    let scan = Scan::compile(scan, &[]).unwrap();
    let u: Vec<(&str, &Bars)> = universe.iter().map(|(s, b)| (s.as_str(), b)).collect();
    backtest::backtest(&scan, &u, opts).unwrap()
}

/// RSI(14) < 30 from TA-Lib, bar by bar: `None` in the warm-up.
fn reference_condition(bars: &Bars, level: f64) -> Vec<Option<bool>> {
    let close = bars.close();
    let mut out = vec![0.0; close.len()];
    let r = Core::new()
        .rsi(0, close.len() - 1, close, 14, &mut out)
        .unwrap();
    (0..close.len())
        .map(|i| (i >= r.beg_idx && i < r.beg_idx + r.count).then(|| out[i - r.beg_idx] < level))
        .collect()
}

struct RefSignal {
    symbol: String,
    time: i64,
    returns: Vec<Option<f64>>,
}

/// The reference statistics at horizon `h` of `values` (signal order), with
/// the signal dates, the symbols and the baseline sum and count.
fn reference_stats(h: usize, rows: &[(f64, i64, &str)], base: (f64, usize)) -> HorizonStats {
    let n = rows.len();
    let mut sum = 0.0;
    for r in rows {
        sum += r.0;
    }
    let mean = sum / n as f64;
    let mut sorted: Vec<f64> = rows.iter().map(|r| r.0).collect();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // numpy.percentile's default ("linear"): position p·(n−1).
    let q = |p: f64| {
        let pos = p * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
    };
    let (mut gains, mut losses, mut wins) = (0.0, 0.0, 0);
    for r in rows {
        if r.0 > 0.0 {
            gains += r.0;
            wins += 1;
        } else if r.0 < 0.0 {
            losses += r.0;
        }
    }
    // Cluster-robust (CR1) standard error of the mean, clusters = dates.
    let mut resid: BTreeMap<i64, f64> = BTreeMap::new();
    for r in rows {
        *resid.entry(r.1).or_insert(0.0) += r.0 - mean;
    }
    let g = resid.len() as f64;
    let mut ss = 0.0;
    for v in resid.values() {
        ss += v * v;
    }
    let se = (g / (g - 1.0) * ss).sqrt() / n as f64;
    let t = t_975(resid.len() - 1);
    let symbols: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.2).collect();
    let baseline = base.0 / base.1 as f64;
    HorizonStats {
        h,
        signals: n,
        symbols: symbols.len(),
        dates: resid.len(),
        win_pct: Some(100.0 * wins as f64 / n as f64),
        mean: Some(mean),
        median: Some(q(0.5)),
        p25: Some(q(0.25)),
        p75: Some(q(0.75)),
        profit_factor: (losses < 0.0).then(|| gains / -losses),
        baseline_mean: Some(baseline),
        baseline_count: base.1,
        excess: Some(mean - baseline),
        ci95: Some((mean - t * se, mean + t * se)),
    }
}

/// Signals and per-symbol baseline sums, computed straight from the definitions.
fn reference(
    universe: &[(String, Bars)],
    horizons: &[usize],
    keep: impl Fn(i64) -> bool,
) -> (Vec<RefSignal>, Vec<(f64, usize)>) {
    let mut signals = Vec::new();
    let mut base = vec![(0.0, 0); horizons.len()];
    for (symbol, bars) in universe {
        let cond = reference_condition(bars, 30.0);
        let (open, close, time) = (bars.open(), bars.close(), bars.time());
        let n = bars.len();
        let mut sym_base = vec![(0.0, 0); horizons.len()];
        for t in 0..n {
            if cond[t].is_none() || !keep(time[t]) {
                continue;
            }
            for (j, &h) in horizons.iter().enumerate() {
                if t + h < n {
                    sym_base[j].0 += close[t + h] / open[t + 1] - 1.0;
                    sym_base[j].1 += 1;
                }
            }
            let first = cond[t] == Some(true) && (t == 0 || cond[t - 1] != Some(true));
            if first {
                signals.push(RefSignal {
                    symbol: symbol.clone(),
                    time: time[t],
                    returns: horizons
                        .iter()
                        .map(|&h| (t + h < n).then(|| close[t + h] / open[t + 1] - 1.0))
                        .collect(),
                });
            }
        }
        for (b, s) in base.iter_mut().zip(sym_base) {
            b.0 += s.0;
            b.1 += s.1;
        }
    }
    (signals, base)
}

fn rows_at(signals: &[RefSignal], j: usize) -> Vec<(f64, i64, &str)> {
    signals
        .iter()
        .filter_map(|s| s.returns[j].map(|r| (r, s.time, s.symbol.as_str())))
        .collect()
}

#[test]
fn rsi_signals_and_every_statistic_equal_a_ta_lib_reference_on_the_sample() {
    let universe = sample_bars();
    let horizons = vec![1, 3, 5, 10, 20, 60];
    let opts = Options {
        horizons: horizons.clone(),
        ..Options::default()
    };
    let report = run("rsi(14) < 30", &universe, &opts);
    let (signals, base) = reference(&universe, &horizons, |_| true);
    assert!(
        signals.len() > 100,
        "the sample has {} signals",
        signals.len()
    );
    assert_eq!(report.signals.len(), signals.len());
    for (ours, theirs) in report.signals.iter().zip(&signals) {
        assert_eq!((&ours.symbol, ours.time), (&theirs.symbol, theirs.time));
        assert_eq!(
            ours.returns, theirs.returns,
            "{} at {}",
            ours.symbol, ours.time
        );
    }
    for (j, &h) in horizons.iter().enumerate() {
        let want = reference_stats(h, &rows_at(&signals, j), base[j]);
        assert_eq!(report.horizons[j], want, "h={h}");
    }
}

#[test]
fn by_year_figures_equal_the_reference_restricted_to_that_year() {
    let universe = sample_bars();
    let horizons = vec![5, 20];
    let opts = Options {
        horizons: horizons.clone(),
        ..Options::default()
    };
    let report = run("rsi(14) < 30", &universe, &opts);
    assert_eq!(
        report.by_year.iter().map(|g| g.signals).sum::<usize>(),
        report.signals.len()
    );
    for year in [2002, 2008, 2012] {
        let group = report
            .by_year
            .iter()
            .find(|g| g.key == year.to_string())
            .unwrap_or_else(|| panic!("no {year} group"));
        let (signals, base) = reference(&universe, &horizons, |t| year_of(t) == year);
        assert_eq!(group.signals, signals.len(), "{year}");
        for (j, &h) in horizons.iter().enumerate() {
            let want = reference_stats(h, &rows_at(&signals, j), base[j]);
            assert_eq!(group.horizons[j], want, "{year} h={h}");
        }
    }
}

#[test]
fn from_and_to_keep_only_signals_and_baseline_bars_inside_the_window() {
    let universe = sample_bars();
    let ms = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    let (from, to) = (ms(2005, 1, 1), ms(2009, 12, 31));
    let opts = Options {
        horizons: vec![10],
        from: Some(from),
        to: Some(to),
        ..Options::default()
    };
    let report = run("rsi(14) < 30", &universe, &opts);
    let (signals, base) = reference(&universe, &[10], |t| t >= from && t <= to);
    assert!(report
        .signals
        .iter()
        .all(|s| s.time >= from && s.time <= to));
    assert_eq!(report.signals.len(), signals.len());
    assert_eq!(
        report.horizons[0],
        reference_stats(10, &rows_at(&signals, 0), base[0])
    );
}

#[test]
fn plan_summary_is_consistent_with_the_per_signal_trades() {
    let universe = sample_bars();
    let report = run("rsi(14) < 30", &universe, &Options::default());
    let mut trades: Vec<(i64, &str, trade::Trade)> = report
        .signals
        .iter()
        .filter_map(|s| s.trade.trade().map(|t| (s.time, s.symbol.as_str(), *t)))
        .collect();
    trades.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let p = &report.plan;
    assert_eq!(p.trades, trades.len());
    assert!(p.trades > 0);
    let (mut cum, mut peak, mut dd) = (0.0f64, 0.0f64, 0.0f64);
    for (k, (_, _, t)) in trades.iter().enumerate() {
        cum += t.r;
        peak = peak.max(cum);
        dd = dd.max(peak - cum);
        assert_eq!(p.curve[k].cum_r, cum);
    }
    assert_eq!(p.avg_r, Some(cum / trades.len() as f64));
    assert_eq!(p.max_drawdown_r, Some(dd));
    let wins = trades.iter().filter(|t| t.2.r > 0.0).count();
    assert_eq!(p.wins, wins);
    assert_eq!(
        p.trades + p.no_plan + p.no_entry + p.opened_outside + p.unfinished,
        report.signals.len()
    );
    // Every R is the exit against the risk taken, at the next open.
    for (_, sym, t) in &trades {
        let (_, bars) = universe.iter().find(|(s, _)| s == sym).unwrap();
        assert!(t.exit_index < bars.len());
        assert_eq!(t.r, (t.exit - t.entry) / (t.entry - t.stop));
    }
}

#[test]
fn the_same_report_on_one_thread_and_on_four() {
    let universe = sample_bars();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let opts = Options::default();
    let a = one.install(|| run("rsi(14) < 30 or close > sma(close, 50)", &universe, &opts));
    let b = four.install(|| run("rsi(14) < 30 or close > sma(close, 50)", &universe, &opts));
    assert_eq!(a, b);
}

/// Bars from closes, each bar opening at the previous close, with a 1% range.
fn bars_from(closes: &[f64]) -> Bars {
    let mut c = Columns::default();
    for (i, &close) in closes.iter().enumerate() {
        let open = if i == 0 { close } else { closes[i - 1] };
        c.push(
            1_600_000_000_000 + i as i64 * 86_400_000,
            open,
            open.max(close) * 1.01,
            open.min(close) * 0.99,
            close,
            1000.0,
        );
    }
    Bars::new("T", c).unwrap()
}

#[test]
fn a_signal_is_the_first_bar_of_each_true_run_and_undefined_is_not_true() {
    // close / (close − 100) > 0: true above 100, false below, undefined at
    // exactly 100 (division by zero), which must end a run like false does.
    let closes = [101.0, 102.0, 100.0, 103.0, 104.0, 99.0, 105.0, 106.0, 107.0];
    let universe = vec![("T".to_string(), bars_from(&closes))];
    let opts = Options {
        horizons: vec![1, 2],
        ..Options::default()
    };
    let report = run("close / (close - 100) > 0", &universe, &opts);
    let at: Vec<usize> = report.signals.iter().map(|s| s.index).collect();
    assert_eq!(at, vec![0, 3, 6]);
    // Bar 6's returns use open[7] = close[6] = 105.
    assert_eq!(
        report.signals[2].returns,
        vec![Some(106.0 / 105.0 - 1.0), Some(107.0 / 105.0 - 1.0)]
    );
    // The baseline skips the undefined bar 2: of the 8 defined bars, 7 have a
    // bar t+1.
    assert_eq!(report.horizons[0].baseline_count, 7);
}

#[test]
fn changing_bars_after_t_plus_h_never_changes_a_signals_figures() {
    let universe = sample_bars();
    let h = 20;
    let opts = Options {
        horizons: vec![1, 5, h],
        hold: h,
        ..Options::default()
    };
    let whole = run("rsi(14) < 30", &universe[..1], &opts);
    let bars = &universe[0].1;
    let mut checked = 0;
    for s in whole
        .signals
        .iter()
        .filter(|s| s.index + h + 1 < bars.len())
        .step_by(5)
    {
        let cut = s.index + h;
        // Every bar after t+h doubled in price (a valid, very different future).
        let mut c = Columns::default();
        for i in 0..bars.len() {
            let k = if i > cut { 2.0 } else { 1.0 };
            c.push(
                bars.time()[i],
                bars.open()[i] * k,
                bars.high()[i] * k,
                bars.low()[i] * k,
                bars.close()[i] * k,
                bars.volume()[i],
            );
        }
        let changed = vec![(universe[0].0.clone(), Bars::new("X", c).unwrap())];
        let after = run("rsi(14) < 30", &changed, &opts);
        let same = after
            .signals
            .iter()
            .find(|x| x.index == s.index)
            .expect("the signal is still there");
        assert_eq!(same.returns, s.returns, "signal at {}", s.index);
        assert_eq!(same.trade, s.trade, "signal at {}", s.index);
        assert_eq!(same.regime, s.regime, "signal at {}", s.index);
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} signals checked");
}

fn plan(side: Side, stop: f64, target: f64) -> TradePlan {
    TradePlan {
        side,
        entry: 100.0,
        stop,
        target,
        reward_risk: 2.0,
        shares: 1,
        liquidity_capped: false,
    }
}

/// Bars from (open, high, low, close) tuples.
fn ohlc(rows: &[(f64, f64, f64, f64)]) -> Bars {
    let mut c = Columns::default();
    for (i, &(o, h, l, cl)) in rows.iter().enumerate() {
        c.push(i as i64 * 86_400_000, o, h, l, cl, 1.0);
    }
    Bars::new("T", c).unwrap()
}

fn closed(o: Outcome) -> trade::Trade {
    *o.trade().unwrap_or_else(|| panic!("not closed: {o:?}"))
}

#[test]
fn a_gap_through_the_stop_exits_at_the_open_not_the_stop() {
    let bars = ohlc(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 102.0, 98.0, 101.0), // entry at 100
        (90.0, 91.0, 89.0, 90.5),    // opens below the stop (95)
    ]);
    let t = closed(trade::simulate(
        &bars,
        0,
        Some(&plan(Side::Long, 95.0, 110.0)),
        20,
    ));
    assert_eq!(
        (t.exit, t.exit_index, t.exit_reason),
        (90.0, 2, trade::Exit::GapStop)
    );
    assert_eq!(t.r, -2.0);
    // Short mirrored: the stop is above, a gap up through it exits at the open.
    let bars = ohlc(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 102.0, 98.0, 99.0),
        (108.0, 109.0, 107.0, 108.0),
    ]);
    let t = closed(trade::simulate(
        &bars,
        0,
        Some(&plan(Side::Short, 105.0, 90.0)),
        20,
    ));
    assert_eq!((t.exit, t.exit_reason), (108.0, trade::Exit::GapStop));
    assert_eq!(t.r, -8.0 / 5.0);
}

#[test]
fn a_bar_touching_both_stop_and_target_counts_as_the_stop() {
    let bars = ohlc(&[(100.0, 101.0, 99.0, 100.0), (100.0, 111.0, 94.0, 105.0)]);
    let t = closed(trade::simulate(
        &bars,
        0,
        Some(&plan(Side::Long, 95.0, 110.0)),
        20,
    ));
    assert_eq!(
        (t.exit, t.exit_reason, t.r),
        (95.0, trade::Exit::Stop, -1.0)
    );
    let t = closed(trade::simulate(
        &bars,
        0,
        Some(&plan(Side::Short, 105.0, 95.0)),
        20,
    ));
    assert_eq!(
        (t.exit, t.exit_reason, t.r),
        (105.0, trade::Exit::Stop, -1.0)
    );
}

#[test]
fn targets_time_exits_and_trades_not_taken() {
    let rows = [
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 104.0, 97.0, 103.0),
        (103.0, 110.5, 102.0, 108.0), // touches the target only
        (108.0, 109.0, 107.0, 108.5),
    ];
    let bars = ohlc(&rows);
    let long = plan(Side::Long, 95.0, 110.0);
    let t = closed(trade::simulate(&bars, 0, Some(&long), 20));
    assert_eq!(
        (t.exit, t.exit_reason, t.r),
        (110.0, trade::Exit::Target, 2.0)
    );
    // Held one bar: out at bar 1's close.
    let t = closed(trade::simulate(&bars, 0, Some(&long), 1));
    assert_eq!(
        (t.exit, t.exit_index, t.exit_reason),
        (103.0, 1, trade::Exit::Time)
    );
    assert_eq!(t.ret, 103.0 / 100.0 - 1.0);
    // Held 20 bars but the data ends first without an exit.
    let calm = ohlc(&rows[..2]);
    assert_eq!(
        trade::simulate(&calm, 0, Some(&long), 20),
        Outcome::Unfinished
    );
    assert_eq!(trade::simulate(&bars, 3, Some(&long), 20), Outcome::NoEntry);
    assert_eq!(trade::simulate(&bars, 0, None, 20), Outcome::NoPlan);
    // Entry open already below the stop.
    assert_eq!(
        trade::simulate(&bars, 0, Some(&plan(Side::Long, 101.0, 110.0)), 20),
        Outcome::OpenedOutside
    );
}

#[test]
fn bad_options_are_errors_not_panics() {
    let universe = sample_bars();
    let scan = Scan::compile("rsi(14) < 30", &[]).unwrap();
    let u: Vec<(&str, &Bars)> = universe.iter().map(|(s, b)| (s.as_str(), b)).collect();
    let bad = |o: Options| backtest::backtest(&scan, &u, &o).unwrap_err().to_string();
    assert!(bad(Options {
        horizons: vec![],
        ..Options::default()
    })
    .contains("no horizons"));
    assert!(bad(Options {
        horizons: vec![0],
        ..Options::default()
    })
    .contains("horizon 0"));
    assert!(bad(Options {
        hold: 0,
        ..Options::default()
    })
    .contains("holding period"));
    assert!(bad(Options {
        from: Some(2),
        to: Some(1),
        ..Options::default()
    })
    .contains("empty"));
    let twice = vec![u[0], u[0]];
    assert!(backtest::backtest(&scan, &twice, &Options::default())
        .unwrap_err()
        .to_string()
        .contains("twice"));
    assert!(backtest::backtest(&scan, &[], &Options::default()).is_err());
}

#[test]
fn the_regime_comes_from_spy_when_the_universe_has_it() {
    let mut universe = sample_bars();
    let ew = run("rsi(14) < 30", &universe, &Options::default());
    assert!(matches!(
        ew.regime_source,
        backtest::RegimeSource::EqualWeighted(5)
    ));
    let ibm = universe[3].1.clone();
    universe.push(("SPY".to_string(), ibm));
    let spy = run("rsi(14) < 30", &universe, &Options::default());
    assert_eq!(
        spy.regime_source,
        backtest::RegimeSource::Benchmark("SPY".into())
    );
    assert!(spy.notes.iter().any(|n| n.contains("benchmark SPY")));
}

fn technic(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_technic"))
        .args(args)
        .output()
        .expect("the technic binary runs")
}

#[test]
fn cli_json_has_the_contract_keys() {
    let data = repo_root().join("www/data");
    let out = technic(&[
        "backtest",
        "--data",
        data.to_str().unwrap(),
        "--expr",
        "rsi(14) < 30",
        "--horizons",
        "1,5,10,20",
        "--hold",
        "20",
        "--side",
        "long",
        "--from",
        "2004-01-01",
        "--to",
        "2012-12-31",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["horizons", "plan", "byYear", "byRegime", "signals", "notes"] {
        assert!(v.get(key).is_some(), "no `{key}`");
    }
    let hs = v["horizons"].as_array().unwrap();
    assert_eq!(
        hs.iter()
            .map(|h| h["h"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 5, 10, 20]
    );
    for h in hs {
        for key in [
            "h",
            "signals",
            "symbols",
            "winPct",
            "mean",
            "median",
            "p25",
            "p75",
            "profitFactor",
            "baselineMean",
            "excess",
            "ci95",
        ] {
            assert!(h.get(key).is_some(), "horizon has no `{key}`: {h}");
        }
        let win = h["winPct"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&win));
        let ci = h["ci95"].as_array().unwrap();
        assert_eq!(ci.len(), 2);
        assert!(ci[0].as_f64().unwrap() <= h["mean"].as_f64().unwrap());
        // Returns are fractions, not percent.
        assert!(h["mean"].as_f64().unwrap().abs() < 0.5);
    }
    for key in [
        "trades",
        "winPct",
        "avgR",
        "expectancy",
        "maxDrawdownR",
        "curve",
    ] {
        assert!(v["plan"].get(key).is_some(), "plan has no `{key}`");
    }
    let signals = v["signals"].as_array().unwrap();
    assert!(!signals.is_empty());
    for s in signals {
        for key in ["symbol", "time", "returns", "r"] {
            assert!(s.get(key).is_some(), "signal has no `{key}`: {s}");
        }
        let t = s["time"].as_str().unwrap();
        assert!(("2004-01-01"..="2012-12-31").contains(&t), "{t}");
        let r = s["returns"].as_object().unwrap();
        assert_eq!(r.keys().collect::<Vec<_>>(), vec!["1", "5", "10", "20"]);
    }
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes[0].as_str().unwrap().starts_with("5 symbols"),
        "{notes:?}"
    );
    assert!(v["byYear"][0].get("year").is_some() && v["byRegime"][0].get("regime").is_some());
}

#[test]
fn cli_rejects_a_bad_expression_and_bad_options_with_a_message() {
    let data = repo_root().join("www/data");
    let d = data.to_str().unwrap();
    for (args, says) in [
        (vec!["--expr", "rsi(14) <"], "--expr"),
        (
            vec!["--expr", "rsi(14) < 30", "--horizons", "1,0"],
            "--horizons",
        ),
        (
            vec!["--expr", "rsi(14) < 30", "--from", "2010-02-30"],
            "--from",
        ),
        (vec!["--expr", "rsi(14) < 30", "--hold", "0"], "--hold"),
    ] {
        let mut all = vec!["backtest", "--data", d];
        all.extend(args);
        let out = technic(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{all:?}: {err}");
    }
}

mod walk_forward {
    //! `optimize`: the split rule, no look-ahead across the split, the choice
    //! of the best value, and the `technic optimize` JSON keys.

    use super::*;
    use technic::engine::backtest::split_index;
    use technic::engine::backtest::walk::{optimize, Metric, WalkOptions};

    fn refs(u: &[(String, Bars)]) -> Vec<(&str, &Bars)> {
        u.iter().map(|(s, b)| (s.as_str(), b)).collect()
    }

    fn head(u: &[(String, Bars)], f: f64) -> Vec<(String, Bars)> {
        u.iter()
            .map(|(s, b)| {
                let k = split_index(b.len(), f);
                let mut c = Columns::default();
                for i in 0..k {
                    c.push(
                        b.time()[i],
                        b.open()[i],
                        b.high()[i],
                        b.low()[i],
                        b.close()[i],
                        b.volume()[i],
                    );
                }
                (s.clone(), Bars::new(s, c).unwrap())
            })
            .collect()
    }

    #[test]
    fn in_sample_signals_end_before_the_split_and_out_of_sample_start_at_it() {
        let universe = sample_bars();
        let opts = WalkOptions {
            horizon: 10,
            min_signals: 10,
            ..WalkOptions::default()
        };
        let r = optimize("rsi(14) < {25, 30}", &refs(&universe), &opts).unwrap();
        assert_eq!(r.grid.len(), 2);
        // In sample = the backtest of the plain scan on bars cut at the split,
        // so a signal counts only when bar t+10 is before the split.
        let cut = head(&universe, 0.7);
        let bt = Options {
            horizons: vec![10],
            ..Options::default()
        };
        let plain = run("rsi(14) < 30", &cut, &bt);
        assert_eq!(r.grid[1].expr, "rsi(14) < 30");
        assert_eq!(r.grid[1].in_sample, plain.horizons[0]);
        for s in &plain.signals {
            let n = universe
                .iter()
                .find(|(x, _)| *x == s.symbol)
                .unwrap()
                .1
                .len();
            if s.returns[0].is_some() {
                assert!(s.index + 10 < split_index(n, 0.7));
            }
        }
        // Out of sample: the chosen value's signals at or after each split.
        let best = r.best.as_ref().expect("a value is chosen");
        let chosen = &r.grid[best.index];
        let full = run(&chosen.expr, &universe, &bt);
        let want = full
            .signals
            .iter()
            .filter(|s| {
                let n = universe
                    .iter()
                    .find(|(x, _)| *x == s.symbol)
                    .unwrap()
                    .1
                    .len();
                s.index >= split_index(n, 0.7) && s.returns[0].is_some()
            })
            .count();
        assert_eq!(best.out_of_sample.signals, want);
        assert!(want > 0);
    }

    #[test]
    fn changing_bars_after_the_split_never_changes_the_in_sample_grid() {
        let universe = sample_bars();
        let opts = WalkOptions::default();
        let a = optimize("rsi(14) < {20..40 step 10}", &refs(&universe), &opts).unwrap();
        let changed: Vec<(String, Bars)> = universe
            .iter()
            .map(|(s, b)| {
                let k = split_index(b.len(), 0.7);
                let mut c = Columns::default();
                for i in 0..b.len() {
                    let f = if i >= k { 3.0 } else { 1.0 };
                    c.push(
                        b.time()[i],
                        b.open()[i] * f,
                        b.high()[i] * f,
                        b.low()[i] * f,
                        b.close()[i] * f,
                        b.volume()[i],
                    );
                }
                (s.clone(), Bars::new(s, c).unwrap())
            })
            .collect();
        let b = optimize("rsi(14) < {20..40 step 10}", &refs(&changed), &opts).unwrap();
        assert_eq!(a.grid, b.grid);
    }

    #[test]
    fn the_best_value_has_the_highest_metric_among_those_with_enough_signals() {
        let universe = sample_bars();
        for (metric, min) in [
            (Metric::Excess, 30),
            (Metric::WinPct, 100),
            (Metric::Mean, 1),
        ] {
            let opts = WalkOptions {
                metric,
                min_signals: min,
                ..WalkOptions::default()
            };
            let r = optimize("rsi(14) < {20..40 step 5}", &refs(&universe), &opts).unwrap();
            let eligible: Vec<f64> = r
                .grid
                .iter()
                .filter(|p| p.in_sample.signals >= min)
                .filter_map(|p| p.metric)
                .collect();
            let best = r.best.expect("eligible values exist");
            let chosen = &r.grid[best.index];
            assert!(chosen.in_sample.signals >= min);
            assert!(eligible.iter().all(|&m| m <= chosen.metric.unwrap()));
        }
        let none = WalkOptions {
            min_signals: 1_000_000,
            ..WalkOptions::default()
        };
        assert!(optimize("rsi(14) < {20, 30}", &refs(&universe), &none)
            .unwrap()
            .best
            .is_none());
        assert!(optimize("rsi(14) < 30", &refs(&universe), &none).is_err());
        let bad = optimize(
            "rsi(14) < {20, 30} and sma(close, {0, 5}) > 1",
            &refs(&universe),
            &none,
        );
        assert!(bad.unwrap_err().to_string().contains("does not compile"));
    }

    #[test]
    fn cli_optimize_json_has_the_contract_keys_and_range_errors_point_at_the_range() {
        let data = repo_root().join("www/data");
        let d = data.to_str().unwrap();
        let out = technic(&[
            "optimize",
            "--data",
            d,
            "--expr",
            "close > sma(close, {20, 50})",
            "--horizon",
            "10",
            "--metric",
            "excess",
            "--split",
            "0.7",
            "--min-signals",
            "30",
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let grid = v["grid"].as_array().unwrap();
        assert_eq!(grid.len(), 2);
        for p in grid {
            assert!(p["value"].is_number());
            assert_eq!(p["inSample"]["h"], 10);
            assert!(p["inSample"].get("excess").is_some());
        }
        for key in ["value", "inSample", "outOfSample"] {
            assert!(v["best"].get(key).is_some(), "best has no `{key}`");
        }
        let out = technic(&["optimize", "--data", d, "--expr", "rsi(14) < {40..20}"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("backwards") && err.contains("          ^^^^^^^^"),
            "{err}"
        );
    }
}
