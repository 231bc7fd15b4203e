//! The scan language (SPEC §2.3): lexer, parser, type check and compilation to a
//! plan that computes each distinct indicator once per symbol into reusable
//! per-worker buffers. Imports only the engine's own bars, indicators and score.
//!
//! Semantics in brief:
//! - Values are numbers or conditions (true/false/undefined). The scan must be
//!   a condition; a display column may be a number or a condition (shown as
//!   1/0). Text literals (`"Strong Long"`) can only be compared with `signal`.
//! - Conditions use three-valued (Kleene) logic, where NaN input or missing
//!   history makes a comparison undefined; `matches_at` is true only where the
//!   scan is definitely true, so `not x` does not match where `x` is undefined.
//! - Arithmetic whose result is not finite (`x / 0`) is undefined.
//! - `x[n]` reads `n` bars ago; `a crosses above b` is `a > b` now and
//!   `a <= b` one bar earlier (mirrored for below).

pub mod ast;
mod check;
mod error;
mod eval;
pub mod functions;
mod lexer;
mod node;
mod parser;
mod plan;

pub use error::{edit_distance, LangError, Part, Span};
pub use functions::{function_names, Function, FUNCTIONS};
pub use parser::{MAX_DEPTH, MAX_NESTING, MAX_OFFSET};

use super::bars::Bars;
use super::score::{self, Field, Score, ScoreScratch, Settings};
use check::Builder;
use eval::{Eval, ScoreCache};
use node::{BarSeries, Node};
use plan::{Plan, StepKind};

/// Parses one expression without checking names or types.
pub fn parse(src: &str) -> Result<ast::Expr, LangError> {
    parser::parse(src, Part::Expr)
}

/// Names of the price series (`open` … `ohlc4`), for autocomplete.
pub fn series_names() -> impl Iterator<Item = &'static str> {
    BarSeries::ALL.into_iter().map(BarSeries::name)
}

/// Names of the Technic fields (`tech_rating`, `signal`, …), for autocomplete.
pub fn field_names() -> impl Iterator<Item = &'static str> {
    Field::ALL.into_iter().map(Field::name)
}

/// A compiled scan: the boolean expression plus display columns, sharing one plan.
#[derive(Debug, Clone)]
pub struct Scan {
    columns: Vec<String>,
    expr: ast::Expr,
    root: Node,
    column_nodes: Vec<Node>,
    plan: Plan,
    min_bars: usize,
    column_min_bars: Vec<usize>,
    uses_technic: bool,
    /// The plan slots of the score's series (RSI(14), ATR(14), the MACD
    /// histogram) where the scan computes them for itself.
    score_slots: [Option<usize>; 3],
}

/// Per-worker buffers, reused across symbols.
#[derive(Debug, Default)]
pub struct Workspace {
    slots: Vec<Vec<f64>>,
    /// The Technic score's own series (RSI, ATR, MACD) for a matching
    /// symbol when the plan has not computed them, reused too.
    score: ScoreScratch,
}

/// A scan's plan computed for one symbol's bars; evaluates at any bar.
/// The steps only the display columns read run when a column or the score
/// is first asked for (a symbol that does not match never computes them).
pub struct Prepared<'a> {
    bars: &'a Bars,
    settings: Settings,
    score: Option<(usize, Score)>,
    scan: &'a Scan,
    slots: &'a mut Vec<Vec<f64>>,
    /// Whether the columns' steps have run.
    complete: bool,
    scratch: &'a mut ScoreScratch,
}

impl Scan {
    /// Compiles the scan expression (must be boolean) and its display columns
    /// (numeric expressions, or conditions shown as 1/0) into one plan.
    pub fn compile(expr: &str, columns: &[String]) -> Result<Scan, LangError> {
        let mut b = Builder::default();
        let ast = parser::parse(expr, Part::Expr)?;
        let root = b.check_root(&ast, expr, Part::Expr)?;
        let mut column_nodes = Vec::with_capacity(columns.len());
        let mut column_min_bars = Vec::with_capacity(columns.len());
        for (k, text) in columns.iter().enumerate() {
            let part = Part::Column(k);
            let c = parser::parse(text, part)?;
            let t = b.check_root(&c, text, part)?;
            column_nodes.push(t.node);
            column_min_bars.push(t.lookback.saturating_add(1));
        }
        let score_slots = b.score_slots();
        let plan = {
            let mut plan = b.plan;
            plan.fuse();
            // What the condition reads (the score's series too, when it
            // reads a Technic field) first; the columns' own steps after.
            let mut needed = Vec::new();
            root.node.slots_into(&mut needed);
            if root.node.uses_field() {
                needed.extend(score_slots.iter().flatten());
            }
            plan.condition_first(&needed);
            plan
        };
        Ok(Scan {
            columns: columns.to_vec(),
            expr: ast,
            root: root.node,
            column_nodes,
            min_bars: root.lookback.saturating_add(1),
            column_min_bars,
            uses_technic: b.uses_technic,
            score_slots,
            plan,
        })
    }

