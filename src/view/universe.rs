//! The universe filters: sector, industry and a market-cap range, parsed from
//! the form's text and applied to the universe list; and the distinct values
//! a filter select offers. Pure: the form signals stay in `ui::universe`.

use crate::data::formats::import::{parse_market_cap, UniverseEntry};

/// The universe filters, parsed. `None` = any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UniverseFilter {
    pub sector: Option<String>,
    pub industry: Option<String>,
    pub min_cap: Option<f64>,
    pub max_cap: Option<f64>,
}

impl UniverseFilter {
    /// The filter of the four fields as typed (empty = any); the error names
    /// the cap field that is not a market cap.
    pub fn parse(
        sector: &str,
        industry: &str,
        min_cap: &str,
        max_cap: &str,
    ) -> Result<UniverseFilter, String> {
        let choice = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        let cap = |text: &str, field: &str| {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_market_cap(text)
                .map(Some)
                .ok_or_else(|| format!("{field}: a number such as 500M, 2B or 1.5T, or empty"))
        };
        Ok(UniverseFilter {
            sector: choice(sector),
            industry: choice(industry),
            min_cap: cap(min_cap, "Min market cap")?,
            max_cap: cap(max_cap, "Max market cap")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == UniverseFilter::default()
    }

    /// Whether `entry` passes. With a market-cap bound set, an entry whose
    /// cap is unknown is left out (it cannot be shown to be in range).
    pub fn keeps(&self, entry: &UniverseEntry) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| have.as_ref().is_some_and(|h| h == w))
        };
        let in_range = match (self.min_cap, self.max_cap, entry.market_cap) {
            (None, None, _) => true,
            (_, _, None) => false,
            (min, max, Some(cap)) => min.is_none_or(|m| cap >= m) && max.is_none_or(|m| cap <= m),
        };
        same(&self.sector, &entry.sector) && same(&self.industry, &entry.industry) && in_range
    }
}

/// The entries that pass `filter`, in list order.
pub fn filtered(entries: &[UniverseEntry], filter: &UniverseFilter) -> Vec<UniverseEntry> {
    entries
        .iter()
        .filter(|e| filter.keeps(e))
        .cloned()
        .collect()
}

/// The distinct values of one field, sorted (the filter selects' options).
pub fn distinct(
    entries: &[UniverseEntry],
    field: impl Fn(&UniverseEntry) -> Option<&String>,
) -> Vec<String> {
    let mut values: Vec<String> = entries.iter().filter_map(|e| field(e).cloned()).collect();
    values.sort();
    values.dedup();
    values
}

/// The distinct industries of the entries in `sector` (all when empty), so
/// the sector and industry selects never contradict each other.
pub fn industries_in(entries: &[UniverseEntry], sector: &str) -> Vec<String> {
    let mut values: Vec<String> = entries
        .iter()
        .filter(|e| sector.is_empty() || e.sector.as_deref() == Some(sector))
        .filter_map(|e| e.industry.clone())
        .collect();
    values.sort();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(symbol: &str, sector: &str, industry: &str, cap: Option<f64>) -> UniverseEntry {
        UniverseEntry {
            symbol: symbol.into(),
            sector: Some(sector.into()).filter(|s: &String| !s.is_empty()),
            industry: Some(industry.into()).filter(|s: &String| !s.is_empty()),
            market_cap: cap,
        }
    }

    fn list() -> Vec<UniverseEntry> {
        vec![
            entry("AAPL", "Tech", "Hardware", Some(3e12)),
            entry("MSFT", "Tech", "Software", Some(2.5e12)),
            entry("XOM", "Energy", "Oil", Some(4e11)),
            entry("TINY", "Tech", "Software", None),
            entry("PLAIN", "", "", None),
        ]
    }

    fn symbols(entries: &[UniverseEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.symbol.as_str()).collect()
    }

    #[test]
    fn empty_fields_make_an_empty_filter_that_keeps_everything() {
        let f = UniverseFilter::parse("", "", " ", "").unwrap();
        assert!(f.is_empty());
        assert_eq!(filtered(&list(), &f).len(), 5);
    }

    #[test]
    fn sector_and_industry_must_both_match_when_set() {
        let f = UniverseFilter::parse("Tech", "Software", "", "").unwrap();
        assert_eq!(symbols(&filtered(&list(), &f)), ["MSFT", "TINY"]);
    }

    #[test]
    fn a_cap_range_leaves_out_entries_whose_cap_is_unknown() {
        let f = UniverseFilter::parse("", "", "1T", "").unwrap();
        assert_eq!(symbols(&filtered(&list(), &f)), ["AAPL", "MSFT"]);
        let f = UniverseFilter::parse("", "", "", "500B").unwrap();
        assert_eq!(symbols(&filtered(&list(), &f)), ["XOM"]);
    }

    #[test]
    fn a_cap_that_is_not_a_market_cap_names_its_field() {
        let err = UniverseFilter::parse("", "", "lots", "").unwrap_err();
        assert!(err.starts_with("Min market cap:"), "{err}");
        let err = UniverseFilter::parse("", "", "", "2X").unwrap_err();
        assert!(err.starts_with("Max market cap:"), "{err}");
    }

    #[test]
    fn select_options_are_distinct_and_sorted() {
        assert_eq!(distinct(&list(), |e| e.sector.as_ref()), ["Energy", "Tech"]);
        assert_eq!(industries_in(&list(), "Tech"), ["Hardware", "Software"]);
        assert_eq!(industries_in(&list(), ""), ["Hardware", "Oil", "Software"]);
        assert!(industries_in(&list(), "Nope").is_empty());
    }
}
