//! See main.rs for what this module covers.
//!
//! Every indicator runs over `all_series()` with TA-Lib's smallest allowed
//! periods, usual ones, long ones, and periods around and beyond the series
//! length; our lookback must equal TA-Lib's for each parameter set.

use crate::common::{all_series, assert_oracle, Series};
use ta_lib::{Core, MAType};
use technic::engine::indicators as ind;

/// Single-period parameters: the smallest allowed (2), usual ones, long ones,
/// and periods that leave one, zero or no room at all on this series.
fn periods(s: &Series) -> Vec<usize> {
    let n = s.len();
    let mut p = vec![2, 3, 5, 14, 20, 50, 200, 5000, n - 1, n, n + 1];
    p.retain(|&p| p >= 2);
    p
}

/// An output column for either side, `NaN` so an unwritten slot cannot pass.
fn column(s: &Series) -> Vec<f64> {
    vec![f64::NAN; s.len()]
}

#[test]
fn rsi_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        for period in periods(&s) {
            let mut ours = column(&s);
            ind::rsi(&s.close, period, &mut ours);
            let mut theirs = column(&s);
            let r = core
                .rsi(0, s.len() - 1, &s.close, period as i32, &mut theirs)
                .unwrap();
            assert_eq!(
                ind::rsi_lookback(period),
                core.rsi_lookback(period as i32).unwrap()
            );
            let what = format!("rsi({period}) on {}", s.name);
            assert_oracle(&what, &ours, &theirs, r.beg_idx, r.count);
        }
    }
}

#[test]
fn macd_line_signal_and_hist_match_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let mut sets = vec![
            (12, 26, 9),
            (2, 2, 1),
            (2, 3, 1),
            (3, 2, 2),
            (26, 12, 9),
            (5, 35, 5),
            (12, 26, 1),
            (50, 200, 30),
            (12, n, 9),
            (2, n - 1, 2),
            (2, n - 1, 1),
            (10, 5000, 9),
        ];
        sets.retain(|&(f, sl, _)| f >= 2 && sl >= 2);
        for (fast, slow, signal) in sets {
            let (mut line, mut sig, mut hist) = (column(&s), column(&s), column(&s));
            ind::macd(&s.close, fast, slow, signal, &mut line, &mut sig, &mut hist);
            let (mut t_line, mut t_sig, mut t_hist) = (column(&s), column(&s), column(&s));
            let r = core
                .macd(
                    0,
                    n - 1,
                    &s.close,
                    fast as i32,
                    slow as i32,
                    signal as i32,
                    &mut t_line,
                    &mut t_sig,
                    &mut t_hist,
                )
                .unwrap();
            assert_eq!(
                ind::macd_lookback(fast, slow, signal),
                core.macd_lookback(fast as i32, slow as i32, signal as i32)
                    .unwrap(),
                "macd_lookback({fast},{slow},{signal})"
            );
            let what = format!("macd({fast},{slow},{signal}) on {}", s.name);
            assert_oracle(&format!("{what} line"), &line, &t_line, r.beg_idx, r.count);
            assert_oracle(&format!("{what} signal"), &sig, &t_sig, r.beg_idx, r.count);
            assert_oracle(&format!("{what} hist"), &hist, &t_hist, r.beg_idx, r.count);
        }
    }
}

#[test]
fn stoch_k_and_d_match_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let sets = [
            (5, 3, 3),
            (1, 1, 1),
            (1, 3, 1),
            (2, 1, 2),
            (14, 3, 3),
            (3, 1, 5),
            (21, 7, 7),
            (100, 20, 10),
            (n - 2, 2, 1),
            (n - 2, 2, 2),
            (n, 1, 1),
            (5000, 3, 3),
        ];
        for (fk, sk, sd) in sets {
            let (mut k, mut d) = (column(&s), column(&s));
            ind::stoch(&s.high, &s.low, &s.close, fk, sk, sd, &mut k, &mut d);
            let (mut tk, mut td) = (column(&s), column(&s));
            let r = core
                .stoch(
                    0,
                    n - 1,
                    &s.high,
                    &s.low,
                    &s.close,
                    fk as i32,
                    sk as i32,
                    MAType::SMA,
                    sd as i32,
                    MAType::SMA,
                    &mut tk,
                    &mut td,
                )
                .unwrap();
            assert_eq!(
                ind::stoch_lookback(fk, sk, sd),
                core.stoch_lookback(fk as i32, sk as i32, MAType::SMA, sd as i32, MAType::SMA)
                    .unwrap(),
                "stoch_lookback({fk},{sk},{sd})"
            );
            let what = format!("stoch({fk},{sk},{sd}) on {}", s.name);
            assert_oracle(&format!("{what} k"), &k, &tk, r.beg_idx, r.count);
            assert_oracle(&format!("{what} d"), &d, &td, r.beg_idx, r.count);
        }
    }
}

