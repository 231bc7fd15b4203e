//! See main.rs for what this module covers.

use technic::data::history::{
    fit_duration, rank, Candidate, Features, Fingerprint, History, HistoryError, Limits,
    MarginScan, Order, RunRecord, SymbolOutcome, Warning, EXPLORATION_SHARE, HALF_LIFE_SCANS,
    SCHEMA_VERSION,
};
use technic::data::synthetic;
use technic::engine::score::Settings;

fn run(time_ms: i64, symbols: u32, matches: u32) -> RunRecord {
    RunRecord {
        time_ms,
        symbols,
        fetched: symbols,
        cache_hits: 0,
        requests: symbols,
        rate_per_s: Some(5.0),
        bars: u64::from(symbols) * 250,
        indicators: 1,
        threads: 2,
        duration_ms: 1000.0,
        matches,
        first_match_ms: None,
        tenth_match_ms: None,
        order: Order::Learned,
        predicted_ms: None,
        predicted_matches: None,
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("S{i:03}")).collect()
}

fn outcome(symbol: &str, matched: bool) -> SymbolOutcome {
    SymbolOutcome {
        symbol: symbol.to_string(),
        matched: Some(matched),
        fetch_ms: Some(100.0),
        ..Default::default()
    }
}

/// A history of `runs` runs over `syms` where `matcher(i, run)` says who matched.
fn history_of(
    fp: Fingerprint,
    syms: &[String],
    runs: usize,
    matcher: impl Fn(usize, usize) -> bool,
) -> History {
    let mut h = History::default();
    for r in 0..runs {
        let outs: Vec<SymbolOutcome> = syms
            .iter()
            .enumerate()
            .map(|(i, s)| outcome(s, matcher(i, r)))
            .collect();
        let m = outs.iter().filter(|o| o.matched == Some(true)).count() as u32;
        h.record_run(fp, run(r as i64 * 86_400_000, syms.len() as u32, m), &outs);
    }
    h
}

fn cold(syms: &[String]) -> Vec<Candidate<'_>> {
    syms.iter().map(|s| Candidate::new(s, 1)).collect()
}

fn position(order: &[usize], index: usize) -> usize {
    order.iter().position(|&i| i == index).unwrap()
}

const FP: Fingerprint = Fingerprint(42);

// ---- ranking ----

#[test]
fn universe_order_is_the_identity_and_every_order_is_a_permutation() {
    let syms = names(30);
    let h = history_of(FP, &syms, 4, |i, _| i % 7 == 3);
    let c = cold(&syms);
    assert_eq!(
        rank(Order::Universe, h.scan(FP), &c, 1),
        (0..30).collect::<Vec<_>>()
    );
    for order in Order::ALL {
        for seed in 0..5 {
            let mut r = rank(order, h.scan(FP), &c, seed);
            r.sort_unstable();
            assert_eq!(r, (0..30).collect::<Vec<_>>(), "{order} seed {seed}");
        }
    }
}

#[test]
fn with_no_information_the_learned_order_keeps_universe_order() {
    let syms = names(25);
    let c = cold(&syms);
    assert_eq!(
        rank(Order::Learned, None, &c, 9),
        (0..25).collect::<Vec<_>>()
    );
}

#[test]
fn ties_keep_universe_order_within_each_tier() {
    let syms = names(10);
    let mut c = cold(&syms);
    // Stale matches at 7 and 2, a fresh cached symbol at 5, near misses at 8 (−0.02) and 1 (−0.05).
    c[7].stale_match = Some(true);
    c[2].stale_match = Some(true);
    c[5].requests = 0;
    c[8].stale_match = Some(false);
    c[8].stale_margin = Some(-0.02);
    c[1].stale_match = Some(false);
    c[1].stale_margin = Some(-0.05);
    c[4].stale_match = Some(false);
    c[4].stale_margin = Some(-0.5); // not near: stays with the rest
    let r = rank(Order::Learned, None, &c, 3);
    assert_eq!(r, vec![5, 2, 7, 8, 1, 0, 3, 4, 6, 9]);
}

#[test]
fn the_learned_order_is_fixed_by_its_seed() {
    let syms = names(60);
    let h = history_of(FP, &syms, 5, |i, r| (i + r) % 9 == 0);
    let c = cold(&syms);
    let a = rank(Order::Learned, h.scan(FP), &c, 11);
    assert_eq!(a, rank(Order::Learned, h.scan(FP), &c, 11));
    assert!((0..10).any(|s| rank(Order::Learned, h.scan(FP), &c, s) != a));
}

