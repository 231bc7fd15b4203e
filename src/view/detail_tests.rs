//! Unit tests of `view::detail`: overlays picked from the scan's calls, the
//! chart's series against a naive reference, price lines, subscores, stepping.

use super::*;
use crate::data::synthetic;
use crate::engine::lang::{parse, FUNCTIONS};
use crate::engine::score::{Side, Subscores};

fn calls(src: &str) -> Vec<String> {
    overlay_calls(&parse(src).expect("parses"))
}

#[test]
fn every_overlay_is_a_function_of_the_language() {
    for name in OVERLAYS {
        assert!(
            FUNCTIONS.iter().any(|f| f.name == name),
            "{name} is not in the function table"
        );
    }
}

#[test]
fn moving_averages_bands_and_sar_of_prices_are_overlays() {
    assert_eq!(
        calls("close > sma(close, 50) and ema(hl2, 10) > bb_upper(close, 20, 2) and close > sar()"),
        vec![
            "sma(close, 50)",
            "ema(hl2, 10)",
            "bb_upper(close, 20, 2)",
            "sar()"
        ]
    );
}

#[test]
fn oscillators_volume_and_derived_sources_are_not_overlays() {
    assert!(calls("rsi(14) < 30 and atr(14) > 1 and macd() > 0").is_empty());
    assert!(calls("sma(volume, 20) > 1000000").is_empty());
    assert!(calls("sma(close - open, 5) > 0").is_empty());
    assert!(calls("ema(rsi(14), 5) > 50").is_empty());
}

#[test]
fn the_default_source_is_written_out_and_repeats_are_dropped() {
    assert_eq!(
        calls("close > sma(50) and close[1] > sma(close, 50)[1] and sma(close, 50) > 0"),
        vec!["sma(close, 50)"]
    );
    assert_eq!(
        calls("bb_lower(20, -2) < close"),
        vec!["bb_lower(close, 20, -2)"]
    );
}

#[test]
fn an_overlay_nested_in_another_call_is_found() {
    assert_eq!(calls("rsi(sma(close, 5), 14) > 50"), vec!["sma(close, 5)"]);
}

fn naive_sma(close: &[f64], n: usize, i: usize) -> Option<f64> {
    (i + 1 >= n).then(|| close[i + 1 - n..=i].iter().sum::<f64>() / n as f64)
}

#[test]
fn markers_are_the_bars_where_the_scan_is_true() {
    let bars = synthetic::bars(7, 3, 300);
    let series =
        chart_series(&bars, "close > sma(close, 50)", &Settings::default()).expect("compiles");
    let close = bars.close();
    let expected: Vec<usize> = (0..bars.len())
        .filter(|&i| naive_sma(close, 50, i).is_some_and(|s| close[i] > s + 1e-9))
        .collect();
    // Bars where close and its average are equal to rounding are left to the engine.
    let near = |i: usize| naive_sma(close, 50, i).is_some_and(|s| (close[i] - s).abs() <= 1e-9);
    let got: Vec<usize> = series
        .markers
        .iter()
        .copied()
        .filter(|&i| !near(i))
        .collect();
    assert_eq!(got, expected);
    assert!(
        !expected.is_empty(),
        "the synthetic series crosses its average"
    );
}

#[test]
fn lines_are_the_averages_then_the_scans_overlays_with_a_warm_up() {
    let bars = synthetic::bars(7, 3, 300);
    let series = chart_series(
        &bars,
        "ema(close, 10) > sma(close, 50)",
        &Settings::default(),
    )
    .expect("compiles");
    let labels: Vec<&str> = series.lines.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "sma(close, 20)",
            "sma(close, 50)",
            "sma(close, 200)",
            "ema(close, 10)"
        ]
    );
    let sma20 = &series.lines[0].values;
    assert_eq!(sma20.len(), bars.len());
    assert!(
        sma20[..19].iter().all(Option::is_none),
        "no average before 20 bars"
    );
    for (i, got) in sma20.iter().enumerate().skip(19) {
        let want = naive_sma(bars.close(), 20, i).expect("defined");
        let got = got.expect("defined after the warm-up");
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "bar {i}: {got} vs {want}"
        );
    }
}

#[test]
fn a_scan_that_does_not_compile_says_why() {
    assert!(chart_series(&synthetic::bars(1, 0, 50), "close >", &Settings::default()).is_err());
}

#[test]
fn a_short_symbol_has_markers_but_no_averages_yet() {
    let bars = synthetic::bars(1, 0, 10);
    let series = chart_series(&bars, "close > 0", &Settings::default()).expect("compiles");
    assert_eq!(series.markers, (0..10).collect::<Vec<_>>());
    assert!(series
        .lines
        .iter()
        .all(|l| l.values.len() == 10 && l.values.iter().all(Option::is_none)));
}

fn plan(entry: f64, stop: f64, target: f64) -> TradePlan {
    TradePlan {
        side: Side::Long,
        entry,
        stop,
        target,
        reward_risk: 2.0,
        shares: 10,
        liquidity_capped: false,
    }
}

#[test]
fn the_plan_gives_entry_stop_and_target_lines() {
    let lines = price_lines(Some(&plan(100.0, 95.0, 110.0)));
    let shown: Vec<(&str, f64)> = lines.iter().map(|l| (l.title, l.price)).collect();
    assert_eq!(
        shown,
        vec![("Entry", 100.0), ("Stop", 95.0), ("Target", 110.0)]
    );
    assert!(price_lines(None).is_empty());
    assert_eq!(price_lines(Some(&plan(100.0, f64::NAN, 110.0))).len(), 2);
}

#[test]
fn subscores_are_signed_and_risk_has_two_decimals() {
    let mut score = crate::engine::score::score(&synthetic::bars(7, 3, 300), &Settings::default());
    score.subscores = Subscores {
        trend: 2,
        momentum: -1,
        volume: 0,
        volatility: 1,
        oscillator: -3,
        breakout: 0,
        risk: 0.734,
    };
    let shown = subscores(&score);
    assert_eq!(shown[0], ("Trend", "+2".to_string()));
    assert_eq!(shown[1], ("Momentum", "\u{2212}1".to_string()));
    assert_eq!(shown[2], ("Volume", "0".to_string()));
    assert_eq!(shown[6], ("Risk", "0.73".to_string()));
    score.subscores.risk = f64::NAN;
    assert_eq!(subscores(&score)[6].1, "\u{2014}");
}

#[test]
fn stepping_moves_through_the_table_order_and_stops_at_the_ends() {
    let symbols: Vec<String> = ["B", "A", "C"].iter().map(|s| s.to_string()).collect();
    assert_eq!(step(&symbols, "A", 1), Some("C".into()));
    assert_eq!(step(&symbols, "A", -1), Some("B".into()));
    assert_eq!(step(&symbols, "C", 1), None);
    assert_eq!(step(&symbols, "B", -1), None);
    assert_eq!(step(&symbols, "Z", 1), None);
    assert_eq!(step(&[], "A", 1), None);
}

#[test]
fn chart_times_are_utc_seconds() {
    assert_eq!(chart_time(1_700_000_000_000), 1_700_000_000);
    assert_eq!(chart_time(-1), -1);
}

#[test]
fn both_themes_have_distinct_candle_colours() {
    for dark in [false, true] {
        let c = ChartColors::for_theme(dark);
        assert_ne!(c.up, c.down);
        assert_ne!(c.background, c.text);
        assert_eq!(c.line(0), c.line(c.lines.len()));
    }
    assert_ne!(
        ChartColors::for_theme(true).background,
        ChartColors::for_theme(false).background
    );
}
