//! Type checking and plan building: resolves names against the registry,
//! checks numbers vs conditions vs text, folds constant parameters, and turns
//! each distinct indicator call into one plan step (deduplicated by a
//! canonical key across the scan and its columns). Imports the AST, the IR
//! (`node`), the plan it builds and the kernel registry; nothing in the
//! language imports it except the scan (`mod.rs`).

use super::ast::{BinOp, Expr, ExprKind};
use super::error::did_you_mean;
use super::error::{LangError, Part, Span};
use super::functions::{function, function_names, Function, Kernel};
use super::node::{BarSeries, Node};
use super::plan::{Plan, Source, Step, StepKind};
use crate::engine::score::{Field, Signal};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Num,
    Bool,
    /// A text literal, waiting to be compared with `signal`.
    Str(String),
}

pub struct Typed {
    pub node: Node,
    pub ty: Ty,
    /// Index of the first bar where the value can be defined.
    pub lookback: usize,
}

/// Builds one plan shared by the scan expression and its columns.
#[derive(Default)]
pub struct Builder {
    pub plan: Plan,
    keys: HashMap<String, usize>,
    /// Canonical name of each slot (for keys of steps that read it).
    slot_names: Vec<String>,
    slot_lookback: Vec<usize>,
    pub uses_technic: bool,
}

/// The Technic score's recursive series (SPEC §2.4), as the calls a scan
/// would write: a scan that asks for one of them (the default column
/// `rsi(14)`, `macd_hist(12, 26, 9)`) computes it once, for itself and the
/// score.
const SCORE_CALLS: [(&str, &[f64]); 3] = [
    ("rsi", &[14.0]),
    ("atr", &[14.0]),
    ("macd_hist", &[12.0, 26.0, 9.0]),
];

/// Names the checker knows besides functions, for "did you mean".
fn value_names() -> impl Iterator<Item = &'static str> {
    BarSeries::ALL
        .into_iter()
        .map(BarSeries::name)
        .chain(Field::ALL.into_iter().map(Field::name))
        .chain(["true", "false"])
}

