//! The scan language's parser: tokens to an `ast::Expr` by precedence
//! climbing, with SPEC §2.3 precedence (or < and < not < comparison/crosses <
//! `+ -` < `* /` < unary minus < `[n]`/call). Names are not resolved here.

use super::ast::{BinOp, Expr, ExprKind, Prec};
use super::error::{LangError, Part, Span};
use super::lexer::{lex, Tok, Token};

/// Deepest tree the parser accepts, so that no later recursion (checking,
/// printing, evaluating, dropping) can exhaust the stack.
pub const MAX_DEPTH: usize = 200;

/// Deepest nesting of parentheses, brackets, calls, `not` and `-`; each level
/// costs the parser three stack frames.
pub const MAX_NESTING: usize = 64;

/// Largest `[n]` offset accepted.
pub const MAX_OFFSET: usize = 1_000_000;

const KEYWORDS: [&str; 6] = ["and", "or", "not", "crosses", "above", "below"];

/// Parses one expression (the scan or a display column).
pub fn parse(src: &str, part: Part) -> Result<Expr, LangError> {
    let tokens = lex(src, part)?;
    let mut p = Parser {
        src,
        part,
        tokens,
        pos: 0,
        nesting: 0,
    };
    if p.peek().tok == Tok::Eof {
        return Err(empty(part, p.peek().span));
    }
    let (e, _) = p.expr(Prec::Or)?;
    let t = p.peek().clone();
    match t.tok {
        Tok::Eof => Ok(e),
        Tok::RParen => Err(p.err(t.span, unmatched_close(t.span))),
        _ => Err(p.unexpected(&t, "an operator such as `and`, `>` or `+`")),
    }
}

fn is_keyword(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
}

// Messages are built in separate cold functions: it keeps the recursive
// parser's frames small (in debug builds every `format!` reserves its own
// stack slots), so deep but legal nesting fits a worker's stack.

#[cold]
#[inline(never)]
fn empty(part: Part, span: Span) -> LangError {
    let what = match part {
        Part::Expr => "the scan expression is empty".to_string(),
        Part::Column(k) => format!("display column {} is empty", k + 1),
    };
    LangError::new(part, span, what)
}

#[cold]
#[inline(never)]
fn unmatched_close(at: Span) -> String {
    format!(
        "unbalanced parenthesis: `)` at {} has no matching `(`",
        at.at()
    )
}

#[cold]
#[inline(never)]
fn never_closed(open: &str, at: Span) -> String {
    let what = if open == "[" {
        "bracket"
    } else {
        "parenthesis"
    };
    format!("unbalanced {what}: `{open}` at {} is never closed", at.at())
}

#[cold]
#[inline(never)]
fn too_deep(at: Span, limit: usize) -> String {
    format!(
        "expression at {} is nested too deeply (more than {limit} levels)",
        at.at()
    )
}

#[cold]
#[inline(never)]
fn bad_offset(index: &Expr, whole: &str) -> String {
    let at = index.span.at();
    match index.fold() {
        Some(v) if v < 0.0 => format!(
            "bar offset must be a non-negative whole number at {at}: `{whole}` would look into the future"
        ),
        Some(v) if v.fract() != 0.0 => format!(
            "bar offset must be a non-negative whole number at {at}: `{whole}` is between bars"
        ),
        Some(_) => format!("bar offset at {at} is too large: at most {MAX_OFFSET} bars"),
        None => format!(
            "bar offset must be a non-negative whole number at {at}: `{whole}` needs a constant such as `[1]`"
        ),
    }
}

#[cold]
#[inline(never)]
fn chained(at: Span) -> String {
    format!(
        "comparisons cannot be chained at {}: join them with `and`, e.g. `a < b and b < c`",
        at.at()
    )
}

#[cold]
#[inline(never)]
fn keyword_here(kw: &str, at: Span) -> String {
    format!(
        "unexpected keyword `{kw}` at {}: expected a number, a name or `(`",
        at.at()
    )
}

struct Parser<'s> {
    src: &'s str,
    part: Part,
    tokens: Vec<Token>,
    pos: usize,
    nesting: usize,
}

