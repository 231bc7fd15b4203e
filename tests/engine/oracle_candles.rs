//! See main.rs for what this module covers.
//!
//! Each pattern runs over `common::all_series()` plus candle-rich series made
//! here (many dojis, long shadows, marubozus, body gaps, opens inside the last
//! body, prices on a cent grid so ends of bodies coincide), and must equal
//! TA-Lib bar for bar and fire (nonzero) somewhere, so no test passes
//! vacuously.

use crate::common::{all_series, assert_oracle, ints, Series};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use ta_lib::{Core, OutRange, RetCode};
use technic::engine::indicators::candles as cdl;

/// A series built candle by candle from a mix of shapes that the twelve
/// patterns look for. With `tick > 0` every price is rounded to that grid.
fn candle_rich(seed: u64, n: usize, start: f64, vol: f64, tick: f64) -> Series {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut s = Series {
        name: format!("candles-{seed}-{n}-{start}-{vol}-{tick}"),
        ..Default::default()
    };
    let snap = |x: f64| {
        if tick > 0.0 {
            (x / tick).round() * tick
        } else {
            x
        }
    };
    let mut close = start;
    let mut up = true;
    for _ in 0..n {
        let unit = close * vol;
        let (prev_open, prev_close) = match (s.open.last(), s.close.last()) {
            (Some(&o), Some(&c)) => (o, c),
            _ => (close, close),
        };
        // Where the bar opens, relative to the previous one.
        let r = rng.random::<f64>();
        let open = if r < 0.25 {
            prev_close
        } else if r < 0.45 {
            let (lo, hi) = (prev_open.min(prev_close), prev_open.max(prev_close));
            lo + (hi - lo) * rng.random::<f64>()
        } else if r < 0.7 {
            let gap = unit * (0.5 + 2.5 * rng.random::<f64>());
            if rng.random::<bool>() {
                prev_open.max(prev_close) + gap
            } else {
                prev_open.min(prev_close) - gap
            }
        } else {
            prev_close + unit * 0.3 * (rng.random::<f64>() - 0.5)
        };
        // Trends persist so runs of same-coloured candles occur.
        if rng.random::<f64>() < 0.3 {
            up = !up;
        }
        let r = rng.random::<f64>();
        let body = unit
            * if r < 0.2 {
                0.02 * rng.random::<f64>()
            } else if r < 0.45 {
                0.1 + 0.4 * rng.random::<f64>()
            } else if r < 0.85 {
                1.0 + 2.0 * rng.random::<f64>()
            } else {
                3.0 + 3.0 * rng.random::<f64>()
            };
        let close_raw = if up { open + body } else { open - body };
        let mut shadow = || {
            let r = rng.random::<f64>();
            unit * if r < 0.3 {
                0.0
            } else if r < 0.6 {
                0.05 * rng.random::<f64>()
            } else if r < 0.85 {
                0.2 + 0.8 * rng.random::<f64>()
            } else {
                1.0 + 3.0 * rng.random::<f64>()
            }
        };
        let (upper, lower) = (shadow(), shadow());
        let open = snap(open.max(start * 0.01));
        let close_now = snap(close_raw.max(start * 0.01));
        let high = snap(open.max(close_now) + upper);
        let low = snap((open.min(close_now) - lower).max(start * 0.005));
        s.open.push(open);
        s.high.push(high.max(open.max(close_now)));
        s.low.push(low.min(open.min(close_now)));
        s.close.push(close_now);
        s.volume.push(1.0e6);
        close = close_now;
    }
    s
}

fn candle_series() -> Vec<Series> {
    vec![
        candle_rich(11, 3000, 50.0, 0.01, 0.0),
        candle_rich(12, 3000, 50.0, 0.01, 0.01),
        candle_rich(13, 2000, 8.0, 0.02, 0.01),
        candle_rich(14, 2000, 1200.0, 0.005, 0.25),
        candle_rich(15, 1500, 0.002, 0.05, 0.0),
    ]
}

fn everything() -> Vec<Series> {
    let mut all = all_series();
    all.extend(candle_series());
    all
}

