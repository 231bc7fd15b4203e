//! The learned scan order and the prediction, wired to a scan (issue 9).
//! Before fetching: what the cache index says of each symbol (fresh, stale,
//! missing: no read), the scan evaluated on the stale cached bars (read,
//! decoded and evaluated off the page), the prediction from this device's
//! history, and the fetch order (`data::history::rank`). After the run: the
//! record of what happened (`History::record_run`), with margins evaluated
//! on the bars the scan used. Every decision is in `data::history`; this
//! file gathers its inputs from the page's stores.

use std::collections::HashMap;
use std::sync::Arc;

use crate::data::cache_policy::Freshness;
use crate::data::fnv1a_64;
use crate::data::history::{
    rank, Candidate, Features, Fingerprint, History, MarginScan, Order, Prediction, RunRecord,
    StaleEval, SymbolOutcome,
};
use crate::data::loader::{LoadPlan, Slots};
use crate::engine::bars::Bars;
use crate::engine::run::{BarSource, ProgressSnapshot, StopReason};
use crate::engine::score::Settings;

use super::pool;
use super::sources::{SourceConfig, SourceId};
use super::store::{BarStore, CacheKey};

/// Bars per symbol assumed where nothing says (a symbol never cached, in a
/// scan never run): a year and a bit of daily bars.
const DEFAULT_BARS: u64 = 300;

/// Stale entries read per transaction for the stale evaluation.
const STALE_READ_CHUNK: usize = 256;

/// The scan's identity in the history: its canonical text, the source (with
/// a hash of the endpoint, so two URL templates learn apart) and interval.
pub fn fingerprint(scan_text: &str, source: SourceId, config: &SourceConfig) -> Fingerprint {
    let interval = config.interval_for(source);
    let endpoint = config.endpoint(source);
    let source = if endpoint.is_empty() {
        source.value()
    } else {
        format!("{}#{:016x}", source.value(), fnv1a_64(endpoint.as_bytes()))
    };
    Fingerprint::new(scan_text, &source, interval.name())
}

/// What the cache index says of each symbol, without reading a bar.
#[derive(Debug, Clone, Default)]
pub struct CacheView {
    /// Requests to bring each symbol up to date: 0 fresh, else 1.
    pub requests: Vec<u32>,
    /// Bars held in the cache (`None`: not cached).
    pub bars: Vec<Option<u64>>,
    /// Positions cached but not fresh: their stale bars are evaluated.
    pub stale: Vec<usize>,
}

impl CacheView {
    /// Every symbol at hand (a generated market, imported files).
    pub fn local(n: usize) -> CacheView {
        CacheView {
            requests: vec![0; n],
            bars: vec![None; n],
            stale: Vec::new(),
        }
    }

    /// The index's view of `symbols` under `plan` at `now_ms`.
    pub fn of_store(
        store: &BarStore,
        plan: &LoadPlan,
        symbols: &[String],
        now_ms: i64,
    ) -> CacheView {
        let mut view = CacheView::default();
        for (i, symbol) in symbols.iter().enumerate() {
            let key = plan.key(symbol);
            let meta = store.cached_meta(&CacheKey::new(
                &key.source,
                &key.endpoint,
                &key.symbol,
                &key.interval,
            ));
            let Some(meta) = meta else {
                view.requests.push(1);
                view.bars.push(None);
                continue;
            };
            view.bars.push(Some(meta.bars));
            let fresh = plan.freshness(
                meta.last_time_ms,
                meta.saved_at_ms as i64,
                meta.bars as usize,
                now_ms,
            );
            if fresh == Freshness::Fresh {
                view.requests.push(0);
            } else {
                view.requests.push(1);
                view.stale.push(i);
            }
        }
        view
    }

    pub fn needs_fetch(&self) -> usize {
        self.requests.iter().filter(|&&r| r > 0).count()
    }
}

/// The features of a scan about to run (the prediction's input).
pub fn features(
    view: &CacheView,
    source: SourceId,
    config: &SourceConfig,
    indicators: usize,
    threads: usize,
    lookback: Option<usize>,
    typical_bars: Option<u64>,
) -> Features {
    let per_symbol = |held: Option<u64>| {
        let bars = held.or(typical_bars).unwrap_or(DEFAULT_BARS);
        lookback.map_or(bars, |n| bars.min(n as u64))
    };
    let fetched = view.needs_fetch() as u32;
    Features {
        symbols: view.requests.len() as u32,
        requests: view.requests.iter().sum(),
        rate_per_s: if source.is_fetched() {
            source
                .policy_with(config)
                .per_minute
                .map(|n| f64::from(n) / 60.0)
        } else {
            None
        },
        fetched,
        cache_hits: view.requests.len() as u32 - fetched,
        bars: view.bars.iter().map(|&b| per_symbol(b)).sum(),
        indicators: indicators as u32,
        threads: threads.max(1) as u32,
    }
}

