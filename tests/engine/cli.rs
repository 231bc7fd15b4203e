//! The `technic scan` CLI contract: `--data` folder of CSVs (stem = symbol),
//! `--expr`, `--columns` keyed by their exact text, `--format json|csv|table`,
//! `--threads`, error rows on stderr, non-zero exit on a bad expression or path.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{repo_root, sample, SAMPLE_SYMBOLS};

fn technic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_technic"))
        .args(args)
        .output()
        .expect("the technic binary runs")
}

/// A temporary folder holding the five sample CSVs, one in a subfolder, plus
/// the files given.
fn data_dir(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    for (i, sym) in SAMPLE_SYMBOLS.iter().enumerate() {
        let to = if i == 0 {
            dir.path().join("more")
        } else {
            dir.path().to_path_buf()
        };
        std::fs::copy(
            repo_root().join("www/data").join(format!("{sym}.csv")),
            to.join(format!("{sym}.csv")),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a csv").unwrap();
    for (name, text) in extra {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn json(out: &Output) -> Vec<serde_json::Map<String, serde_json::Value>> {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON array");
    v.as_array()
        .expect("an array")
        .iter()
        .map(|o| o.as_object().expect("objects").clone())
        .collect()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn json_has_one_object_per_match_with_columns_keyed_by_their_text() {
    let dir = data_dir(&[]);
    let cols = "close;sma(close, 20);rsi(14);sma(close, 5000)";
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--columns",
        cols,
        "--format",
        "json",
    ]);
    let rows = json(&out);
    let symbols: Vec<&str> = rows.iter().map(|r| r["symbol"].as_str().unwrap()).collect();
    assert_eq!(
        symbols,
        SAMPLE_SYMBOLS.to_vec(),
        "every *.csv (also in subfolders) is a symbol; --expr true matches all"
    );
    for row in &rows {
        let s = sample(row["symbol"].as_str().unwrap());
        let n = s.close.len();
        let close = row["close"].as_f64().unwrap();
        assert!(
            (close - s.close[n - 1]).abs() <= 1e-9 * close,
            "close is the back-adjusted last close"
        );
        let sma20: f64 = s.close[n - 20..].iter().sum::<f64>() / 20.0;
        assert!((row["sma(close, 20)"].as_f64().unwrap() - sma20).abs() <= 1e-9 * sma20);
        let rsi = row["rsi(14)"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&rsi));
        assert!(row["sma(close, 5000)"].is_null(), "undefined is null");
        assert!(row["techRating"].is_number());
        assert!(row["shortRating"].is_number());
        let signal = row["signal"].as_str().unwrap();
        assert!(
            ["Strong Long", "Long", "Avoid", "Short", "Strong Short"].contains(&signal),
            "{signal}"
        );
        assert_eq!(row.len(), 4 + 4);
    }
}

#[test]
fn the_expression_filters_and_threads_do_not_change_the_answer() {
    let dir = data_dir(&[]);
    let run = |threads: &str| {
        json(&technic(&[
            "scan",
            "--data",
            path(dir.path()),
            "--expr",
            "close > sma(close, 50)",
            "--columns",
            "sma(close, 50)",
            "--format",
            "json",
            "--threads",
            threads,
        ]))
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    for row in &one {
        let s = sample(row["symbol"].as_str().unwrap());
        let n = s.close.len();
        let sma50: f64 = s.close[n - 50..].iter().sum::<f64>() / 50.0;
        assert!(
            s.close[n - 1] > sma50,
            "{} matched but is not above its SMA50",
            row["symbol"]
        );
    }
    let expected = SAMPLE_SYMBOLS
        .iter()
        .filter(|sym| {
            let s = sample(sym);
            let n = s.close.len();
            s.close[n - 1] > s.close[n - 50..].iter().sum::<f64>() / 50.0
        })
        .count();
    assert_eq!(one.len(), expected);
}

#[test]
fn bad_files_become_error_lines_on_stderr_and_the_scan_goes_on() {
    let dir = data_dir(&[
        (
            "BROKEN.csv",
            "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,abc,100\n",
        ),
        ("EMPTY.csv", ""),
    ]);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--format",
        "json",
    ]);
    let rows = json(&out);
    assert_eq!(rows.len(), 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line per error row: {stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("BROKEN: ") && l.contains("abc")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EMPTY: ") && l.contains("empty")),
        "{stderr}"
    );
}

#[test]
fn a_one_bar_file_is_reported_too_short() {
    let dir = data_dir(&[(
        "ONE.csv",
        "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n",
    )]);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "rsi(14) > 0",
        "--format",
        "json",
    ]);
    json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.starts_with("ONE: too short")),
        "{stderr}"
    );
}