#[test]
fn learned_puts_past_matchers_first_on_a_cold_rescan() {
    let syms = names(40);
    let matchers = [30, 31, 33, 36, 39];
    // Matched in every run: the latest result alone puts them first.
    let h = history_of(FP, &syms, 5, |i, _| matchers.contains(&i));
    let r = rank(Order::Learned, h.scan(FP), &cold(&syms), 1);
    let mut first: Vec<usize> = r[..5].to_vec();
    first.sort_unstable();
    assert_eq!(first, matchers);
    // Universe order would reach the first of them only at rank 30.
    assert_eq!(
        position(&rank(Order::Universe, h.scan(FP), &cold(&syms), 1), 30),
        30
    );
}

#[test]
fn thompson_draws_favour_symbols_with_more_decayed_matches() {
    let syms = names(40);
    let matchers = [30, 31, 33, 36, 39];
    // Matched in runs 0..4 but not in the latest run (5): no latest-result
    // shortcut, only the decayed counts speak.
    let h = history_of(FP, &syms, 6, |i, r| r < 5 && matchers.contains(&i));
    let c = cold(&syms);
    let seeds = 200;
    let mut all_in_top10 = 0;
    let mut matcher_rank_sum = 0.0;
    for seed in 0..seeds {
        let r = rank(Order::Learned, h.scan(FP), &c, seed);
        let pos: Vec<usize> = matchers.iter().map(|&m| position(&r, m)).collect();
        if pos.iter().all(|&p| p < 10) {
            all_in_top10 += 1;
        }
        matcher_rank_sum += pos.iter().sum::<usize>() as f64 / 5.0;
    }
    let mean_rank = matcher_rank_sum / seeds as f64;
    // Universe order puts them at 33.8 on average, a random order at 19.5.
    assert!(mean_rank < 6.0, "mean rank of past matchers {mean_rank}");
    assert!(all_in_top10 >= seeds * 8 / 10, "{all_in_top10} of {seeds}");
}

#[test]
fn exploration_never_starves_a_symbol() {
    let known = names(40);
    let matchers = [3, 11, 19, 27, 35];
    let h = history_of(FP, &known, 8, |i, _| matchers.contains(&i));
    // Ten symbols joined the universe since: never evaluated by this scan.
    let mut syms = known.clone();
    syms.extend((0..10).map(|i| format!("NEW{i}")));
    let c = cold(&syms);
    let early = syms.len() / 4; // the first quarter of the queue
    let mut got_early = vec![0usize; syms.len()];
    let every = (1.0 / EXPLORATION_SHARE).round() as usize;
    for seed in 0..400 {
        let r = rank(Order::Learned, h.scan(FP), &c, seed);
        for &i in &r[..early] {
            got_early[i] += 1;
        }
        // Every 10th fetch slot goes to a never-evaluated symbol while any is left.
        for slot in (every - 1..r.len()).step_by(every) {
            let left = r[slot..].iter().any(|&i| syms[i].starts_with("NEW"));
            assert!(
                !left || syms[r[slot]].starts_with("NEW"),
                "seed {seed}: slot {slot} holds {}",
                syms[r[slot]]
            );
        }
    }
    for (i, n) in got_early.iter().enumerate() {
        assert!(
            *n > 0,
            "{} never got one of the first {early} slots",
            syms[i]
        );
    }
}

#[test]
fn decay_halves_a_match_at_the_half_life() {
    let mut h = History::default();
    h.record_run(FP, run(0, 1, 1), &[outcome("A", true)]);
    let half_life = HALF_LIFE_SCANS as usize;
    for k in 1..=half_life {
        h.record_run(FP, run(k as i64, 1, 0), &[outcome("A", false)]);
    }
    let s = h.scan(FP).unwrap().symbol("A").unwrap();
    assert!((s.matches - 0.5).abs() < 1e-12, "matches {}", s.matches);
    let lambda = 0.5f64.powf(1.0 / HALF_LIFE_SCANS);
    let trials: f64 = (0..=half_life).map(|k| lambda.powi(k as i32)).sum();
    assert!((s.trials - trials).abs() < 1e-9, "trials {}", s.trials);
    assert_eq!(s.last_match_ms, Some(0));
    assert_eq!(s.last_result, Some(false));
}

