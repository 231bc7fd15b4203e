//! Importing user files: CSV files (one symbol each, or a long file with a
//! symbol column) and ZIP archives of them, with one result per file or
//! symbol; and universe lists (plain symbols, or a CSV with sector,
//! industry and market cap). No I/O (the browser hands over the bytes), no
//! browser crate.
//!
//! Decisions:
//! - A file is CSV when its name ends in `.csv`, `.txt` or `.tsv`; `.zip` is
//!   expanded; anything else is rejected with a reason (inside a ZIP too).
//! - A CSV with a symbol column is a long file (`csv::read_long`): one result
//!   per symbol. Otherwise the file name's stem, upper-cased, is the symbol
//!   (`aapl.us.txt` → `AAPL.US`). Long-file symbols are upper-cased too.
//! - In a ZIP, folders are fine; directories, `__MACOSX/` and dot files
//!   (any path part starting with `.`) are skipped silently. A corrupt ZIP is
//!   one rejected result naming it; a corrupt member only rejects itself.
//!   Limits well under the browser's 1 GiB wasm heap (parsed bars take
//!   several times the text they come from): members inflate to at most
//!   64 MiB each and 256 MiB in all, and an archive holds at most 20,000
//!   members. Past a limit the file (or the rest of the archive) is refused
//!   with a result naming it; nothing is allocated past it (ZIP bombs).
//! - A symbol imported twice keeps its first file; the later one is rejected.
//! - One bad file never affects the others; nothing here panics.

use crate::data::csv::{read_bars, read_long, CsvError};
use crate::engine::bars::Bars;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// The most one ZIP member may inflate to.
pub const MAX_MEMBER_BYTES: u64 = 64 << 20;
/// The most one ZIP may inflate to in all.
pub const MAX_ZIP_BYTES: u64 = 256 << 20;
/// The most members one ZIP may hold.
pub const MAX_ZIP_MEMBERS: usize = 20_000;

/// How much an import may inflate (see the module doc; tests use small ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub member_bytes: u64,
    pub zip_bytes: u64,
    pub zip_members: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            member_bytes: MAX_MEMBER_BYTES,
            zip_bytes: MAX_ZIP_BYTES,
            zip_members: MAX_ZIP_MEMBERS,
        }
    }
}

/// Why one file (or one symbol of a long file) was not imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The CSV reader refused it (what and where are in the `CsvError`).
    #[error("{0}")]
    Csv(#[from] CsvError),
    #[error("not a CSV or ZIP file (expected a name ending in .csv, .txt, .tsv or .zip)")]
    NotCsv,
    #[error("the ZIP archive cannot be read: {message}")]
    Zip { message: String },
    #[error("this member of the ZIP cannot be read: {message}")]
    Member { message: String },
    #[error("the file inflates to more than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the ZIP holds {count} members, more than the {limit} an import takes")]
    TooManyMembers { count: usize, limit: usize },
    #[error("the ZIP inflates to more than {limit} bytes in all: the rest of it was not read")]
    ArchiveTooLarge { limit: u64 },
    #[error("the file name gives no symbol")]
    NoSymbol,
    #[error("{symbol} was already imported from {first_file}")]
    Duplicate { symbol: String, first_file: String },
}

/// What became of one file, or of one symbol of a long file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportResult {
    /// The file's name; for a ZIP member `archive.zip/folder/AAPL.csv`.
    pub file: String,
    /// The symbol, when one is known (also for some rejections).
    pub symbol: Option<String>,
    pub outcome: Result<Bars, ImportError>,
}

impl ImportResult {
    /// Bars read (0 for a rejection).
    pub fn bar_count(&self) -> usize {
        self.outcome.as_ref().map_or(0, Bars::len)
    }

    pub fn is_accepted(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// Imports dropped or picked files: `(file name, bytes)` each. Results come
/// in input order (a ZIP's members in archive order, a long file's symbols
/// in first-seen order).
pub fn import_files(files: Vec<(String, Vec<u8>)>) -> Vec<ImportResult> {
    import_files_within(files, &ImportLimits::default())
}

/// [`import_files`] under the given limits.
pub fn import_files_within(
    files: Vec<(String, Vec<u8>)>,
    limits: &ImportLimits,
) -> Vec<ImportResult> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        match kind(&name) {
            Kind::Zip => import_zip(&name, &bytes, limits, &mut out),
            Kind::Csv => import_csv(&name, &bytes, &mut out),
            Kind::Other => out.push(reject(&name, None, ImportError::NotCsv)),
        }
    }
    reject_duplicates(&mut out);
    out
}

enum Kind {
    Csv,
    Zip,
    Other,
}