type Ours = fn(&[f64], &[f64], &[f64], &[f64], &mut [f64]);
type Theirs = fn(
    &Core,
    usize,
    usize,
    &[f64],
    &[f64],
    &[f64],
    &[f64],
    &mut [i32],
) -> Result<OutRange, RetCode>;

/// Compares one pattern over every series and returns how often it fired,
/// per output value.
fn check(name: &str, ours: Ours, theirs: Theirs, series: &[Series]) -> Vec<(i32, usize)> {
    let core = Core::new();
    let mut fired = Vec::new();
    for s in series {
        let mut mine = vec![0.0; s.len()];
        ours(&s.open, &s.high, &s.low, &s.close, &mut mine);
        let mut out = vec![0; s.len()];
        let r = theirs(
            &core,
            0,
            s.len() - 1,
            &s.open,
            &s.high,
            &s.low,
            &s.close,
            &mut out,
        )
        .unwrap();
        let reference = ints(&out);
        assert_oracle(
            &format!("{name} on {}", s.name),
            &mine,
            &reference,
            r.beg_idx,
            r.count,
        );
        tally(&mut fired, &out[..r.count]);
    }
    fired
}

fn tally(fired: &mut Vec<(i32, usize)>, out: &[i32]) {
    for &v in out.iter().filter(|&&v| v != 0) {
        match fired.iter_mut().find(|(value, _)| *value == v) {
            Some((_, count)) => *count += 1,
            None => fired.push((v, 1)),
        }
    }
}

fn assert_fires(name: &str, fired: &[(i32, usize)], values: &[i32]) {
    for v in values {
        assert!(
            fired.iter().any(|(value, count)| value == v && *count > 0),
            "{name} never gave {v} on the test data (fired: {fired:?})"
        );
    }
}

#[test]
fn candle_rich_series_are_valid_bars() {
    for s in candle_series() {
        for i in 0..s.len() {
            let (o, h, l, c) = (s.open[i], s.high[i], s.low[i], s.close[i]);
            assert!(o.is_finite() && h.is_finite() && l.is_finite() && c.is_finite());
            assert!(
                h >= o.max(c) && l <= o.min(c) && l > 0.0,
                "{} bar {i}",
                s.name
            );
        }
    }
}

#[test]
fn engulfing_matches_ta_lib() {
    let fired = check(
        "cdl_engulfing",
        cdl::cdl_engulfing,
        Core::cdlengulfing,
        &everything(),
    );
    assert_fires("cdl_engulfing", &fired, &[100, -100, 80, -80]);
    assert_eq!(
        cdl::cdl_engulfing_lookback(),
        Core::new().cdlengulfing_lookback().unwrap()
    );
}

#[test]
fn hammer_matches_ta_lib() {
    let fired = check(
        "cdl_hammer",
        cdl::cdl_hammer,
        Core::cdlhammer,
        &everything(),
    );
    assert_fires("cdl_hammer", &fired, &[100]);
    assert_eq!(
        cdl::cdl_hammer_lookback(),
        Core::new().cdlhammer_lookback().unwrap()
    );
}

#[test]
fn doji_matches_ta_lib() {
    let fired = check("cdl_doji", cdl::cdl_doji, Core::cdldoji, &everything());
    assert_fires("cdl_doji", &fired, &[100]);
    assert_eq!(
        cdl::cdl_doji_lookback(),
        Core::new().cdldoji_lookback().unwrap()
    );
}

#[test]
fn shootingstar_matches_ta_lib() {
    let fired = check(
        "cdl_shootingstar",
        cdl::cdl_shootingstar,
        Core::cdlshootingstar,
        &everything(),
    );
    assert_fires("cdl_shootingstar", &fired, &[-100]);
    assert_eq!(
        cdl::cdl_shootingstar_lookback(),
        Core::new().cdlshootingstar_lookback().unwrap()
    );
}

#[test]
fn harami_matches_ta_lib() {
    let fired = check(
        "cdl_harami",
        cdl::cdl_harami,
        Core::cdlharami,
        &everything(),
    );
    assert_fires("cdl_harami", &fired, &[100, -100, 80, -80]);
    assert_eq!(
        cdl::cdl_harami_lookback(),
        Core::new().cdlharami_lookback().unwrap()
    );
}

