//! Four bars at a time for the EMA family (EMA, DEMA, TEMA, MACD, ATR), the
//! running sums (SMA, SUM, WMA, LINEARREG: `prefix_sum`), CCI's windows and
//! the plain per-bar kernels (MOM, TRANGE): a vector type with the handful of
//! operations they need,
//! as AVX2 lanes on x86_64 CPUs that have them, two simd128 registers in wasm
//! (both wasm builds have `+simd128`), and the same arithmetic on `[f64; 4]`
//! everywhere else. Imports nothing outside `std`/`core::arch`. The simd128
//! form is checked against `[f64; 4]` in wasm by
//! `scripts/check-select-wasm.sh` (native tests cannot run it).
//!
//! Both implementations apply the same IEEE operation to each lane in the same
//! order (no reassociation), so which one runs changes speed, never bits: the
//! native CLI and the wasm page agree, and a test below runs both on random
//! series. One exception, `Lanes::mul_add`: the AVX2 lanes (which need FMA
//! as well) round it once, like TA-Lib's own native code, the others twice
//! (wasm has no deterministic fused multiply-add). `EmaStep::step` (MACD)
//! and KAMA's steps use it, where the operation count sets the pace; their
//! tests compare the AVX2 lanes with `PortableFused`, the `[f64; 4]` form
//! rounding once, and the twice-rounded form (wasm's) with the oracle.

