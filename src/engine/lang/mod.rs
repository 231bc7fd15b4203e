//! The scan language (SPEC §2.3): lexer, parser, type check and compilation to a
//! plan that computes each distinct indicator once per symbol into reusable
//! per-worker buffers. Imports only the engine's own indicators and score.
//!
//! TODO(engine issue): implement. The public API below is the contract the scan
//! run and the CLI are written against.

use super::bars::Bars;
use super::score::{Score, Settings};

/// Which text an error belongs to: the scan expression or display column `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Expr,
    Column(usize),
}

/// A 1-based line:column position with its byte span in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

/// A compile error with its span and a plain message, e.g.
/// "unknown function `smaa` at 1:9 — did you mean `sma`?".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct LangError {
    pub part: Part,
    pub span: Span,
    pub message: String,
}

/// A compiled scan: the boolean expression plus display columns, sharing one plan.
#[derive(Debug, Clone)]
pub struct Scan {
    columns: Vec<String>,
}

/// Per-worker buffers, reused across symbols.
#[derive(Debug, Default)]
pub struct Workspace {}

/// A scan's plan computed for one symbol's bars; evaluates at any bar.
pub struct Prepared<'a> {
    bars: &'a Bars,
    settings: Settings,
    score: Option<(usize, Score)>,
}

impl Scan {
    /// Compiles the scan expression (must be boolean) and its display columns
    /// (numeric expressions) into one plan.
    pub fn compile(expr: &str, columns: &[String]) -> Result<Scan, LangError> {
        let _ = expr;
        Ok(Scan {
            columns: columns.to_vec(),
        })
    }

    /// The display columns' source texts, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Fewest bars a symbol needs for the expression to be defined at its last bar.
    pub fn min_bars(&self) -> usize {
        1
    }

    /// Whether the expression or a column reads a Technic field.
    pub fn uses_technic(&self) -> bool {
        false
    }

    pub fn workspace(&self) -> Workspace {
        Workspace::default()
    }

    /// Computes every series the plan needs for these bars, once.
    pub fn prepare<'a>(
        &'a self,
        bars: &'a Bars,
        _ws: &'a mut Workspace,
        settings: &Settings,
    ) -> Prepared<'a> {
        Prepared {
            bars,
            settings: *settings,
            score: None,
        }
    }
}

impl Prepared<'_> {
    /// Whether the scan matches at bar `index` (undefined counts as no match).
    pub fn matches_at(&mut self, _index: usize) -> bool {
        false
    }

    /// Display column `k` at bar `index`; `None` where undefined.
    pub fn column_at(&mut self, _k: usize, _index: usize) -> Option<f64> {
        None
    }

    /// The Technic score at bar `index`, computed once and cached.
    pub fn score_at(&mut self, index: usize) -> &Score {
        if self.score.as_ref().map(|(i, _)| *i) != Some(index) {
            self.score = Some((
                index,
                super::score::score_at(self.bars, index, &self.settings),
            ));
        }
        &self.score.as_ref().expect("just set").1
    }
}
