//! Unit tests of the Technic score: plans, caps, clamps, tags, regime, short series.

use super::plan::round_cents;
use super::*;
use crate::engine::bars::Columns;

/// Bars from closes and volumes: open = previous close, a 0.05% wick.
fn bars_from(closes: &[f64], volumes: &[f64]) -> Bars {
    let mut cols = Columns::with_capacity(closes.len());
    for (t, (&c, &v)) in closes.iter().zip(volumes).enumerate() {
        let o = if t == 0 { c } else { closes[t - 1] };
        cols.push(
            t as i64 * 86_400_000,
            o,
            o.max(c) * 1.0005,
            o.min(c) * 0.9995,
            c,
            v,
        );
    }
    Bars::new("TEST", cols).expect("synthetic bars are valid")
}

/// An accelerating decline over 260 bars with a quiet last day.
fn falling() -> Bars {
    // Daily log-decline speeding up from 0.1% to 0.27%, so that the MACD
    // histogram is negative while ATR stays under 0.4% of the close.
    let mut closes = vec![100.0];
    for t in 1..260 {
        let r = 0.001 + 0.0017 * (t as f64 / 259.0).powi(3);
        closes.push(closes[t - 1] * (-r).exp());
    }
    let mut volumes = vec![1.0e6; 260];
    volumes[259] = 0.5e6;
    bars_from(&closes, &volumes)
}

fn rising(n: usize) -> Bars {
    let closes: Vec<f64> = (0..n).map(|t| 50.0 * (0.003 * t as f64).exp()).collect();
    bars_from(&closes, &vec![1.0e6; n])
}

/// The first `n` bars of `bars`.
fn prefix(bars: &Bars, n: usize) -> Bars {
    let c = bars.clone().into_columns();
    let cols = Columns {
        time: c.time[..n].to_vec(),
        open: c.open[..n].to_vec(),
        high: c.high[..n].to_vec(),
        low: c.low[..n].to_vec(),
        close: c.close[..n].to_vec(),
        volume: c.volume[..n].to_vec(),
    };
    Bars::new("PREFIX", cols).expect("a prefix of valid bars is valid")
}

#[test]
fn a_falling_series_gets_a_short_signal_with_a_mirrored_plan() {
    let bars = falling();
    let s = score(&bars, &Settings::default());
    assert!(s.short_subscores.trend >= 1, "{s:?}");
    assert!((16.0..22.0).contains(&s.short_rating), "{s:?}");
    assert_eq!(s.signal, Signal::Short);
    let plan = s.plan.expect("a Short has a plan");
    assert_eq!(plan.side, Side::Short);

    let i = bars.len() - 1;
    let (close, high) = (bars.close()[i], bars.high()[i]);
    let a = close * s.features.atr_pct_14;
    // Stop above: max(high, close + 1.5·ATR$) within [close + 0.5, close + 3]·ATR$.
    let stop = high
        .max(close + 1.5 * a)
        .clamp(close + 0.5 * a, close + 3.0 * a);
    let entry = close - 0.1 * a;
    let target = entry - 2.0 * (stop - entry);
    assert_eq!(plan.stop, round_cents(stop));
    assert_eq!(plan.entry, round_cents(entry));
    assert_eq!(plan.target, round_cents(target));
    assert!(plan.target < plan.entry && plan.entry < plan.stop);
    assert_eq!(plan.shares, (100.0 / (stop - entry)).floor() as u64);
    assert!(!plan.liquidity_capped);
}

/// A steady decline of 0.45% a day over 260 bars (thin wicks), with twice
/// the usual volume on the last day.
fn steady_decline() -> Bars {
    let closes: Vec<f64> = (0..260).map(|t| 100.0 * 0.9955f64.powi(t)).collect();
    let mut volumes = vec![1.0e6; 260];
    volumes[259] = 2.0e6;
    let mut cols = Columns::with_capacity(closes.len());
    for (t, (&c, &v)) in closes.iter().zip(&volumes).enumerate() {
        let o = if t == 0 { c } else { closes[t - 1] };
        cols.push(t as i64 * 86_400_000, o, o * 1.0001, c * 0.9999, c, v);
    }
    Bars::new("DECLINE", cols).expect("synthetic bars are valid")
}