#[test]
fn three_white_soldiers_match_ta_lib() {
    let fired = check(
        "cdl_3whitesoldiers",
        cdl::cdl_3whitesoldiers,
        Core::cdl3whitesoldiers,
        &everything(),
    );
    assert_fires("cdl_3whitesoldiers", &fired, &[100]);
    assert_eq!(
        cdl::cdl_3whitesoldiers_lookback(),
        Core::new().cdl3whitesoldiers_lookback().unwrap()
    );
}

#[test]
fn three_black_crows_match_ta_lib() {
    let fired = check(
        "cdl_3blackcrows",
        cdl::cdl_3blackcrows,
        Core::cdl3blackcrows,
        &everything(),
    );
    assert_fires("cdl_3blackcrows", &fired, &[-100]);
    assert_eq!(
        cdl::cdl_3blackcrows_lookback(),
        Core::new().cdl3blackcrows_lookback().unwrap()
    );
}

#[test]
fn piercing_matches_ta_lib() {
    let fired = check(
        "cdl_piercing",
        cdl::cdl_piercing,
        Core::cdlpiercing,
        &everything(),
    );
    assert_fires("cdl_piercing", &fired, &[100]);
    assert_eq!(
        cdl::cdl_piercing_lookback(),
        Core::new().cdlpiercing_lookback().unwrap()
    );
}

#[test]
fn marubozu_matches_ta_lib() {
    let fired = check(
        "cdl_marubozu",
        cdl::cdl_marubozu,
        Core::cdlmarubozu,
        &everything(),
    );
    assert_fires("cdl_marubozu", &fired, &[100, -100]);
    assert_eq!(
        cdl::cdl_marubozu_lookback(),
        Core::new().cdlmarubozu_lookback().unwrap()
    );
}

type OursPen = fn(&[f64], &[f64], &[f64], &[f64], f64, &mut [f64]);
type TheirsPen = fn(
    &Core,
    usize,
    usize,
    &[f64],
    &[f64],
    &[f64],
    &[f64],
    f64,
    &mut [i32],
) -> Result<OutRange, RetCode>;

/// A penetration pattern over every series at each penetration: equal to
/// TA-Lib, and firing at the default penetration. Returns, per penetration,
/// how many bars fired.
fn check_penetration(
    name: &str,
    ours: OursPen,
    theirs: TheirsPen,
    penetrations: &[f64],
) -> Vec<usize> {
    let core = Core::new();
    let series = everything();
    penetrations
        .iter()
        .map(|&p| {
            let mut fired = 0;
            for s in &series {
                let mut mine = vec![0.0; s.len()];
                ours(&s.open, &s.high, &s.low, &s.close, p, &mut mine);
                let mut out = vec![0; s.len()];
                let r = theirs(
                    &core,
                    0,
                    s.len() - 1,
                    &s.open,
                    &s.high,
                    &s.low,
                    &s.close,
                    p,
                    &mut out,
                )
                .unwrap();
                assert_oracle(
                    &format!("{name}(penetration {p}) on {}", s.name),
                    &mine,
                    &ints(&out),
                    r.beg_idx,
                    r.count,
                );
                fired += out[..r.count].iter().filter(|&&v| v != 0).count();
            }
            fired
        })
        .collect()
}

/// Penetrations to try: 0, small, the default, larger, the whole body, beyond.
const PENETRATIONS: [f64; 7] = [0.0, 0.1, 0.3, 0.5, 0.8, 1.0, 2.5];

#[test]
fn morningstar_matches_ta_lib_at_several_penetrations() {
    let fired = check_penetration(
        "cdl_morningstar",
        cdl::cdl_morningstar,
        Core::cdlmorningstar,
        &PENETRATIONS,
    );
    assert!(fired[2] > 0, "never fired at the default 0.3: {fired:?}");
    assert!(
        fired[0] > fired[5],
        "a deeper penetration must fire less: {fired:?}"
    );
    let core = Core::new();
    for p in PENETRATIONS {
        assert_eq!(
            cdl::cdl_morningstar_lookback(),
            core.cdlmorningstar_lookback(p).unwrap()
        );
    }
}

