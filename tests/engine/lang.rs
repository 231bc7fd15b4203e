//! See main.rs for what this module covers.

use crate::common::{assert_oracle, random_walk, Series};
use proptest::prelude::*;
use ta_lib::Core;
use technic::engine::bars::{Bars, Columns};
use technic::engine::indicators as ind;
use technic::engine::lang::ast::{BinOp, Expr, ExprKind};
use technic::engine::lang::{self, functions, LangError, Part, Scan, Span};
use technic::engine::score::Settings;

fn bars_of(s: &Series) -> Bars {
    let cols = Columns {
        time: (0..s.len() as i64).collect(),
        open: s.open.clone(),
        high: s.high.clone(),
        low: s.low.clone(),
        close: s.close.clone(),
        volume: s.volume.clone(),
    };
    Bars::new(&s.name, cols).unwrap()
}

/// Bars from closes alone: open = previous close, high/low one above/below.
fn bars_from_closes(closes: &[f64]) -> Bars {
    let mut c = Columns::with_capacity(closes.len());
    for (i, &x) in closes.iter().enumerate() {
        let open = if i == 0 { x } else { closes[i - 1] };
        c.push(
            i as i64,
            open,
            open.max(x) + 1.0,
            open.min(x) - 1.0,
            x,
            1000.0 + i as f64,
        );
    }
    Bars::new("T", c).unwrap()
}

fn compile(expr: &str) -> Scan {
    Scan::compile(expr, &[]).unwrap_or_else(|e| panic!("{expr}: {}", e.message))
}

fn compile_err(expr: &str) -> LangError {
    match Scan::compile(expr, &[]) {
        Ok(_) => panic!("{expr} should not compile"),
        Err(e) => e,
    }
}

fn with_columns(expr: &str, cols: &[&str]) -> Scan {
    let cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
    Scan::compile(expr, &cols).unwrap_or_else(|e| panic!("{expr}: {}", e.message))
}

/// Column 0 of `scan` at every bar.
fn column(scan: &Scan, bars: &Bars) -> Vec<Option<f64>> {
    let mut ws = scan.workspace();
    let mut p = scan.prepare(bars, &mut ws, &Settings::default());
    (0..bars.len()).map(|i| p.column_at(0, i)).collect()
}

fn matches(scan: &Scan, bars: &Bars) -> Vec<bool> {
    let mut ws = scan.workspace();
    let mut p = scan.prepare(bars, &mut ws, &Settings::default());
    (0..bars.len()).map(|i| p.matches_at(i)).collect()
}

fn opt(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn close_to(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        _ => false,
    }
}

// ---- parsing ----------------------------------------------------------------

#[test]
fn the_five_spec_examples_compile() {
    let examples = [
        "close > sma(close, 200) and rsi(14) < 30",
        "sma(close, 50) crosses above sma(close, 200)",
        "volume > 2 * avg(volume, 20) and close > highest(high, 20)[1]",
        "macd_hist(12, 26, 9) > 0 and adx(14) > 25 and tech_rating >= 16",
        "cdl_engulfing() > 0 and close < bb_lower(20, 2)",
    ];
    for e in examples {
        let scan = compile(e);
        assert_eq!(lang::parse(&scan.display()).unwrap(), *scan.expr(), "{e}");
    }
    assert_eq!(compile(examples[0]).min_bars(), 200);
    assert_eq!(compile(examples[1]).min_bars(), 201);
    assert!(compile(examples[3]).uses_technic());
    assert!(!compile(examples[0]).uses_technic());
    assert_eq!(
        compile(examples[2]).plan_keys(),
        vec!["sma(volume, 20)", "max(high, 20)"]
    );
    assert_eq!(
        compile(examples[4]).plan_keys(),
        vec!["cdlengulfing()", "bbands(close, 20, 2)"]
    );
}