#[test]
fn regression_a_steadily_falling_series_yields_strong_short_which_it_never_could() {
    // The bug: Short signals mirrored TechRating, whose momentum, breakout
    // and oscillator parts are long-only, so TechRating stayed above −22 and
    // Strong Short was out of reach. ShortRating scores the mirrored features.
    let bars = steady_decline();
    let s = score(&bars, &Settings::default());
    assert!(
        s.tech_rating > -22.0,
        "TechRating alone could not reach −22: {s:?}"
    );
    let m = s.short_subscores;
    assert_eq!((m.trend, m.momentum, m.breakout), (3, 3, 2), "{s:?}");
    assert_eq!(s.subscores.volume, 2, "the last day's volume spike");
    assert!(s.short_rating >= 22.0, "{s:?}");
    assert_eq!(s.signal, Signal::StrongShort);
    let plan = s.plan.expect("a Strong Short has a plan");
    assert_eq!(plan.side, Side::Short);
    assert!(
        plan.target < plan.entry && plan.entry < plan.stop,
        "{plan:?}"
    );
}

/// Features that fail every comparison except the ones a test sets.
fn neutral() -> Features {
    Features::NAN
}

fn mirrored(f: Features) -> ShortSubscores {
    short_subscores(&f, &subscores(&f))
}

#[test]
fn short_momentum_counts_each_mirrored_rule_at_its_boundary() {
    let rsi = |r: f64| {
        mirrored(Features {
            rsi_14: r,
            ..neutral()
        })
        .momentum
    };
    assert_eq!(rsi(45.0), 0, "RSI<45 is strict");
    assert_eq!(rsi(44.99), 1);
    assert_eq!(rsi(35.0), 1, "RSI<35 is strict");
    assert_eq!(rsi(34.99), 2);
    assert_eq!(rsi(50.0), 0);
    assert_eq!(rsi(55.0), 0, "RSI>55 is strict");
    assert_eq!(rsi(55.01), -1);
    assert_eq!(rsi(60.0), -1, "RSI>60 is strict");
    assert_eq!(rsi(60.01), -2);
    assert_eq!(rsi(f64::NAN), 0);

    let hist = |h: f64| {
        mirrored(Features {
            macd_hist: h,
            ..neutral()
        })
        .momentum
    };
    assert_eq!(hist(0.0), 0, "MACD hist<0 is strict");
    assert_eq!(hist(-1e-12), 1);

    let low = |p: f64| {
        mirrored(Features {
            pct_from_low20: p,
            ..neutral()
        })
    };
    assert_eq!(low(3.0).momentum, 0, "pct_from_low20<3 is strict");
    assert_eq!(low(2.99).momentum, 1);

    // Clipped to +3: RSI<35 (2) + MACD (1) + near the low (1) = 4.
    let all = Features {
        rsi_14: 20.0,
        macd_hist: -1.0,
        pct_from_low20: 0.0,
        ..neutral()
    };
    assert_eq!(mirrored(all).momentum, 3);
    // RSI>60 (−2) alone is the floor: the positive parts need the opposite.
    assert_eq!(rsi(90.0), -2);
}

#[test]
fn short_oscillator_rewards_35_to_45_and_penalises_below_30_or_above_60() {
    let osc = |r: f64| {
        mirrored(Features {
            rsi_14: r,
            ..neutral()
        })
        .oscillator
    };
    assert_eq!(osc(35.0), 1, "35 is inside");
    assert_eq!(osc(45.0), 1, "45 is inside");
    assert_eq!(osc(34.99), 0);
    assert_eq!(osc(45.01), 0);
    assert_eq!(osc(30.0), 0, "RSI<30 is strict");
    assert_eq!(osc(29.99), -1);
    assert_eq!(osc(60.0), 0, "RSI>60 is strict");
    assert_eq!(osc(60.01), -1);
    assert_eq!(osc(f64::NAN), 0);
}

