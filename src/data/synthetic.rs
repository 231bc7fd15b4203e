//! A deterministic synthetic market of any size, for demos and benchmarks.
//! Everything here is synthetic: generated prices, volumes, sectors and market
//! caps that belong to no real company, always shown with [`SYNTHETIC_LABEL`].
//! Same seed, same bars, on every platform (native and wasm32). Owns no I/O.
//!
//! How it stays identical everywhere: each symbol draws from its own
//! xoshiro256++ stream seeded from `(seed, index)` only (no `thread_rng`, no
//! `getrandom`), uniforms are built from raw 64-bit draws, and the maths uses
//! only IEEE-754 basic operations (`+ − × ÷`, `sqrt`, round to an integer,
//! all correctly rounded), with a home-made `exp` instead of the platform's
//! `libm`.
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

mod pair;

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
///
/// Cost: 16 draws of 64 bits, 5 `exp`, one `sqrt` and 5 divisions a bar
/// ([`bars_pair`] makes two symbols at once, cheaper a bar in wasm).
/// `examples/synthetic_speed.rs` measured ~63 ns a bar natively per thread
/// (PCG64 with 68 draws and a 14-division `exp`: ~350), and the same code in
/// V8's wasm ~80–120 ns (PCG64: ~650–2,200, its 128-bit multiply is slow there).
pub fn bars(seed: u64, index: usize, n_bars: usize) -> Bars {
    if n_bars == 0 {
        return Bars::default();
    }
    let p = Profile::new(seed, index);
    let mut rng = Draws::new(seed, index, 1);
    let mut cols = Columns::with_capacity(n_bars);
    // The calendar walked forward from its first weekday: no division a bar
    // (`i64` remainders are slow in wasm), no vector of days per symbol.
    let mut day = weekdays_back(LAST_DAY, n_bars - 1);
    let mut weekday = weekday_of(day);

    let start_lp = p.start_log_price;
    let mut lp = start_lp; // log of the previous close
    let long_var = p.daily_vol * p.daily_vol;
    let per_daily_vol = 1.0 / p.daily_vol;
    let (alpha, beta) = (0.08, 0.90);
    let omega = long_var * (1.0 - alpha - beta);
    let mut var = long_var;
    let mut drift = rng.trend();
    let mut last_eps = 0.0;
    for _ in 0..n_bars {
        // The bar's four rare events, each from its own 16 bits.
        let events = Events(rng.next());
        if events.happens(0, REGIME_SWITCH) {
            drift = rng.trend();
        }
        var = (omega + alpha * last_eps * last_eps + beta * var).min(9.0 * long_var);
        let sigma = var.sqrt();
        // A weak pull towards the start keeps centuries-long series plausible.
        let mu = drift - 0.0004 * (lp - start_lp);

        let mut gap = 0.25 * sigma * rng.normal();
        if events.happens(1, GAP_JUMP) {
            gap += rng.sign() * (0.03 + 0.05 * rng.uniform());
        }
        let mut move_ = sigma * rng.normal();
        if events.happens(2, NEWS_JUMP) {
            move_ += rng.sign() * p.daily_vol * (3.0 + 2.0 * rng.uniform());
        }
        let open_lp = lp + gap;
        let close_lp = open_lp + mu + move_;
        last_eps = close_lp - lp - mu;

        let open = exp(open_lp);
        let close = exp(close_lp);
        let high = open.max(close) * exp(0.5 * sigma * rng.normal().abs());
        let low = open.min(close) * exp(-0.5 * sigma * rng.normal().abs());

        let surprise = (last_eps * per_daily_vol).abs().min(6.0);
        let mut burst = 1.0 + 0.3 * surprise * surprise;
        if events.happens(3, QUIET_BURST) {
            burst *= 3.0 + 3.0 * rng.uniform();
        }
        let dollars = p.market_cap * p.turnover * burst * exp(0.3 * rng.normal());
        let volume = (dollars / close).round_ties_even().max(0.0);

        let (open, close) = (round_price(open), round_price(close));
        let high = round_price(high).max(open).max(close);
        let low = round_price(low).min(open).min(close);
        cols.push(day * MS_PER_DAY, open, high, low, close, volume);
        lp = close_lp;
        (day, weekday) = if weekday == 4 {
            (day + 3, 0)
        } else {
            (day + 1, weekday + 1)
        };
    }
    // Every bar is consistent by construction; an empty result would show up
    // in the tests, never as a panic in a demo (the name is only for an
    // error's text, so none is formatted).
    Bars::new("synthetic", cols).unwrap_or_default()
}

