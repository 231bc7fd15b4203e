//! The Backtest and Optimise panels' pure logic: the cells of the horizon,
//! plan, year, regime and grid tables, the figures `window.__technicLastBacktest`
//! reports (the CLI's key names, so outside checks compare them directly),
//! and the signals as CSV (text cells inert in a spreadsheet, as
//! `view::export` does it). Imports no browser crate.

use serde_json::{json, Value};

use crate::engine::backtest::params::{format_value, ParamScan};
use crate::engine::backtest::{HorizonStats, Outcome, PlanStats, Report, SignalRecord};
use crate::engine::lang::{LangError, Part, Scan, Span};

use super::export::inert;

/// A fraction as a percentage with two decimals ("1.23%"), "—" when undefined.
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.2}%", 100.0 * x),
        _ => "—".into(),
    }
}

/// A percentage already in 0–100 ("55.1%").
pub fn win(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.1}%"),
        _ => "—".into(),
    }
}

/// A plain figure with `d` decimals ("1.42"), "—" when undefined.
pub fn fixed(v: Option<f64>, d: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.d$}"),
        _ => "—".into(),
    }
}

/// A 95% interval of a fraction ("−0.50% … 1.20%").
pub fn interval(ci: Option<(f64, f64)>) -> String {
    match ci {
        Some((lo, hi)) => format!("{} … {}", pct(Some(lo)), pct(Some(hi))),
        None => "—".into(),
    }
}

/// Epoch ms as the date (UTC) for daily bars, with the time otherwise.
pub fn when(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(d) if ms.rem_euclid(86_400_000) == 0 => d.format("%Y-%m-%d").to_string(),
        Some(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        None => ms.to_string(),
    }
}

/// The cells of one row of a horizon table, in [`HORIZON_HEADERS`] order.
pub const HORIZON_HEADERS: [&str; 11] = [
    "h",
    "Signals",
    "Symbols",
    "Win %",
    "Mean",
    "Median",
    "25th–75th",
    "PF",
    "Baseline",
    "Excess",
    "95% CI",
];

pub fn horizon_cells(h: &HorizonStats) -> [String; 11] {
    [
        h.h.to_string(),
        h.signals.to_string(),
        h.symbols.to_string(),
        win(h.win_pct),
        pct(h.mean),
        pct(h.median),
        format!("{} … {}", pct(h.p25), pct(h.p75)),
        fixed(h.profit_factor, 2),
        pct(h.baseline_mean),
        pct(h.excess),
        interval(h.ci95),
    ]
}

/// The trade plan's summary as (label, value) pairs.
pub fn plan_summary(p: &PlanStats) -> Vec<(&'static str, String)> {
    let exits = p
        .exits
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let not_taken = p.no_plan + p.no_entry + p.opened_outside + p.unfinished;
    vec![
        (
            "Side · hold",
            format!(
                "{} · {} bars",
                match p.side {
                    crate::engine::score::Side::Long => "long",
                    crate::engine::score::Side::Short => "short",
                },
                p.hold
            ),
        ),
        ("Trades", p.trades.to_string()),
        ("Win %", win(p.win_pct)),
        ("Average R", fixed(p.avg_r, 2)),
        ("Expectancy", pct(p.expectancy)),
        ("Max drawdown", format!("{} R", fixed(p.max_drawdown_r, 2))),
        (
            "Exits",
            if exits.is_empty() {
                "—".into()
            } else {
                exits
            },
        ),
        ("Not taken", not_taken.to_string()),
    ]
}

