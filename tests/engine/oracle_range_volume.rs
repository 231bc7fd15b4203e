//! See main.rs for what this module covers.

use crate::common::{all_series, assert_oracle, Series};
use ta_lib::{Core, OutRange, RetCode};
use technic::engine::indicators as ind;

/// Our lookback must be TA-Lib's, and our column must equal its output.
fn check(
    what: &str,
    s: &Series,
    ours: &[f64],
    theirs: (&[f64], Result<OutRange, RetCode>),
    lookback: (usize, usize),
) {
    let r = theirs
        .1
        .unwrap_or_else(|e| panic!("{what} on {}: TA-Lib refused: {e:?}", s.name));
    assert_eq!(lookback.0, lookback.1, "{what}: lookback");
    assert_oracle(
        &format!("{what} on {}", s.name),
        ours,
        theirs.0,
        r.beg_idx,
        r.count,
    );
}

/// Bad parameters: TA-Lib refuses them, we answer all-NaN (and do not panic).
fn check_refused(what: &str, s: &Series, ours: &[f64], theirs: Result<OutRange, RetCode>) {
    assert!(theirs.is_err(), "{what} on {}: TA-Lib accepted it", s.name);
    assert!(
        ours.iter().all(|v| v.is_nan()),
        "{what} on {}: expected all-NaN for a bad parameter",
        s.name
    );
}

/// The series from bar `start` on (the kernels' input starts at the first bar to use).
fn tail(s: &Series, start: usize) -> Series {
    Series {
        name: format!("{}[{start}..]", s.name),
        open: s.open[start..].to_vec(),
        high: s.high[start..].to_vec(),
        low: s.low[start..].to_vec(),
        close: s.close[start..].to_vec(),
        volume: s.volume[start..].to_vec(),
    }
}

type HlcKernel = fn(&[f64], &[f64], &[f64], usize, &mut [f64]);
type HlcOracle =
    fn(&Core, usize, usize, &[f64], &[f64], &[f64], i32, &mut [f64]) -> Result<OutRange, RetCode>;

/// One (high, low, close, period) indicator over every series and period.
fn hlc_period(
    name: &str,
    ours: HlcKernel,
    our_lookback: fn(usize) -> usize,
    theirs: HlcOracle,
    their_lookback: fn(&Core, i32) -> Result<usize, RetCode>,
    periods: &[usize],
    bad: &[usize],
) {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let extra = [n - 1, n, n + 7];
        for &period in periods.iter().chain(&extra) {
            let mut out = vec![0.0; n];
            ours(&s.high, &s.low, &s.close, period, &mut out);
            let mut t = vec![0.0; n];
            let r = theirs(
                &core,
                0,
                n - 1,
                &s.high,
                &s.low,
                &s.close,
                period as i32,
                &mut t,
            );
            let lb = their_lookback(&core, period as i32).unwrap();
            check(
                &format!("{name}({period})"),
                &s,
                &out,
                (&t, r),
                (our_lookback(period), lb),
            );
        }
        for &period in bad {
            let mut out = vec![0.0; n];
            ours(&s.high, &s.low, &s.close, period, &mut out);
            let mut t = vec![0.0; n];
            let r = theirs(
                &core,
                0,
                n - 1,
                &s.high,
                &s.low,
                &s.close,
                period as i32,
                &mut t,
            );
            check_refused(&format!("{name}({period})"), &s, &out, r);
        }
    }
}

#[test]
fn trange_matches_ta_lib() {
    let core = Core::new();
    assert_eq!(ind::trange_lookback(), core.trange_lookback().unwrap());
    for s in all_series() {
        let n = s.len();
        let mut out = vec![0.0; n];
        ind::trange(&s.high, &s.low, &s.close, &mut out);
        let mut t = vec![0.0; n];
        let r = core.trange(0, n - 1, &s.high, &s.low, &s.close, &mut t);
        check("trange", &s, &out, (&t, r), (0, 0));
    }
}