#[test]
fn short_breakout_is_near_the_20_bar_low_plus_a_5_bar_drop() {
    let brk = |p: f64, r5: f64| {
        mirrored(Features {
            pct_from_low20: p,
            ret_5d: r5,
            ..neutral()
        })
        .breakout
    };
    assert_eq!(brk(1.0, 0.0), 0, "pct_from_low20<1 is strict");
    assert_eq!(brk(0.99, 0.0), 1);
    assert_eq!(brk(5.0, -0.02), 0, "5-bar return < −2% is strict");
    assert_eq!(brk(5.0, -0.0201), 1);
    assert_eq!(brk(0.0, -0.05), 2);
    assert_eq!(brk(f64::NAN, f64::NAN), 0);
}

#[test]
fn short_trend_is_minus_trend() {
    let trend = |s20: f64, s50: f64, s200: f64| {
        let f = Features {
            sma_20: s20,
            sma_50: s50,
            sma_200: s200,
            ..neutral()
        };
        (subscores(&f).trend, mirrored(f).trend)
    };
    assert_eq!(trend(1.0, 2.0, 3.0), (-3, 3));
    assert_eq!(trend(3.0, 2.0, 1.0), (3, -3));
    assert_eq!(trend(1.0, 2.0, f64::NAN), (-2, 2));
    assert_eq!(trend(2.0, 2.0, 2.0), (0, 0));
}

#[test]
fn short_rating_uses_the_long_volume_volatility_and_risk_multiplier() {
    let long = Subscores {
        trend: -3,
        momentum: -2,
        volume: 2,
        volatility: -1,
        oscillator: 0,
        breakout: 0,
        risk: 0.5,
    };
    let m = ShortSubscores {
        trend: 3,
        momentum: 3,
        oscillator: 1,
        breakout: 2,
    };
    // (9 + 9 + 4 − 1 + 1 + 2) × (0.7 + 0.3·0.5) = 24 × 0.85.
    assert_eq!(short_rating(&m, &long), 24.0 * 0.85);
    let risky = Subscores { risk: -3.0, ..long };
    assert_eq!(short_rating(&m, &risky), 24.0 * 0.7, "risk clipped at 0");
    let nan = Subscores {
        risk: f64::NAN,
        ..long
    };
    assert!(short_rating(&m, &nan).is_nan());
}

#[test]
fn the_signal_checks_long_first_then_short_rating_at_its_thresholds() {
    let flat = Subscores {
        trend: 0,
        momentum: 0,
        volume: 0,
        volatility: 0,
        oscillator: 0,
        breakout: 0,
        risk: 1.0,
    };
    let m = |trend, momentum| ShortSubscores {
        trend,
        momentum,
        oscillator: 0,
        breakout: 0,
    };
    let sig = |sr: f64, ms: ShortSubscores| signal(0.0, &flat, sr, &ms);
    assert_eq!(sig(22.0, m(2, 1)), Signal::StrongShort);
    assert_eq!(sig(21.99, m(2, 1)), Signal::Short);
    assert_eq!(
        sig(22.0, m(1, 1)),
        Signal::Short,
        "Strong Short needs Trend_s ≥ 2"
    );
    assert_eq!(sig(22.0, m(2, 0)), Signal::Short, "and Momentum_s ≥ 1");
    assert_eq!(sig(16.0, m(1, -3)), Signal::Short);
    assert_eq!(sig(15.99, m(3, 3)), Signal::Avoid);
    assert_eq!(sig(30.0, m(0, 3)), Signal::Avoid, "Short needs Trend_s ≥ 1");
    assert_eq!(sig(f64::NAN, m(3, 3)), Signal::Avoid);
    // TechRating alone no longer signals a short, however low.
    assert_eq!(
        signal(
            -30.0,
            &Subscores {
                trend: -3,
                momentum: -3,
                ..flat
            },
            0.0,
            &m(3, 3)
        ),
        Signal::Avoid
    );
    // The long side wins when both qualify.
    let long = Subscores {
        trend: 2,
        momentum: 1,
        ..flat
    };
    assert_eq!(signal(22.0, &long, 30.0, &m(3, 3)), Signal::StrongLong);
    assert_eq!(
        signal(16.0, &Subscores { trend: 1, ..flat }, 30.0, &m(3, 3)),
        Signal::Long
    );
}

