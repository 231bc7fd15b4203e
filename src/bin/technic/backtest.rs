//! `technic backtest` and `technic optimize`: the CLI glue over `engine::backtest` — reads the CSVs,
//! parses the options, prints JSON or a table. The figures are the engine's;
//! nothing here computes a statistic. Native only (clap, anyhow).
//!
//! `technic backtest --data <dir|files> --expr '<scan>' [--horizons 1,5,10,20] [--hold 20]
//! [--side long|short] [--from DATE] [--to DATE] [--format json|table]`
//! `technic optimize --data … --expr '<scan with ranges>' [--horizon 10] [--metric excess]
//! [--split 0.7] [--min-signals 30] [--format json|table]`

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::ValueEnum;
use rayon::prelude::*;
use serde_json::{json, Map, Value};

use technic::data::csv::read_bars;
// One definition of the horizon figures' JSON (the CLI contract), shared with the page's hook.
use technic::engine::backtest::params::{format_value, ParamScan, RangeError};
use technic::engine::backtest::walk::{self, Metric, WalkOptions, WalkReport};
use technic::engine::backtest::{self, HorizonStats, Options, PlanStats, Report};
use technic::engine::lang::Scan;
use technic::engine::score::{Settings, Side};
use technic::engine::Bars;
use technic::view::backtest::horizon_json;

use crate::cli::{explain, find_csvs};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SideArg {
    Long,
    Short,
}

#[derive(clap::Args)]
pub struct BacktestArgs {
    /// Folders (searched recursively for *.csv) or CSV files; the file stem is the symbol.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// The scan expression; a signal is the first bar of each run where it is true.
    #[arg(long)]
    expr: String,
    /// Forward horizons in bars, comma-separated.
    #[arg(long, default_value = "1,5,10,20")]
    horizons: String,
    /// Bars a trade-plan trade is held at most.
    #[arg(long, default_value_t = backtest::DEFAULT_HOLD)]
    hold: usize,
    #[arg(long, value_enum, default_value = "long")]
    side: SideArg,
    /// Keep signals on or after this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Keep signals on or before this date (YYYY-MM-DD, UTC, the whole day).
    #[arg(long)]
    to: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// The benchmark symbol the market regime is read from when present.
    #[arg(long, default_value = "SPY")]
    benchmark: String,
    /// Reward/risk multiple of the plan's target.
    #[arg(long, default_value_t = 2.0)]
    rr: f64,
}

fn parse_horizons(text: &str) -> Result<Vec<usize>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<usize>() {
            Ok(h) if h >= 1 => Ok(h),
            _ => bail!("--horizons: `{s}` is not a number of bars ≥ 1 (e.g. --horizons 1,5,10,20)"),
        })
        .collect()
}

/// Midnight UTC of `YYYY-MM-DD` in epoch ms, plus `days`.
fn date_ms(flag: &str, text: &str, days: i64) -> Result<i64> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag} `{text}`: expected a date as YYYY-MM-DD"))?;
    let ms = d
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .context("date out of range")?;
    Ok(ms + days * 86_400_000)
}

pub fn run(args: BacktestArgs) -> Result<()> {
    let scan = Scan::compile(&args.expr, &[])
        .map_err(|e| anyhow::anyhow!(explain(&e, &args.expr, &[])))?;
    let horizons = parse_horizons(&args.horizons)?;
    if horizons.is_empty() {
        bail!("--horizons: give at least one horizon, e.g. 1,5,10,20");
    }
    if args.hold == 0 {
        bail!("--hold must be at least 1 bar");
    }
    let from = args
        .from
        .as_deref()
        .map(|t| date_ms("--from", t, 0))
        .transpose()?;
    // The whole `--to` day: before the next midnight.
    let to = args
        .to
        .as_deref()
        .map(|t| date_ms("--to", t, 1).map(|ms| ms - 1))
        .transpose()?;
    let opts = Options {
        horizons,
        hold: args.hold,
        side: match args.side {
            SideArg::Long => Side::Long,
            SideArg::Short => Side::Short,
        },
        from,
        to,
        settings: Settings {
            reward_risk: args.rr,
            ..Settings::default()
        },
        benchmark: args.benchmark.clone(),
        after_fraction: None,
    };
    let paths = find_csvs(&args.data)?;
    if paths.is_empty() {
        bail!("--data: no *.csv files found");
    }
    let pool = pool(args.threads)?;
    let (report, skipped) = pool.install(|| -> Result<(Report, Vec<String>)> {
        let (loaded, skipped) = load(&paths);
        let universe: Vec<(&str, &Bars)> = loaded.iter().map(|(s, b)| (s.as_str(), b)).collect();
        let report = backtest::backtest(&scan, &universe, &opts)?;
        Ok((report, skipped))
    })?;
    let mut stderr = std::io::stderr().lock();
    for s in &skipped {
        writeln!(stderr, "technic: skipped {s}")?;
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let v = report_json(&report, &scan.display(), skipped.len());
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Table => print_table(&mut out, &report, skipped.len())?,
    }
    Ok(())
}