#[test]
fn the_cheaper_symbol_goes_first_among_equals() {
    let syms = names(2);
    // Same match history; S001 took 10× longer to fetch.
    let mut h = History::default();
    for r in 0..6 {
        let outs = vec![
            SymbolOutcome {
                fetch_ms: Some(50.0),
                ..outcome(&syms[0], r % 2 == 0)
            },
            SymbolOutcome {
                fetch_ms: Some(500.0),
                ..outcome(&syms[1], r % 2 == 0)
            },
        ];
        h.record_run(FP, run(r, 2, 0), &outs);
    }
    let c: Vec<Candidate> = vec![Candidate::new(&syms[1], 1), Candidate::new(&syms[0], 1)];
    let firsts = (0..200)
        .filter(|&s| rank(Order::Learned, h.scan(FP), &c, s)[0] == 1)
        .count();
    assert!(
        firsts > 150,
        "the cheap symbol went first {firsts} of 200 times"
    );
}

// ---- prediction ----

fn features(i: u32) -> Features {
    // Varied plans: cold and warm, slow and fast sources, big and small universes.
    let symbols = 50 + (i * 37) % 400;
    let fetched = (i * 53) % (symbols + 1);
    Features {
        symbols,
        requests: fetched + (i % 3) * 4,
        rate_per_s: if i.is_multiple_of(4) {
            None
        } else {
            Some(f64::from(1 + i % 5) * 2.0)
        },
        fetched,
        cache_hits: symbols - fetched,
        bars: u64::from(symbols) * u64::from(200 + (i * 71) % 2300),
        indicators: 1 + i % 4,
        threads: 1 + i % 4,
    }
}

fn synthetic_run(i: u32, f: &Features, ms: f64) -> RunRecord {
    RunRecord {
        time_ms: i64::from(i),
        symbols: f.symbols,
        fetched: f.fetched,
        cache_hits: f.cache_hits,
        requests: f.requests,
        rate_per_s: f.rate_per_s,
        bars: f.bars,
        indicators: f.indicators,
        threads: f.threads,
        duration_ms: ms,
        ..run(0, 0, 0)
    }
}

#[test]
fn the_predictor_recovers_known_coefficients() {
    let truth = [40.0, 1000.0, 15.0, 0.4, 250.0];
    let runs: Vec<RunRecord> = (0..30)
        .map(|i| {
            let f = features(i);
            let ms: f64 = truth.iter().zip(f.row()).map(|(c, x)| c * x).sum();
            synthetic_run(i, &f, ms)
        })
        .collect();
    let model = fit_duration(&runs.iter().collect::<Vec<_>>()).unwrap();
    for (k, (got, want)) in model.coefficients.iter().zip(truth).enumerate() {
        assert!(
            (got - want).abs() <= 1e-6 * want.max(1.0),
            "c{k}: {got} vs {want}"
        );
    }
    // Through History::predict as well, for a plan not in the data.
    let mut h = History::default();
    for r in &runs {
        h.record_run(FP, r.clone(), &[]);
    }
    let plan = features(97);
    let want: f64 = truth.iter().zip(plan.row()).map(|(c, x)| c * x).sum();
    let p = h.predict(FP, &plan, &[]);
    let got = p.duration_ms.unwrap();
    assert!((got - want).abs() < 1e-6 * want, "{got} vs {want}");
    // An exact fit leaves no spread.
    let (lo, hi) = p.duration_range_ms.unwrap();
    assert!((lo - got).abs() < 1e-6 * got && (hi - got).abs() < 1e-6 * got);
}

#[test]
fn the_predictor_never_returns_a_negative_coefficient() {
    // Cache hits make the (synthetic) scan faster: least squares would say
    // −2 ms per hit; durations cannot work that way, so the fit keeps 0.
    let runs: Vec<RunRecord> = (0..30)
        .map(|i| {
            let f = features(i);
            let r = f.row();
            let ms = 100.0 + 900.0 * r[1] + 10.0 * r[2] - 2.0 * r[3] + 1.0 * f64::from(i % 7);
            synthetic_run(i, &f, ms.max(0.0))
        })
        .collect();
    let model = fit_duration(&runs.iter().collect::<Vec<_>>()).unwrap();
    assert!(
        model.coefficients.iter().all(|c| *c >= 0.0),
        "{:?}",
        model.coefficients
    );
    assert_eq!(model.coefficients[3], 0.0, "{:?}", model.coefficients);
    assert!(model.coefficients[1] > 500.0, "{:?}", model.coefficients);
}