#[test]
fn a_rising_series_gets_a_long_plan_below_the_close() {
    let s = score(&rising(260), &Settings::default());
    assert_eq!(s.subscores.trend, 3);
    let plan = s.plan.expect("{s:?}");
    assert!(matches!(s.signal, Signal::Long | Signal::StrongLong));
    assert_eq!(plan.side, Side::Long);
    assert!(plan.stop < plan.entry && plan.entry < plan.target);
}

#[test]
fn shares_are_capped_at_five_percent_of_dollar_volume_and_flagged() {
    let settings = Settings::default();
    // Entry 100.1, stop 98.5: 1.6 at risk per share, 62 shares by risk;
    // 5% of 10,000 dollar volume ÷ 100.1 is 4.99 → 4 shares.
    let capped = trade_plan(Side::Long, 100.0, 99.5, 1.0, 10_000.0, &settings).unwrap();
    assert_eq!((capped.shares, capped.liquidity_capped), (4, true));
    let free = trade_plan(Side::Long, 100.0, 99.5, 1.0, 1.0e9, &settings).unwrap();
    assert_eq!((free.shares, free.liquidity_capped), (62, false));
    // Undefined dollar volume (fewer than 20 bars): no cap.
    let unknown = trade_plan(Side::Long, 100.0, 99.5, 1.0, f64::NAN, &settings).unwrap();
    assert_eq!((unknown.shares, unknown.liquidity_capped), (62, false));
    // Mirrored: entry 99.9, so the cap is 5.005 → 5 shares.
    let short = trade_plan(Side::Short, 100.0, 100.5, 1.0, 10_000.0, &settings).unwrap();
    assert_eq!((short.shares, short.liquidity_capped), (5, true));
}

#[test]
fn the_stop_is_the_lower_of_low_and_one_and_a_half_atr_within_three_atr() {
    let s = Settings::default();
    let stop = |side, extreme| {
        trade_plan(side, 100.0, extreme, 1.0, 1.0e9, &s)
            .unwrap()
            .stop
    };
    assert_eq!(
        stop(Side::Long, 99.5),
        98.5,
        "1.5 ATR below when the low is near"
    );
    assert_eq!(stop(Side::Long, 98.0), 98.0, "the low when it is further");
    assert_eq!(stop(Side::Long, 90.0), 97.0, "clamped at 3 ATR below");
    assert_eq!(stop(Side::Short, 100.5), 101.5, "mirrored: 1.5 ATR above");
    assert_eq!(stop(Side::Short, 102.0), 102.0, "mirrored: the high");
    assert_eq!(
        stop(Side::Short, 110.0),
        103.0,
        "mirrored: clamped at 3 ATR above"
    );
    let plan = trade_plan(Side::Long, 100.0, 90.0, 1.0, 1.0e9, &s).unwrap();
    assert_eq!((plan.entry, plan.target), (100.1, 106.3), "100.1 + 2·3.1");
}

#[test]
fn no_plan_without_a_positive_atr() {
    let s = Settings::default();
    assert_eq!(trade_plan(Side::Long, 100.0, 100.0, 0.0, 1.0e9, &s), None);
    assert_eq!(
        trade_plan(Side::Short, 100.0, 100.0, f64::NAN, 1.0e9, &s),
        None
    );
}

