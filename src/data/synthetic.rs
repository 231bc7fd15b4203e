//! A deterministic synthetic market of any size, for demos and benchmarks.
//! Everything here is synthetic: generated prices, volumes, sectors and market
//! caps that belong to no real company, always shown with [`SYNTHETIC_LABEL`].
//! Same seed, same bars, on every platform (native and wasm32). Owns no I/O.
//!
//! How it stays identical everywhere: each symbol draws from its own
//! `rand_pcg::Pcg64` seeded from `(seed, index)` only (no `thread_rng`, no
//! `getrandom`), uniforms are built from raw 64-bit draws, and the maths uses
//! only IEEE-754 basic operations (`+ − × ÷`, `sqrt`, `round`, all correctly
//! rounded), with a home-made `exp` instead of the platform's `libm`.
//!
//! The model, per symbol (daily bars, weekdays only, ending 2026-10-30 UTC):
//! - start price log-uniform over 2..2000; log prices walk with a trend that
//!   switches regime (about every 120 bars, either sign) and a weak pull back
//!   towards the start price so that long series stay plausible;
//! - GARCH(1,1)-style volatility clustering around a per-symbol long-run daily
//!   volatility of 0.8–3.2%, rare news jumps, and overnight gaps (small every
//!   day, 3–8% now and then);
//! - consistent OHLC (high ≥ max(open, close), low ≤ min(open, close), all
//!   positive, rounded to cents above $1 and to 0.0001 below);
//! - volume from a per-symbol dollar turnover of the market cap, with bursts
//!   on big moves and now and then on no news at all;
//! - prices are continuous: already split-adjusted, there are no split jumps.

use crate::engine::bars::{Bars, Columns};
use rand::RngCore;
use rand_pcg::Pcg64;

/// The label every view of this data must carry.
pub const SYNTHETIC_LABEL: &str = "Synthetic market: generated data, not real prices";

/// The date of every synthetic series' last bar (a Friday), as days since
/// 1970-01-01, so that runs are reproducible whenever they happen.
pub const LAST_DAY: i64 = days_from_civil(2026, 10, 30);

const MS_PER_DAY: i64 = 86_400_000;

/// One symbol of a synthetic universe.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UniverseEntry {
    pub symbol: String,
    /// A synthetic sector label.
    pub sector: &'static str,
    /// A synthetic industry label (belongs to `sector`).
    pub industry: &'static str,
    /// Synthetic market capitalisation in dollars.
    pub market_cap: f64,
}

const SECTORS: [(&str, [&str; 3]); 8] = [
    ("Technology", ["Software", "Semiconductors", "Hardware"]),
    ("Health Care", ["Biotech", "Medical Devices", "Pharma"]),
    ("Financials", ["Banks", "Insurance", "Asset Management"]),
    ("Energy", ["Oil & Gas", "Renewables", "Pipelines"]),
    ("Industrials", ["Aerospace", "Machinery", "Transport"]),
    ("Consumer", ["Retail", "Apparel", "Restaurants"]),
    ("Materials", ["Chemicals", "Metals & Mining", "Packaging"]),
    ("Utilities", ["Electric", "Water", "Gas"]),
];

/// The `index`-th symbol's name in a synthetic market.
pub fn symbol_name(index: usize) -> String {
    format!("SYN{index:05}")
}

/// A synthetic universe of `n_symbols` (symbols `symbol_name(0..n)`); entry
/// `i` depends on `(seed, i)` alone, like its bars.
pub fn universe(seed: u64, n_symbols: usize) -> Vec<UniverseEntry> {
    (0..n_symbols)
        .map(|i| {
            let p = Profile::new(seed, i);
            let (sector, industries) = SECTORS[p.sector];
            UniverseEntry {
                symbol: symbol_name(i),
                sector,
                industry: industries[p.industry],
                market_cap: p.market_cap,
            }
        })
        .collect()
}