#[test]
fn eveningstar_matches_ta_lib_at_several_penetrations() {
    let fired = check_penetration(
        "cdl_eveningstar",
        cdl::cdl_eveningstar,
        Core::cdleveningstar,
        &PENETRATIONS,
    );
    assert!(fired[2] > 0, "never fired at the default 0.3: {fired:?}");
    assert!(
        fired[0] > fired[5],
        "a deeper penetration must fire less: {fired:?}"
    );
    let core = Core::new();
    for p in PENETRATIONS {
        assert_eq!(
            cdl::cdl_eveningstar_lookback(),
            core.cdleveningstar_lookback(p).unwrap()
        );
    }
}

#[test]
fn darkcloudcover_matches_ta_lib_at_several_penetrations() {
    let fired = check_penetration(
        "cdl_darkcloudcover",
        cdl::cdl_darkcloudcover,
        Core::cdldarkcloudcover,
        &PENETRATIONS,
    );
    assert!(fired[3] > 0, "never fired at the default 0.5: {fired:?}");
    assert!(
        fired[0] > fired[5],
        "a deeper penetration must fire less: {fired:?}"
    );
    let core = Core::new();
    for p in PENETRATIONS {
        assert_eq!(
            cdl::cdl_darkcloudcover_lookback(),
            core.cdldarkcloudcover_lookback(p).unwrap()
        );
    }
}

#[test]
fn penetration_outside_ta_libs_range_gives_all_nan() {
    let s = candle_rich(21, 200, 50.0, 0.01, 0.0);
    let core = Core::new();
    let pens: [OursPen; 3] = [
        cdl::cdl_morningstar,
        cdl::cdl_eveningstar,
        cdl::cdl_darkcloudcover,
    ];
    for bad in [-0.1, f64::NAN, 4e37, f64::INFINITY] {
        assert!(core.cdlmorningstar_lookback(bad).is_err(), "{bad}");
        assert!(core.cdldarkcloudcover_lookback(bad).is_err(), "{bad}");
        for f in pens {
            let mut out = vec![0.0; s.len()];
            f(&s.open, &s.high, &s.low, &s.close, bad, &mut out);
            assert!(out.iter().all(|v| v.is_nan()), "penetration {bad}");
        }
    }
}

#[test]
fn inputs_around_the_lookback_length_match_ta_lib() {
    let s = candle_rich(22, 40, 50.0, 0.01, 0.0);
    let cut = |n: usize| Series {
        name: format!("first {n} bars"),
        open: s.open[..n].to_vec(),
        high: s.high[..n].to_vec(),
        low: s.low[..n].to_vec(),
        close: s.close[..n].to_vec(),
        volume: s.volume[..n].to_vec(),
    };
    let short: Vec<Series> = (1..=15).map(cut).collect();
    check(
        "cdl_engulfing",
        cdl::cdl_engulfing,
        Core::cdlengulfing,
        &short,
    );
    check("cdl_doji", cdl::cdl_doji, Core::cdldoji, &short);
    check("cdl_hammer", cdl::cdl_hammer, Core::cdlhammer, &short);
    check(
        "cdl_3blackcrows",
        cdl::cdl_3blackcrows,
        Core::cdl3blackcrows,
        &short,
    );
    check(
        "cdl_3whitesoldiers",
        cdl::cdl_3whitesoldiers,
        Core::cdl3whitesoldiers,
        &short,
    );
}

#[test]
fn columns_of_unequal_length_give_all_nan() {
    let s = candle_rich(23, 60, 50.0, 0.01, 0.0);
    let plain: [Ours; 9] = [
        cdl::cdl_engulfing,
        cdl::cdl_hammer,
        cdl::cdl_doji,
        cdl::cdl_shootingstar,
        cdl::cdl_harami,
        cdl::cdl_3whitesoldiers,
        cdl::cdl_3blackcrows,
        cdl::cdl_piercing,
        cdl::cdl_marubozu,
    ];
    for f in plain {
        let mut out = vec![0.0; s.len()];
        f(&s.open, &s.high[1..], &s.low, &s.close, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }
    let mut out = vec![0.0; s.len()];
    cdl::cdl_morningstar(&s.open, &s.high, &s.low, &s.close[1..], 0.3, &mut out);
    assert!(out.iter().all(|v| v.is_nan()));
}