fn kind(path: &str) -> Kind {
    let ext = base_name(path)
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv" | "txt" | "tsv") => Kind::Csv,
        Some("zip") => Kind::Zip,
        _ => Kind::Other,
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The symbol a one-symbol file's name gives: its stem, upper-cased.
pub fn symbol_from_file_name(path: &str) -> Option<String> {
    let name = base_name(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s).trim();
    if stem.is_empty() {
        None
    } else {
        Some(stem.to_uppercase())
    }
}

fn reject(file: &str, symbol: Option<String>, e: ImportError) -> ImportResult {
    ImportResult {
        file: file.to_string(),
        symbol,
        outcome: Err(e),
    }
}

fn import_csv(file: &str, bytes: &[u8], out: &mut Vec<ImportResult>) {
    if let Some(symbols) = read_long(bytes).ok().filter(|s| !s.is_empty()) {
        for (symbol, result) in symbols {
            let symbol = symbol.trim().to_uppercase();
            if symbol.is_empty() {
                let e = result.err().map_or(ImportError::NoSymbol, ImportError::Csv);
                out.push(reject(file, None, e));
                continue;
            }
            out.push(ImportResult {
                file: file.to_string(),
                symbol: Some(symbol),
                outcome: result.map_err(ImportError::Csv),
            });
        }
        return;
    }
    // No symbol column (or a header the long reader refused): one symbol,
    // read again so the error names it.
    let Some(symbol) = symbol_from_file_name(file) else {
        out.push(reject(file, None, ImportError::NoSymbol));
        return;
    };
    let outcome = read_bars(&symbol, bytes).map_err(ImportError::Csv);
    out.push(ImportResult {
        file: file.to_string(),
        symbol: Some(symbol),
        outcome,
    });
}

/// Whether a member path is archive clutter to pass over without a word.
fn skipped_member(path: &str) -> bool {
    path.ends_with('/')
        || path
            .split(['/', '\\'])
            .any(|part| part == "__MACOSX" || part.starts_with('.'))
}

fn import_zip(file: &str, bytes: &[u8], limits: &ImportLimits, out: &mut Vec<ImportResult>) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            out.push(reject(
                file,
                None,
                ImportError::Zip {
                    message: e.to_string(),
                },
            ));
            return;
        }
    };
    if archive.len() > limits.zip_members {
        out.push(reject(
            file,
            None,
            ImportError::TooManyMembers {
                count: archive.len(),
                limit: limits.zip_members,
            },
        ));
        return;
    }
    let names: Vec<String> = (0..archive.len())
        .map(|i| match archive.name_for_index(i) {
            Some(Ok(n)) => n.into_owned(),
            _ => format!("member {i}"),
        })
        .collect();
    let mut budget = limits.zip_bytes;
    for (i, member) in names.iter().enumerate() {
        if skipped_member(member) {
            continue;
        }
        let shown = format!("{file}/{member}");
        match kind(member) {
            Kind::Csv => {}
            Kind::Zip | Kind::Other => {
                out.push(reject(&shown, None, ImportError::NotCsv));
                continue;
            }
        }
        if budget == 0 {
            out.push(reject(
                file,
                None,
                ImportError::ArchiveTooLarge {
                    limit: limits.zip_bytes,
                },
            ));
            return;
        }
        let limit = limits.member_bytes.min(budget);
        match read_member(&mut archive, i, limit) {
            Ok(data) => {
                budget = budget.saturating_sub(data.len() as u64);
                import_csv(&shown, &data, out);
            }
            Err(ImportError::TooLarge { .. }) if limit < limits.member_bytes => {
                // The member would fit on its own: the archive's total is spent.
                out.push(reject(
                    file,
                    None,
                    ImportError::ArchiveTooLarge {
                        limit: limits.zip_bytes,
                    },
                ));
                return;
            }
            Err(e) => out.push(reject(&shown, symbol_from_file_name(member), e)),
        }
    }
}

fn read_member(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limit: u64,
) -> Result<Vec<u8>, ImportError> {
    let member_error = |e: &dyn std::fmt::Display| ImportError::Member {
        message: e.to_string(),
    };
    let entry = archive.by_index(index).map_err(|e| member_error(&e))?;
    if entry.is_dir() {
        return Ok(Vec::new());
    }
    // A declared size past the limit is refused before inflating anything
    // (a lying header is still cut off by `take` below).
    if entry.size() > limit {
        return Err(ImportError::TooLarge { limit });
    }
    let mut data = Vec::new();
    entry
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| member_error(&e))?;
    if data.len() as u64 > limit {
        return Err(ImportError::TooLarge { limit });
    }
    Ok(data)
}

/// Rejects every later accepted result for a symbol already accepted.
fn reject_duplicates(results: &mut [ImportResult]) {
    let mut first: HashMap<String, String> = HashMap::new();
    for r in results.iter_mut() {
        let (Some(symbol), Ok(_)) = (&r.symbol, &r.outcome) else {
            continue;
        };
        match first.get(symbol) {
            Some(first_file) => {
                r.outcome = Err(ImportError::Duplicate {
                    symbol: symbol.clone(),
                    first_file: first_file.clone(),
                });
            }
            None => {
                first.insert(symbol.clone(), r.file.clone());
            }
        }
    }
}

