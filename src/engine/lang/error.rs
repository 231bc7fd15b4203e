//! Error helpers for the scan language: building `LangError`s with their
//! position, and "did you mean" suggestions by edit distance. No parsing here.

use super::{LangError, Part, Span};

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

/// Levenshtein distance over chars (two rows, no allocation beyond them).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo
/// (at most 2 edits, and fewer edits than the word has letters).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.min(word.chars().count().saturating_sub(1));
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
        assert_eq!(edit_distance("clsoe", "close"), 2);
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
    }
}