/// What a four-bar EMA step is written against; `V` holds bars `t..t+4`.
pub(crate) trait Lanes: Copy {
    type V: Copy;
    /// Whether `V` is held in more than one register (simd128's pair): a
    /// kernel with many vectors live may then keep values that are the same
    /// in every lane as scalars (`ema::States`).
    const SPLIT: bool = false;
    fn load(self, x: &[f64; 4]) -> Self::V;
    fn store(self, v: Self::V, out: &mut [f64; 4]);
    fn splat(self, a: f64) -> Self::V;
    fn array(self, a: [f64; 4]) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a·b + c`: rounded once on the AVX2 lanes (FMA), twice elsewhere
    /// (see the module doc).
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `[0, v0, v1, v2]`.
    fn shift1(self, v: Self::V) -> Self::V;
    /// `[0, 0, v0, v1]`.
    fn shift2(self, v: Self::V) -> Self::V;
    /// `[f0, v0, f2, v2]`: each pair's first lane moved to its second,
    /// `fill`'s in the first (no lane crosses the two halves, which on AVX2
    /// are the cheap shuffles: a crossing permute cost ~2 cycles here).
    fn pair_shift(self, v: Self::V, fill: Self::V) -> Self::V;
    /// `[f0, f1, v1, v1]`: lane 1 into both upper lanes, `fill`'s below
    /// (one crossing permute).
    fn half_spread(self, v: Self::V, fill: Self::V) -> Self::V;
    /// `[v3, v3, v3, v3]`.
    fn splat_last(self, v: Self::V) -> Self::V;
    /// Lane by lane `a / b`.
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane by lane `|a|` (the sign bit cleared).
    fn abs(self, a: Self::V) -> Self::V;
    /// Lane by lane `if b > a { b } else { a }` (so `a` when either is NaN;
    /// `select::max`).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane by lane `if b < a { b } else { a }` (so `a` when either is NaN).
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane by lane `if a <= b { then } else { other }` (`other` when `a` or
    /// `b` is NaN).
    fn select_le(self, a: Self::V, b: Self::V, then: Self::V, other: Self::V) -> Self::V;
    /// Whether `a < b` in any lane (false for NaN lanes).
    fn any_lt(self, a: Self::V, b: Self::V) -> bool;
    /// Whether `a <= b` in any lane (false for NaN lanes).
    fn any_le(self, a: Self::V, b: Self::V) -> bool;
    /// `[a, b, c, d]` from four scalars held in registers (no round trip
    /// through memory, which a load right after four stores would stall on).
    fn gather(self, a: f64, b: f64, c: f64, d: f64) -> Self::V;
}

/// Inclusive prefix sum of the four lanes, `[v0, v0+v1, v0+v1+v2,
/// (v0+v1)+(v2+v3)]` (two shifted adds, so lanes 2 and 3 add pairs): with
/// the running total before them added to every lane, the totals after each
/// of four bars whose changes are `v`, at one add per four bars on the
/// total's own chain (`total + splat_last(prefix)` is lane 3's sum, bit for
/// bit).
#[inline(always)]
pub(crate) fn prefix_sum<L: Lanes>(lanes: L, v: L::V) -> L::V {
    let pairs = lanes.add(v, lanes.shift1(v));
    lanes.add(pairs, lanes.shift2(pairs))
}

/// `[f64; 4]`, lane by lane: every target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;

/// `Portable` with `mul_add` rounded once (`f64::mul_add`): what the AVX2
/// lanes compute, for the tests that compare them bit for bit.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct PortableFused;

/// The `[f64; 4]` lanes, with their multiply-add.
macro_rules! portable_lanes {
    ($lanes:ty, $mul_add:expr) => {
        impl Lanes for $lanes {
            type V = [f64; 4];
            #[inline(always)]
            fn load(self, x: &[f64; 4]) -> [f64; 4] {
                *x
            }
            #[inline(always)]
            fn store(self, v: [f64; 4], out: &mut [f64; 4]) {
                *out = v;
            }
            #[inline(always)]
            fn splat(self, a: f64) -> [f64; 4] {
                [a; 4]
            }
            #[inline(always)]
            fn array(self, a: [f64; 4]) -> [f64; 4] {
                a
            }
            #[inline(always)]
            fn add(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
            }
            #[inline(always)]
            fn sub(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
            }
            #[inline(always)]
            fn mul(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]]
            }
            #[inline(always)]
            fn mul_add(self, a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
                core::array::from_fn(|j| $mul_add(a[j], b[j], c[j]))
            }
            #[inline(always)]
            fn shift1(self, v: [f64; 4]) -> [f64; 4] {
                [0.0, v[0], v[1], v[2]]
            }
            #[inline(always)]
            fn shift2(self, v: [f64; 4]) -> [f64; 4] {
                [0.0, 0.0, v[0], v[1]]
            }
            #[inline(always)]
            fn pair_shift(self, v: [f64; 4], fill: [f64; 4]) -> [f64; 4] {
                [fill[0], v[0], fill[2], v[2]]
            }
            #[inline(always)]
            fn half_spread(self, v: [f64; 4], fill: [f64; 4]) -> [f64; 4] {
                [fill[0], fill[1], v[1], v[1]]
            }
            #[inline(always)]
            fn splat_last(self, v: [f64; 4]) -> [f64; 4] {
                [v[3]; 4]
            }
            #[inline(always)]
            fn div(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                [a[0] / b[0], a[1] / b[1], a[2] / b[2], a[3] / b[3]]
            }
            #[inline(always)]
            fn abs(self, a: [f64; 4]) -> [f64; 4] {
                a.map(f64::abs)
            }
            #[inline(always)]
            fn max(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                core::array::from_fn(|j| if b[j] > a[j] { b[j] } else { a[j] })
            }
            #[inline(always)]
            fn min(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
                core::array::from_fn(|j| if b[j] < a[j] { b[j] } else { a[j] })
            }
            #[inline(always)]
            fn select_le(
                self,
                a: [f64; 4],
                b: [f64; 4],
                then: [f64; 4],
                other: [f64; 4],
            ) -> [f64; 4] {
                core::array::from_fn(|j| if a[j] <= b[j] { then[j] } else { other[j] })
            }
            #[inline(always)]
            fn any_lt(self, a: [f64; 4], b: [f64; 4]) -> bool {
                (a[0] < b[0]) | (a[1] < b[1]) | (a[2] < b[2]) | (a[3] < b[3])
            }
            #[inline(always)]
            fn any_le(self, a: [f64; 4], b: [f64; 4]) -> bool {
                (a[0] <= b[0]) | (a[1] <= b[1]) | (a[2] <= b[2]) | (a[3] <= b[3])
            }
            #[inline(always)]
            fn gather(self, a: f64, b: f64, c: f64, d: f64) -> [f64; 4] {
                [a, b, c, d]
            }
        }
    };
}