/// One symbol of a universe, with what the list said about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UniverseEntry {
    pub symbol: String,
    pub sector: Option<String>,
    pub industry: Option<String>,
    /// In the list's currency units (`2.5T`, `300B`, `1,234` accepted).
    pub market_cap: Option<f64>,
}

impl UniverseEntry {
    fn bare(symbol: String) -> Self {
        UniverseEntry {
            symbol,
            ..Default::default()
        }
    }
}

/// Reads a universe: symbols separated by spaces, commas, semicolons or new
/// lines, or a CSV whose header has a `symbol` (or `ticker`) column and
/// optional `sector`, `industry` and `market cap` columns. Symbols are
/// trimmed, unquoted and upper-cased; repeats keep their first entry. A
/// market cap that does not read as a non-negative number is left out.
pub fn parse_universe(text: &str) -> Vec<UniverseEntry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if header.contains(',') {
        b','
    } else if header.contains('\t') {
        b'\t'
    } else if header.contains(';') {
        b';'
    } else {
        b','
    };
    let names: Vec<String> = header
        .split(delimiter as char)
        .map(normalize_header)
        .collect();
    let entries = match names.iter().position(|n| is_symbol_header(n)) {
        Some(symbol_col) => parse_universe_csv(text, delimiter, &names, symbol_col),
        None => text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter_map(clean_symbol)
            .map(UniverseEntry::bare)
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .filter(|e| seen.insert(e.symbol.clone()))
        .collect()
}

fn normalize_header(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_symbol_header(n: &str) -> bool {
    matches!(n, "symbol" | "ticker" | "sym" | "symbols" | "tickers")
}

fn clean_symbol(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(['"', '\'']).trim();
    if s.is_empty() {
        None
    } else {
        Some(s.to_uppercase())
    }
}

fn parse_universe_csv(
    text: &str,
    delimiter: u8,
    names: &[String],
    symbol_col: usize,
) -> Vec<UniverseEntry> {
    let col = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let sector = col(&["sector", "gicssector"]);
    let industry = col(&["industry", "subindustry", "gicssubindustry"]);
    let market_cap = col(&["marketcap", "mktcap", "cap", "marketcapitalization"]);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let text_cell = |rec: &csv::StringRecord, i: Option<usize>| {
        i.and_then(|i| rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    let mut header_seen = false;
    for rec in reader.records() {
        // A record the csv crate cannot read (bad quoting) is skipped.
        let Ok(rec) = rec else { continue };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let Some(symbol) = rec.get(symbol_col).and_then(clean_symbol) else {
            continue;
        };
        out.push(UniverseEntry {
            symbol,
            sector: text_cell(&rec, sector),
            industry: text_cell(&rec, industry),
            market_cap: text_cell(&rec, market_cap).and_then(|s| parse_market_cap(&s)),
        });
    }
    out
}

/// `2.5T`, `300B`, `12.3M`, `$1,234,567`: a finite non-negative number.
pub fn parse_market_cap(s: &str) -> Option<f64> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | ',' | '_' | ' '))
        .collect();
    let (digits, scale) = match cleaned.chars().last()?.to_ascii_uppercase() {
        'K' => (&cleaned[..cleaned.len() - 1], 1e3),
        'M' => (&cleaned[..cleaned.len() - 1], 1e6),
        'B' => (&cleaned[..cleaned.len() - 1], 1e9),
        'T' => (&cleaned[..cleaned.len() - 1], 1e12),
        _ => (cleaned.as_str(), 1.0),
    };
    // Only digits, one dot and an exponent: `nan`/`inf` never get through.
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    let v = v * scale;
    (v.is_finite() && v >= 0.0).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_caps_read_with_suffixes_and_separators() {
        assert_eq!(parse_market_cap("2.5T"), Some(2.5e12));
        assert_eq!(parse_market_cap("$1,234"), Some(1234.0));
        assert_eq!(parse_market_cap("300b"), Some(3e11));
        assert_eq!(parse_market_cap("n/a"), None);
        assert_eq!(parse_market_cap("-5"), None);
        assert_eq!(parse_market_cap("inf"), None);
        assert_eq!(parse_market_cap(""), None);
    }

    #[test]
    fn archive_clutter_is_skipped() {
        assert!(skipped_member("__MACOSX/._AAPL.csv"));
        assert!(skipped_member("data/.DS_Store"));
        assert!(skipped_member("data/"));
        assert!(!skipped_member("data/2024/AAPL.csv"));
    }

    #[test]
    fn the_stem_upper_cased_is_the_symbol() {
        assert_eq!(
            symbol_from_file_name("x/aapl.us.txt").as_deref(),
            Some("AAPL.US")
        );
        assert_eq!(symbol_from_file_name(".csv"), None);
    }
}