#[test]
fn with_no_history_there_is_no_number() {
    let h = History::default();
    let p = h.predict(FP, &features(3), &["A", "B"]);
    assert_eq!(p.duration_ms, None);
    assert_eq!(p.matches, None);
    assert_eq!(p.warning, None);
    assert_eq!(p.runs_used, 0);
    // One run: the match count has a basis, the duration fit does not yet.
    let mut h = History::default();
    h.record_run(FP, run(0, 2, 1), &[outcome("A", true), outcome("B", false)]);
    let p = h.predict(FP, &features(3), &["A", "B"]);
    assert_eq!(p.duration_ms, None);
    assert_eq!(p.duration_range_ms, None);
    assert!(p.matches.is_some());
    // Another scan's runs count for the duration, not for this scan's matches.
    h.record_run(Fingerprint(7), run(1, 2, 0), &[]);
    let p = h.predict(FP, &features(3), &["A", "B"]);
    assert!(p.duration_ms.is_some());
    assert_eq!(
        h.predict(Fingerprint(8), &features(3), &["A"]).matches,
        None
    );
}

#[test]
fn the_match_count_follows_the_symbols_match_chances() {
    let syms = names(40);
    let h = history_of(FP, &syms, 6, |i, _| i < 4);
    let universe: Vec<&str> = syms.iter().map(String::as_str).collect();
    let p = h.predict(FP, &features(1), &universe);
    let m = p.matches.unwrap();
    assert!((m - 4.0).abs() < 1.0, "expected ~4 matches, predicted {m}");
    assert!(p.matches_sd.unwrap() > 0.0);
    // Unseen symbols count at the scan's overall rate (4 of 40).
    let mut bigger = universe.clone();
    let extra = names(80);
    bigger.extend(extra[40..].iter().map(String::as_str));
    let m2 = h.predict(FP, &features(1), &bigger).matches.unwrap();
    assert!((m2 - m - 4.0).abs() < 0.5, "{m} → {m2}");
}

#[test]
fn warnings_say_too_tight_and_too_broad() {
    let syms = names(20);
    let tight = history_of(FP, &syms, 3, |_, _| false);
    let p = tight.predict(FP, &features(1), &[]);
    assert_eq!(p.warning, Some(Warning::TooTight));
    assert!(Warning::TooTight.message().contains("too tight"));
    let broad = history_of(FP, &syms, 2, |i, _| i < 11);
    assert_eq!(
        broad.predict(FP, &features(1), &[]).warning,
        Some(Warning::TooBroad)
    );
    let half = history_of(FP, &syms, 2, |i, _| i < 10);
    assert_eq!(half.predict(FP, &features(1), &[]).warning, None);
    // One match in the last three runs lifts "too tight".
    let once = history_of(FP, &syms, 3, |i, r| r == 1 && i == 0);
    assert_eq!(once.predict(FP, &features(1), &[]).warning, None);
}

