//! The history's records and their bookkeeping: one [`RunRecord`] per scan
//! run, decayed [`SymbolStats`] per (fingerprint, symbol), the bounded
//! [`History`] with LRU eviction, and its schema-versioned byte encoding. No
//! I/O, no clock (times come in as epoch ms), no browser crate.

use std::collections::{BTreeMap, VecDeque};

use super::rank::{Order, NEAR_MISS_MARGIN};
use super::{Fingerprint, HistoryError};

/// The byte format's version; bytes of any other version are refused with
/// [`HistoryError::Schema`] (the caller starts a new history).
pub const SCHEMA_VERSION: u32 = 1;

/// Half-life of the per-symbol counts, in scans of the same fingerprint:
/// after this many further runs an old match weighs half. Ten daily rescans
/// is two trading weeks, about how long `rsi < 30`-type states persist.
pub const HALF_LIFE_SCANS: f64 = 10.0;

/// Strength `k` of the empirical-Bayes prior, in pseudo-trials: an unseen
/// symbol starts at `Beta(k·p̄, k·(1−p̄))` where `p̄` is the scan's overall
/// match rate, so two real trials already outweigh it.
pub const PRIOR_STRENGTH: f64 = 2.0;

/// The match rate assumed for a scan with no history at all (one symbol in
/// twenty); replaced by the scan's own rate after its first run.
pub const PRIOR_RATE: f64 = 0.05;

/// Runs kept per fingerprint (the predictor's data and the error history).
pub const MAX_RUNS_PER_SCAN: usize = 64;

/// The per-run decay factor `λ = 2^(−1/HALF_LIFE_SCANS)`.
pub fn decay() -> f64 {
    0.5f64.powf(1.0 / HALF_LIFE_SCANS)
}

/// One scan run as it happened (and what was predicted before it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// When the run started, epoch ms.
    pub time_ms: i64,
    /// Symbols in the universe.
    pub symbols: u32,
    /// Symbols whose bars had to be fetched (all or a tail).
    pub fetched: u32,
    /// Symbols served from the cache without a request.
    pub cache_hits: u32,
    /// HTTP requests made (pages and retries included).
    pub requests: u32,
    /// The source's sustained request rate, requests per second (`None` when
    /// it has no limit, or for a local file).
    #[serde(with = "exact::option", default)]
    pub rate_per_s: Option<f64>,
    /// Bars evaluated, summed over symbols.
    pub bars: u64,
    /// Distinct indicator kernels in the compiled plan (`Scan::indicator_count`).
    pub indicators: u32,
    /// Compute threads.
    pub threads: u32,
    /// Wall time from the Run click to the end, ms.
    #[serde(with = "exact")]
    pub duration_ms: f64,
    pub matches: u32,
    /// From the Run click to the first / tenth match, ms (`None`: fewer matches).
    #[serde(with = "exact::option", default)]
    pub first_match_ms: Option<f64>,
    #[serde(with = "exact::option", default)]
    pub tenth_match_ms: Option<f64>,
    /// The fetch order used.
    pub order: Order,
    /// What [`History::predict`] said before the run (`None`: no history).
    #[serde(with = "exact::option", default)]
    pub predicted_ms: Option<f64>,
    #[serde(with = "exact::option", default)]
    pub predicted_matches: Option<f64>,
}

/// One symbol's outcome in a run, the input of [`History::record_run`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SymbolOutcome {
    pub symbol: String,
    /// `Some(true)` matched, `Some(false)` evaluated without a match, `None`
    /// not evaluated (error, too few bars): not counted as a trial.
    pub matched: Option<bool>,
    /// The TechRating at the last bar, when computed.
    pub tech_rating: Option<f64>,
    /// How close the next bar is to matching ([`super::StaleEval::ahead`];
    /// for threshold scans simply the margin, > 0 matched).
    pub margin: Option<f64>,
    /// Time spent fetching this symbol's bars, ms (`None`: served from cache).
    pub fetch_ms: Option<f64>,
}

