//! The symbols of a source, in the order they are scanned: the typed or
//! imported universe, Binance's top pairs by volume, or the bundled
//! sample's list. Page only.

use crate::data::synthetic;

use super::loader::WebFeed;
use super::sources::{fetch_bytes, imported_universe, FetchError, SourceConfig, SourceId};

/// The symbols of `source`. `feed` is the scan's feed for the source
/// (Binance asks it for the 24-hour ticker). Fetched sources other than
/// Binance scan the typed or imported universe.
pub async fn universe(
    source: SourceId,
    config: &SourceConfig,
    feed: Option<&WebFeed>,
) -> Result<Vec<String>, FetchError> {
    let typed = || -> Vec<String> { config.universe.iter().map(|e| e.symbol.clone()).collect() };
    let need_universe = || FetchError::Network {
        url: source.value(),
        message: "no symbols: type, paste or import a universe first".into(),
    };
    match source {
        SourceId::Url | SourceId::Coinbase | SourceId::Polygon | SourceId::TwelveData => {
            let symbols = typed();
            if symbols.is_empty() {
                Err(need_universe())
            } else {
                Ok(symbols)
            }
        }
        SourceId::Binance => {
            let symbols = typed();
            if !symbols.is_empty() {
                return Ok(symbols);
            }
            let Some(feed) = feed else {
                return Err(need_universe());
            };
            feed.binance_top_pairs()
                .await
                .map_err(|e| FetchError::Network {
                    url: "Binance 24-hour ticker".into(),
                    message: e.to_string(),
                })
        }
        SourceId::Import => {
            let mut symbols = imported_universe();
            // The universe box (with its sector/industry/cap filters) narrows
            // the imported files when it names any of them.
            let wanted: std::collections::HashSet<String> = typed().into_iter().collect();
            if symbols.iter().any(|s| wanted.contains(s)) {
                symbols.retain(|s| wanted.contains(s));
            }
            if symbols.is_empty() {
                Err(FetchError::Network {
                    url: source.value(),
                    message: "no imported files: drop CSV or ZIP files on the page first".into(),
                })
            } else {
                Ok(symbols)
            }
        }
        SourceId::Synthetic(n) => Ok((0..n).map(synthetic::symbol_name).collect()),
        SourceId::Sample => {
            #[derive(serde::Deserialize)]
            struct Entry {
                symbol: String,
            }
            #[derive(serde::Deserialize)]
            struct Universe {
                symbols: Vec<Entry>,
            }
            let url = "data/universe.json";
            let bytes = fetch_bytes(url).await?;
            let u: Universe = serde_json::from_slice(&bytes).map_err(|e| FetchError::Parse {
                url: url.into(),
                message: e.to_string(),
            })?;
            Ok(u.symbols.into_iter().map(|e| e.symbol).collect())
        }
    }
}
