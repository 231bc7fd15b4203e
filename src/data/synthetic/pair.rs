//! Two symbols of the synthetic market at once, one per lane of a 2-lane
//! vector: simd128 registers in wasm (both wasm builds have `+simd128`), the
//! same operations on `[f64; 2]` / `[u64; 2]` everywhere else. The loop below
//! is [`super::bars`]'s, written with the same operators in the same order
//! (Rust's precedence and left-to-right grouping, no fused multiply-add), so
//! each lane applies exactly the IEEE operations of one call of `bars`;
//! integers become floats through exact bit tricks. A pair's bars are bit for
//! bit those of two calls of `bars` (tested natively on the portable form; the
//! simd128 form has the same lane semantics for the finite operands here:
//! `pmax`/`pmin` differ from `f64::max`/`min` only on NaN and signed zeros).
//!
//! Rare events (a new trend, a gap, news, a volume burst) draw extra numbers
//! from one symbol's stream only: both lanes step, and the lane without the
//! event keeps its state (a masked step) and its value (a select).

use std::ops::{Add, BitAnd, BitOr, BitXor, Div, Mul, Sub};

use super::{Draws, Profile, EXP2_64THS, MS_PER_DAY};
use super::{GAP_JUMP, NEWS_JUMP, QUIET_BURST, REGIME_SWITCH};
use crate::engine::bars::Columns;