/// What one fingerprint has learned about one symbol. Counts decay by
/// [`decay`] per run of the fingerprint in which the symbol was evaluated.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SymbolStats {
    /// Decayed matches.
    #[serde(rename = "m", with = "exact")]
    pub matches: f64,
    /// Decayed trials (evaluations); `matches ≤ trials`.
    #[serde(rename = "n", with = "exact")]
    pub trials: f64,
    /// Start time of the last run in which it matched, epoch ms.
    /// The latest evaluation's outcome (what a cold rescan falls back on when
    /// no stale bars are cached).
    #[serde(rename = "lr", default, skip_serializing_if = "Option::is_none")]
    pub last_result: Option<bool>,
    #[serde(rename = "lm", default, skip_serializing_if = "Option::is_none")]
    pub last_match_ms: Option<i64>,
    #[serde(
        rename = "tr",
        with = "exact::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_rating: Option<f64>,
    #[serde(
        rename = "mg",
        with = "exact::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_margin: Option<f64>,
    /// Decayed mean fetch time, ms, and the decayed count of fetches behind it.
    #[serde(
        rename = "f",
        with = "exact::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fetch_ms: Option<f64>,
    #[serde(rename = "fw", with = "exact", default)]
    pub fetch_weight: f64,
    /// The fingerprint's run counter when this symbol was last evaluated
    /// (which symbols go first when one scan alone exceeds the bound).
    #[serde(rename = "u", default)]
    pub seen_run: u64,
}

impl SymbolStats {
    /// Posterior mean match chance under the prior `Beta(k·p̄, k·(1−p̄))`.
    pub fn mean(&self, prior_rate: f64) -> f64 {
        (PRIOR_STRENGTH * prior_rate + self.matches) / (PRIOR_STRENGTH + self.trials)
    }

    fn update(&mut self, o: &SymbolOutcome, lambda: f64, time_ms: i64, run: u64) {
        if let Some(matched) = o.matched {
            self.matches = lambda * self.matches + f64::from(u8::from(matched));
            self.trials = lambda * self.trials + 1.0;
            self.last_result = Some(matched);
            if matched {
                self.last_match_ms = Some(time_ms);
            }
        }
        if let Some(r) = o.tech_rating.filter(|r| r.is_finite()) {
            self.last_rating = Some(r);
        }
        if o.matched.is_some() {
            // A fresh evaluation replaces the margin even when it is undefined.
            self.last_margin = o.margin.filter(|m| m.is_finite());
        }
        if let Some(ms) = o.fetch_ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
            self.fetch_weight = lambda * self.fetch_weight + 1.0;
            let old = self.fetch_ms.unwrap_or(ms);
            self.fetch_ms = Some(old + (ms - old) / self.fetch_weight);
        }
        self.seen_run = run;
    }
}

/// Everything one fingerprint has learned.
/// Decayed matches out of decayed trials.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    #[serde(rename = "m", with = "exact")]
    pub matches: f64,
    #[serde(rename = "n", with = "exact")]
    pub trials: f64,
}

impl Counts {
    /// Posterior mean under `Beta(k·prior, k·(1−prior))`.
    pub fn rate(&self, prior: f64) -> f64 {
        (PRIOR_STRENGTH * prior + self.matches) / (PRIOR_STRENGTH + self.trials)
    }
}