/// The `index`-th symbol's bars: `n_bars` daily bars, generated from `seed`
/// and `index` alone, so symbols can be generated in any order or in parallel.
/// `n_bars == 0` gives empty bars.
pub fn bars(seed: u64, index: usize, n_bars: usize) -> Bars {
    if n_bars == 0 {
        return Bars::default();
    }
    let p = Profile::new(seed, index);
    let mut rng = Draws::new(seed, index, 1);
    let mut cols = Columns::with_capacity(n_bars);
    let days = weekdays_ending_at(LAST_DAY, n_bars);

    let start_lp = p.start_log_price;
    let mut lp = start_lp; // log of the previous close
    let long_var = p.daily_vol * p.daily_vol;
    let (alpha, beta) = (0.08, 0.90);
    let omega = long_var * (1.0 - alpha - beta);
    let mut var = long_var;
    let mut drift = 0.0;
    let mut last_eps = 0.0;
    for &day in &days {
        if rng.uniform() < 1.0 / 120.0 || cols.is_empty() {
            // A new trend regime: about ±40% a year at most, either sign.
            drift = (rng.uniform() * 2.0 - 1.0) * 0.0016;
        }
        var = (omega + alpha * last_eps * last_eps + beta * var).min(9.0 * long_var);
        let sigma = var.sqrt();
        // A weak pull towards the start keeps centuries-long series plausible.
        let mu = drift - 0.0004 * (lp - start_lp);

        let mut gap = 0.25 * sigma * rng.normal();
        if rng.uniform() < 0.005 {
            gap += rng.sign() * (0.03 + 0.05 * rng.uniform());
        }
        let mut move_ = sigma * rng.normal();
        if rng.uniform() < 0.004 {
            move_ += rng.sign() * p.daily_vol * (3.0 + 2.0 * rng.uniform());
        }
        let open_lp = lp + gap;
        let close_lp = open_lp + mu + move_;
        last_eps = close_lp - lp - mu;

        let open = exp(open_lp);
        let close = exp(close_lp);
        let high = open.max(close) * exp(0.5 * sigma * rng.normal().abs());
        let low = open.min(close) * exp(-0.5 * sigma * rng.normal().abs());

        let surprise = (last_eps / p.daily_vol).abs().min(6.0);
        let mut burst = 1.0 + 0.3 * surprise * surprise;
        if rng.uniform() < 0.01 {
            burst *= 3.0 + 3.0 * rng.uniform();
        }
        let dollars = p.market_cap * p.turnover * burst * exp(0.3 * rng.normal());
        let volume = (dollars / close).round().max(0.0);

        let (open, close) = (round_price(open), round_price(close));
        let high = round_price(high).max(open).max(close);
        let low = round_price(low).min(open).min(close);
        cols.push(day * MS_PER_DAY, open, high, low, close, volume);
        lp = close_lp;
    }
    // Every bar is consistent by construction; an empty result would show up
    // in the tests, never as a panic in a demo.
    Bars::new(&symbol_name(index), cols).unwrap_or_default()
}

/// Per-symbol constants drawn from their own stream (so the universe and the
/// bars agree without generating each other).
struct Profile {
    sector: usize,
    industry: usize,
    market_cap: f64,
    start_log_price: f64,
    daily_vol: f64,
    turnover: f64,
}

impl Profile {
    fn new(seed: u64, index: usize) -> Profile {
        let mut r = Draws::new(seed, index, 0);
        let sector = (r.next() % SECTORS.len() as u64) as usize;
        let industry = (r.next() % 3) as usize;
        // Skewed towards small caps: 3e8..3e12 with most mass at the low end.
        let u = r.uniform();
        let market_cap = exp(LN_3E8 + u * u * (LN_3E12 - LN_3E8)).round();
        let start_log_price = LN_2 + r.uniform() * LN_1000;
        let daily_vol = 0.008 + 0.024 * r.uniform() * r.uniform();
        let turnover = 0.002 + 0.008 * r.uniform();
        Profile {
            sector,
            industry,
            market_cap,
            start_log_price,
            daily_vol,
            turnover,
        }
    }
}

