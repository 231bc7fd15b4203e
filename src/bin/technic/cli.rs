//! The `technic` CLI. Thin glue only: argument parsing,
//! finding CSV files, printing rows. The scan itself is `engine::run`.
//!
//! `technic scan --data <dir or files> --expr '<scan>' [--columns 'a;b'] [--format json|csv|table] [--threads N]`

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use technic::data::csv::read_bars;
use technic::engine::lang::{LangError, Part, Scan};
use technic::engine::run::{
    self, BarSource, Control, Flow, InvalidData, Limits, Loaded, Outcome, Progress, Row,
    RunOptions, Sink, SymbolError, SystemClock,
};
use technic::engine::score::Settings;

#[derive(Parser)]
#[command(
    name = "technic",
    version,
    about = "Technic: a fast, private technical stock scanner (native CLI over the same engine as the web app)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a folder (or list) of CSV files; every *.csv is one symbol named by its file stem.
    Scan(ScanArgs),
    /// Write the deterministic synthetic market (the web app's `synthetic-N` sources) as one
    /// CSV per symbol, for benchmarks and demos. Synthetic: not real prices.
    Synth(SynthArgs),
    /// Backtest a scan over the history of every symbol (signals, forward returns, trade plan).
    Backtest(crate::backtest::BacktestArgs),
    /// Walk-forward search over parameter ranges in the scan ({20..40 step 5}, {20, 50}).
    Optimize(crate::backtest::OptimizeArgs),
}

#[derive(clap::Args)]
struct SynthArgs {
    /// Folder to write `<SYMBOL>.csv` files into (created if missing).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 5000)]
    symbols: usize,
    #[arg(long, default_value_t = 300)]
    bars: usize,
    /// The web app uses seed 7.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
    Table,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Folders (searched recursively for *.csv) or CSV files.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// The scan expression, e.g. 'close > sma(close, 200) and rsi(14) < 30'; `true` matches every symbol.
    #[arg(long)]
    expr: String,
    /// Display columns: expressions separated by `;`, valued at the last bar.
    #[arg(long, default_value = "")]
    columns: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Keep only the newest N bars of each symbol.
    #[arg(long)]
    lookback: Option<usize>,
    /// Sort rows by `symbol` (default), `tech_rating`, `short_rating`, or one of the --columns
    /// expressions (descending).
    #[arg(long, default_value = "symbol")]
    sort: String,
    /// Stop after this many matches.
    #[arg(long)]
    max_matches: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Account size for the trade plan.
    #[arg(long, default_value_t = 10_000.0)]
    account: f64,
    /// Percent of the account risked per trade.
    #[arg(long, default_value_t = 1.0)]
    risk: f64,
    /// Reward/risk multiple for the target.
    #[arg(long, default_value_t = 2.0)]
    rr: f64,
}