/// Bars per symbol in the scan's latest run, if it ran here.
pub fn typical_bars(history: &History, fp: Fingerprint) -> Option<u64> {
    let run = history.scan(fp)?.runs.back()?;
    (run.symbols > 0).then(|| run.bars / u64::from(run.symbols))
}

/// The symbols the scan evaluated before (the universe a prediction made
/// before Run assumes when the form does not list one).
pub fn known_symbols(history: &History, fp: Fingerprint) -> Vec<String> {
    history
        .scan(fp)
        .map_or_else(Vec::new, |s| s.symbols.keys().cloned().collect())
}

/// The prediction for `symbols` with `features`.
pub fn predict(
    history: &History,
    fp: Fingerprint,
    features: &Features,
    symbols: &[String],
) -> Prediction {
    let universe: Vec<&str> = symbols.iter().map(String::as_str).collect();
    history.predict(fp, features, &universe)
}

/// The fetch (and compute) order of `symbols`: a permutation of their
/// positions. `learned` reads and evaluates the stale cached entries first;
/// when nothing needs fetching, every order is the universe order (the
/// cache reads in key order, and compute takes milliseconds).
#[allow(clippy::too_many_arguments)]
pub async fn fetch_order(
    order: Order,
    history: Option<&crate::data::history::ScanHistory>,
    symbols: &[String],
    view: &CacheView,
    store: &BarStore,
    plan: &LoadPlan,
    expr: &str,
    settings: Settings,
    lookback: Option<usize>,
    seed: u64,
) -> Vec<usize> {
    if order == Order::Universe || view.needs_fetch() == 0 {
        return (0..symbols.len()).collect();
    }
    let mut candidates: Vec<Candidate> = symbols
        .iter()
        .zip(&view.requests)
        .map(|(s, &r)| Candidate::new(s, r))
        .collect();
    if order == Order::Learned && !view.stale.is_empty() {
        for (i, eval) in
            stale_evals(symbols, &view.stale, store, plan, expr, settings, lookback).await
        {
            candidates[i] = Candidate::with_stale(&symbols[i], view.requests[i], &eval);
        }
    }
    rank(order, history, &candidates, seed)
}

/// The scan on each stale entry's bars (read in batches, evaluated off the
/// page). An entry that no longer reads is left out (it is fetched anyway).
async fn stale_evals(
    symbols: &[String],
    stale: &[usize],
    store: &BarStore,
    plan: &LoadPlan,
    expr: &str,
    settings: Settings,
    lookback: Option<usize>,
) -> Vec<(usize, StaleEval)> {
    let mut read: Vec<(usize, Vec<u8>)> = Vec::with_capacity(stale.len());
    for chunk in stale.chunks(STALE_READ_CHUNK) {
        let keys: Vec<CacheKey> = chunk
            .iter()
            .map(|&i| {
                let k = plan.key(&symbols[i]);
                CacheKey::new(&k.source, &k.endpoint, &k.symbol, &k.interval)
            })
            .collect();
        match store.get_encoded_entries(&keys).await {
            Ok(found) => read.extend(
                chunk
                    .iter()
                    .zip(found)
                    .filter_map(|(&i, e)| Some((i, e?.bytes))),
            ),
            Err(e) => web_sys::console::warn_1(
                &format!("scan order: stale entries not read ({e}); ordering without them").into(),
            ),
        }
    }
    if read.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = read.iter().map(|(i, _)| symbols[*i].clone()).collect();
    let expr = expr.to_string();
    pool::off_page(move || {
        let Ok(scan) = MarginScan::compile(&expr) else {
            return Vec::new();
        };
        let mut ws = scan.workspace();
        read.into_iter()
            .zip(names)
            .filter_map(|((i, bytes), name)| {
                let bars = crate::data::codec::decode(&name, &bytes).ok()?;
                let bars = cut(bars, lookback);
                Some((i, scan.eval_last(&bars, &mut ws, &settings)))
            })
            .collect()
    })
    .await
    .unwrap_or_default()
}