/// What the previous evaluation said about a symbol, as the ordering tiers
/// it: `0` it matched (or was going to), `1` a near miss, `2` the rest.
/// A margin, when known, decides; otherwise the match.
pub fn class_of(matched: Option<bool>, margin: Option<f64>) -> Option<usize> {
    match margin.filter(|m| m.is_finite()) {
        Some(m) if m > 0.0 => Some(0),
        Some(m) if m >= -NEAR_MISS_MARGIN => Some(1),
        Some(_) => Some(2),
        None => matched.map(|m| if m { 0 } else { 2 }),
    }
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ScanHistory {
    /// The history's use tick when this scan was last recorded (LRU key).
    pub last_used: u64,
    /// Runs recorded so far (never decreases; [`SymbolStats::seen_run`] counts in it).
    pub run_count: u64,
    /// The latest runs, oldest first, at most [`MAX_RUNS_PER_SCAN`].
    pub runs: VecDeque<RunRecord>,
    pub symbols: BTreeMap<String, SymbolStats>,
    /// How often symbols matched given what their previous evaluation said
    /// ([`class_of`]: matched / near miss / rest), decayed per run. Tells a
    /// scan whose matches persist (`rsi < 30`) from one whose matches are
    /// events (a cross, a candle pattern), so the order boosts a class only
    /// while it really predicts.
    #[serde(default)]
    pub after_class: [Counts; 3],
}

impl ScanHistory {
    /// The scan's overall match rate `p̄` (decayed matches over decayed
    /// trials across its symbols), or [`PRIOR_RATE`] before any trial. Kept
    /// inside (0, 1) so that the Beta prior stays proper.
    pub fn overall_rate(&self) -> f64 {
        let (m, n) = self
            .symbols
            .values()
            .fold((0.0, 0.0), |(m, n), s| (m + s.matches, n + s.trials));
        let p = if n > 0.0 { m / n } else { PRIOR_RATE };
        p.clamp(0.005, 0.995)
    }

    /// The symbol's stats, if it was ever evaluated by this scan.
    pub fn symbol(&self, symbol: &str) -> Option<&SymbolStats> {
        self.symbols.get(symbol)
    }

    /// The decayed mean fetch time over symbols that were fetched, ms.
    pub fn mean_fetch_ms(&self) -> Option<f64> {
        let (sum, w) = self.symbols.values().fold((0.0, 0.0), |(s, w), st| {
            st.fetch_ms
                .map_or((s, w), |f| (s + f * st.fetch_weight, w + st.fetch_weight))
        });
        (w > 0.0).then(|| sum / w)
    }
}

/// Size bounds of a [`History`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fingerprints kept; the least recently used go first.
    pub max_scans: usize,
    /// (fingerprint, symbol) entries kept over all fingerprints. About 150
    /// bytes each once encoded (`cargo bench --bench history_replay`), so the
    /// default (six scans of a 5,000-symbol universe) bounds the bytes near 4.5 MB.
    pub max_symbol_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_scans: 32,
            max_symbol_entries: 30_000,
        }
    }
}

/// This device's scan history: per fingerprint, the latest runs and the
/// per-symbol counts. Bounded by [`Limits`] with LRU eviction by last use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    limits: Limits,
    tick: u64,
    scans: BTreeMap<Fingerprint, ScanHistory>,
}

/// The encoded form: the schema first so that a mismatch is told apart from garbage.
#[derive(serde::Serialize, serde::Deserialize)]
struct Encoded {
    schema: u32,
    tick: u64,
    scans: Vec<(Fingerprint, ScanHistory)>,
}

#[derive(serde::Deserialize)]
struct SchemaOnly {
    schema: u32,
}