pub fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Synth(args) => synth(args),
        Command::Backtest(args) => crate::backtest::run(args),
        Command::Optimize(args) => crate::backtest::optimize(args),
    };
    if let Err(e) = result {
        // A closed pipe (`technic … | head`) is the reader's choice, not an error.
        if is_broken_pipe(&e) {
            return;
        }
        eprintln!("technic: {e:#}");
        std::process::exit(2);
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind()) == Some(std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

fn synth(args: SynthArgs) -> Result<()> {
    use rayon::prelude::*;
    use technic::data::synthetic;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    (0..args.symbols)
        .into_par_iter()
        .try_for_each(|i| -> Result<()> {
            let bars = synthetic::bars(args.seed, i, args.bars);
            let path = args.out.join(format!("{}.csv", synthetic::symbol_name(i)));
            let mut w = csv::Writer::from_path(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            w.write_record(["timestamp", "open", "high", "low", "close", "volume"])?;
            for k in 0..bars.len() {
                // Shortest round-trip formatting: reading the file back gives the same f64s.
                w.write_record(&[
                    bars.time()[k].to_string(),
                    bars.open()[k].to_string(),
                    bars.high()[k].to_string(),
                    bars.low()[k].to_string(),
                    bars.close()[k].to_string(),
                    bars.volume()[k].to_string(),
                ])?;
            }
            w.flush()?;
            Ok(())
        })?;
    eprintln!(
        "technic: wrote {} synthetic symbols x {} bars to {} ({})",
        args.symbols,
        args.bars,
        args.out.display(),
        synthetic::SYNTHETIC_LABEL
    );
    Ok(())
}

/// Reads each symbol's CSV on the worker that computes it.
struct CsvFiles {
    paths: BTreeMap<String, PathBuf>,
}

impl BarSource for CsvFiles {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        let path = self.paths.get(symbol).ok_or(SymbolError::NoData)?;
        let bytes = std::fs::read(path).map_err(|e| {
            SymbolError::Invalid(InvalidData::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        })?;
        let bars = read_bars(symbol, &bytes).map_err(SymbolError::from)?;
        Ok(Loaded {
            bars: std::sync::Arc::new(bars),
            from_cache: false,
            bytes: bytes.len() as u64,
        })
    }
}

struct Collect(Mutex<Vec<Row>>);

impl Sink for Collect {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        match self.0.lock() {
            Ok(mut all) => all.extend(rows),
            Err(poisoned) => poisoned.into_inner().extend(rows),
        }
        Flow::Continue
    }
}

fn scan(args: ScanArgs) -> Result<()> {
    let columns = technic::view::fields::column_list(&args.columns);
    let scan = Scan::compile(&args.expr, &columns)
        .map_err(|e| anyhow::anyhow!(explain(&e, &args.expr, &columns)))?;
    let paths = find_csvs(&args.data)?;
    let symbols: Vec<String> = paths.keys().cloned().collect();
    let source = CsvFiles { paths };
    let options = RunOptions {
        scan_id: 1,
        settings: Settings {
            account: args.account,
            risk_pct: args.risk,
            reward_risk: args.rr,
        },
        lookback: args.lookback,
        limits: Limits {
            max_matches: args.max_matches,
            max_seconds: args.max_seconds,
            max_symbols: None,
        },
        ..RunOptions::default()
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("starting the worker threads")?;
    let sink = Collect(Mutex::new(Vec::new()));
    let (control, progress, clock) = (Control::new(), Progress::default(), SystemClock::default());
    let summary = pool.install(|| {
        run::run(
            &scan, &symbols, &source, &options, &control, &progress, &sink, &clock,
        )
    });
    let mut rows = sink.0.into_inner().unwrap_or_else(|p| p.into_inner());
    rows.sort_by_key(|r| r.order);

    let mut stderr = std::io::stderr().lock();
    let mut matches = Vec::new();
    for row in rows {
        match row.outcome {
            Outcome::Error(e) => writeln!(stderr, "{}: {} ({})", row.symbol, e, e.kind())?,
            Outcome::Match(m) => matches.push((row.symbol, m)),
        }
    }
    sort_rows(&mut matches, &args.sort, &columns)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => print_json(&mut out, &matches, &columns)?,
        Format::Csv => print_csv(&mut out, &matches, &columns)?,
        Format::Table => print_table(&mut out, &matches, &columns)?,
    }
    if summary.reason != run::StopReason::Completed {
        writeln!(stderr, "technic: {}", summary.reason.label())?;
    }
    Ok(())
}

type Matches = Vec<(String, Box<run::Match>)>;

fn sort_rows(rows: &mut Matches, key: &str, columns: &[String]) -> Result<()> {
    let desc = |a: f64, b: f64| {
        b.partial_cmp(&a)
            .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
    };
    match key {
        "symbol" => rows.sort_by(|a, b| a.0.cmp(&b.0)),
        "tech_rating" | "techRating" => {
            rows.sort_by(|a, b| desc(a.1.score.tech_rating, b.1.score.tech_rating))
        }
        "short_rating" | "shortRating" => {
            rows.sort_by(|a, b| desc(a.1.score.short_rating, b.1.score.short_rating))
        }
        other => {
            let Some(k) = columns.iter().position(|c| c == other) else {
                bail!(
                    "--sort `{other}` is neither `symbol`, `tech_rating`, `short_rating` nor one of the --columns"
                );
            };
            let v = |m: &run::Match| m.columns[k].unwrap_or(f64::NAN);
            rows.sort_by(|a, b| desc(v(&a.1), v(&b.1)));
        }
    }
    Ok(())
}

/// Every `*.csv` under the given folders (recursively) or the given files,
/// keyed by file stem. Two files with one stem are an error.
pub(crate) fn find_csvs(inputs: &[PathBuf]) -> Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, &mut found)?;
        } else if input.is_file() {
            add(input, &mut found)?;
        } else {
            bail!("--data {}: no such file or folder", input.display());
        }
    }
    Ok(found)
}

