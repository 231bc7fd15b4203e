//! Fuzz target: the scan language (`technic::engine::lang::parse` and
//! `Scan::compile`, with display columns). The input is the expression, then
//! display columns, separated by NUL bytes. Never panics; an error's span lies
//! inside its own text on char boundaries; a compiled scan's canonical print
//! re-parses to the same tree and print and compiles again; the compiled plan
//! runs on a fixed synthetic series without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use technic::data::synthetic;
use technic::engine::lang::{self, LangError, Part, Scan};
use technic::engine::score::Settings;
use technic::engine::Bars;
use technic_fuzz::check_error;

/// More columns than the UI ever shows add no new code paths.
const MAX_COLUMNS: usize = 4;

fn bars() -> &'static Bars {
    static BARS: OnceLock<Bars> = OnceLock::new();
    BARS.get_or_init(|| synthetic::bars(7, 3, 260))
}

fn check_span(e: &LangError, expr: &str, columns: &[String]) {
    check_error(e);
    let text = match e.part {
        Part::Expr => expr,
        Part::Column(k) => columns
            .get(k)
            .map(String::as_str)
            .expect("column index in range"),
    };
    let s = e.span;
    assert!(s.start <= s.end, "span {s:?} runs backwards");
    assert!(
        s.end <= text.len(),
        "span {s:?} ends past the text ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
        "span {s:?} cuts a character"
    );
    assert!(s.line >= 1 && s.col >= 1, "span {s:?} is not 1-based");
}

/// Names are ASCII: a non-ASCII letter is an unexpected character (the bug
/// this target found, regressions/lang_compile/print-of-capital-dotted-i-does-not-reparse:
/// `İ` lower-cased to `i\u{307}`, whose print did not re-parse). Any parsed
/// name that is not ASCII is therefore a regression.
fn assert_ascii_names(e: &lang::ast::Expr) {
    use lang::ast::ExprKind as K;
    match &e.kind {
        K::Num(_) | K::Str(_) => {}
        K::Ident(name) => assert!(name.is_ascii(), "non-ASCII name {name:?}"),
        K::Call { name, args } => {
            assert!(name.is_ascii(), "non-ASCII name {name:?}");
            args.iter().for_each(assert_ascii_names);
        }
        K::Neg(x) | K::Not(x) | K::Offset { expr: x, .. } => assert_ascii_names(x),
        K::Binary { lhs, rhs, .. } => {
            assert_ascii_names(lhs);
            assert_ascii_names(rhs);
        }
    }
}

/// The canonical print of a parsed tree re-parses to the same tree and print.
fn check_print(ast: &lang::ast::Expr) -> String {
    let printed = ast.to_string();
    assert_ascii_names(ast);
    let again = lang::parse(&printed)
        .unwrap_or_else(|e| panic!("canonical print {printed:?} does not re-parse: {e}"));
    assert_eq!(&again, ast, "re-parsing {printed:?} gives another tree");
    assert_eq!(again.to_string(), printed, "printing is not stable");
    printed
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let expr = parts.next().unwrap_or_default();
    let columns: Vec<String> = parts.take(MAX_COLUMNS).map(str::to_string).collect();

    match lang::parse(expr) {
        Ok(ast) => {
            check_print(&ast);
        }
        Err(e) => check_span(&e, expr, &columns),
    }

    let scan = match Scan::compile(expr, &columns) {
        Ok(scan) => scan,
        Err(e) => return check_span(&e, expr, &columns),
    };
    let printed = check_print(scan.expr());
    assert_eq!(scan.display(), printed);
    let again = Scan::compile(&printed, &columns)
        .unwrap_or_else(|e| panic!("canonical print {printed:?} does not compile: {e}"));
    assert_eq!(again.display(), printed);
    assert_eq!(
        again.min_bars(),
        scan.min_bars(),
        "min_bars changed through the print"
    );

    let bars = bars();
    let mut ws = scan.workspace();
    let mut prepared = scan.prepare(bars, &mut ws, &Settings::default());
    let last = bars.len() - 1;
    for i in [0, last / 2, last] {
        let cond = prepared.condition_at(i);
        assert_eq!(prepared.matches_at(i), cond == Some(true));
        for k in 0..columns.len() {
            if let Some(v) = prepared.column_at(k, i) {
                assert!(v.is_finite(), "column {k} at {i} is {v}");
            }
        }
    }
    assert!(prepared.column_at(columns.len(), last).is_none());
});