use v::{F2, U2};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod v {
    use core::arch::wasm32::*;

    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub struct F2(pub v128);
    /// Two `u64` lanes (also a lane mask: all ones or all zeros).
    #[derive(Clone, Copy)]
    pub struct U2(pub v128);

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> F2 {
            F2(f64x2(a, b))
        }
        #[inline(always)]
        pub fn splat(a: f64) -> F2 {
            F2(f64x2_splat(a))
        }
        #[inline(always)]
        pub fn lanes(self) -> [f64; 2] {
            [
                f64x2_extract_lane::<0>(self.0),
                f64x2_extract_lane::<1>(self.0),
            ]
        }
        #[inline(always)]
        pub fn plus(self, b: F2) -> F2 {
            F2(f64x2_add(self.0, b.0))
        }
        #[inline(always)]
        pub fn minus(self, b: F2) -> F2 {
            F2(f64x2_sub(self.0, b.0))
        }
        #[inline(always)]
        pub fn times(self, b: F2) -> F2 {
            F2(f64x2_mul(self.0, b.0))
        }
        #[inline(always)]
        pub fn over(self, b: F2) -> F2 {
            F2(f64x2_div(self.0, b.0))
        }
        #[inline(always)]
        pub fn sqrt(self) -> F2 {
            F2(f64x2_sqrt(self.0))
        }
        #[inline(always)]
        pub fn abs(self) -> F2 {
            F2(f64x2_abs(self.0))
        }
        #[inline(always)]
        pub fn round_ties_even(self) -> F2 {
            F2(f64x2_nearest(self.0))
        }
        /// `b` where `self < b`, else `self` (simd128's `pmax`).
        #[inline(always)]
        pub fn max(self, b: F2) -> F2 {
            F2(f64x2_pmax(self.0, b.0))
        }
        /// `b` where `b < self`, else `self` (simd128's `pmin`).
        #[inline(always)]
        pub fn min(self, b: F2) -> F2 {
            F2(f64x2_pmin(self.0, b.0))
        }
        /// Lanes where `self >= b`.
        #[inline(always)]
        pub fn ge(self, b: F2) -> U2 {
            U2(f64x2_ge(self.0, b.0))
        }
        #[inline(always)]
        pub fn to_bits(self) -> U2 {
            U2(self.0)
        }
    }

    impl U2 {
        #[inline(always)]
        pub fn new(a: u64, b: u64) -> U2 {
            U2(u64x2(a, b))
        }
        #[inline(always)]
        pub fn splat(a: u64) -> U2 {
            U2(u64x2_splat(a))
        }
        #[inline(always)]
        pub fn lanes(self) -> [u64; 2] {
            [
                u64x2_extract_lane::<0>(self.0),
                u64x2_extract_lane::<1>(self.0),
            ]
        }
        /// Wrapping addition lane by lane.
        #[inline(always)]
        pub fn plus(self, b: U2) -> U2 {
            U2(i64x2_add(self.0, b.0))
        }
        #[inline(always)]
        pub fn minus(self, b: U2) -> U2 {
            U2(i64x2_sub(self.0, b.0))
        }
        #[inline(always)]
        pub fn and(self, b: U2) -> U2 {
            U2(v128_and(self.0, b.0))
        }
        #[inline(always)]
        pub fn or(self, b: U2) -> U2 {
            U2(v128_or(self.0, b.0))
        }
        #[inline(always)]
        pub fn xor(self, b: U2) -> U2 {
            U2(v128_xor(self.0, b.0))
        }
        #[inline(always)]
        pub fn shl_by(self, k: u32) -> U2 {
            U2(i64x2_shl(self.0, k))
        }
        #[inline(always)]
        pub fn shr_by(self, k: u32) -> U2 {
            U2(u64x2_shr(self.0, k))
        }
        /// Arithmetic shift right (the lanes as `i64`).
        #[inline(always)]
        pub fn shr_signed(self, k: u32) -> U2 {
            U2(i64x2_shr(self.0, k))
        }
        /// Lanes where `self < b`, both below 2^63.
        #[inline(always)]
        pub fn lt(self, b: U2) -> U2 {
            U2(i64x2_lt(self.0, b.0))
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            v128_any_true(self.0)
        }
        /// `a` where the mask is set, else `b`.
        #[inline(always)]
        pub fn select_u(self, a: U2, b: U2) -> U2 {
            U2(v128_bitselect(a.0, b.0, self.0))
        }
        #[inline(always)]
        pub fn select_f(self, a: F2, b: F2) -> F2 {
            F2(v128_bitselect(a.0, b.0, self.0))
        }
        #[inline(always)]
        pub fn as_f64s(self) -> F2 {
            F2(self.0)
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod v {
    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub struct F2([f64; 2]);
    /// Two `u64` lanes (also a lane mask: all ones or all zeros).
    #[derive(Clone, Copy)]
    pub struct U2([u64; 2]);

    #[inline(always)]
    fn f(a: F2, b: F2, op: impl Fn(f64, f64) -> f64) -> F2 {
        F2([op(a.0[0], b.0[0]), op(a.0[1], b.0[1])])
    }

    #[inline(always)]
    fn u(a: U2, b: U2, op: impl Fn(u64, u64) -> u64) -> U2 {
        U2([op(a.0[0], b.0[0]), op(a.0[1], b.0[1])])
    }

    #[inline(always)]
    fn mask(x: bool) -> u64 {
        if x {
            u64::MAX
        } else {
            0
        }
    }

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> F2 {
            F2([a, b])
        }
        #[inline(always)]
        pub fn splat(a: f64) -> F2 {
            F2([a, a])
        }
        #[inline(always)]
        pub fn lanes(self) -> [f64; 2] {
            self.0
        }
        #[inline(always)]
        pub fn plus(self, b: F2) -> F2 {
            f(self, b, |x, y| x + y)
        }
        #[inline(always)]
        pub fn minus(self, b: F2) -> F2 {
            f(self, b, |x, y| x - y)
        }
        #[inline(always)]
        pub fn times(self, b: F2) -> F2 {
            f(self, b, |x, y| x * y)
        }
        #[inline(always)]
        pub fn over(self, b: F2) -> F2 {
            f(self, b, |x, y| x / y)
        }
        #[inline(always)]
        pub fn sqrt(self) -> F2 {
            F2(self.0.map(f64::sqrt))
        }
        #[inline(always)]
        pub fn abs(self) -> F2 {
            F2(self.0.map(f64::abs))
        }
        #[inline(always)]
        pub fn round_ties_even(self) -> F2 {
            F2(self.0.map(f64::round_ties_even))
        }
        /// simd128's `pmax`: `b` where `self < b`, else `self`.
        #[inline(always)]
        pub fn max(self, b: F2) -> F2 {
            f(self, b, |x, y| if x < y { y } else { x })
        }
        /// simd128's `pmin`: `b` where `b < self`, else `self`.
        #[inline(always)]
        pub fn min(self, b: F2) -> F2 {
            f(self, b, |x, y| if y < x { y } else { x })
        }
        #[inline(always)]
        pub fn ge(self, b: F2) -> U2 {
            U2([mask(self.0[0] >= b.0[0]), mask(self.0[1] >= b.0[1])])
        }
        #[inline(always)]
        pub fn to_bits(self) -> U2 {
            U2(self.0.map(f64::to_bits))
        }
    }

    impl U2 {
        #[inline(always)]
        pub fn new(a: u64, b: u64) -> U2 {
            U2([a, b])
        }
        #[inline(always)]
        pub fn splat(a: u64) -> U2 {
            U2([a, a])
        }
        #[inline(always)]
        pub fn lanes(self) -> [u64; 2] {
            self.0
        }
        #[inline(always)]
        pub fn plus(self, b: U2) -> U2 {
            u(self, b, u64::wrapping_add)
        }
        #[inline(always)]
        pub fn minus(self, b: U2) -> U2 {
            u(self, b, u64::wrapping_sub)
        }
        #[inline(always)]
        pub fn and(self, b: U2) -> U2 {
            u(self, b, |x, y| x & y)
        }
        #[inline(always)]
        pub fn or(self, b: U2) -> U2 {
            u(self, b, |x, y| x | y)
        }
        #[inline(always)]
        pub fn xor(self, b: U2) -> U2 {
            u(self, b, |x, y| x ^ y)
        }
        #[inline(always)]
        pub fn shl_by(self, k: u32) -> U2 {
            U2(self.0.map(|x| x << k))
        }
        #[inline(always)]
        pub fn shr_by(self, k: u32) -> U2 {
            U2(self.0.map(|x| x >> k))
        }
        #[inline(always)]
        pub fn shr_signed(self, k: u32) -> U2 {
            U2(self.0.map(|x| ((x as i64) >> k) as u64))
        }
        #[inline(always)]
        pub fn lt(self, b: U2) -> U2 {
            U2([mask(self.0[0] < b.0[0]), mask(self.0[1] < b.0[1])])
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            self.0[0] | self.0[1] != 0
        }
        /// `a` where the mask is set, else `b`.
        #[inline(always)]
        pub fn select_u(self, a: U2, b: U2) -> U2 {
            U2([
                (a.0[0] & self.0[0]) | (b.0[0] & !self.0[0]),
                (a.0[1] & self.0[1]) | (b.0[1] & !self.0[1]),
            ])
        }
        #[inline(always)]
        pub fn select_f(self, a: F2, b: F2) -> F2 {
            self.select_u(a.to_bits(), b.to_bits()).as_f64s()
        }
        #[inline(always)]
        pub fn as_f64s(self) -> F2 {
            F2(self.0.map(f64::from_bits))
        }
    }
}

/// `F2 op F2`, `F2 op f64` and `f64 op F2` (a scalar is splatted), so the
/// loop reads as the scalar one.
macro_rules! float_ops {
    ($($trait:ident $method:ident $lanes:ident),*) => {$(
        impl $trait for F2 {
            type Output = F2;
            #[inline(always)]
            fn $method(self, b: F2) -> F2 {
                self.$lanes(b)
            }
        }
        impl $trait<f64> for F2 {
            type Output = F2;
            #[inline(always)]
            fn $method(self, b: f64) -> F2 {
                self.$lanes(F2::splat(b))
            }
        }
        impl $trait<F2> for f64 {
            type Output = F2;
            #[inline(always)]
            fn $method(self, b: F2) -> F2 {
                F2::splat(self).$lanes(b)
            }
        }
    )*};
}
float_ops!(Add add plus, Sub sub minus, Mul mul times, Div div over);

/// Wrapping `+`/`-` and the bitwise operators on `U2`, and with a `u64`.
macro_rules! int_ops {
    ($($trait:ident $method:ident $lanes:ident),*) => {$(
        impl $trait for U2 {
            type Output = U2;
            #[inline(always)]
            fn $method(self, b: U2) -> U2 {
                self.$lanes(b)
            }
        }
        impl $trait<u64> for U2 {
            type Output = U2;
            #[inline(always)]
            fn $method(self, b: u64) -> U2 {
                self.$lanes(U2::splat(b))
            }
        }
    )*};
}
int_ops!(Add add plus, Sub sub minus, BitAnd bitand and, BitOr bitor or, BitXor bitxor xor);

/// `2^52` as bits: OR-ing an integer below 2^52 into its mantissa and
/// subtracting 2^52 converts it to `f64` exactly.
const TWO_52_BITS: u64 = 0x4330_0000_0000_0000;
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// Integers below 2^52, lane by lane, to `f64` (exact).
#[inline(always)]
fn small_to_f64(x: U2) -> F2 {
    (x | TWO_52_BITS).as_f64s() - TWO_52
}

/// Two xoshiro256++ streams ([`Draws`]), one per lane.
struct Draws2([U2; 4]);

impl Draws2 {
    fn new(a: &Draws, b: &Draws) -> Draws2 {
        Draws2(std::array::from_fn(|k| U2::new(a.0[k], b.0[k])))
    }

    #[inline(always)]
    fn rotl(x: U2, k: u32) -> U2 {
        x.shl_by(k) | x.shr_by(64 - k)
    }

    /// One draw on each lane ([`Draws::next`]).
    #[inline(always)]
    fn next(&mut self) -> U2 {
        let [s0, s1, s2, s3] = self.0;
        let out = Self::rotl(s0 + s3, 23) + s0;
        let t = s1.shl_by(17);
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = Self::rotl(s3, 45);
        self.0 = [s0, s1, s2, s3];
        out
    }

    /// A draw whose stream steps only on the lanes of `mask` (the other
    /// lane's value is to be ignored).
    #[inline(always)]
    fn next_masked(&mut self, mask: U2) -> U2 {
        let old = self.0;
        let out = self.next();
        for (s, o) in self.0.iter_mut().zip(old) {
            *s = mask.select_u(*s, o);
        }
        out
    }

    /// [`Draws::uniform`] of a draw: its top 53 bits, converted exactly in
    /// two halves, times 2^-53.
    #[inline(always)]
    fn uniform_of(x: U2) -> F2 {
        let top = x.shr_by(11);
        let (hi, lo) = (
            small_to_f64(top.shr_by(32)),
            small_to_f64(top & 0xFFFF_FFFF),
        );
        (hi * 4_294_967_296.0 + lo) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// [`Draws::sign`] of a draw: ±1 from its top bit.
    #[inline(always)]
    fn sign_of(x: U2) -> F2 {
        (x.shr_by(63).shl_by(63) | 1f64.to_bits()).as_f64s()
    }

    /// [`Draws::trend`] of a draw.
    #[inline(always)]
    fn trend_of(x: U2) -> F2 {
        (Self::uniform_of(x) * 2.0 - 1.0) * 0.0016
    }

    /// [`Draws::normal`] on both lanes.
    #[inline(always)]
    fn normal(&mut self) -> F2 {
        const LANES: u64 = 0x0000_FFFF_0000_FFFF;
        let (a, b, c) = (self.next(), self.next(), self.next());
        let pairs = (a & LANES)
            + (a.shr_by(16) & LANES)
            + (b & LANES)
            + (b.shr_by(16) & LANES)
            + (c & LANES)
            + (c.shr_by(16) & LANES);
        let sum = (pairs & 0xFFFF_FFFF) + pairs.shr_by(32);
        (small_to_f64(sum) + 6.0) * (1.0 / 65_536.0) - 6.0
    }
}

/// [`super::exp`] on both lanes, for finite `x` (never NaN here). The
/// rounded `n` is read from the low bits of `x·64/ln2 + 1.5·2^52` (whose
/// binade has a spacing of 1) rather than converted.
#[inline(always)]
fn exp(x: F2) -> F2 {
    const LN2_HI_64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000) / 64.0;
    const LN2_LO_64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76) / 64.0;
    const SIXTY_FOUR_OVER_LN2: f64 = 64.0 / std::f64::consts::LN_2;
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let x = x.max(F2::splat(-700.0)).min(F2::splat(700.0));
    let shifted = x * SIXTY_FOUR_OVER_LN2 + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI_64 - n * LN2_LO_64;
    let p = r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let n = shifted.to_bits() - ROUND.to_bits();
    let [j0, j1] = (n & 63).lanes();
    let t = F2::new(EXP2_64THS[j0 as usize], EXP2_64THS[j1 as usize]);
    let scale = (n.shr_signed(6) + 1023).shl_by(52).as_f64s();
    (t + t * p) * scale
}

