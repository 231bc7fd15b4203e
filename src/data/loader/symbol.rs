//! One symbol's bars at the plan's interval, cache first: a fresh entry is
//! used as it is (closed periods are never refetched); a stale one gets only
//! its missing tail, from the first missing period, merged with
//! `append_tail_at` (refetched whole when the tail does not join, the source
//! takes no range, or an intraday tail would be longer than the whole
//! history); a miss is fetched whole. Only complete, validated bars are
//! cached, keyed by what produced them ([`EntryKey`]: source, endpoint,
//! symbol, interval). A store that fails is a miss, never an error: the
//! network is always right.
//!
//! A run that asks for a depth ([`LoadPlan::depth`], a backtest's bars per
//! symbol) is served by any entry at least that deep (cut to the newest N);
//! a shallower entry gets its missing head fetched (paged back from its
//! first bar) and prepended, and is stored whole only once every part came.
//! An empty head is the listing start: the entry stands. A miss pages back
//! to the depth at once.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::feed::Fetched;
use super::source::{SourceConfig, SourceId};
use super::Clock;
use crate::data::cache_policy::{append_tail_at, period_of, Calendar, Freshness, FreshnessRule};
use crate::data::codec;
use crate::data::formats::binance;
use crate::data::interval::Interval;
use crate::engine::bars::Bars;
use crate::engine::run::{InvalidData, Loaded, SymbolError};

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
pub trait CachedBars: Sized {
    fn bars(&self) -> &Bars;
    /// When the entry was written (epoch ms; 0 when unknown: too old to trust).
    fn saved_at_ms(&self) -> i64;
    fn into_bars(self) -> Bars;
    /// How many bars it holds (an entry still encoded knows without decoding).
    fn bar_count(&self) -> usize {
        self.bars().len()
    }
    /// Its last bar's open time (`None`: no bars).
    fn last_time(&self) -> Option<i64> {
        self.bars().time().last().copied()
    }
    /// The entry's codec bytes when it still holds them undecoded: a fresh
    /// hit is then handed over as they are ([`Landed::Encoded`]) and decoded
    /// by the worker that computes the symbol, not by the page. `Err(self)`:
    /// it is decoded already.
    fn into_encoded(self) -> Result<Vec<u8>, Self> {
        Err(self)
    }
}

/// What a load hands the workers: bars, or a fresh cache hit still in codec
/// bytes (see [`CachedBars::into_encoded`]).
#[derive(Debug)]
pub enum Landed {
    Loaded(Loaded),
    Encoded(Encoded),
}

/// A fresh cache hit's codec bytes and the depth the run asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub depth: Option<usize>,
}

impl Encoded {
    /// The bars as a run gets them (the newest `depth`). Bytes that fail to
    /// decode are an error row that says so (the store checked their frame
    /// and times when it read them, so only a faulty encoder gets here).
    pub fn decode(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        let bars = codec::decode(symbol, &self.bytes).map_err(|e| {
            SymbolError::Invalid(InvalidData::File {
                path: "bar cache".into(),
                message: e.to_string(),
            })
        })?;
        Ok(Loaded {
            bars: Arc::new(cut(self.depth, bars)),
            from_cache: true,
            bytes: 0,
        })
    }
}

impl Landed {
    /// The loaded bars, decoding them here when they are still encoded.
    pub fn into_loaded(self, symbol: &str) -> Result<Loaded, SymbolError> {
        match self {
            Landed::Loaded(loaded) => Ok(loaded),
            Landed::Encoded(encoded) => encoded.decode(symbol),
        }
    }
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

/// Fetches a symbol's bars: the whole history, or from a day on (a tail),
/// or back from a time (a head).
pub trait Fetcher {
    fn fetch(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> impl Future<Output = Result<Fetched, SymbolError>>;
    /// Up to `bars` of the newest bars opening before `before_ms` (the
    /// newest of all when `None`). With `before_ms` given, `bars: None` in
    /// the answer means nothing earlier exists (the listing start).
    fn fetch_back(
        &self,
        symbol: &str,
        bars: usize,
        before_ms: Option<i64>,
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
    /// Bars per symbol asked for (the newest N), for a source that pages
    /// back; `None` is the source's default history (a scan).
    pub depth: Option<usize>,
    /// The bar length ([`SourceConfig::interval_for`]): part of the cache
    /// key, and the period freshness is counted in.
    pub interval: Interval,
}

/// Bars a source sends when nothing is cached and no depth is asked for:
/// one Binance page, about as many Coinbase candles.
pub const DEFAULT_HISTORY_BARS: usize = binance::MAX_LIMIT as usize;

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
            depth: None,
            interval: config.interval_for(source),
        }
    }