#[test]
fn a_bad_expression_exits_non_zero_with_the_span() {
    let dir = data_dir(&[]);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "close > smaa(close, 20)",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown function `smaa` at 1:9") && stderr.contains("did you mean `sma`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("        ^^^^"),
        "caret under the span: {stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--columns",
        "close;rsi(14, 3, 4)",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--columns #2"));
}

#[test]
fn a_missing_path_exits_non_zero() {
    let out = technic(&["scan", "--data", "/no/such/folder", "--expr", "true"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));
}

#[test]
fn csv_and_table_formats_print_the_same_rows() {
    let dir = data_dir(&[]);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--columns",
        "close",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("symbol,techRating,shortRating,signal,close")
    );
    assert_eq!(lines.count(), 5);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--format",
        "table",
        "--sort",
        "tech_rating",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("symbol"), "{text}");
    assert!(text.trim_end().ends_with("5 matches"), "{text}");
}

#[test]
fn short_rating_is_the_engines_mirrored_score_next_to_tech_rating() {
    let dir = data_dir(&[]);
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "short_rating > -100",
        "--columns",
        "short_rating;tech_rating",
        "--format",
        "json",
        "--sort",
        "short_rating",
    ]);
    let rows = json(&out);
    assert_eq!(rows.len(), SAMPLE_SYMBOLS.len());
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert_eq!(at("shortRating"), at("techRating") + 1, "{keys:?}");
    let mut last = f64::INFINITY;
    for row in &rows {
        let sym = row["symbol"].as_str().unwrap();
        let text = std::fs::read(repo_root().join("www/data").join(format!("{sym}.csv"))).unwrap();
        let bars = technic::data::csv::read_bars(sym, &text).unwrap();
        let want = technic::engine::score::score(&bars, &Default::default());
        let short = row["shortRating"].as_f64().unwrap();
        assert_eq!(short, want.short_rating, "{sym}: the engine's ShortRating");
        assert_eq!(
            row["short_rating"].as_f64(),
            Some(short),
            "{sym}: language field"
        );
        assert_eq!(row["techRating"].as_f64(), Some(want.tech_rating), "{sym}");
        assert_eq!(row["signal"].as_str(), Some(want.signal.label()), "{sym}");
        assert!(short <= last, "--sort short_rating is descending");
        last = short;
    }
}

/// The bug: `--data` was walked recursively through symlinks, so a link back
/// to a parent folder was entered again and again (a stack overflow, or the
/// same CSVs found under a second path and refused as two files per symbol).
#[cfg(unix)]
#[test]
fn regression_a_symlink_loop_under_data_is_walked_once() {
    let dir = data_dir(&[]);
    // more/loop → the data folder itself; again → more.
    std::os::unix::fs::symlink("..", dir.path().join("more/loop")).unwrap();
    std::os::unix::fs::symlink("more", dir.path().join("again")).unwrap();
    let out = technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--format",
        "json",
    ]);
    let rows = json(&out);
    let symbols: Vec<&str> = rows.iter().map(|r| r["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols, SAMPLE_SYMBOLS.to_vec(), "each CSV once");
}

#[test]
fn synth_writes_the_synthetic_market_that_reads_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let out = technic(&[
        "synth",
        "--out",
        path(dir.path()),
        "--symbols",
        "3",
        "--bars",
        "50",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 0..3 {
        let name = technic::data::synthetic::symbol_name(i);
        let bytes = std::fs::read(dir.path().join(format!("{name}.csv"))).unwrap();
        let read = technic::data::csv::read_bars(&name, &bytes).unwrap();
        assert_eq!(read, technic::data::synthetic::bars(7, i, 50), "{name}");
    }
    let scan = json(&technic(&[
        "scan",
        "--data",
        path(dir.path()),
        "--expr",
        "true",
        "--format",
        "json",
    ]));
    assert_eq!(scan.len(), 3);
}
