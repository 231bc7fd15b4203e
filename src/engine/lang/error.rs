//! The scan language's errors: `Span`, `Part` and `LangError` (declared here
//! with their methods, re-exported by the language module), and "did you
//! mean" suggestions by edit distance. Imports nothing from the language; no
//! parsing here.

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

impl Span {
    /// A span from `start` to `end` (bytes) that begins at `line:col` (1-based).
    pub fn new(start: usize, end: usize, line: usize, col: usize) -> Span {
        Span {
            start,
            end,
            line,
            col,
        }
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            end: other.end.max(self.start),
            ..self
        }
    }

    /// `line:col`, as printed in messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.line, self.col)
    }
}

impl LangError {
    pub fn new(part: Part, span: Span, message: impl Into<String>) -> LangError {
        LangError {
            part,
            span,
            message: message.into(),
        }
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment):
/// insertions, deletions, substitutions and swaps of two neighbours cost 1,
/// so `clsoe` is one edit from `close`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo
/// (one edit for names of up to 3 letters, two up to 8, three beyond).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = match len {
        0..=1 => 0,
        2..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// " — did you mean `x`?" or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(word, candidates) {
        Some(c) => format!(" — did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("sma", "sma"), 0);
        assert_eq!(edit_distance("smaa", "sma"), 1);
        assert_eq!(edit_distance("clsoe", "close"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions_pick_the_closest_name_and_refuse_far_ones() {
        let names = ["sma", "ema", "wma", "close"];
        assert_eq!(suggest("smaa", names), Some("sma"));
        assert_eq!(suggest("clos", names), Some("close"));
        assert_eq!(suggest("zzzzzz", names), None);
        assert_eq!(suggest("x", names), None);
        assert_eq!(suggest("foo", ["low"]), None);
    }
}
