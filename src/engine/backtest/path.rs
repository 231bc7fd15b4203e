//! The average path after a signal against the baseline: the mean return at
//! each bar offset 1..=H after the entry (close[t+k] / open[t+1] − 1), over
//! the signals and over every baseline bar, for the page's chart. Summed per
//! symbol in time order, then over symbols by name, like the horizon table,
//! so it is the same on every run and thread count. Engine only.

/// Mean return at each offset after the entry, signals and baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct AveragePath {
    /// `signals[k - 1]`: the mean over signals whose bar t+k exists.
    pub signals: Vec<Option<f64>>,
    pub signal_counts: Vec<usize>,
    /// `baseline[k - 1]`: the same over every baseline bar.
    pub baseline: Vec<Option<f64>>,
    pub baseline_counts: Vec<usize>,
    sums: Vec<(f64, f64)>,
}

impl AveragePath {
    /// An empty path of `len` offsets.
    pub fn new(len: usize) -> AveragePath {
        AveragePath {
            signals: vec![None; len],
            signal_counts: vec![0; len],
            baseline: vec![None; len],
            baseline_counts: vec![0; len],
            sums: vec![(0.0, 0.0); len],
        }
    }

    /// Offsets in the path (the longest horizon asked for).
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Adds one symbol's sums (signals, baseline) and updates the means.
    pub(super) fn add(&mut self, signals: &PathSums, baseline: &PathSums) {
        let (sc, bc) = (signals.counts(), baseline.counts());
        for k in 0..self.sums.len() {
            self.sums[k].0 += signals.sum[k];
            self.sums[k].1 += baseline.sum[k];
            self.signal_counts[k] += sc[k];
            self.baseline_counts[k] += bc[k];
            let mean = |sum: f64, n: usize| (n > 0).then(|| sum / n as f64);
            self.signals[k] = mean(self.sums[k].0, self.signal_counts[k]);
            self.baseline[k] = mean(self.sums[k].1, self.baseline_counts[k]);
        }
    }
}

/// One symbol's sums at each offset, and how far each added bar reached,
/// kept so the per-bar work is one multiply-add per offset (vectorised) and
/// one increment: on every baseline bar it is H more returns, and as H
/// divisions and H counters it cost 20–40% of the backtest of `rsi(14) < 30`
/// over 5,000 × 2,520 bars (benches/backtest.rs).
#[derive(Debug, Clone, Default)]
pub(super) struct PathSums {
    sum: Vec<f64>,
    /// `reach[m]`: bars added with exactly m offsets inside the data.
    reach: Vec<usize>,
}

impl PathSums {
    pub(super) fn new(len: usize) -> PathSums {
        PathSums {
            sum: vec![0.0; len],
            reach: vec![0; len + 1],
        }
    }

    /// Adds close[t+k] / entry − 1 at every offset k whose bar exists (as
    /// close × (1 / entry), which may differ from the division in the last
    /// bit).
    pub(super) fn add(&mut self, close: &[f64], t: usize, entry: f64) {
        let m = close.len().saturating_sub(t + 1).min(self.sum.len());
        let inv = 1.0 / entry;
        for (s, c) in self.sum[..m].iter_mut().zip(&close[t + 1..t + 1 + m]) {
            *s += c * inv - 1.0;
        }
        self.reach[m] += 1;
    }

    /// Bars counted at each offset: those that reached past it.
    fn counts(&self) -> Vec<usize> {
        let mut out = vec![0; self.sum.len()];
        let mut beyond = 0;
        for k in (0..self.sum.len()).rev() {
            beyond += self.reach[k + 1];
            out[k] = beyond;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_past_the_end_are_not_counted() {
        let close = [10.0, 11.0, 12.0, 9.0];
        let mut sums = PathSums::new(5);
        sums.add(&close, 1, 10.0);
        assert!((sums.sum[0] - 0.2).abs() < 1e-15);
        assert!((sums.sum[1] + 0.1).abs() < 1e-15);
        assert_eq!(sums.counts(), [1, 1, 0, 0, 0]);
        assert_eq!(sums.sum[2], 0.0);
        sums.add(&close, 0, 10.0);
        assert_eq!(sums.counts(), [2, 2, 1, 0, 0]);
        let mut none = PathSums::new(3);
        none.add(&close, 3, 10.0);
        assert_eq!(none.counts(), [0, 0, 0]);
    }
}