#[test]
fn printing_is_canonical_and_precedence_aware() {
    let cases = [
        (
            "CLOSE>SMA(close,200)AND rsi(14)<30",
            "close > sma(close, 200) and rsi(14) < 30",
        ),
        ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not a and b", "not a and b"),
        ("not (a and b)", "not (a and b)"),
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("-close[1]", "-close[1]"),
        ("(-close)[1]", "(-close)[1]"),
        ("a - b - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("x == 1 or y <> 2", "x = 1 or y != 2"),
        ("a crosses BELOW b + 1", "a crosses below b + 1"),
        ("signal = \"Strong Long\"", "signal = \"Strong Long\""),
        ("1e6 + .5", "1000000 + 0.5"),
    ];
    for (src, want) in cases {
        assert_eq!(lang::parse(src).unwrap().to_string(), want, "{src}");
    }
}

#[test]
fn precedence_puts_arithmetic_inside_comparisons_inside_logic() {
    let e = lang::parse("not close > open + 2 * 3 or volume < 5").unwrap();
    let ExprKind::Binary {
        op: BinOp::Or, lhs, ..
    } = &e.kind
    else {
        panic!("or at the top: {e:?}")
    };
    let ExprKind::Not(cmp) = &lhs.kind else {
        panic!("not under or")
    };
    let ExprKind::Binary {
        op: BinOp::Gt, rhs, ..
    } = &cmp.kind
    else {
        panic!("comparison under not")
    };
    let ExprKind::Binary {
        op: BinOp::Add,
        rhs: product,
        ..
    } = &rhs.kind
    else {
        panic!("sum on the right")
    };
    assert!(matches!(
        product.kind,
        ExprKind::Binary { op: BinOp::Mul, .. }
    ));
}

#[test]
fn crosses_and_offsets_parse_into_their_own_nodes() {
    let e = lang::parse("sma(close, 5) crosses above sma(close, 10)[2]").unwrap();
    let ExprKind::Binary {
        op: BinOp::CrossAbove,
        rhs,
        ..
    } = &e.kind
    else {
        panic!("{e:?}")
    };
    assert!(matches!(rhs.kind, ExprKind::Offset { bars: 2, .. }));
    assert_eq!(e.span, Span::new(0, 45, 1, 1));
}

// ---- defaults, optional source, dedupe --------------------------------------

#[test]
fn the_source_is_optional_and_defaults_to_close() {
    for e in [
        "rsi(14) < 30",
        "rsi(close, 14) < 30",
        "rsi() < 30",
        "rsi(close) < 30",
    ] {
        assert_eq!(compile(e).plan_keys(), vec!["rsi(close, 14)"], "{e}");
    }
    assert_eq!(
        compile("sma(close) > 0").plan_keys(),
        vec!["sma(close, 30)"]
    );
    assert_eq!(
        compile("macd() > 0").plan_keys(),
        vec!["macd(close, 12, 26, 9)"]
    );
    assert_eq!(
        compile("stoch_k() > stoch_d(5)").plan_keys(),
        vec!["stoch(5, 3, 3)"]
    );
    assert_eq!(
        compile("stochrsi_k(hl2) > 0").plan_keys(),
        vec!["series(hl2)", "stochrsi(series(hl2), 14, 5, 3)"]
    );
    assert_eq!(
        compile("stddev(close, 10) > 0").plan_keys(),
        vec!["stddev(close, 10, 1)"]
    );
    assert_eq!(compile("sar() > 0").plan_keys(), vec!["sar(0.02, 0.2)"]);
    assert_eq!(
        compile("cdl_morningstar() > 0 or cdl_darkcloudcover() < 0").plan_keys(),
        vec!["cdlmorningstar(0.3)", "cdldarkcloudcover(0.5)"]
    );
    // Constant arithmetic folds, so `2 * 7` is a period, not a source.
    assert_eq!(
        compile("rsi(2 * 7) < 30").plan_keys(),
        vec!["rsi(close, 14)"]
    );
    assert_eq!(
        compile("sma(close - open, 10) > 0").plan_keys(),
        vec!["series(close - open)", "sma(series(close - open), 10)"]
    );
}

#[test]
fn each_distinct_indicator_is_computed_once_across_expression_and_columns() {
    let scan = with_columns(
        "close > sma(close, 3) and sma(close, 3) > avg(close, 3) and rsi(14) > rsi(close, 14) - 1",
        &["sma(close, 3)", "rsi()", "sma(close, 5)"],
    );
    assert_eq!(scan.indicator_count(), 3);
    let scan = compile("macd(12, 26, 9) > macd_signal() and macd_hist(close, 12, 26, 9) > 0");
    assert_eq!(scan.plan_keys(), vec!["macd(close, 12, 26, 9)"]);
    let scan = compile("bb_upper(20, 2) > bb_middle(20, 2) and bb_lower(20, 2) < close");
    assert_eq!(scan.indicator_count(), 1);
    let scan = compile("aroon_up(14) > aroon_down(14)");
    assert_eq!(scan.indicator_count(), 1);
    // Same source text, same derived series; a composed source reuses the
    // inner indicator.
    let scan = compile("sma(rsi(14), 5) > rsi(14) and ema(close - open, 3) > sma(close - open, 3)");
    assert_eq!(
        scan.plan_keys(),
        vec![
            "rsi(close, 14)",
            "sma(rsi(close, 14), 5)",
            "series(close - open)",
            "ema(series(close - open), 3)",
            "sma(series(close - open), 3)",
        ]
    );
    // Different parameters are different indicators.
    assert_eq!(
        compile("sma(close, 3) > sma(close, 4)").indicator_count(),
        2
    );
}

#[test]
fn the_conditions_steps_run_first_and_the_columns_own_after() {
    // What the condition reads, and what that reads, first (each group in
    // its order); the steps only columns read after.
    let scan = with_columns(
        "ema(close - open, 3) > 0 and rsi(14) > 50",
        &["sma(close, 50)", "sma(rsi(14), 5)", "rsi(14)"],
    );
    assert_eq!(
        scan.plan_keys(),
        vec![
            "series(close - open)",
            "ema(series(close - open), 3)",
            "rsi(close, 14)",
            "sma(close, 50)",
            "sma(rsi(close, 14), 5)",
        ]
    );
    // A condition on a Technic field reads the score's series from the plan.
    let scan = with_columns("tech_rating > 0", &["sma(close, 50)", "atr(14)"]);
    assert_eq!(scan.plan_keys(), vec!["atr(14)", "sma(close, 50)"]);
    let scan = with_columns("close > 0", &["sma(close, 50)", "atr(14)"]);
    assert_eq!(scan.plan_keys(), vec!["sma(close, 50)", "atr(14)"]);
}

#[test]
fn columns_and_score_computed_on_demand_equal_the_whole_plans() {
    // One workspace over symbols of different lengths, most not matching
    // (their columns never computed): every match's columns at every bar and
    // its score equal those of a scan that computes everything up front.
    let cols = [
        "sma(close, 50)",
        "rsi(14)",
        "ema(close - open, 3)",
        "sma(rsi(14), 5)",
        "tech_rating",
    ];
    let scan = with_columns("close > sma(close, 20) and adx(14) > 20", &cols);
    let whole = with_columns("true", &cols);
    let mut ws = scan.workspace();
    let (mut matched, mut missed) = (0, 0);
    for i in 0..40 {
        let bars = technic::data::synthetic::bars(5, i, 80 + 23 * (i % 7));
        let last = bars.len() - 1;
        let settings = Settings::default();
        let mut p = scan.prepare(&bars, &mut ws, &settings);
        if !p.matches_at(last) {
            missed += 1;
            continue;
        }
        matched += 1;
        let mut ws_whole = whole.workspace();
        let mut q = whole.prepare(&bars, &mut ws_whole, &settings);
        for (k, name) in cols.iter().enumerate() {
            for t in 0..bars.len() {
                let (got, want) = (p.column_at(k, t), q.column_at(k, t));
                assert_eq!(
                    got.map(f64::to_bits),
                    want.map(f64::to_bits),
                    "symbol {i}, column {name} at bar {t}: {got:?} against {want:?}"
                );
            }
        }
        assert_eq!(
            format!("{:?}", p.score_at(last)),
            format!("{:?}", q.score_at(last)),
            "symbol {i}: the score"
        );
    }
    assert!(
        matched >= 3 && missed >= 3,
        "{matched} matched, {missed} missed"
    );
}

#[test]
fn min_bars_counts_lookbacks_offsets_and_crosses() {
    assert_eq!(compile("close > 0").min_bars(), 1);
    assert_eq!(compile("close > sma(close, 200)").min_bars(), 200);
    assert_eq!(compile("close[3] > sma(close, 3)").min_bars(), 4);
    assert_eq!(compile("sma(close, 3)[2] > 0").min_bars(), 5);
    assert_eq!(compile("sma(rsi(14), 5) > 50").min_bars(), 14 + 4 + 1);
    assert_eq!(compile("close crosses above open").min_bars(), 2);
    assert_eq!(
        compile("ema(close, 10) crosses below sma(close, 5)").min_bars(),
        11
    );
    assert_eq!(compile("macd_hist() > 0").min_bars(), 26 + 8);
    assert_eq!(compile("atr(14) > 1").min_bars(), 15);
    assert_eq!(compile("sma(close[2], 3) > 0").min_bars(), 5);
}

#[test]
fn an_expression_is_defined_at_the_last_bar_from_min_bars_on() {
    let s = random_walk(7, 120, 50.0, 0.02);
    for e in [
        "close > sma(close, 20)",
        "sma(rsi(14), 5) > 50",
        "ema(close, 10) crosses above sma(close, 5)",
        "macd_signal(5, 9, 4) + close[3] > open",
        "atr(7) > sma(close - open, 4)",
    ] {
        let scan = compile(e);
        let full = bars_of(&s);
        for n in [scan.min_bars() - 1, scan.min_bars()] {
            let bars = full.last(n);
            let mut ws = scan.workspace();
            let mut p = scan.prepare(&bars, &mut ws, &Settings::default());
            let defined = p.condition_at(n - 1).is_some();
            assert_eq!(defined, n == scan.min_bars(), "{e} with {n} bars");
        }
    }
}

#[test]
fn candlestick_lookbacks_match_ta_lib() {
    let core = Core::new();
    let lb = |name: &str| {
        let f = functions::FUNCTIONS
            .iter()
            .find(|f| f.name == name)
            .unwrap();
        let params: Vec<f64> = f.params.iter().map(|p| p.default).collect();
        f.kernel.lookback(&params)
    };
    let theirs = [
        ("cdl_engulfing", core.cdlengulfing_lookback().unwrap()),
        ("cdl_hammer", core.cdlhammer_lookback().unwrap()),
        ("cdl_doji", core.cdldoji_lookback().unwrap()),
        (
            "cdl_morningstar",
            core.cdlmorningstar_lookback(0.3).unwrap(),
        ),
        (
            "cdl_eveningstar",
            core.cdleveningstar_lookback(0.3).unwrap(),
        ),
        ("cdl_shootingstar", core.cdlshootingstar_lookback().unwrap()),
        ("cdl_harami", core.cdlharami_lookback().unwrap()),
        (
            "cdl_3whitesoldiers",
            core.cdl3whitesoldiers_lookback().unwrap(),
        ),
        ("cdl_3blackcrows", core.cdl3blackcrows_lookback().unwrap()),
        ("cdl_piercing", core.cdlpiercing_lookback().unwrap()),
        (
            "cdl_darkcloudcover",
            core.cdldarkcloudcover_lookback(0.5).unwrap(),
        ),
        ("cdl_marubozu", core.cdlmarubozu_lookback().unwrap()),
    ];
    for (name, want) in theirs {
        assert_eq!(lb(name), want, "{name}");
    }
}

// ---- errors -------------------------------------------------------------------

fn assert_error(expr: &str, message: &str, span: (usize, usize, usize, usize)) {
    let e = compile_err(expr);
    assert_eq!(e.message, message, "{expr}");
    assert_eq!(e.part, Part::Expr);
    assert_eq!(
        (e.span.start, e.span.end, e.span.line, e.span.col),
        span,
        "{expr}: span"
    );
}

#[test]
fn unknown_names_suggest_the_closest_known_one() {
    assert_error(
        "close > smaa(close, 20)",
        "unknown function `smaa` at 1:9 — did you mean `sma`?",
        (8, 12, 1, 9),
    );
    assert_error(
        "clsoe > 1",
        "unknown series `clsoe` at 1:1 — did you mean `close`?",
        (0, 5, 1, 1),
    );
    assert_error(
        "tech_ratin > 1",
        "unknown series `tech_ratin` at 1:1 — did you mean `tech_rating`?",
        (0, 10, 1, 1),
    );
    assert_error("foo > 1", "unknown series `foo` at 1:1", (0, 3, 1, 1));
    assert_error(
        "xyzzy(3) > 1",
        "unknown function `xyzzy` at 1:1",
        (0, 5, 1, 1),
    );
    assert_error(
        "rsi > 30",
        "`rsi` at 1:1 is a function: call it with parentheses, e.g. `rsi(14)`",
        (0, 3, 1, 1),
    );
    assert_error(
        "close() > 1",
        "`close` at 1:1 is a series, not a function: write `close` without parentheses",
        (0, 5, 1, 1),
    );
}

#[test]
fn argument_counts_and_parameters_are_checked_with_ranges() {
    assert_error(
        "rsi(close, 14, 3) > 1",
        "`rsi` takes at most 2 arguments, got 3 at 1:1",
        (0, 17, 1, 1),
    );
    assert_error(
        "sma(5, 10) > 1",
        "`sma` takes at most 1 parameter when its source is left out, got 2 at 1:1 — a number first means the source defaults to close",
        (0, 10, 1, 1),
    );
    assert_error(
        "obv(1) > 1",
        "`obv` takes no arguments, got 1 at 1:1",
        (0, 6, 1, 1),
    );
    assert_error(
        "atr(14, 2) > 1",
        "`atr` takes at most 1 argument, got 2 at 1:1",
        (0, 10, 1, 1),
    );
    assert_error(
        "rsi(1) > 1",
        "`period` of `rsi` must be a whole number from 2 to 100000, got 1 at 1:5",
        (4, 5, 1, 5),
    );
    assert_error(
        "sma(close, 2.5) > 1",
        "`period` of `sma` must be a whole number from 2 to 100000, got 2.5 at 1:12",
        (11, 14, 1, 12),
    );
    assert_error(
        "macd(12, 26, 0) > 1",
        "`signal` of `macd` must be a whole number from 1 to 100000, got 0 at 1:14",
        (13, 14, 1, 14),
    );
    assert_error(
        "sar(-0.1) > 1",
        "`accel` of `sar` must be a number from 0 to 3e37, got -0.1 at 1:5",
        (4, 8, 1, 5),
    );
    assert_error(
        "sma(close, volume) > 1",
        "`period` of `sma` must be a constant number at 1:12",
        (11, 17, 1, 12),
    );
    assert_error(
        "atr(close) > 1",
        "`period` of `atr` must be a constant number at 1:5 (`atr` takes no source series)",
        (4, 9, 1, 5),
    );
    assert_error(
        "sma(close > open, 3) > 1",
        "the source of `sma` needs a number, but `close > open` at 1:5 is a condition (true/false)",
        (4, 16, 1, 5),
    );
    assert_error(
        "sma(tech_rating, 3) > 1",
        "the source of `sma` at 1:5 reads a Technic field; fields are scored one bar at a time and cannot feed an indicator",
        (4, 15, 1, 5),
    );
}

#[test]
fn offsets_must_be_whole_and_never_look_into_the_future() {
    assert_error(
        "close[-1] > 1",
        "bar offset must be a non-negative whole number at 1:7: `close[-1]` would look into the future",
        (6, 8, 1, 7),
    );
    assert_error(
        "close[0.5] > 1",
        "bar offset must be a non-negative whole number at 1:7: `close[0.5]` is between bars",
        (6, 9, 1, 7),
    );
    assert_error(
        "close[open] > 1",
        "bar offset must be a non-negative whole number at 1:7: `close[open]` needs a constant such as `[1]`",
        (6, 10, 1, 7),
    );
    assert_eq!(compile("close[1 + 1] > 1").display(), "close[2] > 1");
}

#[test]
fn syntax_errors_say_what_was_expected_where() {
    assert_error(
        "rsi(14) < (30",
        "unbalanced parenthesis: `(` at 1:11 is never closed",
        (10, 11, 1, 11),
    );
    assert_error(
        "close > open)",
        "unbalanced parenthesis: `)` at 1:13 has no matching `(`",
        (12, 13, 1, 13),
    );
    assert_error(
        "sma(close, 5 > 1",
        "unbalanced parenthesis: `(` at 1:4 is never closed",
        (3, 4, 1, 4),
    );
    assert_error(
        "close >",
        "unexpected end of input at 1:8: expected a number, a name or `(`",
        (7, 7, 1, 8),
    );
    assert_error(
        "close > > 1",
        "unexpected `>` at 1:9: expected a number, a name or `(`",
        (8, 9, 1, 9),
    );
    assert_error(
        "close 1",
        "unexpected number `1` at 1:7: expected an operator such as `and`, `>` or `+`",
        (6, 7, 1, 7),
    );
    assert_error(
        "close crosses open",
        "unexpected `open` at 1:15: expected `above` or `below` after `crosses`",
        (14, 18, 1, 15),
    );
    assert_error(
        "close > 1 and\n  volume > ) ",
        "unbalanced parenthesis: `)` at 2:12 has no matching `(`",
        (25, 26, 2, 12),
    );
    assert_error("close # 1", "unexpected character `#` at 1:7", (6, 7, 1, 7));
}

#[test]
fn types_are_checked_numbers_conditions_and_text() {
    assert_error(
        "close + 1",
        "the scan needs a condition (true/false), but `close + 1` at 1:1 is a number — compare it, e.g. `close + 1 > 0`",
        (0, 9, 1, 1),
    );
    assert_error(
        "close and open > 1",
        "`and` needs a condition (true/false), but `close` at 1:1 is a number — compare it, e.g. `close > 0`",
        (0, 5, 1, 1),
    );
    assert_error(
        "(close > 1) + 2 > 0",
        "`+` needs a number, but `(close > 1)` at 1:1 is a condition (true/false)",
        (0, 11, 1, 1),
    );
    assert_error(
        "close = \"Long\"",
        "text \"Long\" at 1:9 can only be compared with `signal`, as in `signal = \"Long\"`",
        (8, 14, 1, 9),
    );
    assert_error(
        "signal = \"Lung\"",
        "unknown signal \"Lung\" at 1:10 — did you mean `Long`? (signals: \"Strong Long\", \"Long\", \"Avoid\", \"Short\", \"Strong Short\")",
        (9, 15, 1, 10),
    );
    assert!(compile("signal = \"strong long\" or signal[1] != \"Avoid\"").uses_technic());
    assert!(compile("\"Short\" >= signal").uses_technic());
}

#[test]
fn column_errors_name_their_column() {
    let cols = vec!["sma(close, 5)".to_string(), "emaa(close, 3)".to_string()];
    let e = Scan::compile("close > 1", &cols).unwrap_err();
    assert_eq!(e.part, Part::Column(1));
    assert_eq!(
        e.message,
        "unknown function `emaa` at 1:1 — did you mean `ema`?"
    );
    let e = Scan::compile("close > 1", &["".to_string()]).unwrap_err();
    assert_eq!(e.message, "display column 1 is empty");
    assert_eq!(
        Scan::compile("", &[]).unwrap_err().message,
        "the scan expression is empty"
    );
}

// ---- evaluation -----------------------------------------------------------------

const CLOSES: [f64; 12] = [
    10.0, 11.0, 12.0, 11.0, 10.0, 9.0, 10.0, 12.0, 13.0, 12.0, 14.0, 13.0,
];

#[test]
fn close_above_a_three_bar_sma_matches_a_direct_computation() {
    let bars = bars_from_closes(&CLOSES);
    let got = matches(&compile("close > sma(close, 3)"), &bars);
    let want: Vec<bool> = (0..CLOSES.len())
        .map(|i| i >= 2 && CLOSES[i] > (CLOSES[i - 2] + CLOSES[i - 1] + CLOSES[i]) / 3.0)
        .collect();
    assert_eq!(got, want);
    // Hand-checked: bar 2 is 12 > 11, bar 5 is 9 < 10.
    assert!(got[2] && !got[5]);
    let col = column(&with_columns("close > 0", &["sma(close, 3)"]), &bars);
    assert_eq!(col[..2], [None, None]);
    assert_eq!(col[2], Some(11.0));
    assert_eq!(col[11], Some(13.0));
}

#[test]
fn short_rating_reads_the_mirrored_score_at_every_bar_and_completes() {
    let s = random_walk(11, 260, 80.0, 0.015);
    let bars = bars_of(&s);
    let col = column(&with_columns("true", &["short_rating"]), &bars);
    let settings = Settings::default();
    let mut defined = 0;
    for (i, got) in col.iter().enumerate() {
        let want = technic::engine::score::score_at(&bars, i, &settings).short_rating;
        assert_eq!(*got, opt(want), "bar {i}");
        defined += got.is_some() as usize;
    }
    assert_eq!(defined, 260 - 14, "undefined only while ATR(14) is");
    // The field filters like any number, and `signal` sees the short side.
    let strong = matches(
        &compile("short_rating >= 22 and signal == \"Strong Short\""),
        &bars,
    );
    for (i, m) in strong.iter().enumerate() {
        let sc = technic::engine::score::score_at(&bars, i, &settings);
        let want =
            sc.short_rating >= 22.0 && sc.signal == technic::engine::score::Signal::StrongShort;
        assert_eq!(*m, want, "bar {i}");
    }
    assert!(
        lang::field_names().any(|f| f == "short_rating"),
        "autocomplete"
    );
    assert_eq!(
        compile_err("short_ratin > 1").message,
        "unknown series `short_ratin` at 1:1 — did you mean `short_rating`?"
    );
}

#[test]
fn offsets_read_earlier_bars_and_are_undefined_before_the_first() {
    let bars = bars_from_closes(&CLOSES);
    let col = column(&with_columns("close > 0", &["close[2] - close"]), &bars);
    assert_eq!(col[..2], [None, None]);
    for i in 2..CLOSES.len() {
        assert_eq!(col[i], Some(CLOSES[i - 2] - CLOSES[i]));
    }
    // `not` of undefined is still no match (three-valued logic).
    let m = matches(&compile("not close[2] > 100"), &bars);
    assert_eq!(m[..2], [false, false]);
    assert!(m[2..].iter().all(|&b| b));
}

#[test]
fn crosses_needs_the_previous_bar_on_the_other_side() {
    let bars = bars_from_closes(&CLOSES);
    let above = matches(&compile("close crosses above 11.5"), &bars);
    let below = matches(&compile("close crosses below 11.5"), &bars);
    let want_above: Vec<bool> = (0..CLOSES.len())
        .map(|i| i > 0 && CLOSES[i] > 11.5 && CLOSES[i - 1] <= 11.5)
        .collect();
    let want_below: Vec<bool> = (0..CLOSES.len())
        .map(|i| i > 0 && CLOSES[i] < 11.5 && CLOSES[i - 1] >= 11.5)
        .collect();
    assert_eq!(above, want_above);
    assert_eq!(below, want_below);
    assert!(above[2] && above[7] && below[3]);
}

#[test]
fn sma_crossing_sma_equals_a_direct_computation_on_a_random_walk() {
    let s = random_walk(3, 300, 100.0, 0.02);
    let bars = bars_of(&s);
    let (mut fast, mut slow) = (vec![0.0; s.len()], vec![0.0; s.len()]);
    ind::sma(&s.close, 5, &mut fast);
    ind::ema(&s.close, 20, &mut slow);
    let got = matches(
        &compile("sma(close, 5) crosses above ema(close, 20)"),
        &bars,
    );
    let want: Vec<bool> = (0..s.len())
        .map(|i| i > 0 && fast[i] > slow[i] && fast[i - 1] <= slow[i - 1])
        .collect();
    assert_eq!(got, want);
    assert!(
        got.iter().any(|&b| b),
        "the walk should cross at least once"
    );
}

#[test]
fn indicator_columns_equal_their_kernels_at_every_bar() {
    let s = random_walk(11, 250, 40.0, 0.03);
    let bars = bars_of(&s);
    let n = s.len();
    let direct = |f: &dyn Fn(&mut [f64])| {
        let mut out = vec![0.0; n];
        f(&mut out);
        out
    };
    let rsi = direct(&|o| ind::rsi(&s.close, 14, o));
    let ema = direct(&|o| ind::ema(&s.high, 10, o));
    let atr = direct(&|o| ind::atr(&s.high, &s.low, &s.close, 14, o));
    let (mut line, mut sig, mut hist) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    ind::macd(&s.close, 12, 26, 9, &mut line, &mut sig, &mut hist);
    let cases: Vec<(&str, Vec<Option<f64>>)> = vec![
        ("rsi(14)", rsi.iter().map(|&v| opt(v)).collect()),
        ("ema(high, 10)", ema.iter().map(|&v| opt(v)).collect()),
        ("macd_signal()", sig.iter().map(|&v| opt(v)).collect()),
        (
            "macd_hist(12, 26, 9) * 2",
            hist.iter().map(|&v| opt(v * 2.0)).collect(),
        ),
        (
            "close - 2 * atr(14)",
            (0..n).map(|i| opt(s.close[i] - 2.0 * atr[i])).collect(),
        ),
        (
            "atr(14) / close * 100",
            (0..n).map(|i| opt(atr[i] / s.close[i] * 100.0)).collect(),
        ),
    ];
    for (expr, want) in cases {
        let got = column(&with_columns("close > 0", &[expr]), &bars);
        for i in 0..n {
            assert!(
                close_to(got[i], want[i]),
                "{expr} at {i}: {:?} vs {:?}",
                got[i],
                want[i]
            );
        }
    }
}

#[test]
fn a_composed_source_is_trimmed_to_its_first_value_like_ta_lib() {
    let s = random_walk(5, 200, 30.0, 0.02);
    let bars = bars_of(&s);
    let core = Core::new();
    let n = s.len();
    // TA-Lib: RSI over the bars, then SMA over RSI's output slice.
    let mut rsi = vec![0.0; n];
    let r = core.rsi(0, n - 1, &s.close, 14, &mut rsi).unwrap();
    let rsi = &rsi[..r.count];
    let mut sma = vec![0.0; rsi.len()];
    let r2 = core.sma(0, rsi.len() - 1, rsi, 5, &mut sma).unwrap();
    let got: Vec<f64> = column(&with_columns("close > 0", &["sma(rsi(14), 5)"]), &bars)
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    assert_oracle(
        "sma(rsi(14), 5)",
        &got,
        &sma,
        r.beg_idx + r2.beg_idx,
        r2.count,
    );
    // The same through a derived source with a warm-up: ema of close[3].
    let mut shifted = vec![0.0; n - 3];
    let r3 = core
        .ema(0, n - 4, &s.close[..n - 3], 10, &mut shifted)
        .unwrap();
    let got: Vec<f64> = column(&with_columns("close > 0", &["ema(close[3], 10)"]), &bars)
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    assert_oracle(
        "ema(close[3], 10)",
        &got,
        &shifted,
        3 + r3.beg_idx,
        r3.count,
    );
}

#[test]
fn derived_price_series_follow_their_formulas() {
    let bars = bars_from_closes(&CLOSES);
    let got = column(&with_columns("close > 0", &["ohlc4 - hl2 + hlc3"]), &bars);
    for (i, &got) in got.iter().enumerate() {
        let (o, h, l, c) = (
            bars.open()[i],
            bars.high()[i],
            bars.low()[i],
            bars.close()[i],
        );
        let want = (o + h + l + c) / 4.0 - (h + l) / 2.0 + (h + l + c) / 3.0;
        assert!(close_to(got, Some(want)), "bar {i}");
    }
}

#[test]
fn conditions_as_columns_read_one_or_zero_and_division_by_zero_is_undefined() {
    let bars = bars_from_closes(&CLOSES);
    let got = column(&with_columns("close > 0", &["close > 11"]), &bars);
    let want: Vec<Option<f64>> = CLOSES
        .iter()
        .map(|&c| Some(if c > 11.0 { 1.0 } else { 0.0 }))
        .collect();
    assert_eq!(got, want);
    let got = column(
        &with_columns("close > 0", &["close / (close - close)"]),
        &bars,
    );
    assert!(got.iter().all(Option::is_none));
    assert!(matches(&compile("close / 0 > 1 or close / 0 <= 1"), &bars)
        .iter()
        .all(|&m| !m));
}

#[test]
fn a_workspace_is_reused_across_symbols_of_different_lengths() {
    let scan = with_columns(
        "close > sma(close, 10) and rsi(14) > 40",
        &["sma(rsi(14), 5)", "macd_hist()"],
    );
    let mut ws = scan.workspace();
    for (seed, n) in [(1, 300), (2, 80), (3, 40), (4, 300)] {
        let bars = bars_of(&random_walk(seed, n, 20.0, 0.02));
        let mut fresh = scan.workspace();
        let mut a = scan.prepare(&bars, &mut ws, &Settings::default());
        let got: Vec<_> = (0..n)
            .map(|i| (a.matches_at(i), a.column_at(0, i), a.column_at(1, i)))
            .collect();
        let mut b = scan.prepare(&bars, &mut fresh, &Settings::default());
        let want: Vec<_> = (0..n)
            .map(|i| (b.matches_at(i), b.column_at(0, i), b.column_at(1, i)))
            .collect();
        assert_eq!(got, want, "seed {seed}");
    }
}

#[test]
fn indexes_past_the_end_and_missing_columns_are_undefined() {
    let bars = bars_from_closes(&CLOSES);
    let scan = with_columns("close > 0", &["close"]);
    let mut ws = scan.workspace();
    let mut p = scan.prepare(&bars, &mut ws, &Settings::default());
    assert!(p.matches_at(CLOSES.len() - 1));
    assert!(!p.matches_at(CLOSES.len()));
    assert_eq!(p.column_at(0, CLOSES.len()), None);
    assert_eq!(p.column_at(1, 0), None);
}

#[test]
fn autocomplete_lists_cover_every_name_of_the_contract() {
    let names: Vec<&str> = lang::function_names().collect();
    for want in [
        "sma",
        "ema",
        "wma",
        "dema",
        "tema",
        "kama",
        "rsi",
        "macd",
        "macd_signal",
        "macd_hist",
        "stoch_k",
        "stoch_d",
        "stochrsi_k",
        "stochrsi_d",
        "willr",
        "cci",
        "mfi",
        "atr",
        "natr",
        "adx",
        "plus_di",
        "minus_di",
        "aroonosc",
        "aroon_up",
        "aroon_down",
        "trange",
        "roc",
        "mom",
        "bb_upper",
        "bb_middle",
        "bb_lower",
        "stddev",
        "obv",
        "ad",
        "adosc",
        "sar",
        "linearreg",
        "linearreg_slope",
        "cdl_engulfing",
        "cdl_hammer",
        "cdl_doji",
        "cdl_morningstar",
        "cdl_eveningstar",
        "cdl_shootingstar",
        "cdl_harami",
        "cdl_3whitesoldiers",
        "cdl_3blackcrows",
        "cdl_piercing",
        "cdl_darkcloudcover",
        "cdl_marubozu",
        "highest",
        "lowest",
        "sum",
        "avg",
    ] {
        assert!(names.contains(&want), "{want}");
        // Every function compiles with its defaults.
        compile(&format!("{want}() > 0"));
    }
    assert_eq!(lang::series_names().count(), 8);
    assert!(lang::field_names().any(|f| f == "risk_score"));
}

// ---- properties -------------------------------------------------------------------

const NAMES: [&str; 8] = [
    "close",
    "open",
    "volume",
    "hl2",
    "tech_rating",
    "signal",
    "x",
    "foo_1",
];
const FUNCS: [&str; 6] = ["sma", "rsi", "macd_hist", "trange", "cdl_doji", "f"];

fn sp() -> Span {
    Span::new(0, 0, 1, 1)
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0u32..100_000).prop_map(|v| ExprKind::Num(f64::from(v))),
        (0.0f64..1e9).prop_map(ExprKind::Num),
        prop::sample::select(NAMES.to_vec()).prop_map(|s| ExprKind::Ident(s.to_string())),
        "[A-Za-z ]{0,12}".prop_map(ExprKind::Str),
    ]
    .prop_map(|k| Expr::new(k, sp()));
    leaf.prop_recursive(6, 48, 4, |inner| {
        let ops = prop::sample::select(vec![
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Eq,
            BinOp::Ne,
            BinOp::CrossAbove,
            BinOp::CrossBelow,
            BinOp::And,
            BinOp::Or,
        ]);
        prop_oneof![
            (ops, inner.clone(), inner.clone()).prop_map(|(op, a, b)| ExprKind::Binary {
                op,
                lhs: Box::new(a),
                rhs: Box::new(b),
            }),
            inner.clone().prop_map(|e| ExprKind::Neg(Box::new(e))),
            inner.clone().prop_map(|e| ExprKind::Not(Box::new(e))),
            (inner.clone(), 0usize..500).prop_map(|(e, bars)| ExprKind::Offset {
                expr: Box::new(e),
                bars,
            }),
            (
                prop::sample::select(FUNCS.to_vec()),
                prop::collection::vec(inner, 0..4)
            )
                .prop_map(|(name, args)| ExprKind::Call {
                    name: name.to_string(),
                    args,
                }),
        ]
        .prop_map(|k| Expr::new(k, sp()))
    })
}

