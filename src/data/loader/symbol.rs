//! One symbol's bars, cache first: a fresh entry is used as it is (closed
//! sessions are never refetched); a stale one gets only its missing tail,
//! from the first missing day, merged with `append_tail` (refetched whole
//! when the tail does not join or the source takes no range); a miss is
//! fetched whole. Only complete, validated bars are cached, keyed by what
//! produced them ([`EntryKey`]). A store that fails is a miss, never an
//! error: the network is always right.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::feed::Fetched;
use super::source::{SourceConfig, SourceId};
use super::Clock;
use crate::data::cache_policy::{append_tail, Calendar, Freshness, FreshnessRule};
use crate::engine::bars::Bars;
use crate::engine::run::{Loaded, SymbolError};

/// A cache entry's identity: what produced the bars (source and endpoint:
/// template and format, or base), the symbol and the interval. The store
/// hashes the endpoint into its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryKey {
    pub source: String,
    /// [`SourceConfig::endpoint`]; "" for sources that need none.
    pub endpoint: String,
    pub symbol: String,
    pub interval: String,
}

/// An entry as the store read it.
pub trait CachedBars {
    fn bars(&self) -> &Bars;
    /// When the entry was written (epoch ms; 0 when unknown: too old to trust).
    fn saved_at_ms(&self) -> i64;
    fn into_bars(self) -> Bars;
}

/// Where bars are cached. The browser's is IndexedDB.
pub trait BarStore {
    type Entry: CachedBars;
    type Error: fmt::Display;
    fn get(&self, key: &EntryKey)
        -> impl Future<Output = Result<Option<Self::Entry>, Self::Error>>;
    /// Stores complete, validated bars (evicting to stay within its quota).
    fn put(&self, key: &EntryKey, bars: &Bars) -> impl Future<Output = Result<(), Self::Error>>;
    /// Marks a hit as used now, for least-recently-used eviction.
    fn touch(
        &self,
        key: &EntryKey,
        entry: &Self::Entry,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), Self::Error>>;
}

/// Fetches a symbol's bars: the whole history, or from a day on (a tail).
pub trait Fetcher {
    fn fetch(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> impl Future<Output = Result<Fetched, SymbolError>>;
}

/// What the loader needs to know about the source, decided once per scan.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    pub source: String,
    pub endpoint: String,
    pub calendar: Calendar,
    pub rule: FreshnessRule,
    /// A stale entry can be topped up from a day on.
    pub supports_range: bool,
    /// Entries never go stale (the bundled sample).
    pub immutable: bool,
}

impl LoadPlan {
    /// The plan for `source` as configured.
    pub fn new(source: SourceId, config: &SourceConfig) -> LoadPlan {
        LoadPlan {
            source: source.cache_name().to_string(),
            endpoint: config.endpoint(source),
            calendar: source.calendar(),
            rule: FreshnessRule {
                calendar: source.calendar(),
                open_session_max_age_ms: i64::from(config.refresh_minutes.max(1)) * 60_000,
            },
            supports_range: source.supports_range(),
            immutable: source.is_immutable(),
        }
    }

    /// The daily entry of `symbol`.
    pub fn key(&self, symbol: &str) -> EntryKey {
        EntryKey {
            source: self.source.clone(),
            endpoint: self.endpoint.clone(),
            symbol: symbol.to_string(),
            interval: "1d".to_string(),
        }
    }
}

/// What the loader noticed on the way that is not an error row (a store
/// that failed, a tail that did not join): the browser logs it.
pub type Note = String;

/// Loads one symbol (see the module doc). `note` receives what is worth a
/// console line.
pub async fn load_symbol<S, F, C>(
    store: &S,
    fetcher: &F,
    clock: &C,
    plan: &LoadPlan,
    symbol: &str,
    note: &dyn Fn(Note),
) -> Result<Loaded, SymbolError>
where
    S: BarStore,
    F: Fetcher,
    C: Clock,
{
    let key = plan.key(symbol);
    let now = clock.now_ms();
    let mut cached = None;
    let mut from_ms = None;
    match store.get(&key).await {
        Ok(Some(entry)) => {
            let decision = match entry.bars().time().last() {
                None => Freshness::Refetch,
                Some(_) if plan.immutable => Freshness::Fresh,
                Some(&last) => plan.rule.decide(last, entry.saved_at_ms(), now),
            };
            match decision {
                Freshness::Fresh => {
                    if let Err(why) = store.touch(&key, &entry, now).await {
                        note(format!("bar cache: {symbol}: not marked as used: {why}"));
                    }
                    return Ok(Loaded {
                        bars: Arc::new(entry.into_bars()),
                        from_cache: true,
                        bytes: 0,
                    });
                }
                Freshness::NeedsTail { from_ms: from } if plan.supports_range => {
                    from_ms = Some(from);
                    cached = Some(entry);
                }
                // No range to ask for, or an unusable entry: refetch whole.
                _ => {}
            }
        }
        Ok(None) => {}
        Err(why) => note(format!(
            "bar cache: {symbol}: read failed ({why}); fetching"
        )),
    }
    let fetched = fetcher.fetch(symbol, from_ms).await?;
    let mut bytes = fetched.bytes;
    let bars = match (cached, fetched.bars) {
        (Some(entry), Some(tail)) => match append_tail(entry.bars(), &tail, plan.calendar) {
            Ok(merged) => merged,
            Err(why) => {
                // A tail that does not join (a gap, a rewrite): start over.
                note(format!(
                    "bar cache: {symbol}: {why}; refetching the whole series"
                ));
                let whole = fetcher.fetch(symbol, None).await?;
                bytes += whole.bytes;
                whole.bars.ok_or(SymbolError::NoData)?
            }
        },
        // Nothing new since the save (a holiday): the cached bars stand, and
        // are saved again so the entry counts as checked now.
        (Some(entry), None) => entry.into_bars(),
        (None, Some(bars)) => bars,
        (None, None) => return Err(SymbolError::NoData),
    };
    if let Err(why) = store.put(&key, &bars).await {
        note(format!("bar cache: {symbol} not cached: {why}"));
    }
    Ok(Loaded {
        bars: Arc::new(bars),
        from_cache: false,
        bytes,
    })
}