impl History {
    pub fn new(limits: Limits) -> History {
        History {
            limits,
            tick: 0,
            scans: BTreeMap::new(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Changes the bounds, evicting at once if the history is now too big.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        self.enforce_bounds(None);
    }

    /// What this fingerprint has learned (`None`: never run).
    pub fn scan(&self, fp: Fingerprint) -> Option<&ScanHistory> {
        self.scans.get(&fp)
    }

    /// Fingerprints held, least recently used first.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        let mut v: Vec<_> = self.scans.iter().map(|(f, s)| (s.last_used, *f)).collect();
        v.sort_unstable();
        v.into_iter().map(|(_, f)| f).collect()
    }

    /// (fingerprint, symbol) entries held over all fingerprints.
    pub fn symbol_entries(&self) -> usize {
        self.scans.values().map(|s| s.symbols.len()).sum()
    }

    /// Every run of every fingerprint, oldest first by start time (the
    /// predictor's data: duration physics do not depend on the scan).
    pub fn all_runs(&self) -> Vec<&RunRecord> {
        let mut v: Vec<&RunRecord> = self.scans.values().flat_map(|s| s.runs.iter()).collect();
        v.sort_by_key(|r| r.time_ms);
        v
    }

    /// Forgets everything (the page's `clear-history`).
    pub fn clear(&mut self) {
        self.scans.clear();
    }

    /// Records a finished run of `fp` and its per-symbol outcomes: decays and
    /// updates the evaluated symbols' counts, appends the run (dropping the
    /// oldest beyond [`MAX_RUNS_PER_SCAN`]) and evicts by LRU if over the bounds.
    pub fn record_run(&mut self, fp: Fingerprint, run: RunRecord, outcomes: &[SymbolOutcome]) {
        self.tick += 1;
        let lambda = decay();
        let scan = self.scans.entry(fp).or_default();
        scan.last_used = self.tick;
        scan.run_count += 1;
        for c in &mut scan.after_class {
            c.matches *= lambda;
            c.trials *= lambda;
        }
        for o in outcomes {
            let stats = match scan.symbols.get_mut(&o.symbol) {
                Some(s) => s,
                None => scan.symbols.entry(o.symbol.clone()).or_default(),
            };
            if let (Some(now), Some(k)) =
                (o.matched, class_of(stats.last_result, stats.last_margin))
            {
                scan.after_class[k].matches += f64::from(u8::from(now));
                scan.after_class[k].trials += 1.0;
            }
            stats.update(o, lambda, run.time_ms, scan.run_count);
        }
        scan.runs.push_back(run);
        while scan.runs.len() > MAX_RUNS_PER_SCAN {
            scan.runs.pop_front();
        }
        self.enforce_bounds(Some(fp));
    }

    /// Marks `fp` as used without a run (e.g. its prediction was shown), so
    /// that LRU eviction keeps it.
    pub fn touch(&mut self, fp: Fingerprint) {
        self.tick += 1;
        if let Some(s) = self.scans.get_mut(&fp) {
            s.last_used = self.tick;
        }
    }

    fn enforce_bounds(&mut self, keep: Option<Fingerprint>) {
        let over = |h: &History| {
            h.scans.len() > h.limits.max_scans || h.symbol_entries() > h.limits.max_symbol_entries
        };
        while over(self) {
            let victim = self
                .scans
                .iter()
                .filter(|(f, _)| Some(**f) != keep)
                .min_by_key(|(_, s)| s.last_used)
                .map(|(f, _)| *f);
            match victim {
                Some(f) => {
                    self.scans.remove(&f);
                }
                None => break,
            }
        }
        // One scan alone above the entry bound: drop its least recently seen symbols.
        let cap = self.limits.max_symbol_entries;
        for s in self.scans.values_mut() {
            if s.symbols.len() > cap {
                let mut seen: Vec<(u64, String)> = s
                    .symbols
                    .iter()
                    .map(|(k, v)| (v.seen_run, k.clone()))
                    .collect();
                seen.sort_unstable();
                let excess = s.symbols.len() - cap;
                for (_, k) in seen.into_iter().take(excess) {
                    s.symbols.remove(&k);
                }
            }
        }
        if self.scans.len() > self.limits.max_scans {
            // Only when max_scans is 0: nothing can be kept.
            self.scans.clear();
        }
    }

    /// The bytes the browser stores (JSON with short field names).
    pub fn to_bytes(&self) -> Vec<u8> {
        let enc = Encoded {
            schema: SCHEMA_VERSION,
            tick: self.tick,
            scans: self.scans.iter().map(|(f, s)| (*f, s.clone())).collect(),
        };
        // Serialising plain structs of numbers and strings cannot fail; the
        // fallback keeps this panic-free all the same.
        serde_json::to_vec(&enc).unwrap_or_default()
    }

    /// Reads bytes from [`History::to_bytes`], with the default [`Limits`]
    /// applied. Bad bytes and other schemas are errors, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<History, HistoryError> {
        Self::from_bytes_with(bytes, Limits::default())
    }