portable_lanes!(Portable, |a: f64, b: f64, c: f64| a * b + c);
#[cfg(test)]
portable_lanes!(PortableFused, f64::mul_add);

/// AVX2 registers (and FMA's multiply-add). A value exists only inside
/// `run_avx2`, which runs after the CPU was found to have both: that is what
/// makes its intrinsics sound.
/// Its methods are inlined by force into the clone, where the intrinsics
/// (AVX functions themselves) inline in turn.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
struct Avx2(());

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Avx2, Lanes};
    use std::arch::x86_64::*;

    // SAFETY (every `unsafe` below): an `Avx2` is only made in `run_avx2`,
    // after `avx2_lanes` found AVX2 and FMA (`is_x86_feature_detected!`); the loads and stores go
    // through `&[f64; 4]`, so they stay in bounds (unaligned forms).
    impl Lanes for Avx2 {
        type V = __m256d;
        #[inline(always)]
        fn load(self, x: &[f64; 4]) -> __m256d {
            unsafe { _mm256_loadu_pd(x.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, v: __m256d, out: &mut [f64; 4]) {
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) }
        }
        #[inline(always)]
        fn splat(self, a: f64) -> __m256d {
            unsafe { _mm256_set1_pd(a) }
        }
        #[inline(always)]
        fn array(self, a: [f64; 4]) -> __m256d {
            unsafe { _mm256_loadu_pd(a.as_ptr()) }
        }
        #[inline(always)]
        fn add(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_add_pd(a, b) }
        }
        #[inline(always)]
        fn sub(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_sub_pd(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        fn mul_add(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        fn shift1(self, v: __m256d) -> __m256d {
            unsafe {
                let rotated = _mm256_permute4x64_pd::<0b10_01_00_11>(v);
                _mm256_blend_pd::<0b0001>(rotated, _mm256_setzero_pd())
            }
        }
        #[inline(always)]
        fn shift2(self, v: __m256d) -> __m256d {
            unsafe { _mm256_permute2f128_pd::<0x08>(v, v) }
        }
        #[inline(always)]
        fn pair_shift(self, v: __m256d, fill: __m256d) -> __m256d {
            // [v0, v0, v2, v2], then `fill` in lanes 0 and 2.
            unsafe { _mm256_blend_pd::<0b0101>(_mm256_movedup_pd(v), fill) }
        }
        #[inline(always)]
        fn half_spread(self, v: __m256d, fill: __m256d) -> __m256d {
            unsafe {
                // [v1, v1] in the low half, then the low half from `fill`'s
                // low half (2) and the high from that low half (0).
                let ones = _mm256_permute_pd::<0b0011>(v);
                _mm256_permute2f128_pd::<0x02>(ones, fill)
            }
        }
        #[inline(always)]
        fn splat_last(self, v: __m256d) -> __m256d {
            unsafe { _mm256_permute4x64_pd::<0b11_11_11_11>(v) }
        }
        #[inline(always)]
        fn div(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_div_pd(a, b) }
        }
        #[inline(always)]
        fn abs(self, a: __m256d) -> __m256d {
            unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), a) }
        }
        #[inline(always)]
        fn max(self, a: __m256d, b: __m256d) -> __m256d {
            // vmaxpd(x, y) is `x > y ? x : y`.
            unsafe { _mm256_max_pd(b, a) }
        }
        #[inline(always)]
        fn min(self, a: __m256d, b: __m256d) -> __m256d {
            // vminpd(x, y) is `x < y ? x : y`.
            unsafe { _mm256_min_pd(b, a) }
        }
        #[inline(always)]
        fn select_le(self, a: __m256d, b: __m256d, then: __m256d, other: __m256d) -> __m256d {
            unsafe { _mm256_blendv_pd(other, then, _mm256_cmp_pd::<_CMP_LE_OQ>(a, b)) }
        }
        #[inline(always)]
        fn any_lt(self, a: __m256d, b: __m256d) -> bool {
            unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(a, b)) != 0 }
        }
        #[inline(always)]
        fn any_le(self, a: __m256d, b: __m256d) -> bool {
            unsafe { _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(a, b)) != 0 }
        }
        #[inline(always)]
        fn gather(self, a: f64, b: f64, c: f64, d: f64) -> __m256d {
            unsafe { _mm256_set_pd(d, c, b, a) }
        }
    }
}

