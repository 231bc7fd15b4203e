//! The bar cache's key: what produced the bars (source, endpoint, symbol,
//! interval), and its IndexedDB key string with the endpoint hashed.

use super::fnv1a_64;

/// The cache key: what produced the bars. Two endpoints of one source (a URL
/// template and another, a service and its mirror) never share an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The source's cache name (`sample`, `url`, `binance`, …).
    pub source: String,
    /// What was asked of the source: "" for sample, synthetic and imported
    /// bars, else e.g. `template=…;format=csv` or `base=…`. Only its hash is
    /// stored (a template may hold an API key).
    pub endpoint: String,
    pub symbol: String,
    pub interval: String,
}

impl CacheKey {
    pub fn new(source: &str, endpoint: &str, symbol: &str, interval: &str) -> CacheKey {
        CacheKey {
            source: source.into(),
            endpoint: endpoint.into(),
            symbol: symbol.into(),
            interval: interval.into(),
        }
    }

    /// Daily bars (`1d`).
    pub fn daily(source: &str, endpoint: &str, symbol: &str) -> CacheKey {
        CacheKey::new(source, endpoint, symbol, "1d")
    }

    /// The endpoint's hash as 16 lowercase hex digits ([`fnv1a_64`]).
    pub fn endpoint_hash(&self) -> String {
        format!("{:016x}", fnv1a_64(self.endpoint.as_bytes()))
    }

    /// The IndexedDB key string: `source|endpoint-hash|symbol|interval`.
    pub fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.source,
            self.endpoint_hash(),
            self.symbol,
            self.interval
        )
    }
}