    pub fn from_bytes_with(bytes: &[u8], limits: Limits) -> Result<History, HistoryError> {
        let head: SchemaOnly = serde_json::from_slice(bytes)
            .map_err(|e| HistoryError::Malformed(format!("no schema field ({e})")))?;
        if head.schema != SCHEMA_VERSION {
            return Err(HistoryError::Schema {
                found: head.schema,
                expected: SCHEMA_VERSION,
            });
        }
        let enc: Encoded =
            serde_json::from_slice(bytes).map_err(|e| HistoryError::Malformed(e.to_string()))?;
        let mut h = History {
            limits,
            tick: enc.tick,
            scans: BTreeMap::new(),
        };
        for (fp, scan) in enc.scans {
            validate(fp, &scan)?;
            h.scans.insert(fp, scan);
        }
        h.enforce_bounds(None);
        Ok(h)
    }
}

/// Numbers as text in their shortest exact form: `serde_json` (without its
/// `float_roundtrip` feature, which would change parsing for the whole
/// crate) may read a number one ulp off, and a history should read back
/// exactly as it was written.
mod exact {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Text(f64);

    impl Serialize for Text {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
            let t = String::deserialize(d)?;
            t.parse()
                .map(Text)
                .map_err(|_| D::Error::custom(format!("not a number: {t:?}")))
        }
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Text(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Text::deserialize(d).map(|t| t.0)
    }

    pub mod option {
        use super::Text;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            v.map(Text).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
            Option::<Text>::deserialize(d).map(|o| o.map(|t| t.0))
        }
    }
}

fn validate(fp: Fingerprint, scan: &ScanHistory) -> Result<(), HistoryError> {
    let counts_ok = |c: &Counts| {
        c.matches.is_finite()
            && c.trials.is_finite()
            && c.matches >= 0.0
            && c.matches <= c.trials + 1e-9
    };
    if !scan.after_class.iter().all(counts_ok) {
        return Err(HistoryError::Invalid(format!(
            "scan {fp}: class counts must be finite with 0 ≤ matches ≤ trials"
        )));
    }
    for (sym, s) in &scan.symbols {
        let ok = s.trials.is_finite()
            && s.matches.is_finite()
            && s.matches >= 0.0
            && s.trials >= 0.0
            && s.matches <= s.trials + 1e-9
            && s.fetch_weight.is_finite()
            && s.fetch_weight >= 0.0
            && s.fetch_ms.is_none_or(|f| f.is_finite() && f >= 0.0);
        if !ok {
            return Err(HistoryError::Invalid(format!(
                "scan {fp}, symbol {sym}: counts must be finite with 0 ≤ matches ≤ trials"
            )));
        }
    }
    if let Some((i, _)) = scan
        .runs
        .iter()
        .enumerate()
        .find(|(_, r)| !r.duration_ms.is_finite() || r.duration_ms < 0.0)
    {
        return Err(HistoryError::Invalid(format!(
            "scan {fp}, run {i}: duration must be a finite number ≥ 0"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunRecord {
        RunRecord {
            time_ms: 0,
            symbols: 1,
            fetched: 0,
            cache_hits: 1,
            requests: 0,
            rate_per_s: None,
            bars: 100,
            indicators: 1,
            threads: 1,
            duration_ms: 5.0,
            matches: 0,
            first_match_ms: None,
            tenth_match_ms: None,
            order: Order::Learned,
            predicted_ms: None,
            predicted_matches: None,
        }
    }

    #[test]
    fn an_undefined_evaluation_is_not_a_trial() {
        let mut h = History::default();
        let fp = Fingerprint(1);
        let o = SymbolOutcome {
            symbol: "A".into(),
            matched: None,
            ..Default::default()
        };
        h.record_run(fp, run(), &[o]);
        assert_eq!(h.scan(fp).unwrap().symbol("A").unwrap().trials, 0.0);
    }

    #[test]
    fn fetch_time_is_a_decayed_mean() {
        let mut h = History::default();
        let fp = Fingerprint(1);
        for ms in [100.0, 200.0] {
            let o = SymbolOutcome {
                symbol: "A".into(),
                matched: Some(false),
                fetch_ms: Some(ms),
                ..Default::default()
            };
            h.record_run(fp, run(), &[o]);
        }
        let f = h.scan(fp).unwrap().symbol("A").unwrap().fetch_ms.unwrap();
        // Weighted λ:1 toward the newer sample, so a little above the plain mean.
        assert!(f > 150.0 && f < 160.0, "{f}");
    }
}