const LN_2: f64 = std::f64::consts::LN_2;
const LN_1000: f64 = 6.907_755_278_982_137;
const LN_3E8: f64 = 19.519_293_032_620_475;
const LN_3E12: f64 = 28.729_633_404_596_658;

/// Portable random draws for one (seed, index, stream).
struct Draws(Pcg64);

impl Draws {
    fn new(seed: u64, index: usize, stream: u64) -> Draws {
        let a = splitmix(seed);
        let b = splitmix(a ^ splitmix(index as u64 ^ (stream << 56)));
        let state = (u128::from(a) << 64) | u128::from(b);
        let stream = (u128::from(index as u64) << 8) | u128::from(stream);
        Draws(Pcg64::new(state, stream))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1) from the top 53 bits.
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    fn sign(&mut self) -> f64 {
        if self.next() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }

    /// Approximately standard normal (Irwin–Hall: twelve uniforms minus 6),
    /// bounded at ±6; fat tails come from the volatility model and the jumps.
    fn normal(&mut self) -> f64 {
        let mut s = 0.0;
        for _ in 0..12 {
            s += self.uniform();
        }
        s - 6.0
    }
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `e^x` from basic operations only (identical on every IEEE-754 platform):
/// Cody–Waite reduction by ln 2 and a degree-14 Taylor polynomial, within a
/// few ulps of the true value. Clamped to ±700 (no overflow to infinity).
fn exp(x: f64) -> f64 {
    // fdlibm's split of ln 2: the high part has trailing zero bits, so k·HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-700.0, 700.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = x - k * LN2_HI - k * LN2_LO;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=14 {
        term = term * r / f64::from(i);
        sum += term;
    }
    // 2^k exactly, built from its bits (|k| ≤ 1010 keeps it a normal number).
    let scale = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    sum * scale
}

/// Cents at $1 and above, 0.0001 below; never below 0.0001.
fn round_price(p: f64) -> f64 {
    let r = if p >= 1.0 {
        (p * 100.0).round() / 100.0
    } else {
        (p * 10_000.0).round() / 10_000.0
    };
    r.max(0.0001)
}

/// `n` weekdays (Monday–Friday) ending at `last` (days since the epoch),
/// oldest first. 1970-01-01 was a Thursday.
fn weekdays_ending_at(last: i64, n: usize) -> Vec<i64> {
    let mut days = Vec::with_capacity(n);
    let mut d = last;
    while days.len() < n {
        if (d + 3).rem_euclid(7) < 5 {
            days.push(d);
        }
        d -= 1;
    }
    days.reverse();
    days
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_exp_matches_the_platform_within_a_few_ulps() {
        let mut x = -50.0;
        while x < 50.0 {
            let (ours, std) = (exp(x), x.exp());
            assert!(
                ((ours - std) / std).abs() < 1e-14,
                "exp({x}): {ours} vs {std}"
            );
            x += 0.0137;
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(1e9).is_finite() && exp(-1e9) > 0.0);
    }

    #[test]
    fn the_last_day_is_friday_2026_10_30() {
        assert_eq!(LAST_DAY, 20_756);
        assert_eq!(
            (LAST_DAY + 3).rem_euclid(7),
            4,
            "Friday is weekday 4 (Monday = 0)"
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn weekdays_skip_saturday_and_sunday() {
        let days = weekdays_ending_at(LAST_DAY, 10);
        assert_eq!(days.len(), 10);
        assert_eq!(*days.last().unwrap(), LAST_DAY);
        assert!(days.iter().all(|d| (d + 3).rem_euclid(7) < 5));
        assert_eq!(days[4] - days[5], -3, "Friday to Monday");
    }

    #[test]
    fn log_constants_are_what_they_say() {
        assert!((LN_1000 - 1000f64.ln()).abs() < 1e-15);
        assert!((LN_3E8 - 3e8f64.ln()).abs() < 1e-14);
        assert!((LN_3E12 - 3e12f64.ln()).abs() < 1e-14);
    }
}