/// Reads every CSV (in parallel on the current pool); unreadable files are
/// returned as messages, not errors, so one bad file does not stop the run.
fn load(paths: &std::collections::BTreeMap<String, PathBuf>) -> (Vec<(String, Bars)>, Vec<String>) {
    let loaded: Vec<(String, Result<Bars, String>)> = paths
        .par_iter()
        .map(|(symbol, path)| {
            let bars = std::fs::read(path)
                .map_err(|e| format!("{}: {e}", path.display()))
                .and_then(|b| read_bars(symbol, &b).map_err(|e| e.to_string()));
            (symbol.clone(), bars)
        })
        .collect();
    let mut skipped = Vec::new();
    let mut universe = Vec::new();
    for (symbol, bars) in loaded {
        match bars {
            Ok(b) => universe.push((symbol, b)),
            Err(e) => skipped.push(format!("{symbol}: {e}")),
        }
    }
    (universe, skipped)
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        pool = pool.num_threads(n);
    }
    pool.build().context("starting the worker threads")
}

fn num(v: Option<f64>) -> Value {
    v.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Epoch ms as `YYYY-MM-DD` when it is a midnight UTC (daily bars), else RFC 3339.
fn time_text(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(d) if ms.rem_euclid(86_400_000) == 0 => d.format("%Y-%m-%d").to_string(),
        Some(d) => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => ms.to_string(),
    }
}

fn plan_json(p: &PlanStats, with_curve: bool) -> Value {
    let mut v = json!({
        "side": match p.side { Side::Long => "long", Side::Short => "short" },
        "hold": p.hold,
        "trades": p.trades,
        "wins": p.wins,
        "winPct": num(p.win_pct),
        "avgR": num(p.avg_r),
        "expectancy": num(p.expectancy),
        "maxDrawdownR": num(p.max_drawdown_r),
        "exits": p.exits,
        "notTaken": {
            "noPlan": p.no_plan,
            "noEntry": p.no_entry,
            "openedOutside": p.opened_outside,
            "unfinished": p.unfinished,
        },
    });
    if with_curve {
        v["curve"] = p
            .curve
            .iter()
            .map(|c| json!({"time": time_text(c.time), "symbol": c.symbol, "r": num(Some(c.r)), "cumR": num(Some(c.cum_r))}))
            .collect();
    }
    v
}

fn report_json(r: &Report, expr: &str, skipped: usize) -> Value {
    let group = |key: &str, g: &backtest::Group| {
        json!({
            key: g.key,
            "signals": g.signals,
            "horizons": g.horizons.iter().map(horizon_json).collect::<Vec<_>>(),
            "plan": plan_json(&g.plan, false),
        })
    };
    let signals: Vec<Value> = r
        .signals
        .iter()
        .map(|s| {
            let mut returns = Map::new();
            for (h, v) in r.horizons.iter().zip(&s.returns) {
                returns.insert(h.h.to_string(), num(*v));
            }
            let trade = s.trade.trade();
            json!({
                "symbol": s.symbol,
                "time": time_text(s.time),
                "returns": returns,
                "r": num(trade.map(|t| t.r)),
                "exit": trade.map(|t| t.exit_reason.label()),
                "regime": backtest::REGIME_LABELS[usize::from(s.regime)],
            })
        })
        .collect();
    let mut notes = r.notes.clone();
    if skipped > 0 {
        notes.push(format!(
            "{skipped} file(s) skipped as unreadable (listed on stderr)"
        ));
    }
    json!({
        "expr": expr,
        "symbols": r.symbols,
        "bars": r.bars,
        "regimeSource": r.regime_source.describe(),
        "notes": notes,
        "horizons": r.horizons.iter().map(horizon_json).collect::<Vec<_>>(),
        "plan": plan_json(&r.plan, true),
        "byYear": r.by_year.iter().map(|g| group("year", g)).collect::<Vec<_>>(),
        "byRegime": r.by_regime.iter().map(|g| group("regime", g)).collect::<Vec<_>>(),
        "signals": signals,
    })
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.2}%", 100.0 * x))
}

fn fixed(v: Option<f64>, d: usize) -> String {
    v.map_or("—".into(), |x| format!("{x:.d$}"))
}

fn table(out: &mut impl Write, rows: &[Vec<String>]) -> Result<()> {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:>w$}"))
            .collect();
        writeln!(out, "{}", line.join("  "))?;
    }
    Ok(())
}