    /// The plan of a scan keeping `lookback` bars per symbol: the source's
    /// default history, or, when the lookback is longer than that and the
    /// source pages back, that many bars ([`LoadPlan::with_depth`]).
    pub fn for_scan(source: SourceId, config: &SourceConfig, lookback: Option<usize>) -> LoadPlan {
        match lookback {
            Some(n) if n > DEFAULT_HISTORY_BARS && source.pages_back() => {
                LoadPlan::with_depth(source, config, n)
            }
            _ => LoadPlan::new(source, config),
        }
    }

    /// Whether a tail from `from_ms` to `now_ms` spans more periods than the
    /// whole history asked for: then fetching the history whole brings the
    /// same newest bars in fewer requests (an intraday entry left for weeks).
    /// Daily entries always take their tail, as they always have.
    fn tail_is_longer_than_history(&self, from_ms: i64, now_ms: i64) -> bool {
        let history = self.depth.unwrap_or(0).max(DEFAULT_HISTORY_BARS) as i64;
        !self.interval.is_daily()
            && period_of(self.interval, now_ms).saturating_sub(period_of(self.interval, from_ms))
                > history
    }

    /// The freshness of an entry whose newest bar is at `last`.
    fn decide(&self, last: i64, saved_at_ms: i64, now_ms: i64) -> Freshness {
        self.rule
            .decide_at(self.interval, last, saved_at_ms, now_ms)
    }

    /// The plan asking for `bars` bars per symbol, for a source that can
    /// page back (others keep their default history).
    pub fn with_depth(source: SourceId, config: &SourceConfig, bars: usize) -> LoadPlan {
        LoadPlan {
            depth: source.pages_back().then_some(bars.max(1)),
            ..LoadPlan::new(source, config)
        }
    }

    /// Whether `bars` bars are as deep as asked.
    fn deep_enough(&self, bars: usize) -> bool {
        self.depth.is_none_or(|n| bars >= n)
    }

    /// The bars a run gets: the newest `depth` of them.
    fn cut(&self, bars: Bars) -> Bars {
        cut(self.depth, bars)
    }

    /// The freshness of an entry known only by its index record (newest bar,
    /// save time, bar count), as [`load_symbol`] would decide it on reading
    /// the entry: what the scan order needs before any read. `Fresh` only
    /// when the load would use it as it is (deep enough too).
    pub fn freshness(
        &self,
        last_time: Option<i64>,
        saved_at_ms: i64,
        bars: usize,
        now_ms: i64,
    ) -> Freshness {
        let decision = match last_time {
            None => Freshness::Refetch,
            Some(_) if self.immutable => Freshness::Fresh,
            Some(last) => self.decide(last, saved_at_ms, now_ms),
        };
        match decision {
            Freshness::Fresh if !self.deep_enough(bars) => Freshness::NeedsTail { from_ms: 0 },
            Freshness::NeedsTail { .. } if !self.supports_range => Freshness::Refetch,
            d => d,
        }
    }

    /// The entry of `symbol` at the plan's interval.
    pub fn key(&self, symbol: &str) -> EntryKey {
        EntryKey {
            source: self.source.clone(),
            endpoint: self.endpoint.clone(),
            symbol: symbol.to_string(),
            interval: self.interval.name().to_string(),
        }
    }
}

/// What the loader noticed on the way that is not an error row (a store
/// that failed, a tail that did not join): the browser logs it.
pub type Note = String;

/// The newest `depth` of `bars` (all of them without a depth).
fn cut(depth: Option<usize>, bars: Bars) -> Bars {
    match depth {
        Some(n) if bars.len() > n => bars.last(n),
        _ => bars,
    }
}

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
    load_symbol_landed(store, fetcher, clock, plan, symbol, note)
        .await?
        .into_loaded(symbol)
}