/// [`super::round_price`] on both lanes (both roundings, then a select).
#[inline(always)]
fn round_price(p: F2) -> F2 {
    let cents = (p * 100.0).round_ties_even() / 100.0;
    let fine = (p * 10_000.0).round_ties_even() / 10_000.0;
    p.ge(F2::splat(1.0))
        .select_f(cents, fine)
        .max(F2::splat(0.0001))
}

/// Whether event `k` happens on each lane ([`super::Events::happens`]).
#[inline(always)]
fn happens(events: U2, k: u32, in_65536: u64) -> U2 {
    (events.shr_by(16 * k) & 0xFFFF).lt(U2::splat(in_65536))
}

/// The columns of symbols `a` and `b` (`n_bars > 0`), as two calls of
/// [`super::bars`] write them; the calendar starts at `first_day`, a
/// weekday (`first_weekday`, Monday = 0).
pub(super) fn columns(
    seed: u64,
    (a, b): (usize, usize),
    n_bars: usize,
    (first_day, first_weekday): (i64, i64),
) -> (Columns, Columns) {
    let (pa, pb) = (Profile::new(seed, a), Profile::new(seed, b));
    let (mut ra, mut rb) = (Draws::new(seed, a, 1), Draws::new(seed, b, 1));
    // The first trend is drawn before the loop, as `bars` does.
    let mut drift = F2::new(ra.trend(), rb.trend());
    let mut rng = Draws2::new(&ra, &rb);
    let mut cols = (
        Columns::with_capacity(n_bars),
        Columns::with_capacity(n_bars),
    );
    let both = |f: fn(&Profile) -> f64| F2::new(f(&pa), f(&pb));

    let start_lp = both(|p| p.start_log_price);
    let daily_vol = both(|p| p.daily_vol);
    let (market_cap, turnover) = (both(|p| p.market_cap), both(|p| p.turnover));
    let mut lp = start_lp;
    let long_var = daily_vol * daily_vol;
    let per_daily_vol = 1.0 / daily_vol;
    let (alpha, beta) = (0.08, 0.90);
    let omega = long_var * (1.0 - alpha - beta);
    let mut var = long_var;
    let mut last_eps = F2::splat(0.0);
    let (mut day, mut weekday) = (first_day, first_weekday);
    for _ in 0..n_bars {
        let events = rng.next();
        let switch = happens(events, 0, REGIME_SWITCH);
        if switch.any() {
            drift = switch.select_f(Draws2::trend_of(rng.next_masked(switch)), drift);
        }
        var = (omega + alpha * last_eps * last_eps + beta * var).min(9.0 * long_var);
        let sigma = var.sqrt();
        let mu = drift - 0.0004 * (lp - start_lp);

        let mut gap = 0.25 * sigma * rng.normal();
        let jump = happens(events, 1, GAP_JUMP);
        if jump.any() {
            let sign = Draws2::sign_of(rng.next_masked(jump));
            let u = Draws2::uniform_of(rng.next_masked(jump));
            gap = jump.select_f(gap + sign * (0.03 + 0.05 * u), gap);
        }
        let mut move_ = sigma * rng.normal();
        let news = happens(events, 2, NEWS_JUMP);
        if news.any() {
            let sign = Draws2::sign_of(rng.next_masked(news));
            let u = Draws2::uniform_of(rng.next_masked(news));
            move_ = news.select_f(move_ + sign * daily_vol * (3.0 + 2.0 * u), move_);
        }
        let open_lp = lp + gap;
        let close_lp = open_lp + mu + move_;
        last_eps = close_lp - lp - mu;

        let open = exp(open_lp);
        let close = exp(close_lp);
        let high = open.max(close) * exp(0.5 * sigma * rng.normal().abs());
        let low = open.min(close) * exp(-0.5 * sigma * rng.normal().abs());

        let surprise = (last_eps * per_daily_vol).abs().min(F2::splat(6.0));
        let mut burst = 1.0 + 0.3 * surprise * surprise;
        let quiet = happens(events, 3, QUIET_BURST);
        if quiet.any() {
            let u = Draws2::uniform_of(rng.next_masked(quiet));
            burst = quiet.select_f(burst * (3.0 + 3.0 * u), burst);
        }
        let dollars = market_cap * turnover * burst * exp(0.3 * rng.normal());
        let volume = (dollars / close).round_ties_even().max(F2::splat(0.0));

        let (open, close) = (round_price(open), round_price(close));
        let high = round_price(high).max(open).max(close);
        let low = round_price(low).min(open).min(close);
        let time = day * MS_PER_DAY;
        let ([oa, ob], [ha, hb], [la, lb]) = (open.lanes(), high.lanes(), low.lanes());
        let ([ca, cb], [va, vb]) = (close.lanes(), volume.lanes());
        cols.0.push(time, oa, ha, la, ca, va);
        cols.1.push(time, ob, hb, lb, cb, vb);
        lp = close_lp;
        (day, weekday) = if weekday == 4 {
            (day + 3, 0)
        } else {
            (day + 1, weekday + 1)
        };
    }
    cols
}
