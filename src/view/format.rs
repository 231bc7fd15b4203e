//! How numbers read on the page: counts with their noun, thousands grouping,
//! byte sizes, durations and table cells (undefined shows as an en dash).
//! Pure text: imports nothing from the browser.

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

/// `1 match`, `1234 matches`: the number ungrouped, so the element's text
/// starts with a number any test can parse.
pub fn plain_count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Thousands separators: `12,345`. The one grouping function of the crate
/// (the page and the web layer's messages both use it).
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

/// `512 B`, `1.5 kB`, `2.0 MB` (decimal units, as the browser's storage
/// estimate reports them).
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// `250 ms`, `4.2 s`, `3 min`; an em dash when unknown.
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
        assert_eq!(count(3, "bus"), "3 buses");
    }

    #[test]
    fn plain_counts_start_with_an_ungrouped_number() {
        assert_eq!(plain_count(1, "match", "matches"), "1 match");
        assert_eq!(plain_count(12345, "error", "errors"), "12345 errors");
        assert_eq!(plain_count(0, "error", "errors"), "0 errors");
    }

    #[test]
    fn grouping_puts_a_comma_every_three_digits_from_the_right() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(12_345), "12,345");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn byte_sizes_switch_unit_at_each_thousand() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_000), "1.0 kB");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(2_000_000), "2.0 MB");
    }

    #[test]
    fn durations_read_in_ms_then_seconds_then_minutes() {
        assert_eq!(seconds(0.25), "250 ms");
        assert_eq!(seconds(4.24), "4.2 s");
        assert_eq!(seconds(180.0), "3 min");
        assert_eq!(seconds(f64::NAN), "—");
        assert_eq!(seconds(f64::INFINITY), "—");
    }

    #[test]
    fn an_undefined_cell_shows_an_en_dash() {
        assert_eq!(cell(Some(1.234), 2), "1.23");
        assert_eq!(cell(Some(-0.5), 1), "-0.5");
        assert_eq!(cell(Some(42.0), 0), "42");
        assert_eq!(cell(None, 2), "–");
        assert_eq!(cell(Some(f64::NAN), 2), "–");
    }

    #[test]
    fn display_values_get_precision_by_size() {
        assert_eq!(auto(Some(1.2345)), "1.23");
        assert_eq!(auto(Some(123.45)), "123.5");
        assert_eq!(auto(Some(-123.45)), "-123.5");
        assert_eq!(auto(Some(12_345_678.4)), "12,345,678");
        assert_eq!(auto(Some(-2_000_000.0)), "-2,000,000");
        assert_eq!(auto(None), "–");
        assert_eq!(auto(Some(f64::INFINITY)), "–");
    }
}