fn horizon_rows(key: Option<&str>, hs: &[HorizonStats]) -> Vec<Vec<String>> {
    hs.iter()
        .map(|h| {
            let mut row = key.map(|k| vec![k.to_string()]).unwrap_or_default();
            row.extend([
                h.h.to_string(),
                h.signals.to_string(),
                h.symbols.to_string(),
                fixed(h.win_pct, 1),
                pct(h.mean),
                pct(h.median),
                pct(h.p25),
                pct(h.p75),
                fixed(h.profit_factor, 2),
                pct(h.baseline_mean),
                pct(h.excess),
                h.ci95.map_or("—".into(), |(lo, hi)| {
                    format!("[{}, {}]", pct(Some(lo)), pct(Some(hi)))
                }),
            ]);
            row
        })
        .collect()
}

const HEADER: [&str; 12] = [
    "h", "signals", "symbols", "win%", "mean", "median", "p25", "p75", "PF", "baseline", "excess",
    "95% CI",
];

fn print_table(out: &mut impl Write, r: &Report, skipped: usize) -> Result<()> {
    let mut rows = vec![HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    rows.extend(horizon_rows(None, &r.horizons));
    table(out, &rows)?;
    let p = &r.plan;
    writeln!(
        out,
        "\nplan ({}, hold {}): {} trades, win {}%, avg R {}, expectancy {}, max drawdown {} R; not taken: {} no plan, {} no entry bar, {} opened outside stop/target, {} unfinished",
        if p.side == Side::Long { "long" } else { "short" },
        p.hold,
        p.trades,
        fixed(p.win_pct, 1),
        fixed(p.avg_r, 3),
        pct(p.expectancy),
        fixed(p.max_drawdown_r, 2),
        p.no_plan,
        p.no_entry,
        p.opened_outside,
        p.unfinished
    )?;
    for (title, groups) in [("year", &r.by_year), ("regime", &r.by_regime)] {
        writeln!(out, "\nby {title}:")?;
        let mut rows = vec![std::iter::once(title)
            .chain(HEADER)
            .map(String::from)
            .collect::<Vec<_>>()];
        for g in groups.iter() {
            rows.extend(horizon_rows(Some(&g.key), &g.horizons));
        }
        if rows.len() > 1 {
            table(out, &rows)?;
        }
    }
    writeln!(out)?;
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    if skipped > 0 {
        writeln!(
            out,
            "note: {skipped} file(s) skipped as unreadable (listed on stderr)"
        )?;
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct OptimizeArgs {
    /// Folders (searched recursively for *.csv) or CSV files; the file stem is the symbol.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// A scan with parameter ranges, e.g. 'rsi(14) < {20..40 step 5}' or 'close > sma(close, {20, 50})'.
    #[arg(long)]
    expr: String,
    /// The horizon (bars) the figures and the metric are taken at.
    #[arg(long, default_value_t = 10)]
    horizon: usize,
    /// What "best" means: excess, mean, win, expectancy.
    #[arg(long, default_value = "excess")]
    metric: String,
    /// Fraction of each symbol's bars in sample.
    #[arg(long, default_value_t = 0.7)]
    split: f64,
    /// Fewest in-sample signals a value needs to be chosen.
    #[arg(long, default_value_t = 30)]
    min_signals: usize,
    #[arg(long, default_value_t = backtest::DEFAULT_HOLD)]
    hold: usize,
    #[arg(long, value_enum, default_value = "long")]
    side: SideArg,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    #[arg(long)]
    threads: Option<usize>,
}

/// The range error with the text and a caret line under its span.
fn explain_range(e: &RangeError, expr: &str) -> String {
    let pad = expr.get(..e.start).map_or(0, |p| p.chars().count());
    let width = expr
        .get(e.start..e.end)
        .map_or(1, |p| p.chars().count().max(1));
    format!(
        "--expr: {}\n  {expr}\n  {}{}",
        e.message,
        " ".repeat(pad),
        "^".repeat(width)
    )
}

fn value_json(values: &[f64]) -> Value {
    match values {
        [v] => num(Some(*v)),
        vs => vs.iter().map(|v| num(Some(*v))).collect(),
    }
}

pub fn optimize(args: OptimizeArgs) -> Result<()> {
    let Some(metric) = Metric::from_name(&args.metric) else {
        bail!(
            "--metric `{}`: expected excess, mean, win or expectancy",
            args.metric
        );
    };
    if args.horizon == 0 {
        bail!("--horizon must be at least 1 bar");
    }
    if args.hold == 0 {
        bail!("--hold must be at least 1 bar");
    }
    if let Err(e) = ParamScan::parse(&args.expr) {
        bail!(explain_range(&e, &args.expr));
    }
    let opts = WalkOptions {
        horizon: args.horizon,
        metric,
        split: args.split,
        min_signals: args.min_signals,
        base: Options {
            hold: args.hold,
            side: match args.side {
                SideArg::Long => Side::Long,
                SideArg::Short => Side::Short,
            },
            ..Options::default()
        },
    };
    let paths = find_csvs(&args.data)?;
    if paths.is_empty() {
        bail!("--data: no *.csv files found");
    }
    let pool = pool(args.threads)?;
    let (report, skipped) = pool.install(|| -> Result<(WalkReport, Vec<String>)> {
        let (loaded, skipped) = load(&paths);
        let universe: Vec<(&str, &Bars)> = loaded.iter().map(|(s, b)| (s.as_str(), b)).collect();
        Ok((walk::optimize(&args.expr, &universe, &opts)?, skipped))
    })?;
    let mut stderr = std::io::stderr().lock();
    for s in &skipped {
        writeln!(stderr, "technic: skipped {s}")?;
    }
    let mut out = std::io::stdout().lock();
    let mut notes = vec![format!(
        "walk-forward: each symbol's first {:.0}% of bars in sample (signals count only when their horizon ends before the split), the rest out of sample",
        100.0 * args.split
    )];
    if report.best.is_none() {
        notes.push(format!(
            "no value had {} in-sample signals and a defined {}: nothing chosen",
            args.min_signals, args.metric
        ));
    }
    match args.format {
        Format::Json => {
            let grid: Vec<Value> = report
                .grid
                .iter()
                .map(|p| {
                    json!({
                        "value": value_json(&p.values),
                        "expr": p.expr,
                        "metric": num(p.metric),
                        "inSample": horizon_json(&p.in_sample),
                        "inSamplePlan": plan_json(&p.in_sample_plan, false),
                    })
                })
                .collect();
            let best = report.best.as_ref().map_or(Value::Null, |b| {
                let p = &report.grid[b.index];
                json!({
                    "value": value_json(&p.values),
                    "expr": p.expr,
                    "inSample": horizon_json(&p.in_sample),
                    "outOfSample": horizon_json(&b.out_of_sample),
                    "inSamplePlan": plan_json(&p.in_sample_plan, false),
                    "outOfSamplePlan": plan_json(&b.out_of_sample_plan, false),
                })
            });
            let v = json!({
                "horizon": args.horizon,
                "metric": args.metric,
                "split": args.split,
                "minSignals": args.min_signals,
                "notes": notes,
                "grid": grid,
                "best": best,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut rows = vec![std::iter::once("value")
                .chain(HEADER)
                .map(String::from)
                .collect::<Vec<_>>()];
            for p in &report.grid {
                let key = p
                    .values
                    .iter()
                    .map(|v| format_value(*v))
                    .collect::<Vec<_>>()
                    .join(",");
                rows.extend(horizon_rows(Some(&key), std::slice::from_ref(&p.in_sample)));
            }
            writeln!(out, "in sample:")?;
            table(&mut out, &rows)?;
            if let Some(b) = &report.best {
                let p = &report.grid[b.index];
                let key = p
                    .values
                    .iter()
                    .map(|v| format_value(*v))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut rows = vec![std::iter::once("best")
                    .chain(HEADER)
                    .map(String::from)
                    .collect::<Vec<_>>()];
                rows.extend(horizon_rows(
                    Some(&format!("{key} in")),
                    std::slice::from_ref(&p.in_sample),
                ));
                rows.extend(horizon_rows(
                    Some(&format!("{key} out")),
                    std::slice::from_ref(&b.out_of_sample),
                ));
                writeln!(
                    out,
                    "\nchosen by {} (at least {} signals):",
                    args.metric, args.min_signals
                )?;
                table(&mut out, &rows)?;
            }
            writeln!(out)?;
            for n in &notes {
                writeln!(out, "note: {n}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_parse_and_reject_zero() {
        assert_eq!(parse_horizons("1, 5,10").unwrap(), vec![1, 5, 10]);
        assert!(parse_horizons("1,0").is_err());
        assert!(parse_horizons("x").is_err());
    }

    #[test]
    fn to_covers_the_whole_day() {
        let to = date_ms("--to", "2010-01-04", 1).unwrap() - 1;
        assert!(date_ms("--from", "2010-01-04", 0).unwrap() <= to);
        assert_eq!(
            time_text(date_ms("--from", "2010-01-04", 0).unwrap()),
            "2010-01-04"
        );
        assert!(date_ms("--to", "2010-13-01", 0).is_err());
    }
}