/// Two simd128 registers, lanes `0..2` and `2..4`: what both wasm builds
/// compile (they have `+simd128`; the intrinsics are then safe functions).
/// Without it V8 ran the `[f64; 4]` form as scalar code.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{Lanes, Simd128};
    use core::arch::wasm32::*;

    impl Lanes for Simd128 {
        /// `(lanes 0 and 1, lanes 2 and 3)`.
        type V = (v128, v128);
        const SPLIT: bool = true;
        #[inline(always)]
        fn load(self, x: &[f64; 4]) -> (v128, v128) {
            // Two vector loads: built from four scalars instead, LLVM left
            // the unaligned windows (bars `t−1..t+3`) as scalar loads and
            // inserts, and ADX(14) ran at 9.2–10.2 ns/bar in node against
            // 8.5–8.6 this way (MINUS_DI 6.5–7.1 against 6.1–6.2).
            // SAFETY: `x` is 32 readable bytes, both halves in bounds, and
            // `v128_load` reads with an alignment of 1.
            unsafe {
                let p = x.as_ptr().cast::<v128>();
                (v128_load(p), v128_load(p.add(1)))
            }
        }
        #[inline(always)]
        fn store(self, (lo, hi): (v128, v128), out: &mut [f64; 4]) {
            // SAFETY: `out` is 32 writable bytes, both halves in bounds, and
            // `v128_store` writes with an alignment of 1.
            unsafe {
                let p = out.as_mut_ptr().cast::<v128>();
                v128_store(p, lo);
                v128_store(p.add(1), hi);
            }
        }
        #[inline(always)]
        fn splat(self, a: f64) -> (v128, v128) {
            (f64x2_splat(a), f64x2_splat(a))
        }
        #[inline(always)]
        fn array(self, a: [f64; 4]) -> (v128, v128) {
            self.load(&a)
        }
        #[inline(always)]
        fn add(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            (f64x2_add(a.0, b.0), f64x2_add(a.1, b.1))
        }
        #[inline(always)]
        fn sub(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            (f64x2_sub(a.0, b.0), f64x2_sub(a.1, b.1))
        }
        #[inline(always)]
        fn mul(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            (f64x2_mul(a.0, b.0), f64x2_mul(a.1, b.1))
        }
        #[inline(always)]
        fn mul_add(self, a: (v128, v128), b: (v128, v128), c: (v128, v128)) -> (v128, v128) {
            self.add(self.mul(a, b), c)
        }
        #[inline(always)]
        fn shift1(self, (lo, hi): (v128, v128)) -> (v128, v128) {
            // [0, v0] and [v1, v2] (shuffle indices 2.. pick the second operand).
            let zero = f64x2_splat(0.0);
            (
                i64x2_shuffle::<2, 0>(lo, zero),
                i64x2_shuffle::<1, 2>(lo, hi),
            )
        }
        #[inline(always)]
        fn shift2(self, (lo, _): (v128, v128)) -> (v128, v128) {
            (f64x2_splat(0.0), lo)
        }
        #[inline(always)]
        fn pair_shift(self, (lo, hi): (v128, v128), (f_lo, f_hi): (v128, v128)) -> (v128, v128) {
            (
                i64x2_shuffle::<0, 2>(f_lo, lo),
                i64x2_shuffle::<0, 2>(f_hi, hi),
            )
        }
        #[inline(always)]
        fn half_spread(self, (lo, _): (v128, v128), (f_lo, _): (v128, v128)) -> (v128, v128) {
            (f_lo, i64x2_shuffle::<1, 1>(lo, lo))
        }
        #[inline(always)]
        fn splat_last(self, (_, hi): (v128, v128)) -> (v128, v128) {
            let last = i64x2_shuffle::<1, 1>(hi, hi);
            (last, last)
        }
        #[inline(always)]
        fn div(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            (f64x2_div(a.0, b.0), f64x2_div(a.1, b.1))
        }
        #[inline(always)]
        fn abs(self, a: (v128, v128)) -> (v128, v128) {
            (f64x2_abs(a.0), f64x2_abs(a.1))
        }
        #[inline(always)]
        fn max(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            // pmax(x, y) is `x < y ? y : x`.
            (f64x2_pmax(a.0, b.0), f64x2_pmax(a.1, b.1))
        }
        #[inline(always)]
        fn min(self, a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
            // pmin(x, y) is `y < x ? y : x`.
            (f64x2_pmin(a.0, b.0), f64x2_pmin(a.1, b.1))
        }
        #[inline(always)]
        fn select_le(
            self,
            a: (v128, v128),
            b: (v128, v128),
            then: (v128, v128),
            other: (v128, v128),
        ) -> (v128, v128) {
            (
                v128_bitselect(then.0, other.0, f64x2_le(a.0, b.0)),
                v128_bitselect(then.1, other.1, f64x2_le(a.1, b.1)),
            )
        }
        #[inline(always)]
        fn any_lt(self, a: (v128, v128), b: (v128, v128)) -> bool {
            v128_any_true(v128_or(f64x2_lt(a.0, b.0), f64x2_lt(a.1, b.1)))
        }
        #[inline(always)]
        fn any_le(self, a: (v128, v128), b: (v128, v128)) -> bool {
            v128_any_true(v128_or(f64x2_le(a.0, b.0), f64x2_le(a.1, b.1)))
        }
        #[inline(always)]
        fn gather(self, a: f64, b: f64, c: f64, d: f64) -> (v128, v128) {
            (f64x2(a, b), f64x2(c, d))
        }
    }
}

