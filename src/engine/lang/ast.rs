//! The scan language's syntax tree, its canonical printer (`Display`, which
//! reparses to an equal tree) and constant folding. No name resolution here.

use super::error::Span;
use std::fmt;

/// One expression node with the span of its text.
///
/// Equality compares structure only: two trees are equal when they would
/// print the same way, wherever their text sat (spans are ignored).
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A non-negative number literal (`-2` is `Neg(2)`).
    Num(f64),
    /// A text literal such as `"Strong Long"` (only comparable with `signal`).
    Str(String),
    /// A series or Technic field name, lower-cased.
    Ident(String),
    /// A function call; the name is lower-cased.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `expr[bars]`: the value `bars` bars ago.
    Offset {
        expr: Box<Expr>,
        bars: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    CrossAbove,
    CrossBelow,
    And,
    Or,
}

/// Binding strength, loosest first (SPEC §2.3 precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    Or,
    And,
    Not,
    Compare,
    Sum,
    Product,
    Unary,
    Postfix,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::CrossAbove => "crosses above",
            BinOp::CrossBelow => "crosses below",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    pub(crate) fn prec(self) -> Prec {
        match self {
            BinOp::Add | BinOp::Sub => Prec::Sum,
            BinOp::Mul | BinOp::Div => Prec::Product,
            BinOp::And => Prec::And,
            BinOp::Or => Prec::Or,
            _ => Prec::Compare,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.prec() == Prec::Compare
    }

    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    fn prec(&self) -> Prec {
        match &self.kind {
            ExprKind::Binary { op, .. } => op.prec(),
            ExprKind::Not(_) => Prec::Not,
            ExprKind::Neg(_) => Prec::Unary,
            _ => Prec::Postfix,
        }
    }

    /// The value of a constant numeric expression (literals combined with
    /// `+ - * /` and unary minus), if this is one and it is finite.
    pub fn fold(&self) -> Option<f64> {
        let v = match &self.kind {
            ExprKind::Num(v) => *v,
            ExprKind::Neg(e) => -e.fold()?,
            ExprKind::Binary { op, lhs, rhs } if op.is_arithmetic() => {
                let (a, b) = (lhs.fold()?, rhs.fold()?);
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    _ => a / b,
                }
            }
            _ => return None,
        };
        v.is_finite().then_some(v)
    }
}

/// Prints `e`, parenthesised when it binds looser than `min`.
fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min: Prec) -> fmt::Result {
    if e.prec() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// The canonical form: minimal parentheses, single spaces around binary
/// operators, `=`/`!=` for equality, lower-case names, text in double quotes.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Num(v) => write!(f, "{v}"),
            ExprKind::Str(s) => write!(f, "\"{s}\""),
            ExprKind::Ident(name) => f.write_str(name),
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            ExprKind::Neg(e) => {
                f.write_str("-")?;
                child(f, e, Prec::Unary)
            }
            ExprKind::Not(e) => {
                f.write_str("not ")?;
                child(f, e, Prec::Not)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let p = op.prec();
                // Comparisons do not chain, so neither side may be one;
                // the others are left-associative.
                let left_min = if p == Prec::Compare { Prec::Sum } else { p };
                let right_min = match p {
                    Prec::Or => Prec::And,
                    Prec::And => Prec::Not,
                    Prec::Compare => Prec::Sum,
                    Prec::Sum => Prec::Product,
                    _ => Prec::Unary,
                };
                child(f, lhs, left_min)?;
                write!(f, " {} ", op.symbol())?;
                child(f, rhs, right_min)
            }
            ExprKind::Offset { expr, bars } => {
                child(f, expr, Prec::Postfix)?;
                write!(f, "[{bars}]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> Span {
        Span::new(0, 0, 1, 1)
    }
    fn num(v: f64) -> Expr {
        Expr::new(ExprKind::Num(v), sp())
    }
    fn id(s: &str) -> Expr {
        Expr::new(ExprKind::Ident(s.into()), sp())
    }
    fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::new(
            ExprKind::Binary {
                op,
                lhs: Box::new(a),
                rhs: Box::new(b),
            },
            sp(),
        )
    }

    #[test]
    fn printer_adds_parentheses_only_where_precedence_needs_them() {
        let e = bin(
            BinOp::Mul,
            bin(BinOp::Add, id("close"), num(1.0)),
            bin(BinOp::Sub, id("open"), num(2.5)),
        );
        assert_eq!(e.to_string(), "(close + 1) * (open - 2.5)");
        let e = bin(BinOp::Sub, id("a"), bin(BinOp::Sub, id("b"), id("c")));
        assert_eq!(e.to_string(), "a - (b - c)");
        let e = bin(BinOp::Sub, bin(BinOp::Sub, id("a"), id("b")), id("c"));
        assert_eq!(e.to_string(), "a - b - c");
    }

    #[test]
    fn offsets_of_compound_expressions_are_parenthesised() {
        let e = Expr::new(
            ExprKind::Offset {
                expr: Box::new(Expr::new(ExprKind::Neg(Box::new(id("close"))), sp())),
                bars: 2,
            },
            sp(),
        );
        assert_eq!(e.to_string(), "(-close)[2]");
    }

    #[test]
    fn folding_evaluates_constant_arithmetic_only() {
        let e = bin(
            BinOp::Mul,
            num(2.0),
            Expr::new(ExprKind::Neg(Box::new(num(3.0))), sp()),
        );
        assert_eq!(e.fold(), Some(-6.0));
        assert_eq!(bin(BinOp::Div, num(1.0), num(0.0)).fold(), None);
        assert_eq!(bin(BinOp::Add, id("close"), num(1.0)).fold(), None);
    }

    #[test]
    fn equality_ignores_spans() {
        let a = num(1.0);
        let b = Expr::new(ExprKind::Num(1.0), Span::new(4, 5, 1, 5));
        assert_eq!(a, b);
    }
}