#[test]
fn atr_matches_ta_lib() {
    hlc_period(
        "atr",
        ind::atr,
        ind::atr_lookback,
        Core::atr,
        Core::atr_lookback,
        &[1, 2, 5, 14, 50, 200],
        &[0, 100_001],
    );
}

#[test]
fn natr_matches_ta_lib() {
    hlc_period(
        "natr",
        ind::natr,
        ind::natr_lookback,
        Core::natr,
        Core::natr_lookback,
        &[1, 2, 5, 14, 50, 200],
        &[0, 100_001],
    );
}

#[test]
fn adx_matches_ta_lib() {
    hlc_period(
        "adx",
        ind::adx,
        ind::adx_lookback,
        Core::adx,
        Core::adx_lookback,
        &[2, 3, 5, 14, 30, 100],
        &[0, 1, 100_001],
    );
}

#[test]
fn plus_di_matches_ta_lib() {
    hlc_period(
        "plus_di",
        ind::plus_di,
        ind::plus_di_lookback,
        Core::plus_di,
        Core::plus_di_lookback,
        &[1, 2, 3, 14, 50, 200],
        &[0, 100_001],
    );
}

#[test]
fn minus_di_matches_ta_lib() {
    hlc_period(
        "minus_di",
        ind::minus_di,
        ind::minus_di_lookback,
        Core::minus_di,
        Core::minus_di_lookback,
        &[1, 2, 3, 14, 50, 200],
        &[0, 100_001],
    );
}

const AROON_PERIODS: [usize; 6] = [2, 3, 14, 25, 100, 299];

#[test]
fn aroon_up_and_down_match_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        for period in AROON_PERIODS.iter().copied().chain([n - 1, n, n + 3]) {
            let (mut down, mut up) = (vec![0.0; n], vec![0.0; n]);
            ind::aroon(&s.high, &s.low, period, &mut down, &mut up);
            let (mut td, mut tu) = (vec![0.0; n], vec![0.0; n]);
            let r = core.aroon(0, n - 1, &s.high, &s.low, period as i32, &mut td, &mut tu);
            let lb = (
                ind::aroon_lookback(period),
                core.aroon_lookback(period as i32).unwrap(),
            );
            check(&format!("aroon_down({period})"), &s, &down, (&td, r), lb);
            check(&format!("aroon_up({period})"), &s, &up, (&tu, r), lb);
        }
        for period in [0, 1, 100_001] {
            let (mut down, mut up) = (vec![0.0; n], vec![0.0; n]);
            ind::aroon(&s.high, &s.low, period, &mut down, &mut up);
            let (mut td, mut tu) = (vec![0.0; n], vec![0.0; n]);
            let r = core.aroon(0, n - 1, &s.high, &s.low, period as i32, &mut td, &mut tu);
            check_refused(&format!("aroon_down({period})"), &s, &down, r);
            check_refused(&format!("aroon_up({period})"), &s, &up, r);
        }
    }
}

#[test]
fn aroonosc_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        for period in AROON_PERIODS.iter().copied().chain([n - 1, n, n + 3]) {
            let mut out = vec![0.0; n];
            ind::aroonosc(&s.high, &s.low, period, &mut out);
            let mut t = vec![0.0; n];
            let r = core.aroonosc(0, n - 1, &s.high, &s.low, period as i32, &mut t);
            let lb = (
                ind::aroonosc_lookback(period),
                core.aroonosc_lookback(period as i32).unwrap(),
            );
            check(&format!("aroonosc({period})"), &s, &out, (&t, r), lb);
        }
        for period in [0, 1, 100_001] {
            let mut out = vec![0.0; n];
            ind::aroonosc(&s.high, &s.low, period, &mut out);
            let mut t = vec![0.0; n];
            let r = core.aroonosc(0, n - 1, &s.high, &s.low, period as i32, &mut t);
            check_refused(&format!("aroonosc({period})"), &s, &out, r);
        }
    }
}

#[test]
fn obv_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let mut out = vec![0.0; n];
        ind::obv(&s.close, &s.volume, &mut out);
        let mut t = vec![0.0; n];
        let r = core.obv(0, n - 1, &s.close, &s.volume, &mut t);
        let lb = (ind::obv_lookback(), core.obv_lookback().unwrap());
        check("obv", &s, &out, (&t, r), lb);
    }
}