/// Every `*.csv` under `root`. Folders are followed through symlinks, but
/// each real folder once: a link back to a parent would otherwise be walked
/// again and again (the recursive walk this replaces overflowed its stack or
/// failed on "two files" for one symbol). Iterative, so depth is unbounded.
fn walk(root: &Path, found: &mut BTreeMap<String, PathBuf>) -> Result<()> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let real = std::fs::canonicalize(&dir)
            .with_context(|| format!("reading folder {}", dir.display()))?;
        if !seen.insert(real) {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut subdirs = Vec::new();
        for path in entries {
            if path.is_dir() {
                subdirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                add(&path, found)?;
            }
        }
        // Reversed so the first folder by name is walked first.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

fn add(path: &Path, found: &mut BTreeMap<String, PathBuf>) -> Result<()> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem.is_empty() {
        bail!("{}: cannot name a symbol after this file", path.display());
    }
    if let Some(prev) = found.insert(stem.clone(), path.to_path_buf()) {
        if prev != path {
            bail!(
                "symbol {stem} comes from two files: {} and {}",
                prev.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// The error with the offending text and a caret line under its span.
pub(crate) fn explain(e: &LangError, expr: &str, columns: &[String]) -> String {
    let (what, text) = match e.part {
        Part::Expr => ("--expr".to_string(), expr),
        Part::Column(k) => (
            format!("--columns #{}", k + 1),
            columns.get(k).map(String::as_str).unwrap_or(""),
        ),
    };
    let line = text
        .lines()
        .nth(e.span.line.saturating_sub(1))
        .unwrap_or(text);
    let width = e.span.end.saturating_sub(e.span.start).max(1);
    let pad = line.chars().take(e.span.col.saturating_sub(1)).count();
    format!(
        "{what}: {}\n  {line}\n  {}{}",
        e.message,
        " ".repeat(pad),
        "^".repeat(width)
    )
}

fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn print_json(out: &mut impl Write, rows: &Matches, columns: &[String]) -> Result<()> {
    let array: Vec<serde_json::Value> = rows
        .iter()
        .map(|(symbol, m)| {
            let mut obj = serde_json::Map::new();
            obj.insert("symbol".into(), symbol.clone().into());
            obj.insert("techRating".into(), num(m.score.tech_rating));
            obj.insert("shortRating".into(), num(m.score.short_rating));
            obj.insert("signal".into(), m.score.signal.label().into());
            for (c, v) in columns.iter().zip(&m.columns) {
                obj.insert(c.clone(), v.map_or(serde_json::Value::Null, num));
            }
            serde_json::Value::Object(obj)
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &array)?;
    writeln!(out)?;
    Ok(())
}

fn cell(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let s = format!("{x:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        _ => String::new(),
    }
}

fn print_csv(out: &mut impl Write, rows: &Matches, columns: &[String]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "symbol".to_string(),
        "techRating".into(),
        "shortRating".into(),
        "signal".into(),
    ];
    header.extend(columns.iter().cloned());
    w.write_record(&header)?;
    for (symbol, m) in rows {
        let mut rec = vec![
            symbol.clone(),
            cell(Some(m.score.tech_rating)),
            cell(Some(m.score.short_rating)),
            m.score.signal.label().to_string(),
        ];
        rec.extend(m.columns.iter().map(|v| cell(*v)));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

fn print_table(out: &mut impl Write, rows: &Matches, columns: &[String]) -> Result<()> {
    let mut table: Vec<Vec<String>> = vec![];
    let mut header = vec![
        "symbol".to_string(),
        "techRating".into(),
        "shortRating".into(),
        "signal".into(),
    ];
    header.extend(columns.iter().cloned());
    table.push(header);
    for (symbol, m) in rows {
        let mut rec = vec![
            symbol.clone(),
            format!("{:.2}", m.score.tech_rating),
            format!("{:.2}", m.score.short_rating),
            m.score.signal.label().to_string(),
        ];
        rec.extend(m.columns.iter().map(|v| cell(*v)));
        table.push(rec);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &table {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    writeln!(
        out,
        "{} match{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "es" }
    )?;
    Ok(())
}