/// A kernel body written against `Lanes`; `run` must be `#[inline(always)]`
/// so that it is compiled into the AVX2 clone.
pub(crate) trait LanesKernel {
    type Output;
    fn run<L: Lanes>(self, lanes: L) -> Self::Output;
}

/// Runs `kernel` on AVX2 lanes when the CPU has them (and FMA), else on
/// `Portable`; the same bits either way but for `Lanes::mul_add` (see the
/// module doc).
#[inline(always)]
pub(crate) fn run_lanes<K: LanesKernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if avx2_lanes() {
        // SAFETY: `run_avx2`'s target features are `avx2` (with the `avx`
        // it implies) and `fma`, which `avx2_lanes` has found on this CPU.
        return unsafe { run_avx2(kernel) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return kernel.run(Simd128);
    #[allow(unreachable_code)]
    kernel.run(Portable)
}

/// `kernel` compiled for AVX2 and FMA, on its lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<K: LanesKernel>(kernel: K) -> K::Output {
    kernel.run(Avx2(()))
}

/// Whether `run_lanes` takes AVX2: the CPU has it (and FMA, which every AVX2
/// CPU from Intel and AMD has) and `TECHNIC_LANES` is not
/// `portable`. That setting is for measurements only: the `[f64; 4]` form is
/// compiled for baseline x86-64, whose SSE2 vectors are 128 bits at most, the
/// width of wasm's simd128, so a native run with it tells SIMD width apart
/// from the rest of the page's per-thread cost (`scripts/bench-browser.mjs`'
/// `wasm.per_thread_vs_native_128bit`).
/// Read once; the same bits either way.
#[cfg(target_arch = "x86_64")]
fn avx2_lanes() -> bool {
    static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVX2.get_or_init(|| {
        let portable = std::env::var_os("TECHNIC_LANES").is_some_and(|v| v == "portable");
        !portable
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
    })
}

