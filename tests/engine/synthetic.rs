//! See main.rs for what this module covers.

use technic::data::synthetic::{bars, symbol_name, universe, LAST_DAY, SYNTHETIC_LABEL};
use technic::engine::Bars;

const N: usize = 750;

fn daily_returns(b: &Bars) -> Vec<f64> {
    b.close().windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

fn std(xs: &[f64]) -> f64 {
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

#[test]
fn the_same_seed_gives_identical_bars_and_another_seed_does_not() {
    for i in [0, 1, 17, 4999] {
        assert_eq!(bars(42, i, N), bars(42, i, N), "symbol {i}");
        assert_ne!(bars(42, i, N).close(), bars(43, i, N).close(), "symbol {i}");
    }
    assert_ne!(bars(42, 0, N).close(), bars(42, 1, N).close());
    assert_eq!(universe(7, 50), universe(7, 50));
    assert_ne!(universe(7, 50), universe(8, 50));
}

#[test]
fn a_symbol_does_not_depend_on_generation_order_or_on_other_symbols() {
    let forward: Vec<Bars> = (0..40).map(|i| bars(9, i, 300)).collect();
    let mut backward: Vec<(usize, Bars)> = (0..40).rev().map(|i| (i, bars(9, i, 300))).collect();
    backward.reverse();
    for (i, b) in backward {
        assert_eq!(b, forward[i], "symbol {i}");
    }
    let threaded: Vec<Bars> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|i| s.spawn(move || bars(9, i * 10, 300)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (k, b) in threaded.iter().enumerate() {
        assert_eq!(*b, forward[k * 10]);
    }
    let big = universe(9, 40);
    assert_eq!(universe(9, 10)[..], big[..10]);
}

/// A hash of every bit of every column of 20 symbols × 260 bars.
fn fingerprint(seed: u64) -> u64 {
    (0..20)
        .map(|i| bars(seed, i, 260).into_columns())
        .flat_map(|c| {
            let times = c.time.into_iter().map(|t| t as u64);
            let values = [c.open, c.high, c.low, c.close, c.volume]
                .into_iter()
                .flatten()
                .map(f64::to_bits);
            times.chain(values).collect::<Vec<_>>()
        })
        .fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
            (h ^ x).wrapping_mul(0x0100_0000_01b3)
        })
}

#[test]
fn fixed_bits_pin_the_generator_across_platforms() {
    // Pinned on x86_64: a change to the generator, or a platform (wasm32)
    // whose arithmetic differed, changes this value. Update it only on
    // purpose, since it changes every demo and benchmark universe.
    assert_eq!(
        fingerprint(2026),
        PINNED,
        "fingerprint {:#x}",
        fingerprint(2026)
    );
    assert_ne!(fingerprint(2027), PINNED);
}

const PINNED: u64 = 0x6edb_30eb_8997_b12d;

#[test]
fn every_bar_is_valid_for_many_symbols_and_lengths() {
    for i in 0..300 {
        let n = [1, 2, 30, 260, 1500][i % 5];
        let b = bars(123, i, n);
        assert_eq!(b.len(), n, "symbol {i}");
        // Re-validate through the public constructor: every SPEC §2.1 rule.
        let again = Bars::new(&symbol_name(i), b.clone().into_columns());
        assert_eq!(again.as_ref(), Ok(&b), "symbol {i}");
        for k in 0..n {
            let (o, h, l, c) = (b.open()[k], b.high()[k], b.low()[k], b.close()[k]);
            assert!(
                l > 0.0 && h >= o.max(c) && l <= o.min(c),
                "symbol {i} bar {k}"
            );
            assert!(b.volume()[k] >= 0.0 && b.volume()[k].fract() == 0.0);
        }
    }
    assert!(bars(1, 0, 0).is_empty());
}

#[test]
fn dates_are_weekdays_ending_on_the_fixed_last_day() {
    let b = bars(5, 3, 600);
    let day_ms = 86_400_000;
    assert_eq!(*b.time().last().unwrap(), LAST_DAY * day_ms);
    for w in b.time().windows(2) {
        let gap = (w[1] - w[0]) / day_ms;
        assert!(gap == 1 || gap == 3, "weekday steps only, got {gap} days");
    }
    for &t in b.time() {
        assert_eq!(t % day_ms, 0);
        let weekday = (t / day_ms + 3).rem_euclid(7); // Monday = 0
        assert!(weekday < 5);
    }
    // The same calendar for every symbol of the same length.
    assert_eq!(bars(5, 4, 600).time(), b.time());
}

#[test]
fn returns_volatility_volume_and_trends_look_like_a_market() {
    let mut stds = Vec::new();
    let mut ups = 0;
    let mut downs = 0;
    let mut bursty = 0;
    let mut starts = Vec::new();
    for i in 0..200 {
        let b = bars(77, i, N);
        let r = daily_returns(&b);
        let s = std(&r);
        assert!((0.005..0.06).contains(&s), "symbol {i}: daily std {s}");
        assert!(
            r.iter().all(|x| x.abs() < 0.6),
            "symbol {i}: a daily move beyond 60%"
        );
        stds.push(s);
        let total = b.close()[N - 1] / b.close()[0];
        if total > 1.1 {
            ups += 1;
        } else if total < 0.9 {
            downs += 1;
        }
        let mut v = b.volume().to_vec();
        v.sort_by(f64::total_cmp);
        let median = v[v.len() / 2];
        if v[v.len() - 1] > 4.0 * median {
            bursty += 1;
        }
        starts.push(b.open()[0]);
    }
    let mean_std = stds.iter().sum::<f64>() / stds.len() as f64;
    assert!(
        (0.012..0.03).contains(&mean_std),
        "mean daily std {mean_std}"
    );
    assert!(
        ups >= 20 && downs >= 20,
        "{ups} up, {downs} down over three years"
    );
    assert!(
        bursty >= 150,
        "only {bursty} of 200 symbols have volume bursts"
    );
    // Starting prices spread over 2..2000 (log-uniform: all decades present).
    for decade in [(1.0, 10.0), (10.0, 100.0), (100.0, 1000.0)] {
        assert!(
            starts.iter().any(|&p| p >= decade.0 && p < decade.1),
            "no start price in {decade:?}"
        );
    }
    assert!(starts.iter().all(|&p| (1.5..2700.0).contains(&p)));
}

#[test]
fn volume_bursts_come_with_big_moves() {
    let mut big = Vec::new();
    let mut calm = Vec::new();
    for i in 0..50 {
        let b = bars(3, i, N);
        let r = daily_returns(&b);
        let s = std(&r);
        let v = b.volume();
        for k in 1..N {
            let rel = v[k] / v[k - 1].max(1.0);
            if r[k - 1].abs() > 2.5 * s {
                big.push(rel);
            } else if r[k - 1].abs() < 0.5 * s {
                calm.push(rel);
            }
        }
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    assert!(!big.is_empty() && !calm.is_empty());
    assert!(
        mean(&big) > 1.5 * mean(&calm),
        "{} vs {}",
        mean(&big),
        mean(&calm)
    );
}

#[test]
fn volatility_clusters() {
    // |r_t| and |r_{t-1}| correlate positively in a GARCH-like market.
    let mut num = 0.0;
    let mut count = 0;
    for i in 0..30 {
        let r = daily_returns(&bars(11, i, 1500));
        let a: Vec<f64> = r.iter().map(|x| x.abs()).collect();
        let m = a.iter().sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
        let cov: f64 = a.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
        num += cov / var;
        count += 1;
    }
    let autocorr = num / count as f64;
    assert!(
        autocorr > 0.05,
        "lag-1 autocorrelation of |r| is {autocorr}"
    );
}

#[test]
fn the_universe_is_labelled_and_plausible() {
    assert!(SYNTHETIC_LABEL.to_lowercase().contains("synthetic"));
    let u = universe(1, 500);
    assert_eq!(u.len(), 500);
    for (i, e) in u.iter().enumerate() {
        assert_eq!(e.symbol, symbol_name(i));
        assert!(!e.sector.is_empty() && !e.industry.is_empty());
        assert!((2.9e8..3.1e12).contains(&e.market_cap), "{}", e.market_cap);
    }
    let sectors: std::collections::BTreeSet<_> = u.iter().map(|e| e.sector).collect();
    assert!(sectors.len() >= 6, "{sectors:?}");
    let small = u.iter().filter(|e| e.market_cap < 1e10).count();
    assert!(small > 250 && small < 500, "{small} of 500 below $10B");
}
