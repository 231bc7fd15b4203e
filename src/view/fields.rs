//! What the form's text fields mean: the display-columns input split on `;`
//! (with offsets, so an error span lands in the right place), whole numbers
//! and positive numbers typed with or without separators, and a text cut at
//! an error span. Errors name the field and what it needs. Pure text.

/// One display column as typed: its text and byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnText<'a> {
    pub start: usize,
    pub text: &'a str,
}

/// Splits the display-columns input on `;`, trimming each and skipping empty
/// ones, keeping offsets so an error span can be shown in the input.
pub fn column_texts(input: &str) -> Vec<ColumnText<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in input.split(';') {
        let lead = piece.len() - piece.trim_start().len();
        let text = piece.trim();
        if !text.is_empty() {
            out.push(ColumnText {
                start: start + lead,
                text,
            });
        }
        start += piece.len() + 1;
    }
    out
}

/// The display columns' texts alone, owned (what a scan compiles).
pub fn column_list(input: &str) -> Vec<String> {
    column_texts(input)
        .into_iter()
        .map(|c| c.text.to_string())
        .collect()
}

/// Empty means "no limit"; otherwise a whole number of at least `min`
/// (`_` and `,` allowed as separators).
pub fn whole_number(text: &str, field: &str, min: usize) -> Result<Option<usize>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.replace(['_', ','], "").parse::<usize>() {
        Ok(n) if n >= min => Ok(Some(n)),
        _ => Err(format!("{field}: a whole number ≥ {min}, or empty")),
    }
}

/// Empty means `default`; otherwise a finite number above zero.
pub fn positive_number(text: &str, field: &str, default: f64) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    match text.replace(['_', ','], "").parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{field}: a number above 0")),
    }
}

/// `text` cut at a byte span, each cut moved back to a char boundary so a
/// span from any source never panics.
pub fn split_at_span(text: &str, start: usize, end: usize) -> (String, String, String) {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (s, e) = (floor(start), floor(end.max(start)));
    (
        text[..s].to_string(),
        text[s..e].to_string(),
        text[e..].to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_split_on_semicolons_with_their_offsets() {
        let input = "sma(close, 50); rsi(14)";
        let cols = column_texts(input);
        assert_eq!(cols.len(), 2);
        assert_eq!(
            cols[0],
            ColumnText {
                start: 0,
                text: "sma(close, 50)"
            }
        );
        assert_eq!(
            cols[1],
            ColumnText {
                start: 16,
                text: "rsi(14)"
            }
        );
        assert_eq!(
            &input[cols[1].start..cols[1].start + cols[1].text.len()],
            "rsi(14)"
        );
    }

    #[test]
    fn empty_and_blank_columns_are_skipped_but_offsets_stay_true() {
        let input = " ; ;  atr(14) ;";
        let cols = column_texts(input);
        assert_eq!(
            cols,
            vec![ColumnText {
                start: 6,
                text: "atr(14)"
            }]
        );
        assert!(column_texts("").is_empty());
        assert_eq!(column_list("a; ;b"), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn offsets_count_bytes_across_multibyte_text() {
        let input = "é ; close";
        let cols = column_texts(input);
        assert_eq!(cols[1].start, input.find("close").unwrap());
    }

    #[test]
    fn whole_numbers_accept_separators_and_empty_means_none() {
        assert_eq!(whole_number("", "Lookback", 2), Ok(None));
        assert_eq!(whole_number("  ", "Lookback", 2), Ok(None));
        assert_eq!(whole_number("1,000", "Lookback", 2), Ok(Some(1000)));
        assert_eq!(whole_number("10_000", "Lookback", 2), Ok(Some(10_000)));
    }

    #[test]
    fn whole_numbers_below_the_minimum_or_not_whole_name_the_field() {
        let err = "Lookback: a whole number ≥ 2, or empty".to_string();
        assert_eq!(whole_number("1", "Lookback", 2), Err(err.clone()));
        assert_eq!(whole_number("2.5", "Lookback", 2), Err(err.clone()));
        assert_eq!(whole_number("-3", "Lookback", 2), Err(err.clone()));
        assert_eq!(whole_number("ten", "Lookback", 2), Err(err));
    }

    #[test]
    fn positive_numbers_fall_back_to_the_default_when_empty() {
        assert_eq!(positive_number("", "Account", 10_000.0), Ok(10_000.0));
        assert_eq!(positive_number("25,000.5", "Account", 1.0), Ok(25_000.5));
        assert_eq!(positive_number("0.5", "Risk %", 1.0), Ok(0.5));
    }

    #[test]
    fn zero_negative_and_non_finite_numbers_are_refused() {
        for text in ["0", "-1", "inf", "NaN", "abc"] {
            assert_eq!(
                positive_number(text, "R", 2.0),
                Err("R: a number above 0".to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn a_span_cuts_the_text_in_three() {
        let (pre, mid, post) = split_at_span("close > smaa(close)", 8, 12);
        assert_eq!(
            (pre.as_str(), mid.as_str(), post.as_str()),
            ("close > ", "smaa", "(close)")
        );
    }

    #[test]
    fn a_span_past_the_end_or_inside_a_character_never_panics() {
        assert_eq!(
            split_at_span("abc", 5, 9),
            ("abc".into(), "".into(), "".into())
        );
        // 'é' is two bytes: a cut at byte 1 moves back to 0.
        assert_eq!(
            split_at_span("é!", 1, 2),
            ("".into(), "é".into(), "!".into())
        );
        // An end before the start marks the position itself.
        assert_eq!(
            split_at_span("abc", 2, 1),
            ("ab".into(), "".into(), "c".into())
        );
    }
}
