//! SMA, STDDEV and BBANDS of one source over one period in one pass: the
//! fused path a scan takes when it asks for more than one of them (say
//! `close > bb_upper(20, 2) and stddev(close, 20) > 1 and close > sma(close, 20)`),
//! where TA-Lib's separate calls each walk the window again.
//!
//! Formula: each output is computed with its own kernel's arithmetic, in the
//! same order, so every value is bit-identical to `sma`, `stddev` and
//! `bbands` called one by one: the SMA is `sma`'s four-bar running sum
//! (`sma::window_sums`, its own pass), which is BBANDS' middle band too, the
//! deviation is STDDEV's rolling variance (`stddev::rolling_variance_with`),
//! computed once for both.
//! Warm-up: `n - 1` bars. Range: `n` in 2..=100000 (the SMA alone also takes 1:
//! call `sma` for that); each real parameter `|x| <= 3e37`, checked per
//! output as its own kernel does (an out-of-range `nbdev` leaves that output
//! `NaN` and the others computed). Complexity: O(len), no allocation.

use super::bbands::bands_block;
use super::fill_nan;
use super::sma::window_sums;
use super::stddev::{real_param_ok, rolling_variance_with};

/// The outputs wanted from one pass; `None` is not computed.
#[derive(Default)]
pub struct Bands<'a> {
    /// `SMA(src, n)`.
    pub sma: Option<&'a mut [f64]>,
    /// `STDDEV(src, n, nbdev)`: the factor and its column.
    pub stddev: Option<(f64, &'a mut [f64])>,
    /// `BBANDS(src, n, up, dn)`: the two factors and upper, middle, lower.
    pub bbands: Option<BbandsOut<'a>>,
}

/// BBANDS' factors and columns, as [`super::bbands`] takes them.
pub struct BbandsOut<'a> {
    pub nbdev_up: f64,
    pub nbdev_dn: f64,
    pub upper: &'a mut [f64],
    pub middle: &'a mut [f64],
    pub lower: &'a mut [f64],
}

