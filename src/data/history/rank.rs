//! The fetch order (issue 9 `data-testid="order"`): universe order, a seeded
//! shuffle, or the learned order. Pure: the caller passes what it knows (the
//! history, which symbols are cached, the scan evaluated on stale cached
//! bars) and a seed; same inputs and seed, same order. No browser crate.
//!
//! The learned order, in tiers (ties keep universe order):
//! 1. symbols fresh in the cache (no request: they cost nothing, go first);
//! 2. symbols the scan matches on their stale cached bars (yesterday's match
//!    is today's best guess), or, with nothing cached, that matched in the
//!    latest run;
//! 3. near misses: margin ≥ −[`NEAR_MISS_MARGIN`], closest first;
//!
//! (tiers 2 and 3 only while the scan's own record says they predict better
//! than its overall rate: for a cross or a candle pattern, yesterday's match
//! is no guide, and the history learns that; see `ScanHistory::after_class`)
//! 4. the rest by `θ / cost`, `θ` a Thompson draw from the symbol's decayed
//!    `Beta(k·p̄ + m, k·(1−p̄) + n − m)` (`p̄` the scan's overall rate, so an
//!    unseen symbol starts at the base rate), `cost` its requests × its
//!    decayed mean fetch time; every 10th fetch slot ([`EXPLORATION_SHARE`])
//!    goes to a symbol this scan has never evaluated.
//!
//! With no run of the scan yet there is nothing to draw from: tier 4 keeps
//! universe order (the draws would only shuffle identical priors).

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_distr::{Beta, Distribution};
use rand_pcg::Pcg64;

use super::record::{class_of, ScanHistory, PRIOR_RATE, PRIOR_STRENGTH};

/// Decayed trials a class ([`super::record::class_of`]) needs before its
/// own record may switch its boost off.
pub const MIN_CLASS_TRIALS: f64 = 5.0;

/// Share of fetch slots reserved for symbols the scan has never evaluated.
pub const EXPLORATION_SHARE: f64 = 0.1;

/// A non-matching symbol whose margin is at least `−NEAR_MISS_MARGIN` counts
/// as a near miss. Margins are relative to the compared value's size (see
/// [`super::MarginScan`]): `rsi(14) < 30` at RSI 32 has margin −0.067.
pub const NEAR_MISS_MARGIN: f64 = 0.1;

/// Which order the fetch (and compute) queue follows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Learned from this device's history (the default).
    #[default]
    Learned,
    /// The universe list as given.
    Universe,
    /// A shuffle driven by the seed passed to [`rank`].
    Random,
}

impl Order {
    pub const ALL: [Order; 3] = [Order::Learned, Order::Universe, Order::Random];

