//! A compiled scan's plan: the typed expression tree (`Node`) that reads bars,
//! Technic fields and computed series, and the ordered steps that fill those
//! series once per symbol into a `Workspace`'s reusable buffers.

use super::ast::BinOp;
use super::eval::Eval;
use super::functions::Kernel;
use super::Workspace;
use crate::engine::bars::Bars;
use crate::engine::score::Field;

/// A price series read straight from the bars (`hl2` and friends are
/// computed on the fly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarSeries {
    Open,
    High,
    Low,
    Close,
    Volume,
    Hl2,
    Hlc3,
    Ohlc4,
}

impl BarSeries {
    pub const ALL: [BarSeries; 8] = [
        BarSeries::Open,
        BarSeries::High,
        BarSeries::Low,
        BarSeries::Close,
        BarSeries::Volume,
        BarSeries::Hl2,
        BarSeries::Hlc3,
        BarSeries::Ohlc4,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BarSeries::Open => "open",
            BarSeries::High => "high",
            BarSeries::Low => "low",
            BarSeries::Close => "close",
            BarSeries::Volume => "volume",
            BarSeries::Hl2 => "hl2",
            BarSeries::Hlc3 => "hlc3",
            BarSeries::Ohlc4 => "ohlc4",
        }
    }

    pub fn from_name(name: &str) -> Option<BarSeries> {
        BarSeries::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The stored column, for the five raw series.
    pub fn column(self, bars: &Bars) -> Option<&[f64]> {
        match self {
            BarSeries::Open => Some(bars.open()),
            BarSeries::High => Some(bars.high()),
            BarSeries::Low => Some(bars.low()),
            BarSeries::Close => Some(bars.close()),
            BarSeries::Volume => Some(bars.volume()),
            _ => None,
        }
    }

    /// The value at bar `i` (`i < bars.len()`).
    pub fn at(self, bars: &Bars, i: usize) -> f64 {
        let (h, l, c) = (bars.high()[i], bars.low()[i], bars.close()[i]);
        match self {
            BarSeries::Open => bars.open()[i],
            BarSeries::High => h,
            BarSeries::Low => l,
            BarSeries::Close => c,
            BarSeries::Volume => bars.volume()[i],
            BarSeries::Hl2 => (h + l) / 2.0,
            BarSeries::Hlc3 => (h + l + c) / 3.0,
            BarSeries::Ohlc4 => (bars.open()[i] + h + l + c) / 4.0,
        }
    }
}

/// A type-checked expression, evaluated at a bar index.
#[derive(Debug, Clone)]
pub enum Node {
    Const(f64),
    Bar(BarSeries),
    /// A computed series in the workspace.
    Slot(usize),
    Field(Field),
    /// The value `n` bars earlier.
    Offset(Box<Node>, usize),
    Neg(Box<Node>),
    /// `+ - * /`; a non-finite result is undefined.
    Arith(BinOp, Box<Node>, Box<Node>),
    /// `> >= < <= = !=`.
    Cmp(BinOp, Box<Node>, Box<Node>),
    Cross {
        above: bool,
        a: Box<Node>,
        b: Box<Node>,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
}

impl Node {
    /// A canonical text for deduplication: equal keys compute equal series.
    pub fn key(&self, slot_names: &[String]) -> String {
        let k = |n: &Node| n.key(slot_names);
        match self {
            Node::Const(v) => format!("{v}"),
            Node::Bar(b) => b.name().to_string(),
            Node::Slot(s) => slot_names.get(*s).cloned().unwrap_or_default(),
            Node::Field(f) => f.name().to_string(),
            Node::Offset(x, n) => format!("({})[{n}]", k(x)),
            Node::Neg(x) => format!("(-{})", k(x)),
            Node::Arith(op, a, b) | Node::Cmp(op, a, b) => {
                format!("({} {} {})", k(a), op.symbol(), k(b))
            }
            Node::Cross { above, a, b } => {
                let dir = if *above { "above" } else { "below" };
                format!("({} crosses {dir} {})", k(a), k(b))
            }
            Node::And(a, b) => format!("({} and {})", k(a), k(b)),
            Node::Or(a, b) => format!("({} or {})", k(a), k(b)),
            Node::Not(x) => format!("(not {})", k(x)),
        }
    }

