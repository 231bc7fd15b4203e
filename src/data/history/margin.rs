//! How close a scan came to matching at a bar: its *margin*, used to fetch
//! near misses early (issue 9; ordering only, never results). Built on the
//! engine's public scan API (comparison operands compiled as display columns
//! of one plan), so it imports only `crate::engine`; no browser crate.
//!
//! Margins are relative (dimensionless): for `a > b` it is `(a − b) / s`, for
//! `a < b` it is `(b − a) / s`, with `s = |b|` (or `|a|`, or 1 when both are
//! 0): `rsi(14) < 30` at RSI 33 has margin −0.1; ≥ 0 means the comparison
//! holds. `a crosses above b` has the margin of `a > b` when `a ≤ b` one bar
//! earlier, else `−(a − b)/s` of that earlier bar (it must fall first).
//! `and` takes the minimum, `or` the maximum, `not` the negation; any other
//! condition (a candle pattern, `signal = "…"`, `=`, `!=`) is +1 when true
//! and −1 when false, since it has no distance. Undefined parts give `None`.
//!
//! The ordering asks about the *next* bar (the one being fetched), so
//! [`StaleEval::ahead`] reads each part as "would it hold on the next bar if
//! values stayed put": the same as the margin for comparisons, but a cross
//! can only happen on the next bar from the far side, so `a crosses above b`
//! is `(a − b)/s` (≤ 0) while `a ≤ b`, and below −1 (out of reach) while
//! `a > b`. Yesterday's cross is not tomorrow's.

use crate::engine::bars::Bars;
use crate::engine::lang::ast::{BinOp, Expr, ExprKind};
use crate::engine::lang::{LangError, Prepared, Scan, Workspace};
use crate::engine::score::Settings;

#[derive(Debug, Clone)]
enum Node {
    /// Comparison of columns `a` and `b`; `greater` for `>`/`>=`.
    Cmp {
        greater: bool,
        a: usize,
        b: usize,
    },
    Cross {
        above: bool,
        a: usize,
        b: usize,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    /// A condition column read as 1/0.
    Truth(usize),
}

/// A scan compiled for margins: [`MarginScan::eval_at`] gives both whether it
/// matches and how close it came.
#[derive(Debug, Clone)]
pub struct MarginScan {
    scan: Scan,
    root: Node,
}

/// The scan at one bar: matched (`None` undefined), its margin there, and
/// how close the next bar is to matching if values stay put (`ahead`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StaleEval {
    pub matched: Option<bool>,
    pub margin: Option<f64>,
    pub ahead: Option<f64>,
}

impl StaleEval {
    /// What the ordering should assume for the next bar: "matches" when
    /// `ahead > 0`, and `ahead` as the margin (see [`super::Candidate`]).
    pub fn next_bar(&self) -> (Option<bool>, Option<f64>) {
        (self.ahead.map(|a| a > 0.0), self.ahead)
    }
}

impl MarginScan {
    /// Compiles `expr` (a scan expression) with one column per comparison operand.
    pub fn compile(expr: &str) -> Result<MarginScan, LangError> {
        let plain = Scan::compile(expr, &[])?;
        let mut columns = Vec::new();
        let root = build(plain.expr(), &mut columns);
        match Scan::compile(expr, &columns) {
            Ok(scan) => Ok(MarginScan { scan, root }),
            // An operand that is not a column on its own: fall back to the
            // whole scan as one condition (still ordered, without nearness).
            Err(_) => {
                let whole = vec![plain.display()];
                let scan = Scan::compile(expr, &whole)?;
                Ok(MarginScan {
                    scan,
                    root: Node::Truth(0),
                })
            }
        }
    }

    /// The compiled scan (its canonical text is `scan().display()`).
    pub fn scan(&self) -> &Scan {
        &self.scan
    }

    pub fn workspace(&self) -> Workspace {
        self.scan.workspace()
    }

    /// Evaluates at bar `index` of `bars` (computes the plan once per call).
    pub fn eval_at(
        &self,
        bars: &Bars,
        ws: &mut Workspace,
        settings: &Settings,
        index: usize,
    ) -> StaleEval {
        if index >= bars.len() {
            return StaleEval::default();
        }
        let mut p = self.scan.prepare(bars, ws, settings);
        at(&self.root, &mut p, index)
    }

    /// Evaluates at every bar, computing the plan once (for replays).
    pub fn eval_each(
        &self,
        bars: &Bars,
        ws: &mut Workspace,
        settings: &Settings,
    ) -> Vec<StaleEval> {
        let mut p = self.scan.prepare(bars, ws, settings);
        (0..bars.len()).map(|i| at(&self.root, &mut p, i)).collect()
    }

    /// Evaluates at the last bar (the stale cached bars' latest state).
    pub fn eval_last(&self, bars: &Bars, ws: &mut Workspace, settings: &Settings) -> StaleEval {
        match bars.len() {
            0 => StaleEval::default(),
            n => self.eval_at(bars, ws, settings, n - 1),
        }
    }
}