/// Symbols `a` and `b`'s bars at once, bit for bit `(bars(seed, a, n_bars),
/// bars(seed, b, n_bars))`: the two series step together in the lanes of one
/// vector (simd128 in wasm, `[f64; 2]` elsewhere). In V8 (node, this module
/// compiled alone to wasm32 with `+simd128`, 2,000 symbols × 300 bars):
/// 44–49 ns a bar against 81–89 for `bars`, with the pinned fingerprint.
pub fn bars_pair(seed: u64, (a, b): (usize, usize), n_bars: usize) -> (Bars, Bars) {
    if n_bars == 0 {
        return (Bars::default(), Bars::default());
    }
    let first = weekdays_back(LAST_DAY, n_bars - 1);
    let (ca, cb) = pair::columns(seed, (a, b), n_bars, (first, weekday_of(first)));
    (
        Bars::new("synthetic", ca).unwrap_or_default(),
        Bars::new("synthetic", cb).unwrap_or_default(),
    )
}

/// Chances of a bar's rare events, in 65,536ths: a new trend regime about
/// every 120 bars, an overnight gap of 3–8% in 0.5% of bars, a news jump of
/// 3–5 daily volatilities in 0.4%, a volume burst on no news in 1%.
const REGIME_SWITCH: u64 = 546;
const GAP_JUMP: u64 = 328;
const NEWS_JUMP: u64 = 262;
const QUIET_BURST: u64 = 655;

/// One 64-bit draw read as four independent 16-bit uniforms, one per event
/// kind (one draw a bar instead of four).
struct Events(u64);

impl Events {
    /// Whether event `k` (0..4) happens, with chance `in_65536` / 65,536.
    fn happens(&self, k: u32, in_65536: u64) -> bool {
        (self.0 >> (16 * k)) & 0xFFFF < in_65536
    }
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
        let market_cap = exp(LN_3E8 + u * u * (LN_3E12 - LN_3E8)).round_ties_even();
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

/// Portable random draws for one (seed, index, stream): xoshiro256++
/// (Blackman and Vigna; 64-bit adds, xors, shifts and rotations only, which
/// wasm32 does natively, unlike PCG64's 128-bit multiply), its state filled
/// by SplitMix64 as its authors recommend.
struct Draws([u64; 4]);

impl Draws {
    fn new(seed: u64, index: usize, stream: u64) -> Draws {
        // Mixed once more after the xor: `splitmix(seed) ^ splitmix(key)`
        // would give (seed a, key b) and (seed b, key a) the same stream.
        let mut x = splitmix(splitmix(seed) ^ ((index as u64) << 8) ^ stream);
        let mut word = || {
            x = x.wrapping_add(GOLDEN_GAMMA);
            splitmix(x)
        };
        Draws([word(), word(), word(), word()])
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
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

    /// A trend regime's daily drift: about ±40% a year at most, either sign.
    fn trend(&mut self) -> f64 {
        (self.uniform() * 2.0 - 1.0) * 0.0016
    }

    /// Approximately standard normal (Irwin–Hall: twelve uniforms minus 6),
    /// bounded at ±6; fat tails come from the volatility model and the jumps.
    /// The twelve uniforms are the 16-bit lanes of three draws, each
    /// `(k + ½) / 65536`, so the sum is exact: mean exactly 0, variance
    /// 1 − 2⁻³², symmetric. The lanes are added in pairs inside 32-bit
    /// halves of a `u64` (at most 6 · 65535 each, no carry between halves).
    fn normal(&mut self) -> f64 {
        const LANES: u64 = 0x0000_FFFF_0000_FFFF;
        let (a, b, c) = (self.next(), self.next(), self.next());
        let pairs = (a & LANES)
            + ((a >> 16) & LANES)
            + (b & LANES)
            + ((b >> 16) & LANES)
            + (c & LANES)
            + ((c >> 16) & LANES);
        let sum = (pairs & 0xFFFF_FFFF) + (pairs >> 32);
        (sum as f64 + 6.0) * (1.0 / 65_536.0) - 6.0
    }
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (Steele, Lea and Flood).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `e^x` from basic operations only (identical on every IEEE-754 platform),
/// within a few ulps of the true value; clamped to ±700 (never infinite).
/// Table-driven: `x = (64k + j)·ln2/64 + r` with `|r| ≤ ln2/128` (Cody–Waite:
/// `n·LN2_HI/64` is exact), so `e^x = 2^k · 2^(j/64) · e^r`, with `2^(j/64)`
/// from [`EXP2_64THS`] and `e^r − 1` a degree-5 Taylor polynomial in Horner
/// form (truncation below 4·10⁻¹⁷). No division, no loop, no `libm`.
fn exp(x: f64) -> f64 {
    // fdlibm's split of ln 2: the high part has 21 trailing zero bits, so
    // n·HI/64 is exact for |n| < 2^21 (here |n| ≤ 64,640).
    const LN2_HI_64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000) / 64.0;
    const LN2_LO_64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76) / 64.0;
    const SIXTY_FOUR_OVER_LN2: f64 = 64.0 / LN_2;
    // Adding 1.5·2^52 rounds to an integer (to nearest, ties even).
    const ROUND: f64 = 6_755_399_441_055_744.0;
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-700.0, 700.0);
    let n = (x * SIXTY_FOUR_OVER_LN2 + ROUND) - ROUND;
    let r = x - n * LN2_HI_64 - n * LN2_LO_64;
    let p = r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let n = n as i64;
    let t = EXP2_64THS[(n & 63) as usize];
    // 2^k exactly, built from its bits (|k| ≤ 1010 keeps it a normal number).
    let scale = f64::from_bits((((n >> 6) + 1023) as u64) << 52);
    (t + t * p) * scale
}