proptest! {
    #[test]
    fn printing_a_tree_and_parsing_it_back_gives_the_same_tree(e in arb_expr()) {
        let text = e.to_string();
        let back = lang::parse(&text);
        prop_assert!(back.is_ok(), "{text}: {:?}", back.err());
        prop_assert_eq!(back.unwrap(), e, "{}", text);
    }

    #[test]
    fn compiling_random_text_never_panics(s in "\\PC{0,60}") {
        let _ = Scan::compile(&s, std::slice::from_ref(&s));
    }

    #[test]
    fn compiling_random_token_soup_never_panics(
        toks in prop::collection::vec(prop::sample::select(vec![
            "close", "sma", "rsi", "(", ")", "[", "]", ",", "-", "+", "*", "/", ">", "<=",
            "=", "<>", "and", "or", "not", "crosses", "above", "below", "1", "0", "-1", "2.5",
            "1e400", "\"Long\"", "signal", "macd_hist", "tech_rating", "hl2", "\n", "!",
        ]), 0..30)
    ) {
        let s = toks.join(" ");
        if let Ok(scan) = Scan::compile(&s, &[]) {
            // Whatever compiles also evaluates without panicking.
            let bars = bars_from_closes(&CLOSES);
            let mut ws = scan.workspace();
            let mut p = scan.prepare(&bars, &mut ws, &Settings::default());
            for i in 0..=CLOSES.len() {
                let _ = p.matches_at(i);
            }
            let reparsed = lang::parse(&scan.display());
            prop_assert!(reparsed.is_ok());
        }
    }
}