/// A subtree with its depth.
type Parsed = (Expr, usize);

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof, and `next` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn err(&self, span: Span, message: String) -> LangError {
        LangError::new(self.part, span, message)
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, t: &Token, expected: &str) -> LangError {
        let found = if t.tok == Tok::Eof {
            "end of input".to_string()
        } else {
            t.tok.describe()
        };
        self.err(
            t.span,
            format!("unexpected {found} at {}: expected {expected}", t.span.at()),
        )
    }

    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> Result<Parsed, LangError> {
        if depth > MAX_DEPTH {
            return Err(self.err(span, too_deep(span, MAX_DEPTH)));
        }
        Ok((Expr::new(kind, span), depth))
    }

    /// Guards recursion through parentheses, brackets, calls, `not` and `-`.
    fn enter(&mut self, at: Span) -> Result<(), LangError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.err(at, too_deep(at, MAX_NESTING)));
        }
        Ok(())
    }

    /// The binary operator at the cursor, without consuming it.
    fn infix(&self) -> Option<BinOp> {
        let t = &self.peek().tok;
        Some(match t {
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Eq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            // Resolved to above/below when consumed.
            t if is_keyword(t, "crosses") => BinOp::CrossAbove,
            t if is_keyword(t, "and") => BinOp::And,
            t if is_keyword(t, "or") => BinOp::Or,
            _ => return None,
        })
    }

    /// Consumes the operator `infix` saw (two tokens for `crosses …`).
    fn take_infix(&mut self, op: BinOp) -> Result<BinOp, LangError> {
        self.next();
        if op != BinOp::CrossAbove {
            return Ok(op);
        }
        let t = self.peek().clone();
        let op = if is_keyword(&t.tok, "above") {
            BinOp::CrossAbove
        } else if is_keyword(&t.tok, "below") {
            BinOp::CrossBelow
        } else {
            return Err(self.unexpected(&t, "`above` or `below` after `crosses`"));
        };
        self.next();
        Ok(op)
    }

    /// An expression whose operators all bind at least as tightly as `min`.
    fn expr(&mut self, min: Prec) -> Result<Parsed, LangError> {
        let mut lhs = self.prefix(min)?;
        let mut compared = false;
        while let Some(op) = self.infix() {
            let prec = op.prec();
            if prec < min {
                break;
            }
            if prec == Prec::Compare && compared {
                let at = self.peek().span;
                return Err(self.err(at, chained(at)));
            }
            let op = self.take_infix(op)?;
            // Left-associative: the right side binds strictly tighter.
            let rhs = self.expr(tighter(prec))?;
            compared = prec == Prec::Compare;
            let span = lhs.0.span.to(rhs.0.span);
            let depth = 1 + lhs.1.max(rhs.1);
            let kind = ExprKind::Binary {
                op,
                lhs: Box::new(lhs.0),
                rhs: Box::new(rhs.0),
            };
            lhs = self.node(kind, span, depth)?;
        }
        Ok(lhs)
    }

    /// `not x`, `-x`, or a primary with its `[n]` offsets.
    fn prefix(&mut self, min: Prec) -> Result<Parsed, LangError> {
        let t = self.peek().clone();
        let (prec, operand) = if is_keyword(&t.tok, "not") {
            (Prec::Not, Prec::Not)
        } else if t.tok == Tok::Minus {
            (Prec::Unary, Prec::Unary)
        } else {
            return self.postfix();
        };
        if prec < min {
            // `1 + not x`: `not` binds looser than `+`.
            return Err(self.err(t.span, keyword_here("not", t.span)));
        }
        self.next();
        self.enter(t.span)?;
        let inner = self.expr(operand);
        self.nesting -= 1;
        let (e, d) = inner?;
        let span = t.span.to(e.span);
        let kind = if prec == Prec::Not {
            ExprKind::Not(Box::new(e))
        } else {
            ExprKind::Neg(Box::new(e))
        };
        self.node(kind, span, d + 1)
    }

    fn postfix(&mut self) -> Result<Parsed, LangError> {
        let mut e = self.primary()?;
        while self.peek().tok == Tok::LBracket {
            let open = self.next();
            self.enter(open.span)?;
            let inner = self.expr(Prec::Or);
            self.nesting -= 1;
            let (index, _) = inner?;
            let close = self.peek().clone();
            match close.tok {
                Tok::RBracket => {}
                Tok::Eof => return Err(self.err(open.span, never_closed("[", open.span))),
                _ => return Err(self.unexpected(&close, "`]`")),
            }
            self.next();
            let bars = match index.fold() {
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v <= MAX_OFFSET as f64 => v as usize,
                _ => {
                    let whole = self.src.get(e.0.span.start..close.span.end).unwrap_or("");
                    return Err(self.err(index.span, bad_offset(&index, whole)));
                }
            };
            let span = e.0.span.to(close.span);
            let depth = e.1 + 1;
            let kind = ExprKind::Offset {
                expr: Box::new(e.0),
                bars,
            };
            e = self.node(kind, span, depth)?;
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Parsed, LangError> {
        let t = self.next();
        match t.tok {
            Tok::Num(v) => self.node(ExprKind::Num(v), t.span, 1),
            Tok::Str(s) => self.node(ExprKind::Str(s), t.span, 1),
            Tok::LParen => {
                self.enter(t.span)?;
                let inner = self.expr(Prec::Or);
                self.nesting -= 1;
                let (mut e, d) = inner?;
                let close = self.peek().clone();
                match close.tok {
                    Tok::RParen => {
                        self.next();
                        // The parenthesised span, so errors underline `( … )`.
                        e.span = t.span.to(close.span);
                        Ok((e, d))
                    }
                    Tok::Eof => Err(self.err(t.span, never_closed("(", t.span))),
                    _ => Err(self.unexpected(&close, "`)` or an operator")),
                }
            }
            Tok::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                if KEYWORDS.contains(&lower.as_str()) {
                    return Err(self.err(t.span, keyword_here(&lower, t.span)));
                }
                if self.peek().tok != Tok::LParen {
                    return self.node(ExprKind::Ident(lower), t.span, 1);
                }
                let open = self.next();
                self.enter(open.span)?;
                let args = self.arguments(open.span);
                self.nesting -= 1;
                let (args, depth, close) = args?;
                self.node(
                    ExprKind::Call { name: lower, args },
                    t.span.to(close),
                    depth + 1,
                )
            }
            Tok::RParen => Err(self.err(t.span, unmatched_close(t.span))),
            _ => Err(self.unexpected(&t, "a number, a name or `(`")),
        }
    }

    /// Call arguments after `(`; returns them, their depth and the `)` span.
    fn arguments(&mut self, open: Span) -> Result<(Vec<Expr>, usize, Span), LangError> {
        let mut args = Vec::new();
        let mut depth = 0;
        if self.peek().tok == Tok::RParen {
            return Ok((args, depth, self.next().span));
        }
        loop {
            let (a, d) = self.expr(Prec::Or)?;
            depth = depth.max(d);
            args.push(a);
            let t = self.next();
            match t.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok((args, depth, t.span)),
                Tok::Eof => return Err(self.err(open, never_closed("(", open))),
                _ => return Err(self.unexpected(&t, "`,` or `)`")),
            }
        }
    }
}