#[test]
fn ad_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let mut out = vec![0.0; n];
        ind::ad(&s.high, &s.low, &s.close, &s.volume, &mut out);
        let mut t = vec![0.0; n];
        let r = core.ad(0, n - 1, &s.high, &s.low, &s.close, &s.volume, &mut t);
        let lb = (ind::ad_lookback(), core.ad_lookback().unwrap());
        check("ad", &s, &out, (&t, r), lb);
    }
}

#[test]
fn adosc_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        let n = s.len();
        let pairs = [
            (2, 2),
            (3, 10),
            (10, 3),
            (2, 50),
            (30, 100),
            (5, n),
            (n + 1, 3),
        ];
        for (fast, slow) in pairs {
            let mut out = vec![0.0; n];
            ind::adosc(&s.high, &s.low, &s.close, &s.volume, fast, slow, &mut out);
            let mut t = vec![0.0; n];
            let (f, sl) = (fast as i32, slow as i32);
            let r = core.adosc(
                0,
                n - 1,
                &s.high,
                &s.low,
                &s.close,
                &s.volume,
                f,
                sl,
                &mut t,
            );
            let lb = (
                ind::adosc_lookback(fast, slow),
                core.adosc_lookback(f, sl).unwrap(),
            );
            check(&format!("adosc({fast},{slow})"), &s, &out, (&t, r), lb);
        }
        for (fast, slow) in [(1, 10), (3, 1), (0, 0), (3, 100_001)] {
            let mut out = vec![0.0; n];
            ind::adosc(&s.high, &s.low, &s.close, &s.volume, fast, slow, &mut out);
            let mut t = vec![0.0; n];
            let (f, sl) = (fast as i32, slow as i32);
            let r = core.adosc(
                0,
                n - 1,
                &s.high,
                &s.low,
                &s.close,
                &s.volume,
                f,
                sl,
                &mut t,
            );
            check_refused(&format!("adosc({fast},{slow})"), &s, &out, r);
        }
    }
}

#[test]
fn sar_matches_ta_lib() {
    let core = Core::new();
    let pairs = [
        (0.02, 0.2),
        (0.0, 0.0),
        (0.0, 0.2),
        (0.01, 0.1),
        (0.1, 0.5),
        (0.2, 0.02),
        (1.0, 1.0),
        (0.5, 3.0),
    ];
    for whole in all_series() {
        // Several start bars, so the bootstrap (first direction, first SAR) varies.
        for start in [0, 1, 2, 3, 7, 20] {
            let s = tail(&whole, start);
            let n = s.len();
            for (accel, max) in pairs {
                let mut out = vec![0.0; n];
                ind::sar(&s.high, &s.low, accel, max, &mut out);
                let mut t = vec![0.0; n];
                let r = core.sar(0, n - 1, &s.high, &s.low, accel, max, &mut t);
                let lb = (
                    ind::sar_lookback(accel, max),
                    core.sar_lookback(accel, max).unwrap(),
                );
                check(
                    &format!("sar({accel},{max}) from bar {start}"),
                    &s,
                    &out,
                    (&t, r),
                    lb,
                );
            }
        }
        let s = whole;
        let n = s.len();
        for (accel, max) in [(-0.02, 0.2), (0.02, -0.2), (f64::NAN, 0.2), (0.02, 4e37)] {
            let mut out = vec![0.0; n];
            ind::sar(&s.high, &s.low, accel, max, &mut out);
            let mut t = vec![0.0; n];
            let r = core.sar(0, n - 1, &s.high, &s.low, accel, max, &mut t);
            check_refused(&format!("sar({accel},{max})"), &s, &out, r);
        }
    }
}

