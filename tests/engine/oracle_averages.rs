//! See main.rs for what this module covers.

use crate::common::{all_series, assert_oracle, Series};
use ta_lib::{Core, MAType, OutRange, RetCode};
use technic::engine::indicators as ind;

type Kernel = fn(&[f64], usize, &mut [f64]);
type Lookback = fn(usize) -> usize;
type Oracle = fn(&Core, usize, usize, &[f64], i32, &mut [f64]) -> Result<OutRange, RetCode>;
type OracleLookback = fn(&Core, i32) -> Result<usize, RetCode>;

/// One single-input, single-output indicator and its TA-Lib counterpart.
struct Single {
    name: &'static str,
    ours: Kernel,
    lookback: Lookback,
    theirs: Oracle,
    their_lookback: OracleLookback,
    /// TA-Lib's accepted period range.
    min: usize,
    max: usize,
}

/// Periods tried for every indicator: the smallest allowed, short, typical,
/// long, longer than every series, and the largest allowed.
fn periods(min: usize, max: usize) -> Vec<usize> {
    let mut p = vec![min, 2, 3, 4, 5, 9, 14, 20, 30, 50, 200, 1000, 5000, max];
    p.retain(|&x| x >= min && x <= max);
    p.dedup();
    p
}

/// The inputs each indicator is run on: close (prices) and volume (has exact
/// zeros in the flat stretches, and huge values in the extreme series).
fn sources(s: &Series) -> [(&'static str, &[f64]); 3] {
    [
        ("close", &s.close),
        ("volume", &s.volume),
        ("high", &s.high),
    ]
}

fn check_single(k: &Single) {
    let core = Core::new();
    let series = all_series();
    for period in periods(k.min, k.max) {
        let theirs_lb = (k.their_lookback)(&core, period as i32).unwrap();
        assert_eq!(
            (k.lookback)(period),
            theirs_lb,
            "{} lookback({period})",
            k.name
        );
        for s in &series {
            for (label, src) in sources(s) {
                let mut ours = vec![0.0; src.len()];
                (k.ours)(src, period, &mut ours);
                let mut theirs = vec![0.0; src.len()];
                let r =
                    (k.theirs)(&core, 0, src.len() - 1, src, period as i32, &mut theirs).unwrap();
                if r.count > 0 {
                    assert_eq!(r.beg_idx, theirs_lb, "{} first output", k.name);
                }
                assert_oracle(
                    &format!("{}({label}, {period}) on {}", k.name, s.name),
                    &ours,
                    &theirs,
                    r.beg_idx,
                    r.count,
                );
            }
        }
    }
}

/// Out-of-range periods (TA-Lib refuses them) give all-NaN without a panic,
/// and so do inputs no longer than the lookback (including empty ones) and
/// output buffers of the wrong length.
fn check_refusals(k: &Single) {
    let core = Core::new();
    let src = &crate::common::random_walk(9, 300, 50.0, 0.02).close;
    for bad in [0, k.min - 1, k.max + 1, usize::MAX] {
        if bad >= k.min && bad <= k.max {
            continue;
        }
        if let Ok(p) = i32::try_from(bad) {
            assert!(
                (k.their_lookback)(&core, p).is_err(),
                "{}: TA-Lib accepts {bad}",
                k.name
            );
        }
        let mut out = vec![0.0; src.len()];
        (k.ours)(src, bad, &mut out);
        assert!(
            out.iter().all(|v| v.is_nan()),
            "{}({bad}) should be all NaN",
            k.name
        );
    }
    for period in [k.min, 5, 30] {
        let lb = (k.lookback)(period);
        for len in [0, lb / 2, lb] {
            let short = &src[..len];
            let mut out = vec![0.0; len];
            (k.ours)(short, period, &mut out);
            assert!(
                out.iter().all(|v| v.is_nan()),
                "{}({period}) on {len} bars should be all NaN",
                k.name
            );
        }
        let mut wrong = vec![0.0; src.len() - 1];
        (k.ours)(src, period, &mut wrong);
        assert!(
            wrong.iter().all(|v| v.is_nan()),
            "{}: wrong buffer length",
            k.name
        );
    }
}

const MAX_PERIOD: usize = 100_000;

fn sma() -> Single {
    Single {
        name: "sma",
        ours: ind::sma,
        lookback: ind::sma_lookback,
        theirs: Core::sma,
        their_lookback: Core::sma_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn ema() -> Single {
    Single {
        name: "ema",
        ours: ind::ema,
        lookback: ind::ema_lookback,
        theirs: Core::ema,
        their_lookback: Core::ema_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn wma() -> Single {
    Single {
        name: "wma",
        ours: ind::wma,
        lookback: ind::wma_lookback,
        theirs: Core::wma,
        their_lookback: Core::wma_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn dema() -> Single {
    Single {
        name: "dema",
        ours: ind::dema,
        lookback: ind::dema_lookback,
        theirs: Core::dema,
        their_lookback: Core::dema_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn tema() -> Single {
    Single {
        name: "tema",
        ours: ind::tema,
        lookback: ind::tema_lookback,
        theirs: Core::tema,
        their_lookback: Core::tema_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn kama() -> Single {
    Single {
        name: "kama",
        ours: ind::kama,
        lookback: ind::kama_lookback,
        theirs: Core::kama,
        their_lookback: Core::kama_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn highest() -> Single {
    Single {
        name: "highest",
        ours: ind::highest,
        lookback: ind::highest_lookback,
        theirs: Core::max,
        their_lookback: Core::max_lookback,
        min: 2,
        max: MAX_PERIOD,
    }
}

fn lowest() -> Single {
    Single {
        name: "lowest",
        ours: ind::lowest,
        lookback: ind::lowest_lookback,
        theirs: Core::min,
        their_lookback: Core::min_lookback,
        min: 2,
        max: MAX_PERIOD,
    }
}

fn sum() -> Single {
    Single {
        name: "sum",
        ours: ind::sum,
        lookback: ind::sum_lookback,
        theirs: Core::sum,
        their_lookback: Core::sum_lookback,
        min: 2,
        max: MAX_PERIOD,
    }
}

fn roc() -> Single {
    Single {
        name: "roc",
        ours: ind::roc,
        lookback: ind::roc_lookback,
        theirs: Core::roc,
        their_lookback: Core::roc_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn mom() -> Single {
    Single {
        name: "mom",
        ours: ind::mom,
        lookback: ind::mom_lookback,
        theirs: Core::mom,
        their_lookback: Core::mom_lookback,
        min: 1,
        max: MAX_PERIOD,
    }
}

fn linearreg() -> Single {
    Single {
        name: "linearreg",
        ours: ind::linearreg,
        lookback: ind::linearreg_lookback,
        theirs: Core::linearreg,
        their_lookback: Core::linearreg_lookback,
        min: 2,
        max: MAX_PERIOD,
    }
}

fn linearreg_slope() -> Single {
    Single {
        name: "linearreg_slope",
        ours: ind::linearreg_slope,
        lookback: ind::linearreg_slope_lookback,
        theirs: Core::linearreg_slope,
        their_lookback: Core::linearreg_slope_lookback,
        min: 2,
        max: MAX_PERIOD,
    }
}

#[test]
fn sma_matches_ta_lib() {
    check_single(&sma());
}

#[test]
fn ema_matches_ta_lib() {
    check_single(&ema());
}

#[test]
fn wma_matches_ta_lib() {
    check_single(&wma());
}

#[test]
fn dema_matches_ta_lib() {
    check_single(&dema());
}

#[test]
fn tema_matches_ta_lib() {
    check_single(&tema());
}

#[test]
fn kama_matches_ta_lib() {
    check_single(&kama());
}

#[test]
fn highest_matches_ta_lib_max() {
    check_single(&highest());
}

#[test]
fn lowest_matches_ta_lib_min() {
    check_single(&lowest());
}

#[test]
fn sum_matches_ta_lib() {
    check_single(&sum());
}

#[test]
fn roc_matches_ta_lib() {
    check_single(&roc());
}

#[test]
fn mom_matches_ta_lib() {
    check_single(&mom());
}

#[test]
fn linearreg_matches_ta_lib() {
    check_single(&linearreg());
}

#[test]
fn linearreg_slope_matches_ta_lib() {
    check_single(&linearreg_slope());
}

/// `(nbdev_up, nbdev_dn)` pairs: equal, unequal, zero and negative widths.
const DEVIATIONS: [(f64, f64); 5] = [(2.0, 2.0), (1.0, 1.0), (1.5, 2.5), (0.0, 3.0), (-1.0, 0.5)];

#[test]
fn stddev_matches_ta_lib() {
    let core = Core::new();
    let series = all_series();
    for period in periods(2, MAX_PERIOD) {
        for (nbdev, _) in DEVIATIONS {
            let lb = core.stddev_lookback(period as i32, nbdev).unwrap();
            assert_eq!(
                ind::stddev_lookback(period),
                lb,
                "stddev lookback({period})"
            );
            for s in &series {
                for (label, src) in sources(s) {
                    let mut ours = vec![0.0; src.len()];
                    ind::stddev(src, period, nbdev, &mut ours);
                    let mut theirs = vec![0.0; src.len()];
                    let r = core
                        .stddev(0, src.len() - 1, src, period as i32, nbdev, &mut theirs)
                        .unwrap();
                    assert_oracle(
                        &format!("stddev({label}, {period}, {nbdev}) on {}", s.name),
                        &ours,
                        &theirs,
                        r.beg_idx,
                        r.count,
                    );
                }
            }
        }
    }
}

#[test]
fn bbands_matches_ta_lib_with_an_sma_middle() {
    let core = Core::new();
    let series = all_series();
    for period in periods(2, MAX_PERIOD) {
        for (up, dn) in DEVIATIONS {
            let lb = core
                .bbands_lookback(period as i32, up, dn, MAType::SMA)
                .unwrap();
            assert_eq!(
                ind::bbands_lookback(period),
                lb,
                "bbands lookback({period})"
            );
            for s in &series {
                for (label, src) in sources(s) {
                    let n = src.len();
                    let (mut ou, mut om, mut ol) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                    ind::bbands(src, period, up, dn, &mut ou, &mut om, &mut ol);
                    let (mut tu, mut tm, mut tl) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                    let r = core
                        .bbands(
                            0,
                            n - 1,
                            src,
                            period as i32,
                            up,
                            dn,
                            MAType::SMA,
                            &mut tu,
                            &mut tm,
                            &mut tl,
                        )
                        .unwrap();
                    let what = format!("bbands({label}, {period}, {up}, {dn}) on {}", s.name);
                    assert_oracle(&format!("{what} upper"), &ou, &tu, r.beg_idx, r.count);
                    assert_oracle(&format!("{what} middle"), &om, &tm, r.beg_idx, r.count);
                    assert_oracle(&format!("{what} lower"), &ol, &tl, r.beg_idx, r.count);
                }
            }
        }
    }
}

#[test]
fn out_of_range_periods_and_short_inputs_give_all_nan() {
    for k in [
        sma(),
        ema(),
        wma(),
        dema(),
        tema(),
        kama(),
        highest(),
        lowest(),
        sum(),
        roc(),
        mom(),
        linearreg(),
        linearreg_slope(),
    ] {
        check_refusals(&k);
    }
}

#[test]
fn stddev_and_bbands_refuse_bad_periods_and_deviations_with_all_nan() {
    let core = Core::new();
    let src = &crate::common::random_walk(10, 200, 30.0, 0.03).close;
    let n = src.len();
    let cases = [
        (0, 2.0),
        (1, 2.0),
        (MAX_PERIOD + 1, 2.0),
        (20, f64::NAN),
        (20, 1e38),
        (20, -1e38),
        (20, f64::INFINITY),
    ];
    for (period, dev) in cases {
        if let Ok(p) = i32::try_from(period) {
            assert!(
                core.stddev_lookback(p, dev).is_err(),
                "TA-Lib accepts stddev({period}, {dev})"
            );
            assert!(
                core.bbands_lookback(p, dev, 2.0, MAType::SMA).is_err(),
                "TA-Lib accepts bbands({period}, {dev})"
            );
        }
        let mut out = vec![0.0; n];
        ind::stddev(src, period, dev, &mut out);
        assert!(out.iter().all(|v| v.is_nan()), "stddev({period}, {dev})");
        let (mut u, mut m, mut l) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        ind::bbands(src, period, dev, 2.0, &mut u, &mut m, &mut l);
        assert!(
            u.iter().chain(&m).chain(&l).all(|v| v.is_nan()),
            "bbands up {dev}"
        );
        ind::bbands(src, period, 2.0, dev, &mut u, &mut m, &mut l);
        assert!(
            u.iter().chain(&m).chain(&l).all(|v| v.is_nan()),
            "bbands dn {dev}"
        );
    }
    for period in [2, 20] {
        for len in [0, 1, period - 1] {
            let short = &src[..len];
            let mut out = vec![0.0; len];
            ind::stddev(short, period, 1.0, &mut out);
            assert!(
                out.iter().all(|v| v.is_nan()),
                "stddev({period}) on {len} bars"
            );
            let (mut u, mut m, mut l) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
            ind::bbands(short, period, 2.0, 2.0, &mut u, &mut m, &mut l);
            assert!(
                u.iter().chain(&m).chain(&l).all(|v| v.is_nan()),
                "bbands({period}) on {len} bars"
            );
        }
    }
}

/// Regression guard for the re-anchoring of running sums (WMA, STDDEV/BBANDS,
/// LINEARREG): a long series with one enormous print, which inflates the
/// sums' rounding until it leaves the window, must still match TA-Lib.
#[test]
fn a_single_huge_print_in_a_long_series_still_matches_ta_lib() {
    let core = Core::new();
    let mut s = crate::common::random_walk(11, 20_000, 40.0, 0.02);
    s.close[5_000] *= 1.0e6;
    s.close[12_000] = 0.0;
    let src = &s.close;
    let n = src.len();
    for k in [wma(), sum(), linearreg(), linearreg_slope(), kama(), tema()] {
        for period in [2, 14, 200] {
            let mut ours = vec![0.0; n];
            (k.ours)(src, period, &mut ours);
            let mut theirs = vec![0.0; n];
            let r = (k.theirs)(&core, 0, n - 1, src, period as i32, &mut theirs).unwrap();
            let what = format!("{}({period}) with a huge print", k.name);
            assert_oracle(&what, &ours, &theirs, r.beg_idx, r.count);
        }
    }
    for period in [2, 14, 200] {
        let mut ours = vec![0.0; n];
        ind::stddev(src, period, 2.0, &mut ours);
        let mut theirs = vec![0.0; n];
        let r = core
            .stddev(0, n - 1, src, period as i32, 2.0, &mut theirs)
            .unwrap();
        assert_oracle(
            &format!("stddev({period}) with a huge print"),
            &ours,
            &theirs,
            r.beg_idx,
            r.count,
        );
    }
}
