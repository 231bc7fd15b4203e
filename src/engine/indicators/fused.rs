//! `a·b + c` rounded once, as TA-Lib's fused multiply-add rounds it (ADOSC,
//! SAR): the CPU's own instruction where there is one (x86_64 with FMA, found
//! at run time, as the `ta-lib` oracle does), and exact plain `f64`
//! arithmetic everywhere else (wasm, which has no scalar FMA and where
//! `f64::mul_add` is a slow library call). Imports nothing.
//!
//! Kernels that round once are written against [`MulAdd`] and run through
//! [`run_fused`], the one place that picks the path. Both paths round
//! correctly, so the choice changes speed, never bits (tested below on random
//! and boundary triples, and per kernel on random bars).
//!
//! The emulation has two pieces:
//! - `fused_mul_add` is exact for every finite input whose intermediate
//!   products neither overflow (|a|, |b| < ~1e300) nor underflow (|a·b| above
//!   ~1e-290): Dekker's error-free product, Knuth's error-free sum, and
//!   Boldo & Melquiond's emulated FMA (IEEE Trans. Computers 57(4), 2008,
//!   "Emulation of FMA and correctly rounded sums: proved algorithms using
//!   rounding to odd"), whose middle sum is rounded to odd so the last
//!   rounding cannot be a double rounding. ~30 flops.
//! - `mul_add_small_product` is the fast path for a product much smaller than
//!   the addend (SAR's `sar + af·(ep − sar)`): the plain `fl(fl(a·b) + c)` is
//!   the fused result unless the exact sum lies within the product's own
//!   rounding error of a rounding boundary, which a cheap bound detects; only
//!   then (about |a·b| / |c| of the time) does it call the exact path. The
//!   bound is off the dependency chain, so a loop that feeds each result into
//!   the next step waits for three flops per step, not thirty.

/// How a kernel rounds `a·b + c` once. Implemented by [`Emulated`] (plain
/// arithmetic, every target) and, on x86_64, by the hardware instruction;
/// kernels take it as a type parameter so each path is its own monomorphic,
/// fully inlined loop.
pub(crate) trait MulAdd: Copy {
    /// A constant factor prepared for many `a·b + c` (an EMA's weight).
    type Factor: Copy;
    fn factor(self, a: f64) -> Self::Factor;
    /// `a·b + c` rounded once for the prepared `a`, any sizes.
    fn mul_add_factor(self, a: Self::Factor, b: f64, c: f64) -> f64;
    /// `a·b + c` rounded once, fastest when `|a·b|` is well below `|c|`.
    fn mul_add_small(self, a: f64, b: f64, c: f64) -> f64;
}

/// Exact emulation from plain `f64` operations (see the module doc).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Emulated;