#[test]
fn short_inputs_give_all_nan_without_panicking() {
    let bars: [&[f64]; 3] = [&[], &[5.0], &[5.0, 6.0]];
    for x in bars {
        let mut o = vec![0.0; x.len()];
        let mut o2 = vec![0.0; x.len()];
        ind::trange(x, x, x, &mut o);
        ind::atr(x, x, x, 14, &mut o);
        ind::natr(x, x, x, 14, &mut o);
        ind::adx(x, x, x, 14, &mut o);
        ind::plus_di(x, x, x, 14, &mut o);
        ind::minus_di(x, x, x, 14, &mut o);
        ind::aroon(x, x, 14, &mut o, &mut o2);
        ind::aroonosc(x, x, 14, &mut o);
        ind::adosc(x, x, x, x, 3, 10, &mut o);
        assert!(o.iter().chain(&o2).all(|v| v.is_nan()), "len {}", x.len());
        ind::sar(x, x, 0.02, 0.2, &mut o);
        assert!(o.len() < 2 || o[0].is_nan());
        ind::obv(x, x, &mut o);
        ind::ad(x, x, x, x, &mut o);
    }
}

/// ADOSC and SAR round their multiply-add once as TA-Lib does, so they equal
/// it bit for bit, not just within the 1e-9 band: on every series, the SAR
/// from several start bars and factor pairs (large factors make the product
/// comparable to the SAR, the exact path's case), ADOSC for several periods.
#[test]
fn adosc_and_sar_equal_ta_lib_bit_for_bit() {
    let core = Core::new();
    let same = |what: &str, ours: &[f64], theirs: &[f64], r: Result<OutRange, RetCode>| {
        let r = r.unwrap_or_else(|e| panic!("{what}: TA-Lib refused: {e:?}"));
        for k in 0..r.count {
            let (o, t) = (ours[r.beg_idx + k], theirs[k]);
            assert_eq!(
                o.to_bits(),
                t.to_bits(),
                "{what}: index {}: ours {o:e} TA-Lib {t:e}",
                r.beg_idx + k
            );
        }
    };
    for whole in all_series() {
        for start in [0, 1, 5] {
            let s = tail(&whole, start);
            let n = s.len();
            for (accel, max) in [(0.02, 0.2), (0.01, 0.1), (0.1, 0.5), (0.5, 3.0), (1.0, 1.0)] {
                let mut out = vec![0.0; n];
                ind::sar(&s.high, &s.low, accel, max, &mut out);
                let mut t = vec![0.0; n];
                let r = core.sar(0, n - 1, &s.high, &s.low, accel, max, &mut t);
                same(&format!("sar({accel},{max}) on {}", s.name), &out, &t, r);
            }
            for (fast, slow) in [(3, 10), (2, 50), (10, 3), (7, 21)] {
                let mut out = vec![0.0; n];
                ind::adosc(&s.high, &s.low, &s.close, &s.volume, fast, slow, &mut out);
                let mut t = vec![0.0; n];
                let (f, sl) = (fast as i32, slow as i32);
                let r = core.adosc(
                    0,
                    n - 1,
                    &s.high,
                    &s.low,
                    &s.close,
                    &s.volume,
                    f,
                    sl,
                    &mut t,
                );
                same(&format!("adosc({fast},{slow}) on {}", s.name), &out, &t, r);
            }
        }
    }
}

/// The fused `dmi` gives exactly the three separate kernels' columns (which
/// the tests above hold to TA-Lib), on every series and several periods,
/// including periods longer than the series.
#[test]
fn fused_dmi_equals_plus_di_minus_di_and_adx_bit_for_bit() {
    for s in all_series() {
        let n = s.len();
        for period in [2, 5, 14, 30, n / 2, n - 1, n + 3] {
            let (mut p, mut m, mut a) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            ind::dmi(&s.high, &s.low, &s.close, period, &mut p, &mut m, &mut a);
            let mut want = vec![0.0; n];
            let columns: [(&str, &[f64], HlcKernel); 3] = [
                ("+DI", &p, ind::plus_di),
                ("-DI", &m, ind::minus_di),
                ("ADX", &a, ind::adx),
            ];
            for (name, got, kernel) in columns {
                kernel(&s.high, &s.low, &s.close, period, &mut want);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "{name}({period}) on {} at {i}: {g} vs {w}",
                        s.name
                    );
                }
            }
        }
    }
}
