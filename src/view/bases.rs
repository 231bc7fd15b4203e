//! Service base URLs, one per service: a proxy or mirror (or the loopback
//! test server) replacing a service's own host. Each service keeps its own,
//! so a mirror set for one service never receives another service's key.
//! Pure: the page keeps the map in localStorage (`ui::state`), keyed by the
//! service's cache name (`binance`, `coinbase`, `polygon`, `twelvedata`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The typed base of each service (text as typed; empty = the service's own
/// host). Serialises as a JSON object, service → base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceBases(BTreeMap<String, String>);

impl ServiceBases {
    /// `service`'s base as typed ("" when none).
    pub fn get(&self, service: &str) -> &str {
        self.0.get(service).map_or("", String::as_str)
    }

    /// Sets `service`'s base; blank text forgets it.
    pub fn set(&mut self, service: &str, text: &str) {
        if text.trim().is_empty() {
            self.0.remove(service);
        } else {
            self.0.insert(service.to_string(), text.to_string());
        }
    }

    /// `service`'s base for a scan's config, checked (see [`parse_base`]).
    pub fn for_scan(&self, service: &str) -> Result<Option<String>, String> {
        parse_base(self.get(service))
    }
}

/// A base as a scan uses it: trimmed, without a trailing `/`; `None` when
/// empty. Refused unless it is an `http(s)://host[:port][/path]` without
/// `{symbol}`, a query, a fragment, credentials or spaces (any of those would
/// make the built request URLs ambiguous).
pub fn parse_base(text: &str) -> Result<Option<String>, String> {
    let base = text.trim().trim_end_matches('/');
    if base.is_empty() {
        return Ok(None);
    }
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or(""));
    let well_formed = match (rest, host) {
        (Some(rest), Some(host)) => {
            !host.is_empty()
                && !host.contains('@')
                && !rest.contains(['?', '#', '{', '}'])
                && !rest.chars().any(char::is_whitespace)
        }
        _ => false,
    };
    if well_formed {
        Ok(Some(base.to_string()))
    } else {
        Err(
            "Service base URL: http(s)://host[:port], without {symbol}, query or credentials"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Regression: one shared base field sent a mirror set for one service
    // the key of another (issue 7).
    #[test]
    fn each_service_keeps_its_own_base() {
        let mut bases = ServiceBases::default();
        bases.set("binance", "http://127.0.0.1:9000");
        assert_eq!(bases.get("binance"), "http://127.0.0.1:9000");
        assert_eq!(bases.get("polygon"), "");
        assert_eq!(bases.for_scan("polygon"), Ok(None));
        bases.set("polygon", "https://proxy.example/polygon/");
        assert_eq!(
            bases.for_scan("polygon"),
            Ok(Some("https://proxy.example/polygon".to_string()))
        );
        assert_eq!(
            bases.for_scan("binance"),
            Ok(Some("http://127.0.0.1:9000".to_string()))
        );
    }

    #[test]
    fn a_blank_base_forgets_the_service_base() {
        let mut bases = ServiceBases::default();
        bases.set("coinbase", "http://a");
        bases.set("coinbase", "   ");
        assert_eq!(bases, ServiceBases::default());
    }

    #[test]
    fn bases_round_trip_through_json_as_an_object() {
        let mut bases = ServiceBases::default();
        bases.set("twelvedata", "http://localhost:8081");
        let json = serde_json::to_string(&bases).unwrap();
        assert_eq!(json, r#"{"twelvedata":"http://localhost:8081"}"#);
        assert_eq!(serde_json::from_str::<ServiceBases>(&json).unwrap(), bases);
    }

    #[test]
    fn plain_http_and_https_bases_are_accepted() {
        for (text, want) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                " https://mirror.example/api/ ",
                "https://mirror.example/api",
            ),
            ("https://h", "https://h"),
        ] {
            assert_eq!(parse_base(text), Ok(Some(want.to_string())), "{text}");
        }
        assert_eq!(parse_base(""), Ok(None));
    }

    #[test]
    fn templates_queries_credentials_and_other_schemes_are_refused() {
        for text in [
            "ftp://host",
            "host.example",
            "http://",
            "http:///path",
            "http://host/{symbol}.csv",
            "http://host/?apiKey=x",
            "http://host/#x",
            "http://user:pass@host",
            "http://ho st",
            "javascript:alert(1)",
        ] {
            let err = parse_base(text).unwrap_err();
            assert!(err.starts_with("Service base URL:"), "{text}: {err}");
        }
    }
}
