//! Evaluation of a plan's `Node`s at one bar, with three-valued logic:
//! a condition is true, false or undefined (`None`: NaN input, not enough
//! history). `and`/`or`/`not` follow Kleene's logic (false and undefined is
//! false, true or undefined is true, not undefined is undefined), and a scan
//! matches only where its condition is definitely true, so `not x` does not
//! match where `x` is undefined.
//!
//! Reads the IR (`node`) and the score; must not import the plan (the plan
//! calls in here to fill derived series, so that would be a cycle).

use super::ast::BinOp;
use super::node::Node;
use crate::engine::bars::Bars;
use crate::engine::score::ScoreScratch;

/// Where the Technic fields are read from: the symbol's score series (those
/// the plan computed, `given`, the rest computed into `scratch` when a field
/// is first read, once per symbol), so a backtest reads the fields at every
/// bar without recomputing them and a scan whose condition fails first
/// never computes them; the ratings a block of bars at a time.
pub struct ScoreCache<'a> {
    pub given: [Option<&'a [f64]>; 3],
    pub scratch: &'a mut ScoreScratch,
}

pub struct Eval<'a> {
    bars: &'a Bars,
    slots: &'a [Vec<f64>],
    score: Option<ScoreCache<'a>>,
}

impl<'a> Eval<'a> {
    pub fn new(bars: &'a Bars, slots: &'a [Vec<f64>], score: Option<ScoreCache<'a>>) -> Self {
        Eval { bars, slots, score }
    }

    /// A numeric node at bar `i`; NaN where undefined.
    pub fn num(&mut self, node: &Node, i: usize) -> f64 {
        if i >= self.bars.len() {
            return f64::NAN;
        }
        match node {
            Node::Const(v) => *v,
            Node::Bar(b) => b.at(self.bars, i),
            Node::Slot(s) => self
                .slots
                .get(*s)
                .and_then(|v| v.get(i))
                .copied()
                .unwrap_or(f64::NAN),
            Node::Field(f) => match &mut self.score {
                Some(sc) => sc.scratch.rating_at(self.bars, i, sc.given).field(*f),
                None => f64::NAN,
            },
            Node::Offset(x, n) => {
                if *n > i {
                    f64::NAN
                } else {
                    self.num(x, i - n)
                }
            }
            Node::Neg(x) => -self.num(x, i),
            Node::Arith(op, a, b) => {
                let (a, b) = (self.num(a, i), self.num(b, i));
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    _ => a / b,
                };
                if v.is_finite() {
                    v
                } else {
                    f64::NAN
                }
            }
            // A condition used as a number (a display column): 1 or 0.
            other => match self.truth(other, i) {
                Some(true) => 1.0,
                Some(false) => 0.0,
                None => f64::NAN,
            },
        }
    }

    /// A condition at bar `i`; `None` where undefined.
    pub fn truth(&mut self, node: &Node, i: usize) -> Option<bool> {
        if i >= self.bars.len() {
            return None;
        }
        match node {
            Node::Cmp(op, a, b) => {
                let (a, b) = (self.num(a, i), self.num(b, i));
                if a.is_nan() || b.is_nan() {
                    return None;
                }
                Some(match op {
                    BinOp::Gt => a > b,
                    BinOp::Ge => a >= b,
                    BinOp::Lt => a < b,
                    BinOp::Le => a <= b,
                    BinOp::Eq => a == b,
                    _ => a != b,
                })
            }
            Node::Cross { above, a, b } => {
                let (op_now, op_before) = if *above {
                    (BinOp::Gt, BinOp::Le)
                } else {
                    (BinOp::Lt, BinOp::Ge)
                };
                let now = self.compare(op_now, a, b, Some(i));
                let before = self.compare(op_before, a, b, i.checked_sub(1));
                kleene_and(now, before)
            }
            Node::And(a, b) => {
                let a = self.truth(a, i);
                if a == Some(false) {
                    return a;
                }
                kleene_and(a, self.truth(b, i))
            }
            Node::Or(a, b) => {
                let a = self.truth(a, i);
                if a == Some(true) {
                    return a;
                }
                kleene_or(a, self.truth(b, i))
            }
            Node::Not(x) => self.truth(x, i).map(|v| !v),
            Node::Offset(x, n) => {
                if *n > i {
                    None
                } else {
                    self.truth(x, i - n)
                }
            }
            // `true` / `false` (type checking lets no other constant stand for a condition).
            Node::Const(v) if !v.is_nan() => Some(*v != 0.0),
            // Type checking never lets a number stand for a condition.
            _ => None,
        }
    }

    fn compare(&mut self, op: BinOp, a: &Node, b: &Node, i: Option<usize>) -> Option<bool> {
        let i = i?;
        let (a, b) = (self.num(a, i), self.num(b, i));
        if a.is_nan() || b.is_nan() {
            return None;
        }
        Some(match op {
            BinOp::Gt => a > b,
            BinOp::Le => a <= b,
            BinOp::Lt => a < b,
            _ => a >= b,
        })
    }
}

fn kleene_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn kleene_or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic_lets_a_definite_side_decide() {
        assert_eq!(kleene_and(Some(false), None), Some(false));
        assert_eq!(kleene_and(Some(true), None), None);
        assert_eq!(kleene_or(None, Some(true)), Some(true));
        assert_eq!(kleene_or(Some(false), None), None);
        assert_eq!(kleene_and(Some(true), Some(true)), Some(true));
    }
}