/// Index of the first valid output: `period - 1`.
pub fn bands_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Fills every output asked for in `out` from one walk over `src`.
pub fn bands(src: &[f64], period: usize, out: Bands<'_>) {
    let n = src.len();
    let Bands {
        mut sma,
        mut stddev,
        mut bbands,
    } = out;
    // Each output is valid on its own kernel's terms; an invalid one is NaN.
    let period_ok = (2..=100_000).contains(&period) && n >= period;
    if let Some(o) = sma.take_if(|o| !period_ok || o.len() != n) {
        fill_nan(o);
    }
    if let Some((_, o)) = stddev.take_if(|(k, o)| !period_ok || !real_param_ok(*k) || o.len() != n)
    {
        fill_nan(o);
    }
    if let Some(b) = bbands.take_if(|b| {
        !period_ok
            || !real_param_ok(b.nbdev_up)
            || !real_param_ok(b.nbdev_dn)
            || b.upper.len() != n
            || b.middle.len() != n
            || b.lower.len() != n
    }) {
        fill_nan(b.upper);
        fill_nan(b.middle);
        fill_nan(b.lower);
    }
    let wants_variance = stddev.is_some() || bbands.is_some();
    if sma.is_none() && !wants_variance {
        return;
    }
    let lag = period - 1;
    if let Some(o) = sma.as_deref_mut() {
        fill_nan(&mut o[..lag]);
    }
    if let Some((_, o)) = stddev.as_mut() {
        fill_nan(&mut o[..lag]);
    }
    if let Some(b) = bbands.as_mut() {
        for column in [&mut *b.upper, &mut *b.middle, &mut *b.lower] {
            fill_nan(&mut column[..lag]);
        }
    }
    // The SMA as `sma` computes it (`sma::window_sums`, a pass of its own,
    // four bars a step), which is also BBANDS' middle band: computed once.
    match (sma, bbands.as_mut()) {
        (Some(o), Some(b)) => {
            window_sums::<true>(src, period, o);
            b.middle.copy_from_slice(o);
        }
        (Some(o), None) => window_sums::<true>(src, period, o),
        (None, Some(b)) => window_sums::<true>(src, period, b.middle),
        (None, None) => {}
    }
    if !wants_variance {
        return;
    }
    rolling_variance_with(src, period, |first, variances| {
        if let Some((k, o)) = stddev.as_mut() {
            for (o, &variance) in o[first..].iter_mut().zip(variances) {
                *o = variance.sqrt() * *k;
            }
        }
        if let Some(b) = bbands.as_mut() {
            let (up, dn) = (b.nbdev_up, b.nbdev_dn);
            bands_block(first, variances, up, dn, b.middle, b.upper, b.lower);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::{bbands, sma, stddev};

    fn series(len: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        let mut level = 100.0;
        (0..len)
            .map(|i| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                level += ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0;
                // A flat stretch, where the variance is rebuilt and is 0.
                if (300..340).contains(&i) {
                    100.0
                } else {
                    level
                }
            })
            .collect()
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn one_pass_gives_the_bits_of_sma_stddev_and_bbands_called_apart() {
        for (len, period, k, up, dn) in [
            (1_000, 20, 2.0, 2.0, 2.0),
            (1_000, 5, 1.0, 2.5, 1.5),
            (700, 2, -1.0, 0.0, 3.0),
            (200, 200, 3.0, 2.0, 2.0),
        ] {
            let src = series(len, period as u64);
            let (mut s, mut d) = (vec![0.0; len], vec![0.0; len]);
            let (mut u, mut m, mut l) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
            bands(
                &src,
                period,
                Bands {
                    sma: Some(&mut s),
                    stddev: Some((k, &mut d)),
                    bbands: Some(BbandsOut {
                        nbdev_up: up,
                        nbdev_dn: dn,
                        upper: &mut u,
                        middle: &mut m,
                        lower: &mut l,
                    }),
                },
            );
            let (mut s1, mut d1) = (vec![0.0; len], vec![0.0; len]);
            let (mut u1, mut m1, mut l1) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
            sma(&src, period, &mut s1);
            stddev(&src, period, k, &mut d1);
            bbands(&src, period, up, dn, &mut u1, &mut m1, &mut l1);
            let case = format!("len {len} period {period}");
            assert_eq!(bits(&s), bits(&s1), "sma, {case}");
            assert_eq!(bits(&d), bits(&d1), "stddev, {case}");
            assert_eq!(bits(&u), bits(&u1), "upper, {case}");
            assert_eq!(bits(&m), bits(&m1), "middle, {case}");
            assert_eq!(bits(&l), bits(&l1), "lower, {case}");
        }
    }

    #[test]
    fn any_subset_of_outputs_can_be_asked_for() {
        let src = series(400, 7);
        let mut alone = vec![0.0; 400];
        sma(&src, 14, &mut alone);
        let mut s = vec![0.0; 400];
        bands(
            &src,
            14,
            Bands {
                sma: Some(&mut s),
                ..Bands::default()
            },
        );
        assert_eq!(bits(&s), bits(&alone));
        let mut d = vec![0.0; 400];
        stddev(&src, 14, 2.0, &mut alone);
        bands(
            &src,
            14,
            Bands {
                stddev: Some((2.0, &mut d)),
                ..Bands::default()
            },
        );
        assert_eq!(bits(&d), bits(&alone));
    }

    #[test]
    fn an_out_of_range_factor_leaves_its_output_nan_and_the_others_computed() {
        let src = series(100, 3);
        let (mut s, mut d) = (vec![0.0; 100], vec![0.0; 100]);
        bands(
            &src,
            10,
            Bands {
                sma: Some(&mut s),
                stddev: Some((1e38, &mut d)),
                bbands: None,
            },
        );
        assert!(d.iter().all(|v| v.is_nan()));
        assert!(s[9..].iter().all(|v| v.is_finite()));
    }

    #[test]
    fn a_period_out_of_range_or_longer_than_the_input_is_all_nan() {
        let src = series(10, 1);
        for period in [1, 11, 100_001] {
            let mut s = vec![0.0; 10];
            bands(
                &src,
                period,
                Bands {
                    sma: Some(&mut s),
                    ..Bands::default()
                },
            );
            assert!(s.iter().all(|v| v.is_nan()), "period {period}");
        }
    }
}
