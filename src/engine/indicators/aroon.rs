//! Aroon up/down and the Aroon oscillator (TA-Lib `AROON`, `AROONOSC`).
//!
//! Formula: over the window of the last `n + 1` bars (today and `n` before
//! it), `up = 100/n · (n - bars since the highest high)` and
//! `down = 100/n · (n - bars since the lowest low)`; `osc = up - down`,
//! computed as `100/n · (index of high - index of low)`.
//! Trap: on ties the *latest* extreme wins (TA-Lib scans with `>=`/`<=`).
//! Warm-up: `n` bars. Range: `n` in 2..=100000.
//! Complexity: O(len), no allocation: three comparisons a bar and side for
//! periods below 128 on series without NaN (`blocked_extremes`); otherwise
//! O(len) amortised (the extreme is rescanned only when it leaves the
//! window; O(len·n) worst case).

use super::fill_nan;

pub fn aroon_lookback(period: usize) -> usize {
    period
}

pub fn aroon(high: &[f64], low: &[f64], period: usize, down: &mut [f64], up: &mut [f64]) {
    fill_nan(down);
    fill_nan(up);
    if down.len() != high.len() || up.len() != high.len() {
        return;
    }
    let factor = 100.0 / period as f64;
    extremes(high, low, period, |today, hi, lo| {
        // Through `i64`: one `cvtsi2sd`, where `usize` takes a sequence of
        // several (the same value: bar counts are far below 2^53).
        up[today] = factor * (period - (today - hi)) as i64 as f64;
        down[today] = factor * (period - (today - lo)) as i64 as f64;
    });
}

pub fn aroonosc_lookback(period: usize) -> usize {
    period
}

pub fn aroonosc(high: &[f64], low: &[f64], period: usize, out: &mut [f64]) {
    fill_nan(out);
    if out.len() != high.len() {
        return;
    }
    let factor = 100.0 / period as f64;
    extremes(high, low, period, |today, hi, lo| {
        out[today] = factor * (hi as i64 as f64 - lo as i64 as f64);
    });
}

/// Hands `(bar, index of highest high, index of lowest low)` over the
/// window `bar - period ..= bar` to `emit`, for every bar from `period` on.
/// Does nothing for a period outside 2..=100000 or mismatched columns.
#[inline(always)]
fn extremes(high: &[f64], low: &[f64], period: usize, mut emit: impl FnMut(usize, usize, usize)) {
    if !(2..=100_000).contains(&period) || high.len() != low.len() || high.len() <= period {
        return;
    }
    // A fold, not `any`: no early exit, so it vectorises.
    let has_nan = high
        .iter()
        .zip(low)
        .fold(false, |nan, (h, l)| nan | h.is_nan() | l.is_nan());
    if period < BLOCKED_MAX && !has_nan {
        blocked_extremes(high, low, period, emit);
        return;
    }
    // Both start "outside the window" so the first bar scans it in full.
    let (mut hi, mut lo) = (None::<usize>, None::<usize>);
    for today in period..high.len() {
        let trailing = today - period;
        lo = Some(match lo {
            Some(j) if j >= trailing => {
                if low[today] <= low[j] {
                    today
                } else {
                    j
                }
            }
            _ => trailing + latest_extreme(&low[trailing..=today], |x, m| x < m),
        });
        hi = Some(match hi {
            Some(j) if j >= trailing => {
                if high[today] >= high[j] {
                    today
                } else {
                    j
                }
            }
            _ => trailing + latest_extreme(&high[trailing..=today], |x, m| x > m),
        });
        if let (Some(h), Some(l)) = (hi, lo) {
            emit(today, h, l);
        }
    }
}

/// `if take { a } else { b }` without a jump (a mask), for indices.
#[inline(always)]
fn select_index(take: bool, a: usize, b: usize) -> usize {
    let mask = (take as usize).wrapping_neg();
    (a & mask) | (b & !mask)
}

/// Periods below this take `blocked_extremes` (its buffers live on the
/// stack, one window long).
const BLOCKED_MAX: usize = 128;

