//! CDLDOJI, the doji (TA-Lib `CDLDOJI`).
//!
//! Formula: `+100` when `|close − open| ≤ BodyDoji`, i.e. 0.1 × the mean
//! high−low range of the 10 bars before; else 0. Warm-up: 10 bars.
//! Complexity: O(len), no allocation.
//! Bits: the high−low total is TA-Lib's, bit for bit (one add a bar of the
//! difference `newest − oldest`, in its order): on cent prices a threshold
//! tie flips on its last bit. Its add chain is the floor for both; the
//! verdicts (bracketed thresholds, `settings::Approx`, exact on the rare bar
//! too close to call) now run in lanes under that chain, four bars a step:
//! 1.35 ns/bar level with TA-Lib before (a block of 64 totals, then its 64
//! verdicts: the passes did not overlap), ~1.1–1.5× TA-Lib now
//! (`cargo bench --bench indicators`, a busy machine).

use super::settings::{judged_exactly, Candles, PeriodTotal, BODY_DOJI};
use crate::engine::indicators::lanes::{run_lanes, Lanes, LanesKernel};

pub fn cdl_doji_lookback() -> usize {
    BODY_DOJI.period
}

pub fn cdl_doji(open: &[f64], high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    let first = cdl_doji_lookback();
    let Some(b) = Candles::prepare(open, high, low, close, out, first) else {
        return;
    };
    let doji = PeriodTotal::new(BODY_DOJI, 0, &b, first);
    let old = first - BODY_DOJI.period;
    let len = out.len() - first;
    run_lanes(Doji {
        open: &open[first..],
        close: &close[first..],
        high: &high[first..],
        low: &low[first..],
        old_high: &high[old..old + len],
        old_low: &low[old..old + len],
        out: &mut out[first..],
        doji,
        bars: b,
        first,
    });
}

/// Every bar from the first judged one (`first`): `out[j]` for bar
/// `first + j`, whose total drops `old_high[j] − old_low[j]` after it.
///
/// Four bars a step: the four differences in one vector, the total rolled
/// over them as four scalar adds (TA-Lib's chain, its bits), and the four
/// verdicts judged together in lanes (AVX2 natively where the CPU has it,
/// simd128 in wasm) from the four totals gathered in registers; the verdicts
/// of one step run while the next step's totals add up. A bar whose
/// threshold is too close to call with the bracket (`Approx::unsure`) is
/// judged exactly, out of line.
struct Doji<'a> {
    open: &'a [f64],
    close: &'a [f64],
    high: &'a [f64],
    low: &'a [f64],
    old_high: &'a [f64],
    old_low: &'a [f64],
    out: &'a mut [f64],
    doji: PeriodTotal,
    bars: Candles<'a>,
    first: usize,
}

impl LanesKernel for Doji<'_> {
    type Output = ();

    #[inline(always)]
    fn run<L: Lanes>(self, lanes: L) {
        let Doji {
            open,
            close,
            high,
            low,
            old_high,
            old_low,
            out,
            doji,
            bars,
            first,
        } = self;
        // `total × scale` is the bracket's `mid`, bit for bit as
        // `Averaged::approx` makes it (`1 × scale` is `scale` exactly).
        let scale = lanes.splat(doji.averaged().approx(1.0).mid);
        let tiny = lanes.splat(1.0 / 281_474_976_710_656.0); // 2^-48, as `Averaged`
        let (two, hundred, zero) = (lanes.splat(2.0), lanes.splat(100.0), lanes.splat(0.0));
        let mut total = doji.total();
        let steps = out.len() / 4;
        for k in 0..steps {
            let j = 4 * k;
            let span = lanes.sub(lanes.load(at(high, j)), lanes.load(at(low, j)));
            let old_span = lanes.sub(lanes.load(at(old_high, j)), lanes.load(at(old_low, j)));
            let mut change = [0.0; 4];
            lanes.store(lanes.sub(span, old_span), &mut change);
            let t0 = total;
            let t1 = t0 + change[0];
            let t2 = t1 + change[1];
            let t3 = t2 + change[2];
            total = t3 + change[3];
            let body = lanes.abs(lanes.sub(lanes.load(at(close, j)), lanes.load(at(open, j))));
            let mid = lanes.mul(lanes.gather(t0, t1, t2, t3), scale);
            let slack = lanes.mul(two, lanes.mul(lanes.abs(mid), tiny));
            let slot: &mut [f64; 4] = (&mut out[j..j + 4]).try_into().unwrap();
            lanes.store(lanes.select_le(body, mid, hundred, zero), slot);
            let gap = lanes.abs(lanes.sub(body, mid));
            if lanes.any_le(gap, slack) {
                recheck(&doji, &bars, first + j, [t0, t1, t2, t3], slot);
            }
        }
        // The last bars one at a time, the same arithmetic.
        for j in 4 * steps..out.len() {
            let i = first + j;
            let at = doji.with_total(total);
            let (doji_t, rb) = (at.approx(&bars, i), bars.real_body(i));
            out[j] = if doji_t.unsure(rb) {
                exact(&at, &bars, i)
            } else if rb <= doji_t.mid {
                100.0
            } else {
                0.0
            };
            total += (high[j] - low[j]) - (old_high[j] - old_low[j]);
        }
    }
}