/// The two condition literals (identifiers are already lower-cased).
fn bool_literal(name: &str) -> Option<bool> {
    match name {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

struct Ctx<'s> {
    src: &'s str,
    part: Part,
}

impl Ctx<'_> {
    fn text(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn err(&self, span: Span, message: String) -> LangError {
        LangError::new(self.part, span, message)
    }

    /// Requires a number; `what` says who needs it.
    fn num(&self, t: &Typed, e: &Expr, what: &str) -> Result<(), LangError> {
        match &t.ty {
            Ty::Num => Ok(()),
            Ty::Bool => Err(self.err(
                e.span,
                format!(
                    "{what} needs a number, but `{}` at {} is a condition (true/false)",
                    self.text(e.span),
                    e.span.at()
                ),
            )),
            Ty::Str(s) => Err(self.text_misuse(s, e.span)),
        }
    }

    /// Requires a condition.
    fn cond(&self, t: &Typed, e: &Expr, what: &str) -> Result<(), LangError> {
        match &t.ty {
            Ty::Bool => Ok(()),
            Ty::Num => {
                let text = self.text(e.span);
                Err(self.err(
                    e.span,
                    format!(
                        "{what} needs a condition (true/false), but `{text}` at {} is a number — compare it, e.g. `{text} > 0`",
                        e.span.at()
                    ),
                ))
            }
            Ty::Str(s) => Err(self.text_misuse(s, e.span)),
        }
    }

    fn text_misuse(&self, s: &str, span: Span) -> LangError {
        self.err(
            span,
            format!(
                "text \"{s}\" at {} can only be compared with `signal`, as in `signal = \"Long\"`",
                span.at()
            ),
        )
    }
}

impl Builder {
    /// Checks the scan expression (a condition) or column `k` (a number or a
    /// condition, shown as 1/0).
    pub fn check_root(&mut self, e: &Expr, src: &str, part: Part) -> Result<Typed, LangError> {
        let cx = Ctx { src, part };
        let t = self.check(&cx, e)?;
        match (part, &t.ty) {
            (Part::Expr, _) => cx.cond(&t, e, "the scan")?,
            (Part::Column(_), Ty::Str(s)) => return Err(cx.text_misuse(s, e.span)),
            _ => {}
        }
        Ok(t)
    }

    fn check(&mut self, cx: &Ctx, e: &Expr) -> Result<Typed, LangError> {
        let typed = |node, ty, lookback| Typed { node, ty, lookback };
        Ok(match &e.kind {
            ExprKind::Num(v) => typed(Node::Const(*v), Ty::Num, 0),
            ExprKind::Str(s) => typed(Node::Const(f64::NAN), Ty::Str(s.clone()), 0),
            ExprKind::Ident(name) => self.ident(cx, name, e.span)?,
            ExprKind::Call { name, args } => self.call(cx, name, args, e.span)?,
            ExprKind::Neg(x) => {
                let t = self.check(cx, x)?;
                cx.num(&t, x, "`-`")?;
                typed(Node::Neg(Box::new(t.node)), Ty::Num, t.lookback)
            }
            ExprKind::Not(x) => {
                let t = self.check(cx, x)?;
                cx.cond(&t, x, "`not`")?;
                typed(Node::Not(Box::new(t.node)), Ty::Bool, t.lookback)
            }
            ExprKind::Offset { expr, bars } => {
                let t = self.check(cx, expr)?;
                if let Ty::Str(s) = &t.ty {
                    return Err(cx.text_misuse(s, expr.span));
                }
                typed(
                    Node::Offset(Box::new(t.node), *bars),
                    t.ty,
                    t.lookback.saturating_add(*bars),
                )
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let what = format!("`{}`", op.symbol());
                let (l, r) = (self.check(cx, lhs)?, self.check(cx, rhs)?);
                let lookback = l.lookback.max(r.lookback);
                match op {
                    BinOp::And | BinOp::Or => {
                        cx.cond(&l, lhs, &what)?;
                        cx.cond(&r, rhs, &what)?;
                        let (a, b) = (Box::new(l.node), Box::new(r.node));
                        let node = if *op == BinOp::And {
                            Node::And(a, b)
                        } else {
                            Node::Or(a, b)
                        };
                        typed(node, Ty::Bool, lookback)
                    }
                    BinOp::CrossAbove | BinOp::CrossBelow => {
                        cx.num(&l, lhs, &what)?;
                        cx.num(&r, rhs, &what)?;
                        let node = Node::Cross {
                            above: *op == BinOp::CrossAbove,
                            a: Box::new(l.node),
                            b: Box::new(r.node),
                        };
                        typed(node, Ty::Bool, lookback.saturating_add(1))
                    }
                    _ if op.is_arithmetic() => {
                        cx.num(&l, lhs, &what)?;
                        cx.num(&r, rhs, &what)?;
                        let node = Node::Arith(*op, Box::new(l.node), Box::new(r.node));
                        typed(node, Ty::Num, lookback)
                    }
                    _ => {
                        let (a, b) = match (&l.ty, &r.ty) {
                            (Ty::Str(s), _) => (signal_code(cx, s, lhs, &r, rhs)?, r.node),
                            (_, Ty::Str(s)) => {
                                let code = signal_code(cx, s, rhs, &l, lhs)?;
                                (l.node, code)
                            }
                            _ => {
                                cx.num(&l, lhs, &what)?;
                                cx.num(&r, rhs, &what)?;
                                (l.node, r.node)
                            }
                        };
                        typed(Node::Cmp(*op, Box::new(a), Box::new(b)), Ty::Bool, lookback)
                    }
                }
            }
        })
    }

    fn ident(&mut self, cx: &Ctx, name: &str, span: Span) -> Result<Typed, LangError> {
        // `true` / `false`: constant conditions (`--expr true` matches every symbol).
        if let Some(v) = bool_literal(name) {
            return Ok(Typed {
                node: Node::Const(if v { 1.0 } else { 0.0 }),
                ty: Ty::Bool,
                lookback: 0,
            });
        }
        if let Some(b) = BarSeries::from_name(name) {
            return Ok(Typed {
                node: Node::Bar(b),
                ty: Ty::Num,
                lookback: 0,
            });
        }
        if let Some(f) = Field::from_name(name) {
            self.uses_technic = true;
            return Ok(Typed {
                node: Node::Field(f),
                ty: Ty::Num,
                lookback: 0,
            });
        }
        if let Some(f) = function(name) {
            return Err(cx.err(
                span,
                format!(
                    "`{name}` at {} is a function: call it with parentheses, e.g. `{}`",
                    span.at(),
                    example_call(f)
                ),
            ));
        }
        Err(cx.err(
            span,
            format!(
                "unknown series `{name}` at {}{}",
                span.at(),
                did_you_mean(name, value_names().chain(function_names()))
            ),
        ))
    }

    fn call(
        &mut self,
        cx: &Ctx,
        name: &str,
        args: &[Expr],
        span: Span,
    ) -> Result<Typed, LangError> {
        let name_span = Span {
            end: span.start + name.len(),
            ..span
        };
        let Some(def) = function(name) else {
            if BarSeries::from_name(name).is_some() || Field::from_name(name).is_some() {
                return Err(cx.err(
                    name_span,
                    format!(
                        "`{name}` at {} is a series, not a function: write `{name}` without parentheses",
                        span.at()
                    ),
                ));
            }
            return Err(cx.err(
                name_span,
                format!(
                    "unknown function `{name}` at {}{}",
                    span.at(),
                    did_you_mean(name, function_names())
                ),
            ));
        };
        // The source is present iff the first argument is not a constant.
        let has_source = def.takes_source && args.first().is_some_and(|a| a.fold().is_none());
        let param_args = if has_source { &args[1..] } else { args };
        let max = def.params.len() + usize::from(def.takes_source);
        if !def.takes_source {
            if let (Some(a), Some(p)) = (args.first(), def.params.first()) {
                if a.fold().is_none() {
                    return Err(cx.err(
                        a.span,
                        format!(
                            "`{}` of `{name}` must be a constant number at {} (`{name}` takes no source series)",
                            p.name,
                            a.span.at()
                        ),
                    ));
                }
            }
        }
        if param_args.len() > def.params.len() {
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("1 {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            let message = if max == 0 {
                format!(
                    "`{name}` takes no arguments, got {} at {}",
                    args.len(),
                    span.at()
                )
            } else if has_source || !def.takes_source {
                format!(
                    "`{name}` takes at most {}, got {} at {}",
                    plural(max, "argument"),
                    args.len(),
                    span.at()
                )
            } else {
                format!(
                    "`{name}` takes at most {} when its source is left out, got {} at {} — a number first means the source defaults to close",
                    plural(def.params.len(), "parameter"),
                    args.len(),
                    span.at()
                )
            };
            return Err(cx.err(span, message));
        }
        let mut params = Vec::with_capacity(def.params.len());
        for (j, p) in def.params.iter().enumerate() {
            let v = match param_args.get(j) {
                None => p.default,
                Some(a) => {
                    let Some(v) = a.fold() else {
                        return Err(cx.err(
                            a.span,
                            format!(
                                "`{}` of `{name}` must be a constant number at {}",
                                p.name,
                                a.span.at()
                            ),
                        ));
                    };
                    if !p.range.accepts(v) {
                        return Err(cx.err(
                            a.span,
                            format!(
                                "`{}` of `{name}` must be {}, got {v} at {}",
                                p.name,
                                p.range.describe(),
                                a.span.at()
                            ),
                        ));
                    }
                    v
                }
            };
            params.push(v);
        }
        let (source, source_lookback) = if !def.takes_source {
            (Source::Bars, 0)
        } else if has_source {
            let a = &args[0];
            let t = self.check(cx, a)?;
            cx.num(&t, a, &format!("the source of `{name}`"))?;
            if t.node.uses_field() {
                return Err(cx.err(
                    a.span,
                    format!(
                        "the source of `{name}` at {} reads a Technic field; fields are scored one bar at a time and cannot feed an indicator",
                        a.span.at()
                    ),
                ));
            }
            self.source(t)
        } else {
            (Source::Column(BarSeries::Close), 0)
        };
        let lookback = source_lookback.saturating_add(def.kernel.lookback(&params));
        let slot = self.kernel_step(def, source, params, lookback);
        Ok(Typed {
            node: Node::Slot(slot),
            ty: Ty::Num,
            lookback,
        })
    }

    /// Turns a checked source expression into a kernel input, adding a
    /// derived-series step when it is not a raw column or a computed slot.
    fn source(&mut self, t: Typed) -> (Source, usize) {
        match t.node {
            Node::Bar(b) if b.column_exists() => (Source::Column(b), 0),
            Node::Slot(s) => (Source::Slot(s), self.slot_lookback[s]),
            node => {
                let key = format!("series({})", strip_outer(&node.key(&self.slot_names)));
                let lookback = t.lookback;
                let slots = self.step(key, StepKind::Series(node), 1, lookback);
                (Source::Slot(slots[0]), lookback)
            }
        }
    }

    /// The slot of `def`'s output for this kernel call (reusing an earlier
    /// identical call).
    fn kernel_step(
        &mut self,
        def: &Function,
        source: Source,
        params: Vec<f64>,
        lookback: usize,
    ) -> usize {
        let key = self.kernel_key(def, source, &params);
        let kernel: &'static Kernel = def.kernel;
        let outputs = kernel.outputs();
        let slots = self.step(
            key,
            StepKind::Kernel {
                kernel,
                source,
                params,
            },
            outputs,
            lookback,
        );
        slots[def.output.min(outputs - 1)]
    }

    /// A kernel call's canonical key, e.g. `rsi(close, 14)`.
    fn kernel_key(&self, def: &Function, source: Source, params: &[f64]) -> String {
        let src_key = match source {
            Source::Bars => String::new(),
            Source::Column(b) => b.name().to_string(),
            Source::Slot(s) => self.slot_names[s].clone(),
        };
        let p: Vec<String> = params.iter().map(|v| v.to_string()).collect();
        let sep = if src_key.is_empty() || p.is_empty() {
            ""
        } else {
            ", "
        };
        format!("{}({src_key}{sep}{})", def.kernel.key(), p.join(", "))
    }

    /// The slots of the score's series that the plan computes for the
    /// scan itself (`SCORE_CALLS`), for the score to read.
    pub fn score_slots(&self) -> [Option<usize>; 3] {
        SCORE_CALLS.map(|(name, params)| {
            let (def, source) = score_call(name);
            let step = &self.plan.steps[*self.keys.get(&self.kernel_key(def, source, params))?];
            step.slots.get(def.output).copied()
        })
    }

    /// Adds a step unless one with the same key exists; returns its slots.
    fn step(&mut self, key: String, kind: StepKind, outputs: usize, lookback: usize) -> Vec<usize> {
        if let Some(&i) = self.keys.get(&key) {
            return self.plan.steps[i].slots.clone();
        }
        let first = self.plan.slot_count;
        let slots: Vec<usize> = (first..first + outputs).collect();
        for k in 0..outputs {
            self.slot_names.push(if outputs == 1 {
                key.clone()
            } else {
                format!("{key}.{k}")
            });
            self.slot_lookback.push(lookback);
        }
        self.plan.slot_count += outputs;
        self.keys.insert(key.clone(), self.plan.steps.len());
        self.plan.steps.push(Step {
            key,
            kind,
            slots: slots.clone(),
        });
        slots
    }
}

/// One of `SCORE_CALLS`: its function and its source (close, or the bars).
fn score_call(name: &str) -> (&'static Function, Source) {
    let def = function(name).expect("the score's kernels are scan functions");
    let source = if def.takes_source {
        Source::Column(BarSeries::Close)
    } else {
        Source::Bars
    };
    (def, source)
}

/// `(a - b)` without its outer parentheses (only when they enclose it all).
fn strip_outer(key: &str) -> &str {
    let inner = match key.strip_prefix('(').and_then(|k| k.strip_suffix(')')) {
        Some(inner) => inner,
        None => return key,
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return key;
        }
    }
    inner
}