#[test]
fn true_and_false_are_constant_conditions() {
    let b = bars_from_closes(&[10.0, 11.0, 12.0]);
    assert_eq!(matches(&compile("true"), &b), vec![true; 3]);
    assert_eq!(matches(&compile("FALSE"), &b), vec![false; 3]);
    assert_eq!(
        matches(&compile("not false and close > 10.5"), &b),
        vec![false, true, true]
    );
    assert_eq!(compile("true").min_bars(), 1);
    let col = with_columns("true", &["true", "false"]);
    assert_eq!(column(&col, &b), vec![Some(1.0); 3]);
    assert!(
        compile_err("true + 1").message.contains("`+`"),
        "a condition is not a number"
    );
}

/// Regression (found by the `lang_compile` fuzz target): `İ` is a Unicode
/// letter whose lower case is two characters, so a name holding it printed
/// as text that did not parse back. Names are ASCII (every TA-Lib name is);
/// any other letter is an unexpected character with its span.
#[test]
fn regression_a_non_ascii_letter_in_a_name_is_an_unexpected_character() {
    let err = compile_err("close > smaİ(close, 20)");
    assert!(
        err.to_string().contains("unexpected character `İ` at 1:12"),
        "{err}"
    );
    assert_eq!(
        compile("CLOSE > SMA(close, 20)").display(),
        compile("close > sma(close, 20)").display()
    );
}