/// The bars of a step whose threshold is too close to call with the
/// bracket, judged exactly (out of line: rare).
#[cold]
#[inline(never)]
fn recheck(doji: &PeriodTotal, bars: &Candles, i: usize, totals: [f64; 4], slot: &mut [f64; 4]) {
    for (m, &t) in totals.iter().enumerate() {
        let at = doji.with_total(t);
        if at.approx(bars, i + m).unsure(bars.real_body(i + m)) {
            slot[m] = exact(&at, bars, i + m);
        }
    }
}

/// The four values from `j` on.
#[inline(always)]
fn at(s: &[f64], j: usize) -> &[f64; 4] {
    s[j..j + 4].try_into().unwrap()
}

/// Bar `i` judged exactly, with TA-Lib's divided threshold.
#[inline(always)]
fn exact(at: &PeriodTotal, bars: &Candles, i: usize) -> f64 {
    judged_exactly(|| {
        if bars.real_body(i) <= at.threshold(bars, i) {
            100.0
        } else {
            0.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::lanes::Portable;

    /// Cent prices with one-to-three-cent ranges and bodies of zero to two
    /// cents: the doji threshold (a tenth of the mean range) lands on a body
    /// exactly or within a few ulps on many bars.
    fn cents(len: usize, seed: u64) -> [Vec<f64>; 4] {
        let mut x = seed;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % m
        };
        let (mut o, mut h, mut l, mut c) = (vec![], vec![], vec![], vec![]);
        let mut level = 2000i64;
        for _ in 0..len {
            level += next(5) as i64 - 2;
            let body = next(3) as i64;
            let (open, close) = if next(2) == 0 {
                (level, level + body)
            } else {
                (level + body, level)
            };
            let top = open.max(close) + next(2) as i64;
            let bottom = open.min(close) - next(2) as i64;
            for (v, p) in [
                (&mut o, open),
                (&mut h, top),
                (&mut l, bottom),
                (&mut c, close),
            ] {
                v.push(p as f64 / 100.0);
            }
        }
        [o, h, l, c]
    }

    /// TA-Lib's loop: judge with the divided threshold, then roll the total.
    fn talib(o: &[f64], h: &[f64], l: &[f64], c: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; o.len()];
        let mut total = 0.0;
        for k in 0..10 {
            total += h[k] - l[k];
        }
        for i in 10..o.len() {
            out[i] = if (c[i] - o[i]).abs() <= 0.1 * (total / 10.0) * 1.0 {
                100.0
            } else {
                0.0
            };
            total += (h[i] - l[i]) - (h[i - 10] - l[i - 10]);
        }
        out
    }

    #[test]
    fn doji_gives_talibs_verdict_on_every_bar_of_tie_heavy_cent_data() {
        for (len, seed) in [(11, 1), (14, 2), (15, 3), (1000, 4), (4003, 5)] {
            let [o, h, l, c] = cents(len, seed);
            let mut out = vec![0.0; len];
            cdl_doji(&o, &h, &l, &c, &mut out);
            let want = talib(&o, &h, &l, &c);
            for i in 0..len {
                assert_eq!(out[i].to_bits(), want[i].to_bits(), "len {len} bar {i}");
            }
            if len > 100 {
                assert!(want[10..].contains(&100.0) && want[10..].contains(&0.0));
            }
        }
    }

    #[test]
    fn the_avx2_and_portable_lanes_give_the_same_verdicts() {
        let [o, h, l, c] = cents(1003, 7);
        let (mut dispatched, mut portable) = (vec![0.0; 1003], vec![0.0; 1003]);
        cdl_doji(&o, &h, &l, &c, &mut dispatched);
        let bars = Candles::prepare(&o, &h, &l, &c, &mut portable, 10).unwrap();
        let doji = PeriodTotal::new(BODY_DOJI, 0, &bars, 10);
        Doji {
            open: &o[10..],
            close: &c[10..],
            high: &h[10..],
            low: &l[10..],
            old_high: &h[..993],
            old_low: &l[..993],
            out: &mut portable[10..],
            doji,
            bars,
            first: 10,
        }
        .run(Portable);
        for i in 0..1003 {
            assert_eq!(dispatched[i].to_bits(), portable[i].to_bits(), "bar {i}");
        }
    }
}
