//! How numbers read on the page: counts with their noun, byte sizes,
//! durations and table cells (undefined shows as an en dash). Pure text.

/// `1 match`, `3 matches`, `1,204 symbols`.
pub fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 {
        noun.to_string()
    } else if noun.ends_with("ch") || noun.ends_with('s') {
        format!("{noun}es")
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    };
    format!("{} {plural}", grouped(n as u64))
}

/// Thousands separators: `12,345`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

pub fn seconds(s: f64) -> String {
    match s {
        s if !s.is_finite() => "—".into(),
        s if s < 1.0 => format!("{:.0} ms", s * 1000.0),
        s if s < 90.0 => format!("{s:.1} s"),
        s => format!("{:.0} min", s / 60.0),
    }
}

/// A table cell: `decimals` places, or an en dash when undefined.
pub fn cell(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "–".into(),
    }
}

/// A display-column value: precision that suits its size.
pub fn auto(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() && v.abs() >= 1e6 => {
            let sign = if v < 0.0 { "-" } else { "" };
            format!("{sign}{}", grouped(v.abs().round() as u64))
        }
        Some(v) if v.is_finite() && v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.is_finite() => format!("{v:.2}"),
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_plural() {
        assert_eq!(count(1, "match"), "1 match");
        assert_eq!(count(2, "match"), "2 matches");
        assert_eq!(count(1234, "symbol"), "1,234 symbols");
        assert_eq!(count(0, "entry"), "0 entries");
    }
}