/// Whether `run_lanes` takes the AVX2 path here (for the tests comparing the
/// two).
#[cfg(test)]
pub(crate) fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return avx2_lanes();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// One EMA `e = β·e + k·x` stepped four bars at a time: from the value `e`
/// before bar `t` and inputs `x[t..t+4]`, the values at `t..t+4` as
/// `e_j = w_j + β^(j+1)·e`, where `w` is the recursion started from 0,
/// `u_j = k·x_j`, `v_j = u_j + β·u_(j−1)`, `w_j = v_j + β²·v_(j−2)` (a
/// two-step prefix, missing terms 0). The values differ from the one-step
/// recursion by a few ulps (the oracle allows 1e-9).
/// One multiply and one add per four bars on the chain from `e` to the next
/// `e` (two adds and a permute with `step`'s `splat_last`), where TA-Lib's
/// fused multiply-add waits four times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmaStep<V> {
    k: V,
    beta: V,
    beta2: V,
    /// `[β, β², β³, β⁴]`.
    powers: V,
    /// `β⁴` in every lane.
    beta4: V,
    /// `[0, 0, β, β²]`: the lower pair's last value in the upper pair's.
    upper: V,
}

impl<V: Copy> EmaStep<V> {
    /// The step for weights `k` and `β` (TA-Lib's pair, `k + β == 1`).
    #[inline(always)]
    pub fn new<L: Lanes<V = V>>(lanes: L, k: f64, beta: f64) -> Self {
        let b2 = beta * beta;
        Self {
            k: lanes.splat(k),
            beta: lanes.splat(beta),
            beta2: lanes.splat(b2),
            powers: lanes.array([beta, b2, b2 * beta, b2 * b2]),
            beta4: lanes.splat(b2 * b2),
            upper: lanes.array([0.0, 0.0, beta, b2]),
        }
    }

    /// The four values after `x`, given `before` = the value before them in
    /// every lane (the caller moves it on: `splat_last` of the values).
    /// For several chains in one step (MACD's three), which are
    /// throughput-bound: its three multiply-adds are `Lanes::mul_add`, one
    /// operation each on the AVX2 lanes, 7 instead of 10 on each chain.
    /// MACD(12,26,9) went from 0.92–0.95× TA-Lib to 1.46–1.57× in the same
    /// runs (`BENCH_SYMBOLS=8 BENCH_FILTER=MACD cargo bench --bench
    /// indicators`). `step_short` keeps two roundings: its chain, not its
    /// operation count, sets its pace.
    #[inline(always)]
    pub fn step<L: Lanes<V = V>>(&self, lanes: L, x: V, before: V) -> V {
        let zero = lanes.splat(0.0);
        let u = lanes.mul(self.k, x);
        let v = lanes.mul_add(self.beta, lanes.pair_shift(u, zero), u);
        let w = lanes.mul_add(self.upper, lanes.half_spread(v, zero), v);
        lanes.mul_add(self.powers, before, w)
    }

    /// `step` for a single chain, which is latency-bound: `before` is moved
    /// on as `w_3 + β⁴·e` from `w_3` in every lane, the same two operations
    /// as the values' last lane (the same bits), so no lane permute waits on
    /// the chain. EMA(30) went from 0.76 to 0.53 ns/bar on an AMD EPYC
    /// (TA-Lib 1.2). Several chains in one step are throughput-bound instead,
    /// and the two extra operations cost them (TEMA(30) 1.92 → 2.37 ns/bar).
    #[inline(always)]
    pub fn step_short<L: Lanes<V = V>>(&self, lanes: L, x: V, before: &mut V) -> V {
        self.values_and_move_on(lanes, self.shifted(lanes, x), before)
    }