/// `rsi(14)`-style example with the defaults.
fn example_call(f: &Function) -> String {
    let p: Vec<String> = f.params.iter().map(|p| p.default.to_string()).collect();
    format!("{}({})", f.name, p.join(", "))
}

/// The numeric code of a signal label compared with `other` (which must be
/// `signal`, possibly `[n]` bars ago).
fn signal_code(
    cx: &Ctx,
    label: &str,
    label_expr: &Expr,
    other: &Typed,
    other_expr: &Expr,
) -> Result<Node, LangError> {
    let mut node = &other.node;
    while let Node::Offset(inner, _) = node {
        node = inner;
    }
    if !matches!(node, Node::Field(Field::Signal)) {
        if let Ty::Str(s) = &other.ty {
            return Err(cx.text_misuse(s, other_expr.span));
        }
        return Err(cx.text_misuse(label, label_expr.span));
    }
    match Signal::from_label(label) {
        Some(sig) => Ok(Node::Const(f64::from(sig.code()))),
        None => Err(cx.err(
            label_expr.span,
            format!(
                "unknown signal \"{label}\" at {}{} (signals: \"Strong Long\", \"Long\", \"Avoid\", \"Short\", \"Strong Short\")",
                label_expr.span.at(),
                did_you_mean(label, Signal::ALL.into_iter().map(Signal::label))
            ),
        )),
    }
}