#[test]
fn stochrsi_k_and_d_match_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let sets = [
            (14, 14, 3),
            (14, 5, 3),
            (2, 1, 1),
            (2, 2, 1),
            (3, 1, 3),
            (5, 3, 1),
            (30, 10, 10),
            (100, 50, 5),
            (n - 1, 1, 1),
            (n - 3, 2, 2),
            (n, 1, 1),
            (5000, 5, 3),
        ];
        for (period, fk, fd) in sets {
            let (mut k, mut d) = (column(&s), column(&s));
            ind::stochrsi(&s.close, period, fk, fd, &mut k, &mut d);
            let (mut tk, mut td) = (column(&s), column(&s));
            let r = core
                .stochrsi(
                    0,
                    n - 1,
                    &s.close,
                    period as i32,
                    fk as i32,
                    fd as i32,
                    MAType::SMA,
                    &mut tk,
                    &mut td,
                )
                .unwrap();
            assert_eq!(
                ind::stochrsi_lookback(period, fk, fd),
                core.stochrsi_lookback(period as i32, fk as i32, fd as i32, MAType::SMA)
                    .unwrap(),
                "stochrsi_lookback({period},{fk},{fd})"
            );
            let what = format!("stochrsi({period},{fk},{fd}) on {}", s.name);
            assert_oracle(&format!("{what} k"), &k, &tk, r.beg_idx, r.count);
            assert_oracle(&format!("{what} d"), &d, &td, r.beg_idx, r.count);
        }
    }
}

#[test]
fn willr_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        for period in periods(&s) {
            let mut ours = column(&s);
            ind::willr(&s.high, &s.low, &s.close, period, &mut ours);
            let mut theirs = column(&s);
            let r = core
                .willr(
                    0,
                    s.len() - 1,
                    &s.high,
                    &s.low,
                    &s.close,
                    period as i32,
                    &mut theirs,
                )
                .unwrap();
            assert_eq!(
                ind::willr_lookback(period),
                core.willr_lookback(period as i32).unwrap()
            );
            let what = format!("willr({period}) on {}", s.name);
            assert_oracle(&what, &ours, &theirs, r.beg_idx, r.count);
        }
    }
}

#[test]
fn cci_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        for period in periods(&s) {
            let mut ours = column(&s);
            ind::cci(&s.high, &s.low, &s.close, period, &mut ours);
            let mut theirs = column(&s);
            let r = core
                .cci(
                    0,
                    s.len() - 1,
                    &s.high,
                    &s.low,
                    &s.close,
                    period as i32,
                    &mut theirs,
                )
                .unwrap();
            assert_eq!(
                ind::cci_lookback(period),
                core.cci_lookback(period as i32).unwrap()
            );
            let what = format!("cci({period}) on {}", s.name);
            assert_oracle(&what, &ours, &theirs, r.beg_idx, r.count);
        }
    }
}

#[test]
fn mfi_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        for period in periods(&s) {
            let mut ours = column(&s);
            ind::mfi(&s.high, &s.low, &s.close, &s.volume, period, &mut ours);
            let mut theirs = column(&s);
            let r = core
                .mfi(
                    0,
                    s.len() - 1,
                    &s.high,
                    &s.low,
                    &s.close,
                    &s.volume,
                    period as i32,
                    &mut theirs,
                )
                .unwrap();
            assert_eq!(
                ind::mfi_lookback(period),
                core.mfi_lookback(period as i32).unwrap()
            );
            let what = format!("mfi({period}) on {}", s.name);
            assert_oracle(&what, &ours, &theirs, r.beg_idx, r.count);
        }
    }
}