    /// The name used in `data-testid="order"` and `__technicLastScan.order`.
    pub fn name(self) -> &'static str {
        match self {
            Order::Learned => "learned",
            Order::Universe => "universe",
            Order::Random => "random",
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An order name that is none of `learned`, `universe`, `random`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order {0:?}: expected learned, universe or random")]
pub struct UnknownOrder(pub String);

impl FromStr for Order {
    type Err = UnknownOrder;
    fn from_str(s: &str) -> Result<Order, UnknownOrder> {
        Order::ALL
            .into_iter()
            .find(|o| o.name() == s.trim())
            .ok_or_else(|| UnknownOrder(s.to_string()))
    }
}

/// One universe symbol as the caller sees it just before fetching.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Candidate<'a> {
    pub symbol: &'a str,
    /// Requests needed to bring its bars up to date: 0 fresh in the cache, 1
    /// for a missing tail, the page count when cold.
    pub requests: u32,
    /// The scan on the stale cached bars, read for the next bar
    /// ([`super::StaleEval::next_bar`]); `None`: nothing cached or undefined.
    pub stale_match: Option<bool>,
    /// The next bar's margin there ([`super::StaleEval::ahead`]); ordering only.
    pub stale_margin: Option<f64>,
}

impl<'a> Candidate<'a> {
    /// A symbol with the scan evaluated on its stale cached bars.
    pub fn with_stale(symbol: &'a str, requests: u32, stale: &super::StaleEval) -> Candidate<'a> {
        let (stale_match, stale_margin) = stale.next_bar();
        Candidate {
            symbol,
            requests,
            stale_match,
            stale_margin,
        }
    }

    /// A symbol needing `requests` requests, with no stale evaluation.
    pub fn new(symbol: &'a str, requests: u32) -> Candidate<'a> {
        Candidate {
            symbol,
            requests,
            stale_match: None,
            stale_margin: None,
        }
    }
}

/// The order in which to fetch and compute `candidates`: a permutation of
/// their indices. `history` is the scan's own ([`super::History::scan`]);
/// `seed` drives the Thompson draws and the random shuffle.
pub fn rank(
    order: Order,
    history: Option<&ScanHistory>,
    candidates: &[Candidate],
    seed: u64,
) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    match order {
        Order::Universe => idx,
        Order::Random => {
            let mut rng = Pcg64::seed_from_u64(seed);
            // Fisher–Yates from raw draws (no float): every permutation equally likely.
            for i in (1..idx.len()).rev() {
                let j = below(&mut rng, i as u64 + 1) as usize;
                idx.swap(i, j);
            }
            idx
        }
        Order::Learned => learned(history, candidates, seed),
    }
}

/// A uniform integer in `0..n` by rejection (no modulo bias).
fn below(rng: &mut Pcg64, n: u64) -> u64 {
    use rand::RngCore;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Keyed {
    index: usize,
    free: bool,
    tier: u8,
    key: f64,
    unseen: bool,
}

fn learned(history: Option<&ScanHistory>, candidates: &[Candidate], seed: u64) -> Vec<usize> {
    let has_runs = history.is_some_and(|h| h.run_count > 0);
    let rate = history.map_or(PRIOR_RATE, ScanHistory::overall_rate);
    let mean_fetch = history.and_then(ScanHistory::mean_fetch_ms).unwrap_or(1.0);
    let (a0, b0) = (PRIOR_STRENGTH * rate, PRIOR_STRENGTH * (1.0 - rate));
    let mut rng = Pcg64::seed_from_u64(seed);
    // A class keeps its boost until its own record says it predicts no
    // better than the scan's overall rate.
    let boosts = |k: usize| {
        history.is_none_or(|h| {
            let c = h.after_class[k];
            c.trials < MIN_CLASS_TRIALS || c.rate(rate) > rate
        })
    };
    let keyed: Vec<Keyed> = candidates
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let stats = history.and_then(|h| h.symbol(c.symbol));
            let (m, n) = stats.map_or((0.0, 0.0), |s| (s.matches, s.trials));
            // Stale bars first; with nothing cached, the latest run's result.
            let class = if c.stale_match.is_some() || c.stale_margin.is_some() {
                class_of(c.stale_match, c.stale_margin)
            } else {
                stats.and_then(|s| class_of(s.last_result, s.last_margin))
            };
            let margin = c
                .stale_margin
                .or_else(|| stats.and_then(|s| s.last_margin))
                .filter(|m| m.is_finite());
            // A draw for every candidate, in universe order, so that one
            // symbol's tier never shifts another's draw.
            let theta = if has_runs {
                let (a, b) = (a0 + m, (b0 + n - m).max(1e-9));
                Beta::new(a, b)
                    .ok()
                    .map(|d| d.sample(&mut rng))
                    .filter(|t| t.is_finite())
                    .unwrap_or(a / (a + b))
            } else {
                rate
            };
            let fetch = stats.and_then(|s| s.fetch_ms).unwrap_or(mean_fetch);
            let cost = f64::from(c.requests.max(1)) * fetch.max(1.0);
            let (tier, key) = match class.filter(|&k| k < 2 && boosts(k)) {
                Some(0) => (0, theta / cost),
                Some(_) => (1, margin.unwrap_or(0.0)),
                None => (2, theta / cost),
            };
            Keyed {
                index,
                free: c.requests == 0,
                tier,
                key,
                unseen: n <= 0.0,
            }
        })
        .collect();
    let mut sorted = keyed;
    // Stable: equal keys keep universe order.
    sorted.sort_by(|x, y| {
        (!x.free, x.tier)
            .cmp(&(!y.free, y.tier))
            .then(y.key.total_cmp(&x.key))
    });
    let (free, fetch): (Vec<Keyed>, Vec<Keyed>) = sorted.into_iter().partition(|k| k.free);
    let mut out: Vec<usize> = free.iter().map(|k| k.index).collect();
    out.reserve(fetch.len());
    if !has_runs {
        out.extend(fetch.iter().map(|k| k.index));
        return out;
    }
    // Interleave never-evaluated symbols into every 1/share-th fetch slot.
    let every = (1.0 / EXPLORATION_SHARE).round().max(1.0) as usize;
    let mut placed = vec![false; fetch.len()];
    let explore: Vec<usize> = (0..fetch.len()).filter(|&i| fetch[i].unseen).collect();
    let (mut next, mut next_explore) = (0, 0);
    for slot in 0..fetch.len() {
        while next_explore < explore.len() && placed[explore[next_explore]] {
            next_explore += 1;
        }
        let pick = if (slot + 1) % every == 0 && next_explore < explore.len() {
            explore[next_explore]
        } else {
            while placed[next] {
                next += 1;
            }
            next
        };
        placed[pick] = true;
        out.push(fetch[pick].index);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_names_round_trip_and_unknown_names_are_refused() {
        for o in Order::ALL {
            assert_eq!(o.to_string().parse::<Order>(), Ok(o));
        }
        assert_eq!(Order::default(), Order::Learned);
        let e = "smart".parse::<Order>().unwrap_err();
        assert!(e.to_string().contains("\"smart\""), "{e}");
    }

    #[test]
    fn random_order_is_a_permutation_fixed_by_its_seed() {
        let c: Vec<Candidate> = ["A", "B", "C", "D", "E", "F"]
            .iter()
            .map(|s| Candidate::new(s, 1))
            .collect();
        let a = rank(Order::Random, None, &c, 7);
        assert_eq!(a, rank(Order::Random, None, &c, 7));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5]);
        let differs = (0..20).any(|s| rank(Order::Random, None, &c, s) != a);
        assert!(differs);
    }
}