/// `2^(j/64)` for `j` in 0..64, each correctly rounded (computed to 60 digits
/// with Python's `decimal`; the tests check them against the platform).
const EXP2_64THS: [f64; 64] = {
    const BITS: [u64; 64] = [
        0x3FF0_0000_0000_0000,
        0x3FF0_2C9A_3E77_8061,
        0x3FF0_59B0_D315_8574,
        0x3FF0_8745_1875_9BC8,
        0x3FF0_B558_6CF9_890F,
        0x3FF0_E3EC_32D3_D1A2,
        0x3FF1_1301_D012_5B51,
        0x3FF1_429A_AEA9_2DE0,
        0x3FF1_72B8_3C7D_517B,
        0x3FF1_A35B_EB6F_CB75,
        0x3FF1_D487_3168_B9AA,
        0x3FF2_063B_8862_8CD6,
        0x3FF2_387A_6E75_6238,
        0x3FF2_6B45_65E2_7CDD,
        0x3FF2_9E9D_F51F_DEE1,
        0x3FF2_D285_A6E4_030B,
        0x3FF3_06FE_0A31_B715,
        0x3FF3_3C08_B264_16FF,
        0x3FF3_71A7_373A_A9CB,
        0x3FF3_A7DB_34E5_9FF7,
        0x3FF3_DEA6_4C12_3422,
        0x3FF4_160A_21F7_2E2A,
        0x3FF4_4E08_6061_892D,
        0x3FF4_86A2_B5C1_3CD0,
        0x3FF4_BFDA_D536_2A27,
        0x3FF4_F9B2_769D_2CA7,
        0x3FF5_342B_569D_4F82,
        0x3FF5_6F47_36B5_27DA,
        0x3FF5_AB07_DD48_5429,
        0x3FF5_E76F_15AD_2148,
        0x3FF6_247E_B03A_5585,
        0x3FF6_6238_8255_2225,
        0x3FF6_A09E_667F_3BCD,
        0x3FF6_DFB2_3C65_1A2F,
        0x3FF7_1F75_E8EC_5F74,
        0x3FF7_5FEB_5642_67C9,
        0x3FF7_A114_73EB_0187,
        0x3FF7_E2F3_36CF_4E62,
        0x3FF8_2589_994C_CE13,
        0x3FF8_68D9_9B44_92ED,
        0x3FF8_ACE5_422A_A0DB,
        0x3FF8_F1AE_9915_7736,
        0x3FF9_3737_B0CD_C5E5,
        0x3FF9_7D82_9FDE_4E50,
        0x3FF9_C491_82A3_F090,
        0x3FFA_0C66_7B5D_E565,
        0x3FFA_5503_B23E_255D,
        0x3FFA_9E6B_5579_FDBF,
        0x3FFA_E89F_995A_D3AD,
        0x3FFB_33A2_B84F_15FB,
        0x3FFB_7F76_F2FB_5E47,
        0x3FFB_CC1E_904B_C1D2,
        0x3FFC_199B_DD85_529C,
        0x3FFC_67F1_2E57_D14B,
        0x3FFC_B720_DCEF_9069,
        0x3FFD_072D_4A07_897C,
        0x3FFD_5818_DCFB_A487,
        0x3FFD_A9E6_03DB_3285,
        0x3FFD_FC97_337B_9B5F,
        0x3FFE_502E_E78B_3FF6,
        0x3FFE_A4AF_A2A4_90DA,
        0x3FFE_FA1B_EE61_5A27,
        0x3FFF_5076_5B6E_4540,
        0x3FFF_A7C1_819E_90D8,
    ];
    let mut table = [0.0; 64];
    let mut j = 0;
    while j < 64 {
        table[j] = f64::from_bits(BITS[j]);
        j += 1;
    }
    table
};

