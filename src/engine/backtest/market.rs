//! The market regime through history, for grouping signals (SPEC §2.4's
//! regime at each bar): read from the benchmark symbol when the universe has
//! one, else from an equal-weighted index of the universe built here. Imports
//! the bars and the score's regime only.

use std::collections::HashMap;

use crate::engine::bars::{Bars, Columns};
use crate::engine::score::{regime_at, RegimeTrend};

/// The six regime labels, in the order of their codes.
pub const REGIME_LABELS: [&str; 6] = [
    "TRENDING_UP_LOW_VOL",
    "TRENDING_UP_HIGH_VOL",
    "SIDEWAYS_LOW_VOL",
    "SIDEWAYS_HIGH_VOL",
    "TRENDING_DOWN_LOW_VOL",
    "TRENDING_DOWN_HIGH_VOL",
];

/// Where the regime was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegimeSource {
    /// This benchmark symbol's bars.
    Benchmark(String),
    /// The equal-weighted index of this many symbols (mean close-to-close
    /// return of the symbols trading at each time, compounded).
    EqualWeighted(usize),
}

impl RegimeSource {
    pub fn describe(&self) -> String {
        match self {
            RegimeSource::Benchmark(s) => format!("benchmark {s}"),
            RegimeSource::EqualWeighted(n) => {
                format!("equal-weighted index of the {n} symbols (no benchmark in the universe)")
            }
        }
    }
}

/// The regime code (an index into [`REGIME_LABELS`]) at each of a series' times.
#[derive(Debug, Clone)]
pub struct RegimeSeries {
    pub source: RegimeSource,
    time: Vec<i64>,
    code: Vec<u8>,
}

impl RegimeSeries {
    /// From the benchmark's bars: regime at every bar (bars up to it only).
    pub fn from_bars(source: RegimeSource, bars: &Bars) -> RegimeSeries {
        let code = (0..bars.len())
            .map(|i| {
                let r = regime_at(bars, i);
                let trend = match r.trend {
                    RegimeTrend::Up => 0,
                    RegimeTrend::Sideways => 2,
                    RegimeTrend::Down => 4,
                };
                trend + u8::from(r.high_volatility)
            })
            .collect();
        RegimeSeries {
            source,
            time: bars.time().to_vec(),
            code,
        }
    }

    /// The equal-weighted index of `universe` (in the given order, so the
    /// float sums are the same on every run).
    pub fn equal_weighted(universe: &[&Bars]) -> RegimeSeries {
        let mut acc: HashMap<i64, (f64, u32)> = HashMap::new();
        for bars in universe {
            let (time, close) = (bars.time(), bars.close());
            for i in 1..bars.len() {
                let e = acc.entry(time[i]).or_insert((0.0, 0));
                e.0 += close[i] / close[i - 1] - 1.0;
                e.1 += 1;
            }
            if let Some(&t0) = time.first() {
                acc.entry(t0).or_insert((0.0, 0));
            }
        }
        let mut times: Vec<i64> = acc.keys().copied().collect();
        times.sort_unstable();
        let mut cols = Columns::with_capacity(times.len());
        let mut level = 100.0;
        for t in &times {
            let (sum, n) = acc[t];
            if n > 0 {
                level *= 1.0 + sum / f64::from(n);
            }
            // A level that has fallen to 0 would make every later return
            // undefined; it stays at the smallest positive value instead.
            level = level.max(f64::MIN_POSITIVE);
            cols.push(*t, level, level, level, level, 0.0);
        }
        let source = RegimeSource::EqualWeighted(universe.len());
        match Bars::new("equal-weighted index", cols) {
            Ok(bars) => RegimeSeries::from_bars(source, &bars),
            // Unreachable for finite closes; an empty series groups every
            // signal as sideways rather than failing the backtest.
            Err(_) => RegimeSeries {
                source,
                time: Vec::new(),
                code: Vec::new(),
            },
        }
    }

    /// The regime code in force at `time`: that of the latest series bar at or
    /// before it (sideways, low volatility before the series starts).
    pub fn code_at(&self, time: i64) -> u8 {
        match self.time.partition_point(|&t| t <= time) {
            0 => 2,
            k => self.code[k - 1],
        }
    }

    /// [`Self::code_at`] for each of `times` (sorted), in one merge pass.
    pub fn codes_for(&self, times: &[i64], out: &mut Vec<u8>) {
        out.clear();
        let mut k = 0;
        for &t in times {
            while k < self.time.len() && self.time[k] <= t {
                k += 1;
            }
            out.push(if k == 0 { 2 } else { self.code[k - 1] });
        }
    }
}