fn at(root: &Node, p: &mut Prepared<'_>, index: usize) -> StaleEval {
    let matched = p.condition_at(index);
    let mut col = |k: usize, i: usize| p.column_at(k, i);
    let margin_now = margin(root, &mut col, index, false);
    let ahead = margin(root, &mut col, index, true);
    StaleEval {
        matched,
        margin: margin_now,
        ahead,
    }
}

fn column(e: &Expr, columns: &mut Vec<String>) -> usize {
    let text = e.to_string();
    if let Some(k) = columns.iter().position(|c| *c == text) {
        return k;
    }
    columns.push(text);
    columns.len() - 1
}

fn build(e: &Expr, columns: &mut Vec<String>) -> Node {
    match &e.kind {
        ExprKind::Not(inner) => Node::Not(Box::new(build(inner, columns))),
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinOp::And => Node::And(Box::new(build(lhs, columns)), Box::new(build(rhs, columns))),
            BinOp::Or => Node::Or(Box::new(build(lhs, columns)), Box::new(build(rhs, columns))),
            BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => Node::Cmp {
                greater: matches!(op, BinOp::Gt | BinOp::Ge),
                a: column(lhs, columns),
                b: column(rhs, columns),
            },
            BinOp::CrossAbove | BinOp::CrossBelow => Node::Cross {
                above: *op == BinOp::CrossAbove,
                a: column(lhs, columns),
                b: column(rhs, columns),
            },
            _ => Node::Truth(column(e, columns)),
        },
        _ => Node::Truth(column(e, columns)),
    }
}

fn relative(diff: f64, a: f64, b: f64) -> f64 {
    let s = if b.abs() > 1e-12 {
        b.abs()
    } else if a.abs() > 1e-12 {
        a.abs()
    } else {
        1.0
    };
    diff / s
}

/// The margin at bar `i`, or with `ahead` the next bar's if values stay put.
fn margin(
    n: &Node,
    col: &mut impl FnMut(usize, usize) -> Option<f64>,
    i: usize,
    ahead: bool,
) -> Option<f64> {
    match n {
        Node::Cmp { greater, a, b } => {
            let (x, y) = (col(*a, i)?, col(*b, i)?);
            let d = if *greater { x - y } else { y - x };
            Some(relative(d, x, y))
        }
        Node::Cross { above, a, b } => {
            let sign = if *above { 1.0 } else { -1.0 };
            let (x, y) = (col(*a, i)?, col(*b, i)?);
            let now = sign * (x - y);
            if ahead {
                // Still on the far side: the distance to cross; already over: out of reach.
                return Some(if now <= 0.0 {
                    relative(now, x, y)
                } else {
                    -1.0 - relative(now, x, y)
                });
            }
            let j = i.checked_sub(1)?;
            let before = sign * (col(*a, j)? - col(*b, j)?);
            if before <= 0.0 {
                Some(relative(now, x, y))
            } else {
                Some(-relative(before, x, y))
            }
        }
        Node::And(l, r) => Some(margin(l, col, i, ahead)?.min(margin(r, col, i, ahead)?)),
        Node::Or(l, r) => match (margin(l, col, i, ahead), margin(r, col, i, ahead)) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        },
        Node::Not(x) => margin(x, col, i, ahead).map(|m| -m),
        Node::Truth(k) => col(*k, i).map(|v| if v != 0.0 { 1.0 } else { -1.0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bars::Columns;

    fn rising(n: usize) -> Bars {
        let mut c = Columns::with_capacity(n);
        for i in 0..n {
            let p = 10.0 + i as f64;
            c.push(i as i64 * 86_400_000, p, p + 0.5, p - 0.5, p, 1000.0);
        }
        Bars::new("T", c).unwrap()
    }

    #[test]
    fn a_threshold_margin_is_the_relative_distance_with_its_sign() {
        let bars = rising(5); // closes 10..14
        let s = Settings::default();
        let m = MarginScan::compile("close > 15").unwrap();
        let mut ws = m.workspace();
        let e = m.eval_last(&bars, &mut ws, &s);
        assert_eq!(e.matched, Some(false));
        assert!((e.margin.unwrap() - (14.0 - 15.0) / 15.0).abs() < 1e-12);
        let m = MarginScan::compile("close < 15 and close > 13.5").unwrap();
        let e = m.eval_last(&bars, &mut m.workspace(), &s);
        assert_eq!(e.matched, Some(true));
        let want = ((15.0 - 14.0) / 15.0f64).min((14.0 - 13.5) / 13.5);
        assert!((e.margin.unwrap() - want).abs() < 1e-12);
        let m = MarginScan::compile("not close > 15").unwrap();
        let e = m.eval_last(&bars, &mut m.workspace(), &s);
        assert!(e.margin.unwrap() > 0.0 && e.matched == Some(true));
    }

    #[test]
    fn an_undefined_operand_gives_no_margin() {
        let bars = rising(5);
        let m = MarginScan::compile("close > sma(close, 50)").unwrap();
        let e = m.eval_last(&bars, &mut m.workspace(), &Settings::default());
        assert_eq!(e.margin, None);
        assert_eq!(e.matched, None);
        let each = m.eval_each(&bars, &mut m.workspace(), &Settings::default());
        assert_eq!(each.len(), 5);
        assert!(each.iter().all(|e| e.margin.is_none()));
    }
}