/// [`load_symbol`], except that a fresh hit whose entry is still encoded is
/// handed over encoded ([`Landed::Encoded`]), for the worker to decode.
pub async fn load_symbol_landed<S, F, C>(
    store: &S,
    fetcher: &F,
    clock: &C,
    plan: &LoadPlan,
    symbol: &str,
    note: &dyn Fn(Note),
) -> Result<Landed, SymbolError>
where
    S: BarStore,
    F: Fetcher,
    C: Clock,
{
    let key = plan.key(symbol);
    let now = clock.now_ms();
    let mut start = Start::Whole;
    match store.get(&key).await {
        Ok(Some(entry)) => {
            let decision = match entry.last_time() {
                None => Freshness::Refetch,
                Some(_) if plan.immutable => Freshness::Fresh,
                Some(last) => plan.decide(last, entry.saved_at_ms(), now),
            };
            match decision {
                Freshness::Fresh => {
                    if let Err(why) = store.touch(&key, &entry, now).await {
                        note(format!("bar cache: {symbol}: not marked as used: {why}"));
                    }
                    if plan.deep_enough(entry.bar_count()) {
                        return Ok(match entry.into_encoded() {
                            Ok(bytes) => Landed::Encoded(Encoded {
                                bytes,
                                depth: plan.depth,
                            }),
                            Err(entry) => Landed::Loaded(Loaded {
                                bars: Arc::new(plan.cut(entry.into_bars())),
                                from_cache: true,
                                bytes: 0,
                            }),
                        });
                    }
                    // Shallower than asked: only its head is missing (an
                    // entry at its listing start stands as it is).
                    start = Start::Fresh(entry);
                }
                Freshness::NeedsTail { from_ms }
                    if plan.supports_range && !plan.tail_is_longer_than_history(from_ms, now) =>
                {
                    start = Start::Tail(entry, from_ms);
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
    let whole = || async {
        let fetched = match plan.depth {
            Some(n) => fetcher.fetch_back(symbol, n, None).await?,
            None => fetcher.fetch(symbol, None).await?,
        };
        Ok::<_, SymbolError>((fetched.bars.ok_or(SymbolError::NoData)?, fetched.bytes))
    };
    // The bars so far, whether they differ from the entry, and whether
    // they may lack a head (they came from the entry, not a deep fetch).
    let (mut bars, mut changed, mut bytes, from_entry) = match start {
        Start::Fresh(entry) => (entry.into_bars(), false, 0, true),
        Start::Tail(entry, from_ms) => {
            let fetched = fetcher.fetch(symbol, Some(from_ms)).await?;
            match fetched.bars {
                Some(tail) => {
                    match append_tail_at(entry.bars(), &tail, plan.calendar, plan.interval) {
                        Ok(merged) => (merged, true, fetched.bytes, true),
                        Err(why) => {
                            // A tail that does not join (a gap, a rewrite): start over.
                            note(format!(
                                "bar cache: {symbol}: {why}; refetching the whole series"
                            ));
                            let (bars, more) = whole().await?;
                            (bars, true, fetched.bytes + more, false)
                        }
                    }
                }
                // Nothing new since the save (a holiday): the cached bars
                // stand, and are saved again so the entry counts as checked now.
                None => (entry.into_bars(), true, fetched.bytes, true),
            }
        }
        Start::Whole => {
            let (bars, bytes) = whole().await?;
            (bars, true, bytes, false)
        }
    };
    if let (Some(n), true, Some(&first)) = (plan.depth, from_entry, bars.time().first()) {
        if bars.len() < n {
            // A failed head fails the symbol before anything is stored.
            let head = fetcher
                .fetch_back(symbol, n - bars.len(), Some(first))
                .await?;
            bytes += head.bytes;
            // No head: the listing start, the bars stand.
            if let Some(head) = head.bars {
                bars = prepend(symbol, head, bars)?;
                changed = true;
            }
        }
    }
    if changed {
        if let Err(why) = store.put(&key, &bars).await {
            note(format!("bar cache: {symbol} not cached: {why}"));
        }
    }
    Ok(Landed::Loaded(Loaded {
        bars: Arc::new(plan.cut(bars)),
        from_cache: !changed,
        bytes,
    }))
}

/// Where a symbol's load starts from.
enum Start<E> {
    /// A fresh entry (shallower than asked).
    Fresh(E),
    /// A stale entry and the first missing day.
    Tail(E, i64),
    /// Nothing usable cached.
    Whole,
}

/// `head` (bars opening before `bars`' first) then `bars`, validated: a head
/// that overlaps or is out of order is an error, never a merged entry.
fn prepend(symbol: &str, head: Bars, bars: Bars) -> Result<Bars, SymbolError> {
    let mut cols = head.into_columns();
    let tail = bars.into_columns();
    cols.time.extend_from_slice(&tail.time);
    cols.open.extend_from_slice(&tail.open);
    cols.high.extend_from_slice(&tail.high);
    cols.low.extend_from_slice(&tail.low);
    cols.close.extend_from_slice(&tail.close);
    cols.volume.extend_from_slice(&tail.volume);
    Ok(Bars::new(symbol, cols)?)
}

#[cfg(test)]
mod tests;
