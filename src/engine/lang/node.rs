//! The scan language's IR: the type-checked expression tree (`Node`) that
//! reads bars, Technic fields and computed series (slots), and the price
//! series it names. Imports only the AST's operators, the bars and the score's
//! field names; evaluation (`eval`) and the plan (`plan`) build on it.

use super::ast::BinOp;
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

    /// Whether the series is stored (the five raw columns), not computed.
    pub fn column_exists(self) -> bool {
        !matches!(self, BarSeries::Hl2 | BarSeries::Hlc3 | BarSeries::Ohlc4)
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

    /// Adds the workspace slots evaluating this reads to `out`.
    pub fn slots_into(&self, out: &mut Vec<usize>) {
        match self {
            Node::Slot(s) => out.push(*s),
            Node::Const(_) | Node::Bar(_) | Node::Field(_) => {}
            Node::Offset(x, _) | Node::Neg(x) | Node::Not(x) => x.slots_into(out),
            Node::Arith(_, a, b)
            | Node::Cmp(_, a, b)
            | Node::Cross { a, b, .. }
            | Node::And(a, b)
            | Node::Or(a, b) => {
                a.slots_into(out);
                b.slots_into(out);
            }
        }
    }
}