#[test]
fn tags_take_at_most_one_per_group() {
    let sub = |momentum, breakout, risk| Subscores {
        trend: 0,
        momentum,
        volume: 0,
        volatility: 0,
        oscillator: 0,
        breakout,
        risk,
    };
    assert_eq!(
        tags(23.0, &sub(3, 2, 0.9)),
        [
            Tag::HighConviction,
            Tag::Breakout,
            Tag::Momentum,
            Tag::LowRisk
        ]
    );
    assert_eq!(
        tags(18.0, &sub(-1, 1, 0.45)),
        [Tag::QualitySetup, Tag::MomentumFading, Tag::HighRisk]
    );
    assert_eq!(tags(17.9, &sub(1, 1, 0.6)), []);
    assert_eq!(tags(f64::NAN, &sub(0, 0, f64::NAN)), []);
    assert_eq!(Tag::MomentumFading.label(), "Momentum fading");
}

#[test]
fn regime_labels_follow_the_benchmark() {
    let up = regime(&rising(260));
    assert_eq!(
        (up.trend, up.label().as_str()),
        (RegimeTrend::Up, "TRENDING_UP_LOW_VOL")
    );
    let down = regime(&falling());
    assert_eq!(down.label(), "TRENDING_DOWN_LOW_VOL");
    let short = regime(&rising(120));
    assert_eq!(short.label(), "SIDEWAYS_LOW_VOL", "no SMA200 yet");

    // Calm ±0.5% days, then 20 days of ±3%: std ratio ≈ 1.6.
    let closes: Vec<f64> = (0..260)
        .scan(100.0, |p, t| {
            let r = if t >= 240 { 0.03 } else { 0.005 };
            *p *= if t % 2 == 0 { 1.0 + r } else { 1.0 - r };
            Some(*p)
        })
        .collect();
    let choppy = regime(&bars_from(&closes, &vec![1.0e6; 260]));
    assert!(
        choppy.vol_ratio > 1.25 && choppy.high_volatility,
        "{choppy:?}"
    );
    assert_eq!(choppy.label(), "SIDEWAYS_HIGH_VOL");
    let calm = regime_at(&bars_from(&closes, &vec![1.0e6; 260]), 239);
    assert!(!calm.high_volatility, "{calm:?}");
    assert!(!regime(&Bars::default()).high_volatility);
}

#[test]
fn scoring_an_earlier_bar_equals_scoring_the_truncated_series() {
    for bars in [falling(), rising(260)] {
        for i in [0, 1, 14, 19, 20, 33, 34, 150, 199, 200, 230] {
            let s = Settings::default();
            // Debug text compares NaN fields as equal.
            assert_eq!(
                format!("{:?}", score_at(&bars, i, &s)),
                format!("{:?}", score(&prefix(&bars, i + 1), &s)),
                "at {i}"
            );
        }
    }
}

#[test]
fn a_scratch_reused_across_lengths_gives_the_same_scores() {
    let (long, short) = (rising(260), falling());
    let mut scratch = ScoreScratch::default();
    let s = Settings::default();
    for (bars, i) in [(&long, 259), (&short, 40), (&long, 30), (&short, 259)] {
        assert_eq!(
            format!("{:?}", score_at_with(bars, i, &s, &mut scratch)),
            format!("{:?}", score_at(bars, i, &s))
        );
    }
}