#[test]
fn accuracy_compares_predicted_with_actual() {
    let mut h = History::default();
    for (pred, actual, pm, am) in [
        (Some(1000.0), 1200.0, Some(5.0), 4),
        (Some(1000.0), 3000.0, Some(2.0), 4),
        (None, 500.0, None, 1),
        (Some(900.0), 1000.0, Some(4.0), 4),
    ] {
        let mut r = run(0, 10, am);
        r.duration_ms = actual;
        r.predicted_ms = pred;
        r.predicted_matches = pm;
        h.record_run(FP, r, &[]);
    }
    let a = h.accuracy(Some(FP));
    assert_eq!(a.duration_runs, 3);
    // Errors 1/6, 2/3, 1/10 → median 1/6; two of three within ±50%.
    assert!((a.duration_median_error.unwrap() - 1.0 / 6.0).abs() < 1e-12);
    assert!((a.duration_within_half.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(a.matches_runs, 3);
    assert!((a.matches_median_error.unwrap() - 0.25).abs() < 1e-12);
    assert_eq!(h.accuracy(Some(Fingerprint(1))).duration_runs, 0);
}

// ---- store ----

#[test]
fn history_bytes_round_trip() {
    let syms = names(12);
    let mut h = history_of(FP, &syms, 4, |i, r| (i + r) % 3 == 0);
    let mut r = run(99, 12, 3);
    r.order = Order::Random;
    r.predicted_ms = Some(1234.5);
    r.first_match_ms = Some(0.1 + 0.2);
    h.record_run(
        Fingerprint(u64::MAX),
        r,
        &[SymbolOutcome {
            symbol: "Ünïcode/1".into(),
            matched: Some(true),
            tech_rating: Some(17.25),
            margin: Some(-1e-300),
            fetch_ms: Some(61.0),
        }],
    );
    let bytes = h.to_bytes();
    let back = History::from_bytes(&bytes).unwrap();
    assert_eq!(back, h);
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn the_history_is_bounded_and_evicts_the_least_recently_used_scan() {
    let limits = Limits {
        max_scans: 3,
        max_symbol_entries: 1000,
    };
    let mut h = History::new(limits);
    let syms = names(5);
    let outs: Vec<SymbolOutcome> = syms.iter().map(|s| outcome(s, false)).collect();
    for f in 1..=3 {
        h.record_run(Fingerprint(f), run(0, 5, 0), &outs);
    }
    h.touch(Fingerprint(1)); // 2 is now the least recently used
    h.record_run(Fingerprint(4), run(0, 5, 0), &outs);
    let mut held = h.fingerprints();
    held.sort();
    assert_eq!(held, vec![Fingerprint(1), Fingerprint(3), Fingerprint(4)]);

    // The entry bound: 3 scans × 20 symbols over a cap of 50 drops the oldest scan.
    let mut h = History::new(Limits {
        max_scans: 10,
        max_symbol_entries: 50,
    });
    let syms = names(20);
    let outs: Vec<SymbolOutcome> = syms.iter().map(|s| outcome(s, false)).collect();
    for f in 1..=3 {
        h.record_run(Fingerprint(f), run(0, 20, 0), &outs);
    }
    assert!(h.symbol_entries() <= 50);
    assert_eq!(h.fingerprints(), vec![Fingerprint(2), Fingerprint(3)]);

    // One scan alone above the cap keeps its most recently seen symbols.
    let many = names(80);
    let early: Vec<SymbolOutcome> = many[..40].iter().map(|s| outcome(s, false)).collect();
    let late: Vec<SymbolOutcome> = many[40..].iter().map(|s| outcome(s, false)).collect();
    h.record_run(Fingerprint(9), run(0, 40, 0), &early);
    h.record_run(Fingerprint(9), run(1, 40, 0), &late);
    assert_eq!(h.fingerprints(), vec![Fingerprint(9)]);
    let s = h.scan(Fingerprint(9)).unwrap();
    assert_eq!(s.symbols.len(), 50);
    assert!(many[40..].iter().all(|m| s.symbol(m).is_some()));
}

#[test]
fn bad_bytes_are_an_error_not_a_panic() {
    for bad in [
        &b""[..],
        b"\x00\x01\x02garbage",
        b"{",
        b"[]",
        b"{\"schema\":1}",
        b"{\"schema\":\"one\"}",
        b"{\"schema\":1,\"tick\":0,\"scans\":[[1,{\"runs\":[{\"duration_ms\":\"x\"}]}]]}",
    ] {
        match History::from_bytes(bad) {
            Err(HistoryError::Malformed(msg)) => assert!(!msg.is_empty()),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(bad)),
        }
    }
    let good = history_of(FP, &names(3), 2, |i, _| i == 0).to_bytes();
    for cut in [1, good.len() / 2, good.len() - 1] {
        assert!(matches!(
            History::from_bytes(&good[..cut]),
            Err(HistoryError::Malformed(_))
        ));
    }
    // Well-formed but impossible: more matches than trials.
    let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let stats = &mut v["scans"][0][1]["symbols"]["S000"];
    assert!(stats.is_object(), "layout changed: {v}");
    stats["m"] = serde_json::Value::from("99");
    let bad = serde_json::to_vec(&v).unwrap();
    let e = History::from_bytes(&bad).unwrap_err();
    assert!(matches!(e, HistoryError::Invalid(_)), "{e:?}");
    assert!(e.to_string().contains("S000"), "{e}");
}

#[test]
fn another_schema_version_is_refused_by_name() {
    let text = String::from_utf8(History::default().to_bytes()).unwrap();
    let other = text.replacen(
        &format!("\"schema\":{SCHEMA_VERSION}"),
        &format!("\"schema\":{}", SCHEMA_VERSION + 1),
        1,
    );
    assert_ne!(other, text);
    assert_eq!(
        History::from_bytes(other.as_bytes()),
        Err(HistoryError::Schema {
            found: SCHEMA_VERSION + 1,
            expected: SCHEMA_VERSION
        })
    );
}

#[test]
fn clear_forgets_every_scan() {
    let mut h = history_of(FP, &names(3), 2, |_, _| true);
    assert!(h.scan(FP).is_some());
    h.clear();
    assert!(h.scan(FP).is_none());
    assert_eq!(h.symbol_entries(), 0);
    assert_eq!(
        History::from_bytes(&h.to_bytes()).unwrap().symbol_entries(),
        0
    );
}

// ---- margins ----

#[test]
fn a_positive_margin_means_a_match_at_every_bar() {
    let settings = Settings::default();
    for expr in [
        "rsi(14) < 30",
        "close > sma(close, 50) and rsi(14) > 55",
        "rsi(14) < 25 or close < lowest(low, 20)[1]",
        "close crosses above sma(close, 20)",
        "not (rsi(14) > 40)",
    ] {
        let m = MarginScan::compile(expr).unwrap();
        let mut ws = m.workspace();
        let mut checked = 0;
        for sym in 0..3 {
            let bars = synthetic::bars(5, sym, 400);
            for i in 0..bars.len() {
                let e = m.eval_at(&bars, &mut ws, &settings, i);
                let (Some(matched), Some(margin)) = (e.matched, e.margin) else {
                    continue;
                };
                if margin != 0.0 {
                    assert_eq!(
                        matched,
                        margin > 0.0,
                        "{expr}, symbol {sym}, bar {i}: {margin}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{expr}: only {checked} bars checked");
    }
}

#[test]
fn ahead_of_a_bar_a_cross_is_never_a_sure_match_and_a_threshold_keeps_its_margin() {
    let settings = Settings::default();
    let cross = MarginScan::compile("close crosses above sma(close, 20)").unwrap();
    let level = MarginScan::compile("rsi(14) < 30").unwrap();
    let bars = synthetic::bars(5, 1, 400);
    let c = cross.eval_each(&bars, &mut cross.workspace(), &settings);
    let l = level.eval_each(&bars, &mut level.workspace(), &settings);
    let defined = c.iter().filter(|e| e.ahead.is_some()).count();
    assert!(defined > 300, "{defined}");
    for (i, e) in c.iter().enumerate() {
        if let Some(a) = e.ahead {
            assert!(a <= 0.0, "bar {i}: ahead {a}");
        }
        // Already above the average: out of reach for the next bar.
        if e.ahead.is_some_and(|a| a > -1.0) {
            assert!(bars.close()[i] <= c_sma(&bars, i), "bar {i}");
        }
    }
    for e in &l {
        assert_eq!(e.ahead, e.margin);
    }
}

fn c_sma(bars: &technic::engine::bars::Bars, i: usize) -> f64 {
    bars.close()[i + 1 - 20..=i].iter().sum::<f64>() / 20.0
}

#[test]
fn a_class_that_does_not_predict_loses_its_boost() {
    // An event scan: whoever matched yesterday never matches today.
    let syms = names(50);
    let runs = 12;
    let h = history_of(FP, &syms, runs, |i, r| (i + r) % 5 == 0);
    let s = h.scan(FP).unwrap();
    let after_match = s.after_class[0];
    assert!(after_match.trials >= 5.0, "{after_match:?}");
    assert_eq!(after_match.matches, 0.0);
    assert!(after_match.rate(s.overall_rate()) < s.overall_rate());
    // Yesterday's matchers, flagged as matching on stale bars, are not put first.
    let mut c = cold(&syms);
    let yesterday: Vec<usize> = (0..50).filter(|i| (i + runs - 1) % 5 == 0).collect();
    for &i in &yesterday {
        c[i].stale_match = Some(true);
    }
    let mut mean_pos = 0.0;
    for seed in 0..100 {
        let r = rank(Order::Learned, Some(s), &c, seed);
        mean_pos += yesterday.iter().map(|&i| position(&r, i)).sum::<usize>() as f64
            / yesterday.len() as f64;
    }
    mean_pos /= 100.0;
    assert!(
        mean_pos > 12.0,
        "yesterday's matchers still first: mean position {mean_pos}"
    );
    // Without that record (a new scan) the same flags do put them first.
    let r = rank(Order::Learned, None, &c, 0);
    let mut first: Vec<usize> = r[..yesterday.len()].to_vec();
    first.sort_unstable();
    assert_eq!(first, yesterday);
}