    /// The values from `w` (the step's recursion started from 0) and
    /// `before`, which is moved on as `w_3 + β⁴·e` (`step_short`).
    #[inline(always)]
    fn values_and_move_on<L: Lanes<V = V>>(&self, lanes: L, w: V, before: &mut V) -> V {
        let e = *before;
        *before = lanes.add(lanes.splat_last(w), lanes.mul(self.beta4, e));
        lanes.add(w, lanes.mul(self.powers, e))
    }

    /// `w` from inputs in a register: two shifted adds.
    #[inline(always)]
    fn shifted<L: Lanes<V = V>>(&self, lanes: L, x: V) -> V {
        let u = lanes.mul(self.k, x);
        let v = lanes.add(u, lanes.mul(self.beta, lanes.shift1(u)));
        lanes.add(v, lanes.mul(self.beta2, lanes.shift2(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation added for the running sums, CCI, TRANGE and KAMA, on
    /// random values and the awkward ones (±0, NaN, ∞, subnormals).
    struct Ops<'a> {
        rows: &'a [[[f64; 4]; 3]],
        out: &'a mut Vec<u64>,
    }

    impl LanesKernel for Ops<'_> {
        type Output = ();
        #[inline(always)]
        fn run<L: Lanes>(self, l: L) {
            for [a, b, c] in self.rows {
                let (x, y, z) = (l.load(a), l.load(b), l.load(c));
                let mut v = [[0.0; 4]; 9];
                l.store(l.gather(a[3], b[2], c[1], a[0]), &mut v[5]);
                l.store(l.div(x, y), &mut v[0]);
                l.store(l.abs(x), &mut v[1]);
                l.store(l.max(x, y), &mut v[2]);
                l.store(l.select_le(x, y, z, x), &mut v[3]);
                l.store(prefix_sum(l, x), &mut v[4]);
                l.store(l.min(x, y), &mut v[6]);
                l.store(l.pair_shift(x, z), &mut v[7]);
                l.store(l.half_spread(y, z), &mut v[8]);
                // NaN payloads may differ; every other bit must not.
                let bits = v
                    .iter()
                    .flatten()
                    .map(|f| if f.is_nan() { 1 } else { f.to_bits() });
                self.out.extend(bits);
                self.out
                    .push(l.any_lt(x, y) as u64 | (l.any_le(y, z) as u64) << 1);
            }
        }
    }

    #[test]
    fn the_added_operations_give_the_same_bits_on_avx2_and_portable() {
        use rand::{Rng, SeedableRng};
        use rand_pcg::Pcg64;
        let mut rng = Pcg64::seed_from_u64(12);
        let specials = [0.0, -0.0, f64::NAN, f64::INFINITY, -1.0, 1.0, 1e-310, 3.0];
        let rows: Vec<[[f64; 4]; 3]> = (0..5000)
            .map(|_| {
                core::array::from_fn(|_| {
                    core::array::from_fn(|_| {
                        if rng.random_range(0..5) == 0 {
                            specials[rng.random_range(0..specials.len())]
                        } else {
                            rng.random_range(-100.0..100.0)
                        }
                    })
                })
            })
            .collect();
        let (mut dispatched, mut portable) = (Vec::new(), Vec::new());
        run_lanes(Ops {
            rows: &rows,
            out: &mut dispatched,
        });
        Ops {
            rows: &rows,
            out: &mut portable,
        }
        .run(Portable);
        assert_eq!(dispatched, portable);
        assert_eq!(
            prefix_sum(Portable, [1.0, 2.0, 4.0, 8.0]),
            [1.0, 3.0, 7.0, 15.0]
        );
    }
}