/// The next tighter level, for the right operand of a left-associative operator.
fn tighter(p: Prec) -> Prec {
    match p {
        Prec::Or => Prec::And,
        Prec::And => Prec::Not,
        Prec::Not | Prec::Compare => Prec::Sum,
        Prec::Sum => Prec::Product,
        _ => Prec::Unary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse(s, Part::Expr).unwrap().to_string()
    }
    fn e(s: &str) -> String {
        parse(s, Part::Expr).unwrap_err().message
    }

    #[test]
    fn precedence_follows_the_spec() {
        assert_eq!(
            p("a or b and not c > 1 + 2 * -d[1]"),
            "a or b and not c > 1 + 2 * -d[1]"
        );
        assert_eq!(p("(a or b) and c"), "(a or b) and c");
        assert_eq!(p("((1 + 2)) * 3"), "(1 + 2) * 3");
        assert_eq!(p("1 - (2 - 3)"), "1 - (2 - 3)");
        assert_eq!(p("1 - 2 - 3"), "1 - 2 - 3");
        assert_eq!(p("not not a"), "not not a");
        assert_eq!(p("(a > b) = (c > d)"), "(a > b) = (c > d)");
    }

    #[test]
    fn keywords_and_names_are_case_insensitive() {
        assert_eq!(
            p("SMA(Close, 5) CROSSES Above EMA(close,10) AND Not x"),
            "sma(close, 5) crosses above ema(close, 10) and not x"
        );
    }

    #[test]
    fn errors_name_what_was_found_and_where() {
        assert_eq!(
            e("close >"),
            "unexpected end of input at 1:8: expected a number, a name or `(`"
        );
        assert_eq!(
            e("(close > 1"),
            "unbalanced parenthesis: `(` at 1:1 is never closed"
        );
        assert_eq!(
            e("close > 1)"),
            "unbalanced parenthesis: `)` at 1:10 has no matching `(`"
        );
        assert!(e("a < b < c").starts_with("comparisons cannot be chained at 1:7"));
        assert!(e("a crosses b").starts_with("unexpected `b` at 1:11"));
        assert!(e("1 + not a").starts_with("unexpected keyword `not` at 1:5"));
        assert!(e("close[n]").contains("needs a constant"));
        assert!(e("close[1.5]").contains("between bars"));
        assert_eq!(e("   "), "the scan expression is empty");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let s = "(".repeat(100_000) + "1";
        assert!(e(&s).contains("nested too deeply"));
        let s = vec!["1"; 5000].join(" + ");
        assert!(e(&s).contains("nested too deeply"));
        let s = "not ".repeat(10_000) + "a";
        assert!(e(&s).contains("nested too deeply"));
        let s = "-".repeat(10_000) + "a";
        assert!(e(&s).contains("nested too deeply"));
        let s = "sma(".repeat(10_000);
        assert!(e(&s).contains("nested too deeply"));
    }

    #[test]
    fn the_deepest_accepted_nesting_parses_on_a_small_stack() {
        let s = "(".repeat(MAX_NESTING) + "1" + &")".repeat(MAX_NESTING);
        let deep = vec!["1"; MAX_DEPTH / 2].join(" + ");
        let t = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                parse(&s, Part::Expr).is_ok()
                    && parse(&deep, Part::Expr).map(|e| e.to_string()).is_ok()
            })
            .unwrap();
        assert!(t.join().unwrap());
    }
}