/// Cents at $1 and above, 0.0001 below; never below 0.0001. Ties go to
/// even (`roundeven` is one instruction in wasm, `round` a library call).
fn round_price(p: f64) -> f64 {
    let r = if p >= 1.0 {
        (p * 100.0).round_ties_even() / 100.0
    } else {
        (p * 10_000.0).round_ties_even() / 10_000.0
    };
    r.max(0.0001)
}

/// The day of the week of `day` (days since the epoch), Monday = 0; 1970-01-01
/// was a Thursday.
fn weekday_of(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// The weekday `k` weekdays before the weekday `last` (`k = 0`: `last`).
fn weekdays_back(last: i64, k: usize) -> i64 {
    let (weeks, rest) = ((k / 5) as i64, (k % 5) as i64);
    let day = last - 7 * weeks - rest;
    // Stepping back past Monday crosses a weekend.
    if rest > weekday_of(last) {
        day - 2
    } else {
        day
    }
}

/// `n` weekdays (Monday–Friday) ending at `last` (days since the epoch),
/// oldest first: the plain definition the generator's calendar is tested
/// against.
#[cfg(test)]
fn weekdays_ending_at(last: i64, n: usize) -> Vec<i64> {
    let mut days = Vec::with_capacity(n);
    let mut d = last;
    while days.len() < n {
        if weekday_of(d) < 5 {
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
        let mut worst: f64 = 0.0;
        let mut x = -700.0;
        while x < 700.0 {
            let (ours, std) = (exp(x), x.exp());
            worst = worst.max(((ours - std) / std).abs());
            x += 0.001_37;
        }
        // Near zero (the high/low and volume factors) and across the table's
        // cells, where the reduction changes cell.
        for i in -20_000..20_000 {
            let x = f64::from(i) * 1.7e-5;
            worst = worst.max(((exp(x) - x.exp()) / x.exp()).abs());
        }
        assert!(worst < 5e-16, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(LN_2), 2.0);
        assert!(exp(1e9).is_finite() && exp(-1e9) > 0.0);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn the_exp2_table_is_correctly_rounded() {
        for (j, &t) in EXP2_64THS.iter().enumerate() {
            let want = (j as f64 / 64.0).exp2();
            let ulps = (t.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulps <= 1, "2^({j}/64): {t} vs {want}");
        }
        // The halfway entry is √2, whose correct rounding is well known.
        assert_eq!(EXP2_64THS[32], std::f64::consts::SQRT_2);
    }

    #[test]
    fn normals_have_mean_zero_unit_variance_and_no_skew() {
        let mut d = Draws::new(1, 2, 3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| d.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| x * x).sum::<f64>() / n as f64 - mean * mean;
        let skew = xs.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n as f64;
        let kurt = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        assert!(skew.abs() < 0.03, "skew {skew}");
        // Irwin–Hall(12): excess kurtosis −0.1, so 2.9.
        assert!((kurt - 2.9).abs() < 0.05, "kurtosis {kurt}");
        assert!(xs.iter().all(|x| x.abs() <= 6.0));
        // 1 in 370 beyond 3σ for a true normal; Irwin–Hall(12) has a bit less.
        let beyond = xs.iter().filter(|x| x.abs() > 3.0).count() as f64 / n as f64;
        assert!((0.0015..0.0032).contains(&beyond), "beyond 3: {beyond}");
    }

    #[test]
    fn rare_events_happen_at_their_rates_and_independently() {
        let mut d = Draws::new(4, 5, 1);
        let n = 1_000_000;
        let mut counts = [0usize; 4];
        let mut both = 0;
        for _ in 0..n {
            let e = Events(d.next());
            let hits: Vec<bool> = [REGIME_SWITCH, GAP_JUMP, NEWS_JUMP, QUIET_BURST]
                .iter()
                .zip(0..)
                .map(|(&p, k)| e.happens(k, p))
                .collect();
            for k in 0..4 {
                counts[k] += usize::from(hits[k]);
            }
            both += usize::from(hits[0] && hits[3]);
        }
        let rate = |k: usize| counts[k] as f64 / n as f64;
        for (k, want) in [1.0 / 120.0, 0.005, 0.004, 0.01].into_iter().enumerate() {
            assert!(
                (rate(k) / want - 1.0).abs() < 0.05,
                "event {k}: {} vs {want}",
                rate(k)
            );
        }
        let expected_both = rate(0) * rate(3) * n as f64;
        assert!(
            (both as f64 - expected_both).abs() < 5.0 * expected_both.sqrt() + 3.0,
            "{both} vs {expected_both}"
        );
    }

    #[test]
    fn streams_differ_even_when_seed_and_symbol_swap_values() {
        // The first seeding (`splitmix(seed) ^ splitmix(key)`) gave seed 1's
        // symbol 0 the stream of seed 0's symbol 0, stream 1.
        let first = |seed, index, stream| Draws::new(seed, index, stream).next();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            for index in 0..50 {
                for stream in 0..2 {
                    assert!(seen.insert(first(seed, index, stream)));
                }
            }
        }
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

    /// Every bit of every column.
    fn bits(b: Bars) -> Vec<u64> {
        let c = b.into_columns();
        let times = c.time.iter().map(|&t| t as u64);
        let values = [c.open, c.high, c.low, c.close, c.volume];
        times
            .chain(values.iter().flatten().map(|x| x.to_bits()))
            .collect()
    }

    #[test]
    fn a_pair_is_bit_for_bit_two_single_symbols() {
        for (seed, n) in [(7u64, 300usize), (2026, 1), (1, 2520), (99, 37)] {
            for i in (0..40).chain([4998, 4999, 123_456]) {
                let j = i ^ 1;
                let (a, b) = bars_pair(seed, (i, j), n);
                assert_eq!(
                    bits(a),
                    bits(bars(seed, i, n)),
                    "seed {seed}, symbol {i}, {n} bars"
                );
                assert_eq!(
                    bits(b),
                    bits(bars(seed, j, n)),
                    "seed {seed}, symbol {j}, {n} bars"
                );
            }
        }
        let (a, b) = bars_pair(3, (5, 5), 300);
        assert_eq!(a, b);
        assert_eq!(bars_pair(3, (0, 1), 0), (Bars::default(), Bars::default()));
    }

    #[test]
    fn weekdays_back_walks_the_plain_calendar() {
        // Every weekday as the last day, back across many weekends.
        for last in (LAST_DAY - 6..=LAST_DAY).filter(|&d| weekday_of(d) < 5) {
            let days = weekdays_ending_at(last, 40);
            for k in 0..40 {
                assert_eq!(weekdays_back(last, k), days[39 - k], "last {last}, k {k}");
            }
        }
    }

    #[test]
    fn log_constants_are_what_they_say() {
        assert!((LN_1000 - 1000f64.ln()).abs() < 1e-15);
        assert!((LN_3E8 - 3e8f64.ln()).abs() < 1e-14);
        assert!((LN_3E12 - 3e12f64.ln()).abs() < 1e-14);
    }
}
