//! A deterministic synthetic market of any size, for demos and benchmarks
//! (always labelled synthetic). Same seed, same bars, on every platform.
//!
//! TODO(engine issue): implement.

use super::bars::Bars;

/// The `index`-th symbol's name in a synthetic market.
pub fn symbol_name(index: usize) -> String {
    format!("SYN{index:05}")
}

/// The `index`-th symbol's bars: `n_bars` daily bars, generated from `seed`
/// and `index` alone, so symbols can be generated in any order or in parallel.
pub fn bars(_seed: u64, _index: usize, _n_bars: usize) -> Bars {
    Bars::default()
}