fn num(v: Option<f64>) -> Value {
    v.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// One horizon's figures with the CLI's key names (`technic backtest
/// --format json`): returns as fractions, `winPct` 0–100, `null` where
/// undefined.
pub fn horizon_json(h: &HorizonStats) -> Value {
    json!({
        "h": h.h,
        "signals": h.signals,
        "symbols": h.symbols,
        "winPct": num(h.win_pct),
        "mean": num(h.mean),
        "median": num(h.median),
        "p25": num(h.p25),
        "p75": num(h.p75),
        "profitFactor": num(h.profit_factor),
        "baselineMean": num(h.baseline_mean),
        "excess": num(h.excess),
        "ci95": h.ci95.map_or(Value::Null, |(lo, hi)| json!([num(Some(lo)), num(Some(hi))])),
        "dates": h.dates,
        "baselineCount": h.baseline_count,
    })
}

/// `window.__technicLastBacktest` as JSON text: `{signals, horizons,
/// totalMs}` (plus `stopped`, and `computeMs`: the engine's own time on the
/// workers); a stopped run has no signals or horizons.
pub fn last_backtest_json(
    report: Option<&Report>,
    total_ms: f64,
    compute_ms: Option<f64>,
) -> String {
    let v = match report {
        Some(r) => json!({
            "signals": r.signals.len(),
            "horizons": r.horizons.iter().map(horizon_json).collect::<Vec<_>>(),
            "totalMs": num(Some(total_ms)),
            "computeMs": num(compute_ms),
            "stopped": false,
        }),
        None => json!({
            "signals": Value::Null,
            "horizons": [],
            "totalMs": num(Some(total_ms)),
            "computeMs": Value::Null,
            "stopped": true,
        }),
    };
    v.to_string()
}

/// A trade's exit as the signal list shows it.
pub fn trade_text(o: &Outcome) -> String {
    match o {
        Outcome::Closed(t) => format!("{:+.2} R ({})", t.r, t.exit_reason.label()),
        Outcome::NoPlan => "no plan".into(),
        Outcome::NoEntry => "no entry".into(),
        Outcome::OpenedOutside => "outside the data".into(),
        Outcome::Unfinished => "unfinished".into(),
    }
}

/// The signals as CSV: symbol, date, the return at each horizon (fractions),
/// R and the exit. Symbols are text cells made inert; numbers stay numbers.
pub fn signals_csv(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["Symbol".to_string(), "Date".to_string()];
    header.extend(report.horizons.iter().map(|h| format!("Return {}", h.h)));
    header.extend(["R".to_string(), "Exit".to_string()]);
    let _ = w.write_record(&header);
    for s in &report.signals {
        let _ = w.write_record(signal_record(s));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn signal_record(s: &SignalRecord) -> Vec<String> {
    let mut rec = vec![inert(&s.symbol).into_owned(), when(s.time)];
    rec.extend(s.returns.iter().map(|r| {
        r.filter(|x| x.is_finite())
            .map_or(String::new(), |x| x.to_string())
    }));
    match &s.trade {
        Outcome::Closed(t) => {
            rec.push(t.r.to_string());
            rec.push(t.exit_reason.label().to_string());
        }
        other => {
            rec.push(String::new());
            rec.push(trade_text(other));
        }
    }
    rec
}

/// Most bars a horizon may ask for on the page.
pub const MAX_HORIZON: usize = 500;

/// The horizons field ("1, 5, 10, 20"): whole numbers 1–500, in the order
/// given, duplicates dropped; empty means the defaults.
pub fn parse_horizons(text: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ' ', ';']).filter(|p| !p.trim().is_empty()) {
        match part.trim().parse::<usize>() {
            Ok(h) if (1..=MAX_HORIZON).contains(&h) => {
                if !out.contains(&h) {
                    out.push(h);
                }
            }
            _ => {
                return Err(format!(
                    "Horizons: `{}` is not a whole number of bars from 1 to {MAX_HORIZON}",
                    part.trim()
                ))
            }
        }
    }
    if out.is_empty() {
        out = crate::engine::backtest::DEFAULT_HORIZONS.to_vec();
    }
    Ok(out)
}

/// The span `start..end` of `text` with its 1-based line and column.
fn span_in(text: &str, start: usize, end: usize) -> Span {
    let start = start.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = 1 + before.matches('\n').count();
    let col = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    Span::new(start, end.min(text.len()).max(start), line, col)
}

/// What the scan editor says about parameter ranges in `expr`: `None` when
/// it has none (the scan compiles as usual); a bad range with its span; or,
/// for good ranges, that a scan needs plain values (Run stays off, the
/// Optimise panel runs them), underlining the first range.
pub fn range_check(expr: &str) -> Option<LangError> {
    let err = |start, end, message: String| LangError {
        part: Part::Expr,
        span: span_in(expr, start, end),
        message,
    };
    match ParamScan::parse(expr) {
        Err(e) => Some(err(e.start, e.end, e.message)),
        Ok(p) if p.is_empty() => None,
        Ok(p) => {
            let (start, end) = p.spans()[0];
            let first = p.grid().into_iter().next().unwrap_or_default();
            Some(match Scan::compile(&p.expr(&first), &[]) {
                Err(e) => err(start, end, format!("with {{…}} = {}: {}", values_text(&first), e.message)),
                Ok(_) => err(
                    start,
                    end,
                    "a parameter range: Optimise searches it; a scan needs a plain value (\"use this value\" after a search)".into(),
                ),
            })
        }
    }
}

/// Why the Optimise panel cannot run `expr`, if it cannot.
pub fn optimize_blocker(expr: &str) -> Option<String> {
    match ParamScan::parse(expr) {
        Err(e) => Some(format!("{} (at {}..{})", e.message, e.start, e.end)),
        Ok(p) if p.is_empty() => {
            Some("add a parameter range to the scan, e.g. rsi(14) < {20..40 step 5}".into())
        }
        Ok(p) => {
            let first = p.grid().into_iter().next().unwrap_or_default();
            Scan::compile(&p.expr(&first), &[]).err().map(|e| {
                format!(
                    "with {} the scan does not compile: {}",
                    values_text(&first),
                    e.message
                )
            })
        }
    }
}

/// A grid point's values as the table shows them ("20", "20 · 50").
pub fn values_text(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format_value(*v))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "1,260 bars of 5m (~4.4 days)": how much history `bars` intraday bars
/// span (crypto trades around the clock), for the bars-per-symbol picker.
pub fn intraday_depth_label(bars: usize, interval: crate::data::interval::Interval) -> String {
    let minutes = bars as f64 * interval.ms() as f64 / 60_000.0;
    let span = if minutes < 48.0 * 60.0 {
        format!("{:.0} hours", minutes / 60.0)
    } else if minutes < 60.0 * 24.0 * 60.0 {
        format!("{:.1} days", minutes / (24.0 * 60.0))
    } else {
        format!("{:.1} months", minutes / (24.0 * 60.0 * 30.44))
    };
    format!(
        "{} bars of {} (~{span})",
        super::format::grouped(bars as u64),
        interval.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::backtest::{self, Options};
    use crate::engine::bars::{Bars, Columns};
    use crate::engine::lang::Scan;

    fn report(symbol: &str) -> Report {
        let mut c = Columns::default();
        for i in 0..120i64 {
            let x = i as f64;
            let close = 50.0 + 8.0 * (x / 6.0).sin();
            c.push(
                i * 86_400_000,
                close,
                close * 1.01,
                close * 0.99,
                close,
                1e6,
            );
        }
        let bars = Bars::new(symbol, c).unwrap();
        let scan = Scan::compile("rsi(14) < 40", &[]).unwrap();
        backtest::backtest(&scan, &[(symbol, &bars)], &Options::default()).unwrap()
    }

    #[test]
    fn figures_format_as_percentages_and_undefined_as_a_dash() {
        assert_eq!(pct(Some(0.01234)), "1.23%");
        assert_eq!(pct(Some(-0.5)), "-50.00%");
        assert_eq!(pct(None), "—");
        assert_eq!(pct(Some(f64::NAN)), "—");
        assert_eq!(win(Some(55.55)), "55.5%");
        assert_eq!(fixed(Some(1.4567), 2), "1.46");
        assert_eq!(interval(Some((-0.005, 0.012))), "-0.50% … 1.20%");
        assert_eq!(when(0), "1970-01-01");
        assert_eq!(when(3_600_000), "1970-01-01 01:00");
    }

    #[test]
    fn the_hook_carries_the_clis_keys_for_every_horizon() {
        let r = report("AAA");
        assert!(!r.signals.is_empty(), "the fixture must signal");
        let v: Value =
            serde_json::from_str(&last_backtest_json(Some(&r), 12.5, Some(3.0))).unwrap();
        assert_eq!(v["signals"], r.signals.len());
        assert_eq!(v["totalMs"], 12.5);
        assert_eq!(v["computeMs"], 3.0);
        let hs = v["horizons"].as_array().unwrap();
        assert_eq!(
            hs.iter()
                .map(|h| h["h"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            vec![1, 5, 10, 20]
        );
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
            assert!(hs[0].get(key).is_some(), "missing {key}");
        }
        assert_eq!(hs[0]["mean"].as_f64(), r.horizons[0].mean);
        let stopped: Value = serde_json::from_str(&last_backtest_json(None, 3.0, None)).unwrap();
        assert_eq!(stopped["stopped"], true);
        assert!(stopped["horizons"].as_array().unwrap().is_empty());
    }

    #[test]
    fn signals_csv_has_a_row_per_signal_and_formula_like_symbols_are_inert() {
        let r = report("=HYPERLINK(\"x\")");
        let text = signals_csv(&r);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            rows[0],
            [
                "Symbol",
                "Date",
                "Return 1",
                "Return 5",
                "Return 10",
                "Return 20",
                "R",
                "Exit"
            ]
        );
        assert_eq!(rows.len(), r.signals.len() + 1);
        assert!(rows[1][0].starts_with("'="), "{}", rows[1][0]);
        let first = &r.signals[0];
        assert_eq!(rows[1][1], when(first.time));
        assert_eq!(
            rows[1][2].parse::<f64>().ok(),
            first.returns[0],
            "a return is a plain number"
        );
    }

    #[test]
    fn ranges_in_the_editor_are_errors_with_their_span() {
        assert_eq!(range_check("rsi(14) < 30"), None);
        let bad = range_check("rsi(14) < {40..20}").unwrap();
        assert_eq!((bad.span.start, bad.span.end), (10, 18));
        assert!(bad.message.contains("backwards"));
        let good = range_check("close > 1 and\nrsi(14) < {20..40 step 5}").unwrap();
        assert_eq!((good.span.start, good.span.end), (24, 39));
        assert_eq!((good.span.line, good.span.col), (2, 11));
        assert!(good.message.contains("Optimise"));
        let wrong = range_check("rsi({2, 3}, 14) < 30").unwrap();
        assert!(
            wrong.message.starts_with("with {…} = 2:"),
            "{}",
            wrong.message
        );
        assert_eq!(optimize_blocker("rsi(14) < {20..40 step 5}"), None);
        assert!(optimize_blocker("rsi(14) < 30")
            .unwrap()
            .contains("add a parameter range"));
        assert!(optimize_blocker("rsi(14) < {40..20}")
            .unwrap()
            .contains("at 10..18"));
        assert_eq!(values_text(&[20.0, 0.5]), "20 · 0.5");
    }

    #[test]
    fn horizons_parse_in_order_and_name_a_bad_one() {
        assert_eq!(parse_horizons("1, 5,10 20").unwrap(), vec![1, 5, 10, 20]);
        assert_eq!(parse_horizons("").unwrap(), vec![1, 5, 10, 20]);
        assert_eq!(parse_horizons("20,5,20").unwrap(), vec![20, 5]);
        assert!(parse_horizons("5, 0").unwrap_err().contains("`0`"));
        assert!(parse_horizons("5, x").unwrap_err().contains("`x`"));
        assert!(parse_horizons("501").is_err());
    }

    #[test]
    fn horizon_cells_follow_the_headers() {
        let r = report("AAA");
        let cells = horizon_cells(&r.horizons[1]);
        assert_eq!(cells.len(), HORIZON_HEADERS.len());
        assert_eq!(cells[0], "5");
        assert_eq!(cells[1], r.horizons[1].signals.to_string());
        let plan = plan_summary(&r.plan);
        assert_eq!(plan[1], ("Trades", r.plan.trades.to_string()));
    }

    #[test]
    fn intraday_depths_are_labelled_by_the_time_they_span() {
        use crate::data::interval::Interval;
        assert_eq!(
            intraday_depth_label(300, Interval::M1),
            "300 bars of 1m (~5 hours)"
        );
        assert_eq!(
            intraday_depth_label(1260, Interval::M5),
            "1,260 bars of 5m (~4.4 days)"
        );
        assert_eq!(
            intraday_depth_label(2520, Interval::H4),
            "2,520 bars of 4h (~13.8 months)"
        );
    }
}
