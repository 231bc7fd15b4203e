//! The detail view's pure parts: which of a scan's calls draw on the price
//! scale (overlays), the series the chart shows for one symbol (averages,
//! overlays, the bars where the scan was true), the trade plan's price lines,
//! the Technic subscores as labelled values, the chart's colours per theme,
//! and next / previous result. Imports the engine only; no browser crate.

use crate::engine::bars::Bars;
use crate::engine::lang::ast::{Expr, ExprKind};
use crate::engine::lang::{series_names, LangError, Scan};
use crate::engine::score::{Score, Settings, TradePlan};

/// The averages every chart shows, in canonical text.
pub const AVERAGES: [&str; 3] = ["sma(close, 20)", "sma(close, 50)", "sma(close, 200)"];

/// Functions whose value is a price (same units as the bars): drawn over the
/// candles. The moving averages, the Bollinger bands, linear regression and
/// rolling extremes are prices when their source is one; SAR reads the bars
/// and is always a price. Oscillators, volume indicators and ranges (atr,
/// stddev, slopes) are not on the price scale.
const OVERLAYS: [&str; 14] = [
    "sma",
    "avg",
    "ema",
    "wma",
    "dema",
    "tema",
    "kama",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "linearreg",
    "highest",
    "lowest",
    "sar",
];

/// Whether `name` is a price series (every bar series but volume).
fn is_price_series(name: &str) -> bool {
    name != "volume" && series_names().any(|s| s == name)
}

/// A parameter: a number, maybe negated (`bb_upper(close, 20, -2)`).
fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Num(_) => true,
        ExprKind::Neg(inner) => is_constant(inner),
        _ => false,
    }
}

/// The scan's calls that are price overlays, as canonical call texts (the
/// source written out: `sma(50)` is `sma(close, 50)`), each once, in the
/// order they appear. A call over a derived source (`sma(close - open, 5)`,
/// `ema(volume, 20)`) is not on the price scale and is left out.
pub fn overlay_calls(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect(expr, &mut out);
    out
}

fn collect(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Call { name, args } => {
            if let Some(text) = overlay_text(name, args) {
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            args.iter().for_each(|a| collect(a, out));
        }
        ExprKind::Neg(inner) | ExprKind::Not(inner) => collect(inner, out),
        ExprKind::Offset { expr, .. } => collect(expr, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect(lhs, out);
            collect(rhs, out);
        }
        ExprKind::Num(_) | ExprKind::Str(_) | ExprKind::Ident(_) => {}
    }
}

fn overlay_text(name: &str, args: &[Expr]) -> Option<String> {
    if !OVERLAYS.contains(&name) {
        return None;
    }
    let (source, params) = match args.first().map(|a| &a.kind) {
        Some(ExprKind::Ident(s)) if is_price_series(s) => (Some(s.as_str()), &args[1..]),
        Some(ExprKind::Ident(_)) => return None,
        _ => (None, args),
    };
    if !params.iter().all(is_constant) {
        return None;
    }
    let mut parts: Vec<String> = Vec::with_capacity(args.len() + 1);
    if name != "sar" {
        parts.push(source.unwrap_or("close").to_string());
    }
    parts.extend(params.iter().map(|p| p.to_string()));
    Some(format!("{name}({})", parts.join(", ")))
}

/// One line drawn over the candles: its label (the call) and its value at
/// every bar (`None` in the warm-up or where undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// What the chart shows for one symbol besides the bars themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// The averages, then the scan's own overlays.
    pub lines: Vec<Line>,
    /// Indices of the bars where the scan is true.
    pub markers: Vec<usize>,
}

/// Evaluates the scan at every bar of `bars` (markers) and computes the
/// averages and the scan's overlays. Heavy for scans that read Technic
/// fields (a score per bar): run it off the page.
pub fn chart_series(
    bars: &Bars,
    expr: &str,
    settings: &Settings,
) -> Result<ChartSeries, LangError> {
    let plain = Scan::compile(expr, &[])?;
    let mut labels: Vec<String> = AVERAGES.iter().map(|s| s.to_string()).collect();
    for call in overlay_calls(plain.expr()) {
        if !labels.contains(&call) {
            labels.push(call);
        }
    }
    let scan = Scan::compile(expr, &labels)?;
    let mut ws = scan.workspace();
    let mut p = scan.prepare(bars, &mut ws, settings);
    let n = bars.len();
    let markers = (0..n).filter(|&i| p.matches_at(i)).collect();
    let lines = labels
        .into_iter()
        .enumerate()
        .map(|(k, label)| Line {
            label,
            values: (0..n).map(|i| p.column_at(k, i)).collect(),
        })
        .collect();
    Ok(ChartSeries { lines, markers })
}