    /// Whether evaluating this reads a Technic field.
    pub fn uses_field(&self) -> bool {
        match self {
            Node::Field(_) => true,
            Node::Const(_) | Node::Bar(_) | Node::Slot(_) => false,
            Node::Offset(x, _) | Node::Neg(x) | Node::Not(x) => x.uses_field(),
            Node::Arith(_, a, b)
            | Node::Cmp(_, a, b)
            | Node::Cross { a, b, .. }
            | Node::And(a, b)
            | Node::Or(a, b) => a.uses_field() || b.uses_field(),
        }
    }
}

/// Where a kernel's source series comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// The kernel reads the bars itself (ATR, candlesticks, …).
    Bars,
    /// A raw bar column.
    Column(BarSeries),
    /// A series computed by an earlier step.
    Slot(usize),
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Kernel {
        kernel: Kernel,
        source: Source,
        params: Vec<f64>,
    },
    /// A derived series (an expression used as an indicator's source),
    /// evaluated bar by bar.
    Series(Node),
}

/// One computation per symbol, writing `slots` (one per kernel output).
#[derive(Debug, Clone)]
pub struct Step {
    pub key: String,
    pub kind: StepKind,
    pub slots: Vec<usize>,
}

/// The ordered steps of a scan (each step reads only earlier slots).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub slot_count: usize,
}

impl Plan {
    /// Fills every slot for these bars. Buffers keep their capacity across
    /// symbols, so after the longest symbol nothing is allocated here.
    pub fn compute(&self, bars: &Bars, ws: &mut Workspace) {
        let n = bars.len();
        if ws.slots.len() < self.slot_count {
            ws.slots.resize_with(self.slot_count, Vec::new);
        }
        for slot in &mut ws.slots[..self.slot_count] {
            slot.clear();
            slot.resize(n, f64::NAN);
        }
        for step in &self.steps {
            match &step.kind {
                StepKind::Series(node) => {
                    let Some(&s) = step.slots.first() else {
                        continue;
                    };
                    let mut out = std::mem::take(&mut ws.slots[s]);
                    let mut eval = Eval::new(bars, &ws.slots, None);
                    for (i, v) in out.iter_mut().enumerate() {
                        *v = eval.num(node, i);
                    }
                    ws.slots[s] = out;
                }
                StepKind::Kernel {
                    kernel,
                    source,
                    params,
                } => {
                    let k = step.slots.len().min(3);
                    let mut outs: [Vec<f64>; 3] = Default::default();
                    for (o, &s) in outs.iter_mut().zip(&step.slots) {
                        *o = std::mem::take(&mut ws.slots[s]);
                    }
                    let src: &[f64] = match *source {
                        Source::Bars => &[],
                        Source::Column(b) => b.column(bars).unwrap_or(&[]),
                        Source::Slot(s) => ws.slots.get(s).map_or(&[], |v| v.as_slice()),
                    };
                    // Trim a derived source's warm-up so the kernel sees the
                    // same slice TA-Lib would be given.
                    let first = match source {
                        Source::Bars => 0,
                        _ => src.iter().position(|v| v.is_finite()).unwrap_or(n),
                    };
                    let len_ok = matches!(source, Source::Bars) || src.len() == n;
                    if first < n && len_ok {
                        kernel.run(bars, &src[first..], first, params, &mut outs[..k]);
                    }
                    for (o, &s) in outs.into_iter().zip(&step.slots) {
                        ws.slots[s] = o;
                    }
                }
            }
        }
    }
}