    /// The display columns' source texts, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The parsed scan expression.
    pub fn expr(&self) -> &ast::Expr {
        &self.expr
    }

    /// The scan expression in canonical form (reparses to the same tree).
    pub fn display(&self) -> String {
        self.expr.to_string()
    }

    /// Fewest bars a symbol needs for the expression to be defined at its last bar.
    pub fn min_bars(&self) -> usize {
        self.min_bars
    }

    /// Fewest bars for display column `k` to be defined at the last bar.
    pub fn column_min_bars(&self, k: usize) -> Option<usize> {
        self.column_min_bars.get(k).copied()
    }

    /// Whether the expression or a column reads a Technic field.
    pub fn uses_technic(&self) -> bool {
        self.uses_technic
    }

    pub fn workspace(&self) -> Workspace {
        Workspace {
            slots: vec![Vec::new(); self.plan.slot_count],
            score: ScoreScratch::default(),
        }
    }

    /// How many indicator kernels run per symbol (after deduplication).
    pub fn indicator_count(&self) -> usize {
        self.plan
            .steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::Kernel { .. } => 1,
                StepKind::Fused(f) => f.members(),
                StepKind::Series(_) => 0,
            })
            .sum()
    }

    /// The canonical key of every plan step, in the order they run (kernel
    /// calls such as `rsi(close, 14)` and derived sources such as
    /// `series(close - open)`). For tests and diagnostics.
    #[doc(hidden)]
    pub fn plan_keys(&self) -> Vec<String> {
        self.plan.steps.iter().map(|s| s.key.clone()).collect()
    }

    /// Computes the series the scan's condition reads for these bars, once
    /// (the columns' own when first read).
    pub fn prepare<'a>(
        &'a self,
        bars: &'a Bars,
        ws: &'a mut Workspace,
        settings: &Settings,
    ) -> Prepared<'a> {
        self.plan.compute_condition(bars, &mut ws.slots);
        let Workspace { slots, score } = ws;
        score.forget();
        Prepared {
            bars,
            settings: *settings,
            score: None,
            scan: self,
            slots,
            complete: !self.plan.has_rest(),
            scratch: score,
        }
    }
}

impl Prepared<'_> {
    fn eval(&mut self) -> (Eval<'_>, &Scan) {
        let score = self.scan.uses_technic.then(|| ScoreCache {
            given: given_series(self.scan, self.slots),
            scratch: &mut *self.scratch,
        });
        (Eval::new(self.bars, self.slots, score), self.scan)
    }

    /// Runs the columns' steps, once.
    fn complete(&mut self) {
        if !self.complete {
            self.scan.plan.compute_rest(self.bars, self.slots);
            self.complete = true;
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// Whether the scan matches at bar `index` (undefined counts as no match).
    pub fn matches_at(&mut self, index: usize) -> bool {
        let (mut ev, scan) = self.eval();
        ev.truth(&scan.root, index) == Some(true)
    }

    /// The scan condition at bar `index`: `None` where undefined.
    pub fn condition_at(&mut self, index: usize) -> Option<bool> {
        let (mut ev, scan) = self.eval();
        ev.truth(&scan.root, index)
    }

    /// Display column `k` at bar `index`; `None` where undefined. A condition
    /// column reads 1 (true) or 0 (false).
    pub fn column_at(&mut self, k: usize, index: usize) -> Option<f64> {
        self.complete();
        let (mut ev, scan) = self.eval();
        let node = scan.column_nodes.get(k)?;
        let v = ev.num(node, index);
        v.is_finite().then_some(v)
    }

    /// The Technic score at bar `index`, computed once and cached: from the
    /// plan's series where it has them, the rest computed here once.
    pub fn score_at(&mut self, index: usize) -> &Score {
        self.complete();
        if self.score.as_ref().map(|(i, _)| *i) != Some(index) {
            let given = given_series(self.scan, self.slots);
            let series = self.scratch.series_of(self.bars, given);
            let s = score::score_from_series(self.bars, index, &self.settings, &series);
            self.score = Some((index, s));
        }
        &self.score.as_ref().expect("just set").1
    }
}

/// The score's series that the scan's plan computed for itself.
fn given_series<'a>(scan: &Scan, slots: &'a [Vec<f64>]) -> [Option<&'a [f64]>; 3] {
    scan.score_slots
        .map(|s| s.and_then(|s| slots.get(s)).map(Vec::as_slice))
}