/// A horizontal line at a price of the trade plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceLine {
    pub title: &'static str,
    pub price: f64,
    pub kind: PriceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceKind {
    Entry,
    Stop,
    Target,
}

/// Entry, stop and target of the plan (none without a plan; a price that is
/// not finite is left out rather than drawn at a wrong place).
pub fn price_lines(plan: Option<&TradePlan>) -> Vec<PriceLine> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    [
        ("Entry", plan.entry, PriceKind::Entry),
        ("Stop", plan.stop, PriceKind::Stop),
        ("Target", plan.target, PriceKind::Target),
    ]
    .into_iter()
    .filter(|(_, price, _)| price.is_finite())
    .map(|(title, price, kind)| PriceLine { title, price, kind })
    .collect()
}

/// The Technic subscores and RiskScore as (label, shown value): integers
/// signed (`+2`, `0`, `−1`), RiskScore with two decimals.
pub fn subscores(score: &Score) -> Vec<(&'static str, String)> {
    let s = &score.subscores;
    let signed = |v: i32| match v {
        v if v > 0 => format!("+{v}"),
        v if v < 0 => format!("\u{2212}{}", -v),
        _ => "0".to_string(),
    };
    let risk = if s.risk.is_finite() {
        format!("{:.2}", s.risk)
    } else {
        "\u{2014}".to_string()
    };
    vec![
        ("Trend", signed(s.trend)),
        ("Momentum", signed(s.momentum)),
        ("Volume", signed(s.volume)),
        ("Volatility", signed(s.volatility)),
        ("Oscillator", signed(s.oscillator)),
        ("Breakout", signed(s.breakout)),
        ("Risk", risk),
    ]
}

/// The symbol `delta` places from `current` in `symbols` (the table's order),
/// stopping at either end; `None` when `current` is not there or there is no
/// other to move to.
pub fn step(symbols: &[String], current: &str, delta: isize) -> Option<String> {
    let at = symbols.iter().position(|s| s == current)?;
    let to = at
        .checked_add_signed(delta)?
        .min(symbols.len().saturating_sub(1));
    (to != at).then(|| symbols[to].clone())
}

/// A bar time (UTC epoch milliseconds) as the chart's time (UTC seconds).
pub fn chart_time(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// The chart's colours, following the page's theme (www/style.css).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartColors {
    pub background: &'static str,
    pub text: &'static str,
    pub grid: &'static str,
    pub border: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    pub volume_up: &'static str,
    pub volume_down: &'static str,
    pub marker: &'static str,
    pub entry: &'static str,
    pub stop: &'static str,
    pub target: &'static str,
    /// The lines, in order (the averages first); reused when there are more.
    pub lines: [&'static str; 6],
}

impl ChartColors {
    pub fn for_theme(dark: bool) -> ChartColors {
        if dark {
            ChartColors {
                background: "#171a21",
                text: "#9aa3b2",
                grid: "#22262f",
                border: "#2a2f3a",
                up: "#3ccf7a",
                down: "#ff6b6b",
                volume_up: "rgba(60, 207, 122, 0.35)",
                volume_down: "rgba(255, 107, 107, 0.35)",
                marker: "#6e95ff",
                entry: "#6e95ff",
                stop: "#ff6b6b",
                target: "#3ccf7a",
                lines: [
                    "#f0c75e", "#c58cff", "#5ec8f0", "#ff9f5e", "#e3e8ef", "#ff7bc6",
                ],
            }
        } else {
            ChartColors {
                background: "#ffffff",
                text: "#5d6473",
                grid: "#eef0f3",
                border: "#dfe2e8",
                up: "#0f7b3f",
                down: "#c62a2a",
                volume_up: "rgba(15, 123, 63, 0.3)",
                volume_down: "rgba(198, 42, 42, 0.3)",
                marker: "#2457d6",
                entry: "#2457d6",
                stop: "#c62a2a",
                target: "#0f7b3f",
                lines: [
                    "#b7791f", "#7c3aed", "#0e7490", "#c2410c", "#374151", "#be185d",
                ],
            }
        }
    }

    /// The colour of line `k`.
    pub fn line(&self, k: usize) -> &'static str {
        self.lines[k % self.lines.len()]
    }

    pub fn price(&self, kind: PriceKind) -> &'static str {
        match kind {
            PriceKind::Entry => self.entry,
            PriceKind::Stop => self.stop,
            PriceKind::Target => self.target,
        }
    }
}

#[cfg(test)]
#[path = "detail_tests.rs"]
mod tests;
