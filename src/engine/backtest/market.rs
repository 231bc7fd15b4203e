//! The market regime through history, for grouping signals (SPEC §2.4's
//! regime at each bar): read from the benchmark symbol when the universe has
//! one, else from an equal-weighted index of the universe built here. Imports
//! the bars and the score's regime only.

use rayon::prelude::*;

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

/// Blocks of times the equal-weighted index is summed in, in parallel
/// (enough for every core to take several, few enough that each block's
/// search of every symbol's times stays small).
const TIME_BLOCKS: usize = 64;

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
    /// float sums are the same on every run). Times are the union of the
    /// symbols' times, built by merging sorted columns (most symbols share
    /// one calendar, which is a plain comparison); this replaced a hash map
    /// that took 0.36 s on 5,000 × 2,520 bars (benches/backtest.rs).
    pub fn equal_weighted(universe: &[&Bars]) -> RegimeSeries {
        let times = union_of_times(universe);
        let (sum, count) = return_sums(universe, &times);
        let mut cols = Columns::with_capacity(times.len());
        let mut level = 100.0;
        for ((t, s), n) in times.iter().zip(&sum).zip(&count) {
            if *n > 0 {
                level *= 1.0 + s / f64::from(*n);
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

/// The sorted union of two sorted, duplicate-free time columns.
/// Per time of `times` (sorted, every symbol's times among them): the sum of
/// the symbols' close-to-close returns at that time, added in `universe`
/// order, and how many there were.
fn return_sums(universe: &[&Bars], times: &[i64]) -> (Vec<f64>, Vec<u32>) {
    let mut sum = vec![0.0; times.len()];
    let mut count = vec![0u32; times.len()];
    // Each block of times on its own thread: every sum still adds the
    // symbols' returns in universe order (the same numbers as one pass
    // over the symbols), and no two blocks write the same time. One pass
    // was 75 ms of serial work before the symbols' parallel loop on
    // 5,000 × 2,520 bars, a tenth of the backtest (benches/backtest.rs).
    // A symbol on the whole calendar (most of them) needs no search for
    // its bars in a block: bar i is time i. Searching every symbol's times
    // in every block instead missed the cache at each step (10× slower
    // than the serial pass).
    // Bars' times strictly increase and all are among `times`, so as many
    // bars as times means every time (no second pass over 100 MB of times).
    let whole: Vec<bool> = universe.iter().map(|b| b.len() == times.len()).collect();
    let block = times.len().div_ceil(TIME_BLOCKS).max(1);
    sum.par_chunks_mut(block)
        .zip(count.par_chunks_mut(block))
        .enumerate()
        .for_each(|(b, (sum, count))| {
            let k0 = b * block;
            let span = &times[k0..k0 + sum.len()];
            let (first, last) = (span[0], span[span.len() - 1]);
            for (bars, &whole) in universe.iter().zip(&whole) {
                let close = bars.close();
                if whole {
                    let lo = k0.max(1);
                    let hi = k0 + span.len();
                    for (i, (s, c)) in
                        (lo..hi).zip(sum[lo - k0..].iter_mut().zip(&mut count[lo - k0..]))
                    {
                        *s += close[i] / close[i - 1] - 1.0;
                        *c += 1;
                    }
                    continue;
                }
                let time = bars.time();
                // Bars 1.. whose time lies in this block.
                let lo = time.partition_point(|&t| t < first).max(1);
                let hi = time.partition_point(|&t| t <= last);
                let mut k = 0;
                for i in lo..hi {
                    // Every time of every symbol is in `times`, so this stops on it.
                    while span[k] < time[i] {
                        k += 1;
                    }
                    sum[k] += close[i] / close[i - 1] - 1.0;
                    count[k] += 1;
                }
            }
        });
    (sum, count)
}

/// The sorted union of every symbol's times. Most universes share one
/// calendar: that is checked first, on every core, with a comparison that
/// vectorises in wasm too (`!=` on the columns is a byte-wise `memcmp` there:
/// 72 ms of one worker's time, while the other waited, on 5,000 × 2,520 bars
/// in a CPU profile of the Backtest panel).
fn union_of_times(universe: &[&Bars]) -> Vec<i64> {
    let Some(first) = universe.first().map(|b| b.time()) else {
        return Vec::new();
    };
    if universe.par_iter().all(|b| same_times(b.time(), first)) {
        return first.to_vec();
    }
    let mut times: Vec<i64> = Vec::new();
    for bars in universe {
        if !same_times(bars.time(), &times) {
            times = union_sorted(&times, bars.time());
        }
    }
    times
}

/// `a == b`, as one OR of XORs over the whole columns (branch-free, so it
/// vectorises; a universe's columns are almost always equal, so stopping at
/// the first difference would save nothing).
fn same_times(a: &[i64], b: &[i64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn union_sorted(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closes(times: &[i64], closes: &[f64]) -> Bars {
        let mut c = Columns::default();
        for (&t, &x) in times.iter().zip(closes) {
            c.push(t, x, x, x, x, 1.0);
        }
        Bars::new("T", c).unwrap()
    }

    #[test]
    fn union_of_times_is_the_shared_calendar_or_the_merge_of_all() {
        let a = closes(&[1, 2, 3], &[1.0; 3]);
        let b = closes(&[1, 2, 3], &[2.0; 3]);
        let c = closes(&[2, 4], &[3.0; 2]);
        let d = closes(&[0, 2, 3], &[4.0; 3]);
        assert_eq!(union_of_times(&[&a, &b]), vec![1, 2, 3]);
        assert_eq!(union_of_times(&[&a, &c, &b]), vec![1, 2, 3, 4]);
        // Same length, different times: not the shared calendar.
        assert_eq!(union_of_times(&[&a, &d]), vec![0, 1, 2, 3]);
        assert_eq!(union_of_times(&[]), Vec::<i64>::new());
        assert!(same_times(&[5, 6], &[5, 6]));
        assert!(!same_times(&[5, 6], &[5, 7]));
        assert!(!same_times(&[5], &[5, 6]));
    }

    #[test]
    fn union_keeps_every_time_once_in_order() {
        assert_eq!(union_sorted(&[1, 3, 5], &[2, 3, 6]), vec![1, 2, 3, 5, 6]);
        assert_eq!(union_sorted(&[], &[4]), vec![4]);
    }

    #[test]
    fn the_index_averages_the_returns_of_the_symbols_trading_at_each_time() {
        let a = closes(&[1, 2, 3], &[10.0, 11.0, 12.1]);
        let b = closes(&[2, 3, 4], &[20.0, 18.0, 18.0]);
        let ew = RegimeSeries::equal_weighted(&[&a, &b]);
        assert_eq!(ew.time, vec![1, 2, 3, 4]);
        assert_eq!(ew.source, RegimeSource::EqualWeighted(2));
        // Too short for any regime but sideways, low volatility.
        assert!(ew.code.iter().all(|&c| c == 2));
        assert_eq!(ew.code_at(0), 2);
    }

    /// The sums as one pass over the symbols in order (the definition).
    fn sums_one_pass(universe: &[&Bars], times: &[i64]) -> (Vec<f64>, Vec<u32>) {
        let mut sum = vec![0.0; times.len()];
        let mut count = vec![0u32; times.len()];
        for bars in universe {
            for i in 1..bars.len() {
                let k = times.binary_search(&bars.time()[i]).unwrap();
                sum[k] += bars.close()[i] / bars.close()[i - 1] - 1.0;
                count[k] += 1;
            }
        }
        (sum, count)
    }

    #[test]
    fn the_index_sums_in_time_blocks_equal_one_pass_over_the_symbols_bit_for_bit() {
        // Calendars that start, stop and skip at different times, and two
        // on every time (the path without a search), over many more times
        // than blocks, summed on a pool of 3 threads.
        let universe: Vec<Bars> = (0..9u32)
            .map(|s| {
                let times: Vec<i64> = (0..1000i64)
                    .filter(|t| s >= 7 || (t + i64::from(s)) % (2 + i64::from(s) % 3) != 0)
                    .skip(if s >= 7 { 0 } else { s as usize * 40 })
                    .take(if s >= 7 { 1000 } else { 900 - s as usize * 90 })
                    .collect();
                let values: Vec<f64> = (0..times.len())
                    .map(|i| 50.0 + f64::from(s) + ((i as f64) * (0.7 + f64::from(s) / 10.0)).sin())
                    .collect();
                closes(&times, &values)
            })
            .collect();
        let refs: Vec<&Bars> = universe.iter().collect();
        let mut times: Vec<i64> = Vec::new();
        for b in &refs {
            times = union_sorted(&times, b.time());
        }
        assert!(times.len() > 10 * TIME_BLOCKS);
        assert!(refs[7].time() == times && refs[3].time() != times);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let (sum, count) = pool.install(|| return_sums(&refs, &times));
        let (want_sum, want_count) = sums_one_pass(&refs, &times);
        assert_eq!(count, want_count);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&sum), bits(&want_sum));
    }
}
