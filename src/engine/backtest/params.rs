//! Parameter ranges in a scan (SPEC §2.7): `{20..40 step 5}` (step 1 when
//! left out) and `{20, 50, 100}`, expanded into one plain scan text per grid
//! point before the scan language sees it, so the lexer and parser stay as
//! they are. Errors carry the byte span of the offending range. Imports
//! nothing of the engine.

/// A range or list that cannot be expanded, with its byte span in the text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at {start}..{end}")]
pub struct RangeError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Most values one range may have, and most grid points in all.
pub const MAX_VALUES: usize = 1000;
pub const MAX_POINTS: usize = 10_000;

/// A scan text with ranges: the literal pieces around them and each range's values.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamScan {
    pieces: Vec<String>,
    ranges: Vec<Vec<f64>>,
    spans: Vec<(usize, usize)>,
}

fn err(message: impl Into<String>, start: usize, end: usize) -> RangeError {
    RangeError {
        message: message.into(),
        start,
        end,
    }
}

fn number(text: &str, start: usize, end: usize) -> Result<f64, RangeError> {
    let t = text.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && !t.is_empty() => Ok(v),
        _ => Err(err(format!("`{t}` is not a number"), start, end)),
    }
}

fn values(inner: &str, start: usize, end: usize) -> Result<Vec<f64>, RangeError> {
    if inner.trim().is_empty() {
        return Err(err(
            "an empty range: write {20..40 step 5} or {20, 50}",
            start,
            end,
        ));
    }
    if let Some((lo, rest)) = inner.split_once("..") {
        let (hi, step) = match rest.split_once("step") {
            Some((hi, step)) => (hi, number(step, start, end)?),
            None => (rest, 1.0),
        };
        let (lo, hi) = (number(lo, start, end)?, number(hi, start, end)?);
        if step <= 0.0 {
            return Err(err("the step must be above 0", start, end));
        }
        if lo > hi {
            return Err(err(
                format!("the range runs backwards ({lo} > {hi})"),
                start,
                end,
            ));
        }
        let count = ((hi - lo) / step + 1e-9).floor() + 1.0;
        if count > MAX_VALUES as f64 {
            return Err(err(format!("more than {MAX_VALUES} values"), start, end));
        }
        // lo + k·step, not repeated addition, so 0.1 steps do not drift.
        Ok((0..count as usize).map(|k| lo + k as f64 * step).collect())
    } else {
        let v: Vec<f64> = inner
            .split(',')
            .map(|x| number(x, start, end))
            .collect::<Result<_, _>>()?;
        if v.len() > MAX_VALUES {
            return Err(err(format!("more than {MAX_VALUES} values"), start, end));
        }
        Ok(v)
    }
}

impl ParamScan {
    /// Finds every `{…}` in `src`.
    pub fn parse(src: &str) -> Result<ParamScan, RangeError> {
        let mut pieces = Vec::new();
        let mut ranges = Vec::new();
        let mut spans = Vec::new();
        let mut rest_start = 0;
        let mut i = 0;
        let b = src.as_bytes();
        while i < b.len() {
            match b[i] {
                b'{' => {
                    let close = src[i + 1..]
                        .find(['{', '}'])
                        .map(|k| i + 1 + k)
                        .filter(|&k| b[k] == b'}')
                        .ok_or_else(|| err("`{` without its `}`", i, src.len()))?;
                    pieces.push(src[rest_start..i].to_string());
                    ranges.push(values(&src[i + 1..close], i, close + 1)?);
                    spans.push((i, close + 1));
                    rest_start = close + 1;
                    i = close + 1;
                }
                b'}' => return Err(err("`}` without its `{`", i, i + 1)),
                _ => i += 1,
            }
        }
        pieces.push(src[rest_start..].to_string());
        let points = ranges
            .iter()
            .try_fold(1usize, |acc, r| acc.checked_mul(r.len()))
            .unwrap_or(usize::MAX);
        if points > MAX_POINTS {
            return Err(err(
                format!("{points} grid points; at most {MAX_POINTS}"),
                0,
                src.len(),
            ));
        }
        Ok(ParamScan {
            pieces,
            ranges,
            spans,
        })
    }

    /// How many ranges the text has.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Byte spans of the ranges in the source text.
    pub fn spans(&self) -> &[(usize, usize)] {
        &self.spans
    }

    /// Every combination of values, the last range varying fastest.
    pub fn grid(&self) -> Vec<Vec<f64>> {
        let mut grid = vec![Vec::new()];
        for r in &self.ranges {
            grid = grid
                .into_iter()
                .flat_map(|p| {
                    r.iter().map(move |&v| {
                        let mut q = p.clone();
                        q.push(v);
                        q
                    })
                })
                .collect();
        }
        grid
    }

    /// The plain scan text for one grid point.
    pub fn expr(&self, point: &[f64]) -> String {
        let mut out = self.pieces[0].clone();
        for (k, v) in point.iter().enumerate() {
            out.push_str(&format_value(*v));
            out.push_str(self.pieces.get(k + 1).map_or("", String::as_str));
        }
        out
    }
}

/// A value as scan text: whole numbers without a decimal point.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_expand_into_plain_scans() {
        let p =
            ParamScan::parse("rsi(14) < {20..40 step 5} and close > sma(close, {20, 50})").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.grid().len(), 10);
        assert_eq!(p.grid()[0], vec![20.0, 20.0]);
        assert_eq!(p.grid()[1], vec![20.0, 50.0]);
        assert_eq!(
            p.expr(&[35.0, 50.0]),
            "rsi(14) < 35 and close > sma(close, 50)"
        );
        assert_eq!(p.spans()[0], (10, 25));
        let q = ParamScan::parse("x > {1..3}").unwrap();
        assert_eq!(q.grid(), vec![vec![1.0], vec![2.0], vec![3.0]]);
        let d = ParamScan::parse("x > {0.1..0.3 step 0.1}").unwrap();
        assert_eq!(d.grid().len(), 3);
        assert_eq!(format_value(0.5), "0.5");
    }

    #[test]
    fn bad_ranges_are_errors_with_their_span() {
        let e = ParamScan::parse("rsi(14) < {40..20}").unwrap_err();
        assert_eq!((e.start, e.end), (10, 18));
        assert!(e.message.contains("backwards"));
        let e = ParamScan::parse("rsi(14) < {20..40 step 0}").unwrap_err();
        assert!(e.message.contains("step"));
        let e = ParamScan::parse("rsi(14) < {20, x}").unwrap_err();
        assert!(e.message.contains("`x`"));
        assert_eq!((e.start, e.end), (10, 17));
        assert!(ParamScan::parse("rsi(14) < {}")
            .unwrap_err()
            .message
            .contains("empty"));
        let e = ParamScan::parse("rsi(14) < {20").unwrap_err();
        assert_eq!(e.start, 10);
        let e = ParamScan::parse("rsi(14) < 20}").unwrap_err();
        assert_eq!((e.start, e.end), (12, 13));
        assert!(ParamScan::parse("a > {1..200} and b > {1..200}")
            .unwrap_err()
            .message
            .contains("grid points"));
    }
}