/// Bars `0..len` of `bars`, as a symbol would have had them then.
fn head(bars: &Bars, len: usize) -> Bars {
    let mut c = Columns::with_capacity(len);
    for i in 0..len {
        c.push(
            bars.time()[i],
            bars.open()[i],
            bars.high()[i],
            bars.low()[i],
            bars.close()[i],
            bars.volume()[i],
        );
    }
    Bars::new("head", c).unwrap()
}

/// Awkward and ordinary bars for the look-ahead tests: synthetic symbols,
/// a walk with flat stretches (no move: ADX's bars without a DX, RSI's
/// neutral 50) and one with gaps.
fn look_ahead_bars() -> Vec<(&'static str, Bars)> {
    vec![
        ("synthetic 0", technic::data::synthetic::bars(3, 0, 230)),
        ("synthetic 1", technic::data::synthetic::bars(3, 1, 197)),
        (
            "flat stretches",
            bars_of(&crate::common::with_flat_stretches(5, 260)),
        ),
        ("gaps", bars_of(&crate::common::with_gaps(6, 213))),
    ]
}

#[test]
fn no_kernel_reads_past_the_bar_it_gives_bit_for_bit() {
    // A backtest reads bar t of the whole series; a scan on day t saw bars
    // 0..=t. The two agree bit for bit for every function but KAMA, whose
    // four-bar steps decide on the next four bars (a window of zero moves or
    // a bad print ahead, the last `len % 4` bars): there the two differ by
    // ulps, both within TA-Lib's 1e-9.
    let mut differ = Vec::new();
    for f in functions::FUNCTIONS.iter().filter(|f| f.name != "kama") {
        let scan = with_columns("true", &[&format!("{}()", f.name)]);
        for (name, bars) in look_ahead_bars() {
            let whole = column(&scan, &bars);
            for t in (0..bars.len()).step_by(3).chain([bars.len() - 1]) {
                let then = column(&scan, &head(&bars, t + 1));
                if then[t].map(f64::to_bits) != whole[t].map(f64::to_bits) {
                    differ.push(format!("{}() at bar {t} of {name}", f.name));
                    break;
                }
            }
        }
    }
    assert!(
        differ.is_empty(),
        "values that depend on later bars: {differ:?}"
    );
}