impl MulAdd for Emulated {
    type Factor = FusedFactor;
    #[inline(always)]
    fn factor(self, a: f64) -> FusedFactor {
        FusedFactor::new(a)
    }
    #[inline(always)]
    fn mul_add_factor(self, a: FusedFactor, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn mul_add_small(self, a: f64, b: f64, c: f64) -> f64 {
        mul_add_small_product(a, b, c)
    }
}

/// The CPU's fused multiply-add. Only meaningful inside a function compiled
/// with the `fma` target feature (`run_fused`'s clone): elsewhere
/// `f64::mul_add` is a call to libm's `fma`.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
struct Hardware;

#[cfg(target_arch = "x86_64")]
impl MulAdd for Hardware {
    type Factor = f64;
    #[inline(always)]
    fn factor(self, a: f64) -> f64 {
        a
    }
    #[inline(always)]
    fn mul_add_factor(self, a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn mul_add_small(self, a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

/// A kernel body generic over how it rounds once; `run` must be
/// `#[inline(always)]` so that it is compiled into `run_fused`'s FMA clone.
pub(crate) trait FusedKernel {
    type Output;
    fn run<M: MulAdd>(self, rounding: M) -> Self::Output;
}

/// Runs `kernel` with the CPU's fused multiply-add when it has one (x86_64
/// with FMA, detected once and cached by std), else with the exact emulation;
/// the results are the same bits. ADOSC(3,10) ran at ~0.25× TA-Lib on the
/// emulation alone (`cargo bench --bench indicators`), whose own kernels
/// dispatch the same way.
#[inline(always)]
pub(crate) fn run_fused<K: FusedKernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: `run_hardware`'s only target feature is `fma` (with the
        // `avx` it implies), which the guard above has just found on this CPU.
        return unsafe { run_hardware(kernel) };
    }
    kernel.run(Emulated)
}

/// Whether `run_fused` takes the hardware path on this machine (the tests that
/// compare the two paths say when they could not).
#[cfg(test)]
pub(crate) fn hardware_path_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Random bars for the tests comparing the hardware and emulated paths:
/// `[high, low, close, volume]` of `n` bars, a random walk from `price` whose
/// high and low are up to `spread` away; with `cents`, prices rounded to cents
/// and volumes to hundreds (ties in the last bit are common), else full
/// precision; one bar in twenty with a zero range.
#[cfg(test)]
pub(crate) fn random_bars(
    rng: &mut impl rand::Rng,
    n: usize,
    mut price: f64,
    spread: f64,
    cents: bool,
) -> [Vec<f64>; 4] {
    let round = |x: f64| {
        if cents {
            (x * 100.0).round() / 100.0
        } else {
            x
        }
    };
    let mut bars: [Vec<f64>; 4] = Default::default();
    for _ in 0..n {
        price *= 1.0 + rng.random_range(-1.5 * spread..1.5 * spread);
        let hi = round(price * (1.0 + rng.random_range(0.0..spread)));
        let lo = if rng.random_range(0..20) == 0 {
            hi
        } else {
            round(price * (1.0 - rng.random_range(0.0..spread)))
        };
        bars[0].push(hi);
        bars[1].push(lo);
        bars[2].push(round(rng.random_range(lo..=hi)));
        bars[3].push(if cents {
            rng.random_range(1..100_000) as f64 * 100.0
        } else {
            rng.random_range(1e3..1e7)
        });
    }
    bars
}

/// Asserts that the two paths' outputs are the same bits, naming the first
/// bar that differs.
#[cfg(test)]
pub(crate) fn assert_same_bits(hardware: &[f64], emulated: &[f64], case: &str) {
    assert_eq!(hardware.len(), emulated.len(), "{case}");
    for (i, (h, e)) in hardware.iter().zip(emulated).enumerate() {
        assert_eq!(h.to_bits(), e.to_bits(), "{case} bar {i}: {h} vs {e}");
    }
}

/// `kernel` compiled for FMA (and the AVX it implies): `f64::mul_add` becomes
/// one `vfmadd`, and independent per-bar work may use 256-bit vectors. No
/// contraction of plain `a * b + c` happens (Rust never fuses on its own), so
/// every other operation keeps its bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn run_hardware<K: FusedKernel>(kernel: K) -> K::Output {
    kernel.run(Hardware)
}

/// 2^27 + 1: Veltkamp's constant splitting a double into two 26-bit halves.
const SPLIT: f64 = 134_217_729.0;

/// `(hi, lo)` with `x == hi + lo` exactly, each fitting 26 significant bits.
#[inline(always)]
fn split(x: f64) -> (f64, f64) {
    let t = SPLIT * x;
    let hi = t - (t - x);
    (hi, x - hi)
}

/// The exact error `a·b − p` of the rounded product `p = fl(a·b)` (Dekker).
#[inline(always)]
fn product_error(a: f64, b: f64, p: f64) -> f64 {
    let (a_hi, a_lo) = split(a);
    let (b_hi, b_lo) = split(b);
    ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
}

/// `(s, e)` with `s = fl(x + y)` and `x + y == s + e` exactly (Knuth's TwoSum,
/// no ordering of the operands needed).
#[inline(always)]
fn two_sum(x: f64, y: f64) -> (f64, f64) {
    let s = x + y;
    let v = s - x;
    (s, (x - (s - v)) + (y - v))
}

/// `x + y` rounded to odd: truncated towards zero, and the last bit set when
/// that dropped anything.
#[inline(always)]
fn add_round_to_odd(x: f64, y: f64) -> f64 {
    let (s, e) = two_sum(x, y);
    let bits = s.to_bits();
    if e == 0.0 || bits & 1 == 1 {
        return s;
    }
    // `s` is even and inexact: step one ulp towards the exact sum (up in
    // magnitude when `e` has `s`'s sign, down otherwise); both land on odd.
    if (e > 0.0) == (s > 0.0) {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

/// `a·b + c` rounded once (see the module doc for the range).
#[inline(always)]
pub(crate) fn fused_mul_add(a: f64, b: f64, c: f64) -> f64 {
    let p = a * b;
    let p_err = product_error(a, b, p);
    let (t, t_err) = two_sum(c, p);
    t + add_round_to_odd(t_err, p_err)
}

/// The exact path, kept out of line so the fast path's branch to it stays a
/// rarely taken jump rather than becoming a select that waits for the bound.
#[cold]
#[inline(never)]
fn fused_mul_add_cold(a: f64, b: f64, c: f64) -> f64 {
    let r = fused_mul_add(a, b, c);
    // Overflowing intermediates (not reachable from prices) give NaN there;
    // the plain result is the right infinity then.
    if r.is_finite() {
        r
    } else {
        a * b + c
    }
}

/// `a·b + c` rounded once, fast when `|a·b|` is well below `|c|` (exact
/// always; see the module doc).
///
/// Why the plain sum is usually right: with `p = fl(a·b)` and
/// `s = fl(p + c)`, the exact `a·b + c` is `s + t` where `t = (p + c − s) +
/// (a·b − p)`; `s` is the fused result whenever `|t|` is below half the gap
/// from `s` to its neighbours. `|p + c − s|` comes exact from TwoSum and
/// `|a·b − p| ≤ |p|·2⁻⁵³`, so a rounded bound below that half gap proves it
/// (rounding is monotonic and the half gap is a power of two). The half gap is
/// half an ulp of `s`, or a quarter when `s` is a power of two (the gap below
/// is finer); zero for a zero, subnormal or tiny `s` (below ~1e-292), which
/// always takes the exact path, as does a non-finite one.
#[inline(always)]
pub(crate) fn mul_add_small_product(a: f64, b: f64, c: f64) -> f64 {
    let p = a * b;
    let (s, sum_err) = two_sum(c, p);
    // |a·b − p| ≤ |p|·2⁻⁵³; the floor at the least subnormal keeps that true
    // where |p|·2⁻⁵³ itself would round down below the normal range.
    let product_bound = (p.abs() * (f64::EPSILON * 0.5)).max(f64::from_bits(1));
    let bound = sum_err.abs() + product_bound;
    if bound < half_gap(s) {
        s
    } else {
        fused_mul_add_cold(a, b, c)
    }
}

/// Half the gap from `s` to its nearer neighbour: half an ulp, a quarter
/// when `s` is a power of two (the gap below is finer), and 0 for a zero,
/// subnormal or tiny `s` (below ~1e-292), so the callers' strict `<` sends
/// those to the exact path; a non-finite `s` gives a bound that is NaN there.
#[inline(always)]
fn half_gap(s: f64) -> f64 {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    const MANT: u64 = 0x000f_ffff_ffff_ffff;
    let bits = s.to_bits();
    let exp = bits & EXP;
    // 2^(e−53) is half an ulp of s = m·2^e; a power of two halves it again.
    let shift = if bits & MANT == 0 { 54 << 52 } else { 53 << 52 };
    f64::from_bits(exp.saturating_sub(shift))
}

/// A constant factor `a` prepared for many `a·b + c` rounded once (an EMA's
/// weight): its Veltkamp halves are split once, and a power of two (EMA(3)'s
/// 0.5) multiplies exactly, so the plain sum is already the fused one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FusedFactor {
    a: f64,
    a_hi: f64,
    a_lo: f64,
    power_of_two: bool,
}

impl FusedFactor {
    pub fn new(a: f64) -> Self {
        let (a_hi, a_lo) = split(a);
        let normal = a.is_normal();
        Self {
            a,
            a_hi,
            a_lo,
            power_of_two: normal && a.to_bits() & 0x000f_ffff_ffff_ffff == 0,
        }
    }

    /// `a·b + c` rounded once, for `a·b` of any size against `c` (exact in
    /// `fused_mul_add`'s range; `b` and the product normal).
    ///
    /// The remainder `a·b + c − s` of the plain sum `s` is exact as TwoSum's
    /// error plus Dekker's product error; adding it to `s` rounds it first
    /// (to `t`), which can only matter when `s + t` lands within `t`'s own
    /// rounding error of a midpoint between two doubles (a possible double
    /// rounding). That test runs off the dependency chain of a recursion that
    /// feeds the result back in as `b`, and sends the rare such bar to the
    /// exact path; the chain itself is one multiply and nine adds, where the
    /// exact path's rounding to odd adds a TwoSum and bit work (ADOSC(3,10)
    /// 10.9 -> 7.6 ns/bar; TA-Lib's hardware FMA: 1.9). `b` is split by masking its low 27 bits (one
    /// instruction) instead of Veltkamp's three dependent flops: `b_hi` keeps
    /// 26 significant bits and `b_lo` at most 27, so with `a`'s 26/26-bit
    /// Veltkamp halves every partial product and Dekker's partial sums stay
    /// exact.
    #[inline(always)]
    pub fn mul_add(&self, b: f64, c: f64) -> f64 {
        let p = self.a * b;
        let (s, sum_err) = two_sum(c, p);
        if self.power_of_two {
            return s;
        }
        let b_hi = f64::from_bits(b.to_bits() & !((1u64 << 27) - 1));
        let b_lo = b - b_hi;
        let p_err =
            ((self.a_hi * b_hi - p) + self.a_hi * b_lo + self.a_lo * b_hi) + self.a_lo * b_lo;
        let (t, t_err) = two_sum(sum_err, p_err);
        let r = s + t;
        // How far `s + t` is from the midpoint on its side of `r` (half_gap is
        // the smaller half gap, so a power of two errs towards the exact path).
        let to_midpoint = half_gap(r) - two_sum(s, t).1.abs();
        // Written so that a NaN distance (overflow) also takes the exact path.
        let clear_of_midpoint = to_midpoint > 2.0 * t_err.abs();
        if t_err != 0.0 && !clear_of_midpoint {
            return fused_mul_add_cold(self.a, b, c);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_pcg::Pcg64;

    #[test]
    fn fused_mul_add_keeps_the_bits_a_plain_multiply_drops() {
        // (1 + 2^-30)·(1 - 2^-30) = 1 - 2^-60: a plain multiply rounds it to
        // 1, so adding -1 gives 0; rounding once keeps -2^-60.
        let e = 2f64.powi(-30);
        assert_eq!((1.0 + e) * (1.0 - e) + -1.0, 0.0);
        assert_eq!(fused_mul_add(1.0 + e, 1.0 - e, -1.0), -(2f64.powi(-60)));
        assert_eq!(
            mul_add_small_product(1.0 + e, 1.0 - e, -1.0),
            -(2f64.powi(-60))
        );
    }

    #[test]
    fn fused_mul_add_breaks_a_double_rounding_tie_like_the_hardware() {
        // a·b = 1 + 2^-53 + 2^-106 (just above the midpoint between 1 and
        // 1 + 2^-52) with c = 0 lands on 1 + 2^-52; a sum that rounds the
        // error terms to nearest first sees an exact tie and rounds to 1.
        let a = 1.0 + 2f64.powi(-53) * 2.0; // 1 + 2^-52
        let b = 1.0 - 2f64.powi(-53); // a·b = 1 + 2^-53 - 2^-105
        for c in [0.0, 2f64.powi(-80), -(2f64.powi(-80)), 3.0, -0.75] {
            assert_eq!(fused_mul_add(a, b, c), a.mul_add(b, c), "c = {c:e}");
            assert_eq!(mul_add_small_product(a, b, c), a.mul_add(b, c), "c = {c:e}");
        }
    }

    /// Inputs shaped like the kernels' (prices, factors, running sums) and
    /// like the hard cases (operands whose product needs exactly 106 bits,
    /// sums that cancel), against the library's fused multiply-add.
    #[test]
    fn both_paths_equal_a_hardware_fused_multiply_add_on_a_million_random_triples() {
        let mut rng = Pcg64::seed_from_u64(12);
        let mut slow_taken = 0u32;
        for k in 0..1_000_000u32 {
            let scale = |rng: &mut Pcg64| 2f64.powi(rng.random_range(-40..40));
            let (a, b, c) = match k % 4 {
                // SAR: a small factor, a price distance, a price.
                0 => {
                    let price = 100.0 * scale(&mut rng) * rng.random::<f64>();
                    let af = rng.random_range(0.0..0.2);
                    let ep = price * (1.0 + rng.random_range(-0.3..0.3));
                    (af, ep - price, price)
                }
                // ADOSC: an EMA weight, an EMA level, the weighted A/D value.
                1 => {
                    let level = 1e9 * rng.random_range(-1.0..1.0);
                    let keep = (rng.random_range(2..200) as f64 - 1.0) / 100.0;
                    (keep, level, level * rng.random_range(-0.5..0.5))
                }
                // Cancellation: c close to −a·b.
                2 => {
                    let a = rng.random::<f64>() * scale(&mut rng);
                    let b = rng.random::<f64>() * scale(&mut rng);
                    let c = -(a * b) * (1.0 + rng.random_range(-1e-12..1e-12));
                    (a, b, c)
                }
                // Short mantissas (integer-like data): ties are common.
                _ => {
                    let int = |rng: &mut Pcg64| rng.random_range(-(1i64 << 30)..1i64 << 30) as f64;
                    (
                        int(&mut rng) * 2f64.powi(-30),
                        int(&mut rng),
                        int(&mut rng) * 2f64.powi(-20),
                    )
                }
            };
            let want = a.mul_add(b, c);
            assert_eq!(
                fused_mul_add(a, b, c).to_bits(),
                want.to_bits(),
                "{a:e}·{b:e} + {c:e}"
            );
            let factor = FusedFactor::new(a).mul_add(b, c);
            assert_eq!(
                factor.to_bits(),
                want.to_bits(),
                "factor: {a:e}·{b:e} + {c:e}"
            );
            let fast = mul_add_small_product(a, b, c);
            assert_eq!(fast.to_bits(), want.to_bits(), "fast: {a:e}·{b:e} + {c:e}");
            if fast.to_bits() != (a * b + c).to_bits() {
                slow_taken += 1;
            }
        }
        // The fused result differs from the plain one often enough that the
        // comparison above tests something.
        assert!(
            slow_taken > 1000,
            "only {slow_taken} triples where rounding once matters"
        );
    }

    /// Every triple through both `MulAdd` methods, as a kernel would.
    struct Triples<'a>(&'a [(f64, f64, f64)]);

    impl FusedKernel for Triples<'_> {
        type Output = Vec<(u64, u64)>;
        #[inline(always)]
        fn run<M: MulAdd>(self, rounding: M) -> Self::Output {
            self.0
                .iter()
                .map(|&(a, b, c)| {
                    let factor = rounding.mul_add_factor(rounding.factor(a), b, c);
                    (factor.to_bits(), rounding.mul_add_small(a, b, c).to_bits())
                })
                .collect()
        }
    }

    #[test]
    fn the_dispatched_path_gives_the_emulations_bits_on_random_and_boundary_triples() {
        assert!(
            !cfg!(target_arch = "x86_64") || hardware_path_available(),
            "this x86_64 machine has no FMA: the hardware path went untested"
        );
        let mut rng = Pcg64::seed_from_u64(21);
        let e = 2f64.powi(-30);
        let mut triples = vec![
            (1.0 + e, 1.0 - e, -1.0),
            (1.0 + 2f64.powi(-52), 1.0 - 2f64.powi(-53), 0.0),
            (1.0 + 2f64.powi(-52), 1.0 - 2f64.powi(-53), -0.75),
            (0.5, 3.0, 1.0),
            (0.0, 5.0, -0.0),
        ];
        for _ in 0..200_000 {
            let a = rng.random::<f64>() * 2f64.powi(rng.random_range(-20..20));
            let b = rng.random_range(-1e6..1e6);
            let c = match rng.random_range(0..3) {
                0 => -(a * b) * (1.0 + rng.random_range(-1e-12..1e-12)),
                1 => rng.random_range(-1e9..1e9),
                _ => (rng.random_range(-(1i64 << 40)..1i64 << 40) as f64) * 2f64.powi(-20),
            };
            triples.push((a, b, c));
        }
        let dispatched = run_fused(Triples(&triples));
        let emulated = Triples(&triples).run(Emulated);
        for (k, (&(a, b, c), (got, want))) in triples
            .iter()
            .zip(dispatched.iter().zip(&emulated))
            .enumerate()
        {
            assert_eq!(got, want, "triple {k}: {a:e}·{b:e} + {c:e}");
            assert_eq!(want.0, a.mul_add(b, c).to_bits(), "triple {k}");
        }
    }
}
