//! The score's recursive series (RSI(14), ATR(14), the MACD histogram) over
//! a symbol's bars, and the fields a scan reads at any bar from them, a
//! block of bars at a time. Engine only: no browser crate.

use super::features::features_at;
use super::{rate, windows, Features, Rating};
use crate::engine::bars::Bars;
use crate::engine::indicators::{atr, macd, rsi};

/// The score's three recursive series over a symbol's bars (RSI(14),
/// ATR(14), the MACD(12, 26, 9) histogram), each as long as the bars: a
/// scan's plan slots, or [`ScoreScratch::series`]. Their value at bar `i`
/// is the one computed on bars `0..=i` alone, bit for bit (these kernels
/// never look past a bar: `tests/engine/lang.rs` checks every kernel but
/// KAMA), so the score at any bar reads them in O(1).
#[derive(Debug, Clone, Copy)]
pub struct ScoreSeries<'a> {
    pub rsi_14: &'a [f64],
    pub atr_14: &'a [f64],
    pub macd_hist: &'a [f64],
}

impl ScoreSeries<'_> {
    /// The three values at bar `i` (`NaN` past the end).
    pub(super) fn at(&self, i: usize) -> [f64; 3] {
        [self.rsi_14, self.atr_14, self.macd_hist].map(|s| s.get(i).copied().unwrap_or(f64::NAN))
    }
}

/// Reusable columns for the recursive indicators (RSI, ATR, MACD's three),
/// so that scoring thousands of symbols on one worker does not allocate per
/// symbol. Grows to the longest series seen.
#[derive(Debug, Clone, Default)]
pub struct ScoreScratch {
    cols: [Vec<f64>; 5],
    /// Whether `cols` hold the series over all of the current bars
    /// ([`ScoreScratch::series_of`]).
    filled: bool,
    /// The ratings of bars `ratings_from..` (one block, [`ScoreScratch::rating_at`]).
    ratings: Vec<Rating>,
    ratings_from: usize,
}

impl ScoreScratch {
    /// The score's series over all of `bars`, computed here.
    pub fn series(&mut self, bars: &Bars) -> ScoreSeries<'_> {
        self.fill(bars, bars.len(), [false; 3]);
        self.view([None; 3])
    }

    /// Forgets the series and ratings: the next bars are another symbol's
    /// (a scan's `prepare`).
    pub fn forget(&mut self) {
        self.filled = false;
        self.ratings.clear();
    }

    /// The score's series over all of `bars`: those `given` (a scan's plan
    /// computed them), the rest computed here once after [`forget`]. Until
    /// the next `forget`, `bars` and which series are `given` must not
    /// change (one scan's `Prepared` holds both).
    ///
    /// [`forget`]: ScoreScratch::forget
    pub fn series_of<'a>(
        &'a mut self,
        bars: &Bars,
        given: [Option<&'a [f64]>; 3],
    ) -> ScoreSeries<'a> {
        if !self.filled {
            self.fill(bars, bars.len(), given.map(|g| g.is_some()));
            self.filled = true;
        }
        self.view(given)
    }

    /// The fields at bar `i` (what scan expressions read: no trade plan, no
    /// tags, no allocation), from [`ScoreScratch::series_of`], a block of
    /// bars at a time: a miss rates bars `i..` up to `windows::BLOCK` at
    /// once, so reading every bar in turn (a backtest) costs a block per 64
    /// bars, and the last bar alone (a scan) one bar.
    pub fn rating_at(&mut self, bars: &Bars, i: usize, given: [Option<&[f64]>; 3]) -> Rating {
        let cached = i
            .checked_sub(self.ratings_from)
            .and_then(|k| self.ratings.get(k));
        if let Some(r) = cached {
            return *r;
        }
        if i >= bars.len() {
            return rate(&Features::NAN);
        }
        let m = windows::BLOCK.min(bars.len() - i);
        let mut features = [Features::NAN; windows::BLOCK];
        let series = self.series_of(bars, given);
        if m == 1 {
            // The last bar (a scan): one bar's windows alone.
            features[0] = features_at(bars, i, series.at(i));
        } else {
            windows::features(bars, i, &series, &mut features[..m]);
        }
        self.ratings.clear();
        self.ratings.extend(features[..m].iter().map(rate));
        self.ratings_from = i;
        self.ratings[0]
    }

    /// Computes the score's series over bars `0..len` here, except those
    /// `given`.
    pub(super) fn fill(&mut self, bars: &Bars, len: usize, given: [bool; 3]) {
        self.forget();
        let n = len.min(bars.len());
        for col in &mut self.cols {
            col.resize(n, f64::NAN);
        }
        let [r, a, line, signal, hist] = &mut self.cols;
        let close = &bars.close()[..n];
        if !given[0] {
            rsi(close, 14, r);
        }
        if !given[1] {
            atr(&bars.high()[..n], &bars.low()[..n], close, 14, a);
        }
        if !given[2] {
            macd(close, 12, 26, 9, line, signal, hist);
        }
    }

    /// The series: those given, the rest as `fill` left them.
    pub(super) fn view<'a>(
        &'a self,
        [rsi_14, atr_14, macd_hist]: [Option<&'a [f64]>; 3],
    ) -> ScoreSeries<'a> {
        let [r, a, _, _, hist] = &self.cols;
        ScoreSeries {
            rsi_14: rsi_14.unwrap_or(r),
            atr_14: atr_14.unwrap_or(a),
            macd_hist: macd_hist.unwrap_or(hist),
        }
    }
}