/// A parameter TA-Lib rejects must give all-NaN here, without a panic. Each
/// case also checks that TA-Lib does reject it, so the ranges stay in step.
#[test]
fn out_of_range_parameters_give_all_nan_like_ta_lib_rejects_them() {
    let core = Core::new();
    let s = &all_series()[0];
    let all_nan = |what: &str, v: &[f64]| assert!(v.iter().all(|x| x.is_nan()), "{what}");
    let mut a = column(s);
    let mut b = column(s);
    let mut c = column(s);
    let single = [0usize, 1, 100_001];

    for p in single {
        a.fill(1.0);
        ind::rsi(&s.close, p, &mut a);
        all_nan(&format!("rsi({p})"), &a);
        assert!(core.rsi_lookback(p as i32).is_err(), "ta-lib rsi({p})");

        ind::willr(&s.high, &s.low, &s.close, p, &mut a);
        all_nan(&format!("willr({p})"), &a);
        assert!(core.willr_lookback(p as i32).is_err(), "ta-lib willr({p})");

        ind::cci(&s.high, &s.low, &s.close, p, &mut a);
        all_nan(&format!("cci({p})"), &a);
        assert!(core.cci_lookback(p as i32).is_err(), "ta-lib cci({p})");

        ind::mfi(&s.high, &s.low, &s.close, &s.volume, p, &mut a);
        all_nan(&format!("mfi({p})"), &a);
        assert!(core.mfi_lookback(p as i32).is_err(), "ta-lib mfi({p})");
    }

    for (f, sl, sg) in [
        (1, 26, 9),
        (12, 1, 9),
        (12, 26, 0),
        (100_001, 26, 9),
        (12, 26, 100_001),
    ] {
        ind::macd(&s.close, f, sl, sg, &mut a, &mut b, &mut c);
        for (name, col) in [("line", &a), ("signal", &b), ("hist", &c)] {
            all_nan(&format!("macd({f},{sl},{sg}) {name}"), col);
        }
        assert!(core.macd_lookback(f as i32, sl as i32, sg as i32).is_err());
    }

    for (fk, sk, sd) in [
        (0, 3, 3),
        (5, 0, 3),
        (5, 3, 0),
        (100_001, 3, 3),
        (5, 3, 100_001),
    ] {
        ind::stoch(&s.high, &s.low, &s.close, fk, sk, sd, &mut a, &mut b);
        all_nan(&format!("stoch({fk},{sk},{sd}) k"), &a);
        all_nan(&format!("stoch({fk},{sk},{sd}) d"), &b);
        let lb = core.stoch_lookback(fk as i32, sk as i32, MAType::SMA, sd as i32, MAType::SMA);
        assert!(lb.is_err(), "ta-lib stoch({fk},{sk},{sd})");
    }

    for (p, fk, fd) in [
        (1, 5, 3),
        (14, 0, 3),
        (14, 5, 0),
        (100_001, 5, 3),
        (14, 100_001, 3),
    ] {
        ind::stochrsi(&s.close, p, fk, fd, &mut a, &mut b);
        all_nan(&format!("stochrsi({p},{fk},{fd}) k"), &a);
        all_nan(&format!("stochrsi({p},{fk},{fd}) d"), &b);
        let lb = core.stochrsi_lookback(p as i32, fk as i32, fd as i32, MAType::SMA);
        assert!(lb.is_err(), "ta-lib stochrsi({p},{fk},{fd})");
    }
}

/// Mismatched column lengths and empty input are caller bugs, but a kernel
/// must still answer with `NaN`s rather than panic.
#[test]
fn mismatched_or_empty_columns_give_all_nan_without_panicking() {
    let s = &all_series()[0];
    let short = &s.close[1..];
    let mut a = column(s);
    let mut b = column(s);
    let mut c = column(s);
    ind::stoch(&s.high, short, &s.close, 5, 3, 3, &mut a, &mut b);
    assert!(a.iter().chain(&b).all(|x| x.is_nan()));
    ind::willr(short, &s.low, &s.close, 14, &mut a);
    assert!(a.iter().all(|x| x.is_nan()));
    ind::cci(&s.high, &s.low, short, 14, &mut a);
    assert!(a.iter().all(|x| x.is_nan()));
    ind::mfi(&s.high, &s.low, &s.close, short, 14, &mut a);
    assert!(a.iter().all(|x| x.is_nan()));
    ind::rsi(short, 14, &mut a);
    ind::macd(short, 12, 26, 9, &mut a, &mut b, &mut c);
    ind::stochrsi(short, 14, 5, 3, &mut a, &mut b);
    assert!(a.iter().chain(&b).chain(&c).all(|x| x.is_nan()));

    let (mut e1, mut e2, mut e3): (Vec<f64>, Vec<f64>, Vec<f64>) = (vec![], vec![], vec![]);
    ind::rsi(&[], 14, &mut e1);
    ind::macd(&[], 12, 26, 9, &mut e1, &mut e2, &mut e3);
    ind::stoch(&[], &[], &[], 5, 3, 3, &mut e1, &mut e2);
    ind::stochrsi(&[], 14, 5, 3, &mut e1, &mut e2);
    ind::willr(&[], &[], &[], 14, &mut e1);
    ind::cci(&[], &[], &[], 14, &mut e1);
    ind::mfi(&[], &[], &[], &[], 14, &mut e1);
}