fn cut(bars: Bars, lookback: Option<usize>) -> Bars {
    match lookback {
        Some(n) if n < bars.len() => bars.last(n),
        _ => bars,
    }
}

/// What a scan knew before it ran, kept until it is recorded.
#[derive(Debug, Clone)]
pub struct Pending {
    pub fp: Fingerprint,
    pub order: Order,
    pub features: Features,
    pub prediction: Prediction,
    /// Epoch ms of the Run click.
    pub started_epoch_ms: i64,
}

/// How a scan ended, as the history records it.
#[derive(Debug, Clone)]
pub struct Ended {
    pub reason: StopReason,
    pub duration_ms: f64,
    pub matches: usize,
    pub first_match_ms: Option<f64>,
    pub tenth_match_ms: Option<f64>,
    pub progress: ProgressSnapshot,
    /// Each position's outcome (`engine::run::Progress::outcomes`).
    pub outcomes: Vec<Option<bool>>,
    /// TechRating of each matching symbol.
    pub ratings: HashMap<String, f64>,
    /// Fetch time per position (`None`: from the cache or not loaded).
    pub fetch_ms: Vec<Option<f64>>,
}

/// Whether a run says something about the scan: a stop by the user (or a
/// crash) is not recorded; auto-stops are (the user asked for them).
pub fn worth_recording(reason: StopReason) -> bool {
    reason != StopReason::User
}

/// The margin of each evaluated position that did not match, on the bars
/// the scan used (off the page). `None` where not measurable.
pub async fn margins(
    expr: &str,
    symbols: Arc<Vec<String>>,
    slots: Arc<Slots>,
    outcomes: &[Option<bool>],
    settings: Settings,
    lookback: Option<usize>,
) -> Vec<Option<f64>> {
    let wanted: Vec<usize> = (0..symbols.len())
        .filter(|&i| outcomes.get(i).copied().flatten().is_some())
        .collect();
    let n = symbols.len();
    let expr = expr.to_string();
    pool::off_page(move || {
        let mut out = vec![None; n];
        let Ok(scan) = MarginScan::compile(&expr) else {
            return out;
        };
        let mut ws = scan.workspace();
        for i in wanted {
            let Ok(loaded) = slots.load(&symbols[i]) else {
                continue;
            };
            // The slot's bars are cut to the source's depth; the lookback
            // cuts them as the run did.
            let bars = &loaded.bars;
            out[i] = match lookback {
                Some(n) if n < bars.len() => scan.eval_last(&bars.last(n), &mut ws, &settings),
                _ => scan.eval_last(bars, &mut ws, &settings),
            }
            .ahead;
        }
        out
    })
    .await
    .unwrap_or_else(|| vec![None; n])
}

/// The run and its symbols as [`History::record_run`] takes them.
pub fn record(
    history: &mut History,
    pending: &Pending,
    ended: &Ended,
    symbols: &[String],
    margins: &[Option<f64>],
) {
    let p = &ended.progress;
    let run = RunRecord {
        time_ms: pending.started_epoch_ms,
        symbols: symbols.len() as u32,
        fetched: p.fetched as u32,
        cache_hits: p.cache_hits as u32,
        requests: (p.fetched + p.retries) as u32,
        rate_per_s: pending.features.rate_per_s,
        bars: pending.features.bars,
        indicators: pending.features.indicators,
        threads: pending.features.threads,
        duration_ms: ended.duration_ms,
        matches: ended.matches as u32,
        first_match_ms: ended.first_match_ms,
        tenth_match_ms: ended.tenth_match_ms,
        order: pending.order,
        predicted_ms: pending.prediction.duration_ms,
        predicted_matches: pending.prediction.matches,
    };
    let outcomes: Vec<SymbolOutcome> = symbols
        .iter()
        .enumerate()
        .filter_map(|(i, symbol)| {
            let matched = ended.outcomes.get(i).copied().flatten()?;
            Some(SymbolOutcome {
                symbol: symbol.clone(),
                matched: Some(matched),
                tech_rating: ended.ratings.get(symbol).copied().filter(|r| r.is_finite()),
                margin: margins.get(i).copied().flatten(),
                fetch_ms: ended.fetch_ms.get(i).copied().flatten(),
            })
        })
        .collect();
    history.record_run(pending.fp, run, &outcomes);
}