#[test]
fn very_short_series_do_not_panic_and_leave_undefined_features_nan() {
    let full = falling();
    for n in 1..=40 {
        let bars = prefix(&full, n);
        for i in 0..n + 2 {
            let s = score_at(&bars, i, &Settings::default());
            if i >= n {
                assert!(s.features.ret_1d.is_nan() && s.tech_rating.is_nan());
            }
            assert!(s.tags.len() <= 4);
        }
        let s = score(&bars, &Settings::default());
        let f = s.features;
        assert_eq!(f.ret_1d.is_nan(), n < 2, "{n}");
        assert_eq!(f.ret_21d.is_nan(), n < 22, "{n}");
        assert_eq!(f.vol_realized_20.is_nan(), n < 21, "{n}");
        assert_eq!(f.sma_20.is_nan(), n < 20, "{n}");
        assert_eq!(f.pct_from_high20.is_nan(), n < 20, "{n}");
        assert_eq!(f.dollar_vol_20.is_nan(), n < 20, "{n}");
        assert_eq!(f.gap_mean_10.is_nan(), n < 11, "{n}");
        assert_eq!(f.rsi_14.is_nan(), n < 15, "{n}");
        assert_eq!(f.atr_pct_14.is_nan(), n < 15, "{n}");
        assert_eq!(f.macd_hist.is_nan(), n < 34, "{n}");
        assert!(f.sma_50.is_nan() && f.sma_200.is_nan());
        assert_eq!(f.pct_from_low20.is_nan(), n < 20, "{n}");
        assert_eq!(s.tech_rating.is_nan(), n < 15, "{n}");
        assert_eq!(s.short_rating.is_nan(), n < 15, "{n}");
        if n < 15 {
            assert_eq!((s.signal, s.plan), (Signal::Avoid, None));
        }
    }
    let empty = Bars::default();
    let s = score(&empty, &Settings::default());
    assert_eq!((s.signal, s.plan), (Signal::Avoid, None));
    assert_eq!(regime(&empty).trend, RegimeTrend::Sideways);
}

#[test]
fn fields_read_the_matching_subscore() {
    let s = score(&falling(), &Settings::default());
    assert_eq!(s.field(Field::TechRating), s.tech_rating);
    assert_eq!(s.field(Field::ShortRating), s.short_rating);
    assert_eq!(Field::from_name("short_rating"), Some(Field::ShortRating));
    assert_eq!(s.field(Field::Signal), -1.0);
    assert_eq!(s.field(Field::TrendScore), s.subscores.trend as f64);
    assert_eq!(s.field(Field::MomentumScore), s.subscores.momentum as f64);
    assert_eq!(s.field(Field::VolumeScore), s.subscores.volume as f64);
    assert_eq!(
        s.field(Field::VolatilityScore),
        s.subscores.volatility as f64
    );
    assert_eq!(
        s.field(Field::OscillatorScore),
        s.subscores.oscillator as f64
    );
    assert_eq!(s.field(Field::BreakoutScore), s.subscores.breakout as f64);
    assert_eq!(s.field(Field::RiskScore), s.subscores.risk);
}

#[test]
fn block_features_are_the_bar_by_bar_definitions_bit_for_bit() {
    // Every bar of series with flat stretches, gaps and a short start, in
    // blocks of every size from every kind of start (before and across the
    // 11, 20, 21, 50 and 200-bar warm-ups).
    let mut checked = 0;
    for (seed, len) in [(1, 260), (2, 75), (3, 211)] {
        let bars = crate::data::synthetic::bars(seed, seed as usize, len);
        let mut closes: Vec<f64> = bars.close().to_vec();
        for c in &mut closes[30..45] {
            *c = 20.0;
        }
        let volumes: Vec<f64> = bars.volume().iter().map(|v| v * 0.5).collect();
        for bars in [bars.clone(), bars_from(&closes, &volumes)] {
            let mut scratch = ScoreScratch::default();
            let series = scratch.series(&bars);
            let want: Vec<String> = (0..bars.len())
                .map(|i| format!("{:?}", features_at(&bars, i, series.at(i))))
                .collect();
            for (i0, m) in [
                (0, 64),
                (0, 1),
                (5, 17),
                (9, 3),
                (19, 2),
                (150, 64),
                (len - 7, 7),
            ]
            .into_iter()
            .chain((0..len).step_by(64).map(|i0| (i0, windows::BLOCK)))
            .filter(|&(i0, _)| i0 < len)
            {
                let m = m.min(len - i0);
                let mut out = [Features::NAN; windows::BLOCK];
                windows::features(&bars, i0, &series, &mut out[..m]);
                for (k, f) in out[..m].iter().enumerate() {
                    assert_eq!(
                        format!("{f:?}"),
                        want[i0 + k],
                        "bar {} in a block from {i0}",
                        i0 + k
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1_000);
}