/// `extremes` without rescans, for a series with no NaN and `period + 1 <=
/// BLOCKED_MAX`: van Herk / Gil-Werman. The bars are cut into blocks one
/// window long; a window then spans the end of one block and the start of
/// the next, so its extreme is the later of the first's suffix extreme (kept
/// from the block before) and the second's prefix extreme (carried along).
/// Three comparisons per bar and side, whatever the data; the rescan that
/// TA-Lib (and the general path) runs whenever the extreme leaves the window
/// costs a window's worth. Ties go to the latest bar, as there: the prefix
/// takes a later bar on `>=`, the suffix an earlier one only on `>`, and the
/// prefix wins a tie with the suffix. AROON(14) 0.96× → see the README.
#[inline(always)]
fn blocked_extremes(
    high: &[f64],
    low: &[f64],
    period: usize,
    mut emit: impl FnMut(usize, usize, usize),
) {
    let w = period + 1;
    let n = high.len();
    // The block before's suffix extremes: from each of its bars to its end.
    let (mut hi_suffix, mut lo_suffix) = ([(0.0, 0); BLOCKED_MAX], [(0.0, 0); BLOCKED_MAX]);
    let mut start = 0;
    while start < n {
        let end = (start + w).min(n);
        let (mut hi, mut lo) = ((high[start], start), (low[start], start));
        for t in start..end {
            if high[t] >= hi.0 {
                hi = (high[t], t);
            }
            if low[t] <= lo.0 {
                lo = (low[t], t);
            }
            if t < period {
                continue;
            }
            // The window `t - period..=t`: the whole block at its last bar,
            // else the block before's suffix from `t - period` on and this
            // block's prefix.
            let (h, l) = if t + 1 == start + w {
                (hi.1, lo.1)
            } else {
                let at = t - period - (start - w);
                let (sh, sl) = (hi_suffix[at], lo_suffix[at]);
                // Which side wins is a coin toss: selects, not branches.
                let (take_hi, take_lo) = (hi.0 >= sh.0, lo.0 <= sl.0);
                (
                    select_index(take_hi, hi.1, sh.1),
                    select_index(take_lo, lo.1, sl.1),
                )
            };
            emit(t, h, l);
        }
        let (mut hi, mut lo) = ((high[end - 1], end - 1), (low[end - 1], end - 1));
        for k in (start..end).rev() {
            if high[k] > hi.0 {
                hi = (high[k], k);
            }
            if low[k] < lo.0 {
                lo = (low[k], k);
            }
            hi_suffix[k - start] = hi;
            lo_suffix[k - start] = lo;
        }
        start = end;
    }
}

