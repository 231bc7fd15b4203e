//! The scan language's lexer: text to tokens with byte spans and 1-based
//! line:column positions. Knows nothing of names or types.

use super::error::{LangError, Part, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(f64),
    Str(String),
    /// A name as written (keywords are names too; the parser compares them
    /// case-insensitively).
    Ident(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    Eof,
}

impl Tok {
    /// How the token is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number `{n}`"),
            Tok::Str(s) => format!("text \"{s}\""),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Eof => "end of input".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            _ => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Splits `src` into tokens, always ending with `Tok::Eof`.
pub fn lex(src: &str, part: Part) -> Result<Vec<Token>, LangError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    let (mut line, mut col) = (1usize, 1usize);
    while let Some(&(start, c)) = chars.peek() {
        let (tline, tcol) = (line, col);
        // Consumes one char, keeping line:col in step.
        let mut bump = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
            if let Some((_, ch)) = chars.next() {
                if ch == '\n' {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
            }
        };
        if c.is_whitespace() {
            bump(&mut chars);
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            _ => None,
        };
        let tok = if let Some(tok) = single {
            bump(&mut chars);
            tok
        } else if matches!(c, '>' | '<' | '=' | '!') {
            bump(&mut chars);
            let next = chars.peek().map(|&(_, n)| n);
            let (tok, two) = match (c, next) {
                ('>', Some('=')) => (Tok::Ge, true),
                ('<', Some('=')) => (Tok::Le, true),
                ('<', Some('>')) => (Tok::Ne, true),
                ('=', Some('=')) => (Tok::Eq, true),
                ('!', Some('=')) => (Tok::Ne, true),
                ('>', _) => (Tok::Gt, false),
                ('<', _) => (Tok::Lt, false),
                ('=', _) => (Tok::Eq, false),
                _ => {
                    let span = Span::new(start, start + 1, tline, tcol);
                    return Err(LangError::new(
                        part,
                        span,
                        format!(
                            "unexpected character `!` at {} — did you mean `!=` or `not`?",
                            span.at()
                        ),
                    ));
                }
            };
            if two {
                bump(&mut chars);
            }
            tok
        } else if c.is_ascii_digit() || c == '.' {
            let end = number_end(src, start);
            let text = &src[start..end];
            for _ in text.chars() {
                bump(&mut chars);
            }
            let span = Span::new(start, end, tline, tcol);
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Tok::Num(v),
                Ok(_) => {
                    return Err(LangError::new(
                        part,
                        span,
                        format!("number `{text}` at {} is too large", span.at()),
                    ))
                }
                Err(_) => {
                    return Err(LangError::new(
                        part,
                        span,
                        format!("`{text}` at {} is not a number", span.at()),
                    ))
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start;
            while let Some(&(i, ch)) = chars.peek() {
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    end = i + ch.len_utf8();
                    bump(&mut chars);
                } else {
                    break;
                }
            }
            Tok::Ident(src[start..end].to_string())
        } else if c == '"' {
            bump(&mut chars);
            let mut end = None;
            while let Some(&(i, ch)) = chars.peek() {
                bump(&mut chars);
                if ch == '"' {
                    end = Some(i);
                    break;
                }
            }
            match end {
                Some(end) => Tok::Str(src[start + 1..end].to_string()),
                None => {
                    let span = Span::new(start, src.len(), tline, tcol);
                    return Err(LangError::new(
                        part,
                        span,
                        format!("text starting with `\"` at {} is never closed", span.at()),
                    ));
                }
            }
        } else {
            let span = Span::new(start, start + c.len_utf8(), tline, tcol);
            return Err(LangError::new(
                part,
                span,
                format!("unexpected character `{c}` at {}", span.at()),
            ));
        };
        let end = chars.peek().map_or(src.len(), |&(i, _)| i);
        out.push(Token {
            tok,
            span: Span::new(start, end, tline, tcol),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(src.len(), src.len(), line, col),
    });
    Ok(out)
}

/// End of a number starting at `start`: digits, an optional fraction and an
/// optional exponent (`e` only counts when digits follow it).
fn number_end(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let mut i = start;
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    if i < b.len() && b[i] == b'.' {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, Part::Expr)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn numbers_names_and_operators_become_tokens() {
        assert_eq!(
            toks("rsi(14) >= 1e6 <> .5"),
            vec![
                Tok::Ident("rsi".into()),
                Tok::LParen,
                Tok::Num(14.0),
                Tok::RParen,
                Tok::Ge,
                Tok::Num(1e6),
                Tok::Ne,
                Tok::Num(0.5),
                Tok::Eof
            ]
        );
        assert_eq!(toks("a==b"), toks("a = b"));
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let t = lex("close >\n  sma(5)", Part::Expr).unwrap();
        assert_eq!((t[0].span.line, t[0].span.col), (1, 1));
        assert_eq!((t[1].span.line, t[1].span.col), (1, 7));
        assert_eq!((t[2].span.line, t[2].span.col), (2, 3));
        assert_eq!((t[2].span.start, t[2].span.end), (10, 13));
    }

    #[test]
    fn a_lone_bang_and_an_open_string_are_errors() {
        let e = lex("a ! b", Part::Expr).unwrap_err();
        assert!(e.message.contains("1:3"), "{}", e.message);
        assert!(lex("signal = \"Long", Part::Expr).is_err());
        assert!(lex("close @ 2", Part::Expr).is_err());
    }

    #[test]
    fn an_exponent_without_digits_is_left_for_the_parser() {
        assert_eq!(
            toks("2e"),
            vec![Tok::Num(2.0), Tok::Ident("e".into()), Tok::Eof]
        );
    }
}