#[test]
fn the_technic_fields_at_every_bar_are_the_score_of_the_bars_up_to_it() {
    use technic::engine::score::{score_at, Field};
    let fields: Vec<String> = lang::field_names().map(String::from).collect();
    // The score's series computed for it (RSI, ATR, MACD), or read from the
    // plan, which computes them for the scan's own columns.
    let mut with_series = fields.clone();
    with_series.extend(["rsi(14)", "atr(14)", "macd_hist(12, 26, 9)"].map(String::from));
    // Fields add no plan step: the score's series are computed when a field
    // is first read, once per symbol, unless the scan computes them itself.
    assert_eq!(
        compile("tech_rating >= 16 and rsi(14) < 70").plan_keys(),
        vec!["rsi(close, 14)"]
    );
    let settings = Settings::default();
    for columns in [fields.clone(), with_series] {
        let scan = Scan::compile("tech_rating > -100", &columns).unwrap();
        let mut checked = 0;
        for (series, bars) in look_ahead_bars() {
            let mut ws = scan.workspace();
            let mut p = scan.prepare(&bars, &mut ws, &settings);
            for t in 0..bars.len() {
                let want = score_at(&bars, t, &settings);
                for (k, name) in fields.iter().enumerate() {
                    let field = Field::from_name(name).unwrap();
                    let v = want.field(field);
                    let v = v.is_finite().then_some(v);
                    assert_eq!(
                        p.column_at(k, t).map(f64::to_bits),
                        v.map(f64::to_bits),
                        "{name} at bar {t} of {series}"
                    );
                }
                assert_eq!(
                    format!("{:?}", p.score_at(t)),
                    format!("{want:?}"),
                    "score at bar {t} of {series}"
                );
                checked += usize::from(want.tech_rating.is_finite());
            }
        }
        assert!(checked > 500, "only {checked} bars had a score");
    }
}