/// Where TA-Lib's scan of a whole window (`j = k` when `w[k] >= w[j]`, or
/// `<=` for lows, from `j = 0`) ends: the latest index of the window's
/// extreme, found as the extreme's value (four running extremes, no chain
/// through the index) and then its last occurrence. `beyond(x, m)`: `x`
/// strictly beyond `m` (`>` for highs), false for NaN. The same index as the
/// scan: a NaN never becomes the extreme, and a NaN first value stays it
/// (nothing compares `>=` with it). AROON(14), the scan then this, in
/// consecutive runs on an AMD EPYC: 12.5 ns/bar against TA-Lib's 12.4
/// (1.00×), then 12.7 against 13.6 (1.07×) (`BENCH_FILTER=AROON cargo bench
/// --bench indicators`): a little ahead, within the machine's noise.
#[inline(always)]
fn latest_extreme(w: &[f64], beyond: impl Fn(f64, f64) -> bool + Copy) -> usize {
    let Some(&first) = w.first() else {
        return 0;
    };
    if first.is_nan() {
        return 0;
    }
    let mut m = [first; 4];
    let (steps, rest) = w[1..].as_chunks::<4>();
    for step in steps {
        for (m, &x) in m.iter_mut().zip(step) {
            if beyond(x, *m) {
                *m = x;
            }
        }
    }
    for &x in rest {
        if beyond(x, m[0]) {
            m[0] = x;
        }
    }
    let pick = |a: f64, b: f64| if beyond(b, a) { b } else { a };
    let extreme = pick(pick(m[0], m[1]), pick(m[2], m[3]));
    w.iter().rposition(|&x| x == extreme).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full rescan of every window, latest extreme wins on ties.
    fn naive(high: &[f64], low: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut up = vec![f64::NAN; high.len()];
        let mut down = vec![f64::NAN; high.len()];
        for t in n..high.len() {
            let mut hi = t - n;
            let mut lo = t - n;
            for k in t - n..=t {
                if high[k] >= high[hi] {
                    hi = k;
                }
                if low[k] <= low[lo] {
                    lo = k;
                }
            }
            up[t] = 100.0 * (n - (t - hi)) as f64 / n as f64;
            down[t] = 100.0 * (n - (t - lo)) as f64 / n as f64;
        }
        (up, down)
    }

    #[test]
    fn blocks_and_rescans_agree_with_a_full_rescan_through_ties() {
        // Small integers: ties everywhere, and extremes leaving the window at
        // every position of a block; periods on both sides of BLOCKED_MAX.
        let mut x: u64 = 7;
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 60) as f64
        };
        let high: Vec<f64> = (0..700).map(|_| next()).collect();
        let low: Vec<f64> = high.iter().map(|h| h - next()).collect();
        for n in [2, 3, 9, 14, 63, BLOCKED_MAX - 1, BLOCKED_MAX, 200] {
            let (want_up, want_down) = naive(&high, &low, n);
            let (mut down, mut up) = (vec![0.0; 700], vec![0.0; 700]);
            aroon(&high, &low, n, &mut down, &mut up);
            for t in n..700 {
                // One bar apart is 100/n; the two formulas round apart.
                assert!((up[t] - want_up[t]).abs() < 1e-9, "n {n}: up at {t}");
                assert!((down[t] - want_down[t]).abs() < 1e-9, "n {n}: down at {t}");
            }
        }
    }

    #[test]
    fn aroon_matches_a_full_rescan_of_every_window() {
        let high: Vec<f64> = (0..80)
            .map(|i| ((i * 37) % 23) as f64 + (i % 7) as f64)
            .collect();
        let low: Vec<f64> = high.iter().map(|h| h - 3.0).collect();
        let (want_up, want_down) = naive(&high, &low, 9);
        let (mut down, mut up, mut osc) = (vec![0.0; 80], vec![0.0; 80], vec![0.0; 80]);
        aroon(&high, &low, 9, &mut down, &mut up);
        aroonosc(&high, &low, 9, &mut osc);
        assert!(up[..9]
            .iter()
            .chain(&down[..9])
            .chain(&osc[..9])
            .all(|v| v.is_nan()));
        for t in 9..80 {
            assert!((up[t] - want_up[t]).abs() < 1e-12, "up at {t}");
            assert!((down[t] - want_down[t]).abs() < 1e-12, "down at {t}");
            assert!(
                (osc[t] - (want_up[t] - want_down[t])).abs() < 1e-9,
                "osc at {t}"
            );
        }
    }

    #[test]
    fn the_rescan_ends_where_talibs_scan_ends_with_ties_signed_zeros_and_nans() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(14);
        let pool = [1.0, 2.0, 2.0, -0.0, 0.0, f64::NAN, -1.0, 3.5];
        for len in 1..40 {
            for _ in 0..200 {
                let w: Vec<f64> = (0..len)
                    .map(|_| pool[rng.random_range(0..pool.len())])
                    .collect();
                let scan = |better: fn(f64, f64) -> bool| {
                    (1..len).fold(0, |j, k| if better(w[k], w[j]) { k } else { j })
                };
                assert_eq!(
                    latest_extreme(&w, |x, m| x > m),
                    scan(|x, m| x >= m),
                    "{w:?}"
                );
                assert_eq!(
                    latest_extreme(&w, |x, m| x < m),
                    scan(|x, m| x <= m),
                    "{w:?}"
                );
            }
        }
    }

    #[test]
    fn aroon_up_is_100_on_a_new_high_and_ties_count_as_new() {
        let high = [1.0, 2.0, 3.0, 3.0, 2.0];
        let low = [0.0; 5];
        let (mut down, mut up) = ([0.0; 5], [0.0; 5]);
        aroon(&high, &low, 2, &mut down, &mut up);
        assert_eq!(up[2], 100.0);
        assert_eq!(up[3], 100.0); // equal high at bar 3 is the latest
        assert_eq!(up[4], 50.0);
        assert_eq!(down[4], 100.0); // flat lows: today is the latest low
    }

    #[test]
    fn aroon_of_period_one_is_all_nan() {
        let (mut down, mut up) = ([0.0; 4], [0.0; 4]);
        aroon(&[1.0, 2.0, 3.0, 4.0], &[0.0; 4], 1, &mut down, &mut up);
        assert!(down.iter().chain(&up).all(|v| v.is_nan()));
    }
}
