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
    pub(super) fn add(&mut self, signals: &[(f64, usize)], baseline: &[(f64, usize)]) {
        for k in 0..self.sums.len() {
            let (s, b) = (signals[k], baseline[k]);
            self.sums[k].0 += s.0;
            self.sums[k].1 += b.0;
            self.signal_counts[k] += s.1;
            self.baseline_counts[k] += b.1;
            let mean = |sum: f64, n: usize| (n > 0).then(|| sum / n as f64);
            self.signals[k] = mean(self.sums[k].0, self.signal_counts[k]);
            self.baseline[k] = mean(self.sums[k].1, self.baseline_counts[k]);
        }
    }
}

/// Adds close[t+k] / entry − 1 to `sums[k − 1]` for every offset k whose bar
/// exists.
pub(super) fn add_returns(sums: &mut [(f64, usize)], close: &[f64], t: usize, entry: f64) {
    let last = close.len().saturating_sub(t + 1).min(sums.len());
    for (k, s) in sums.iter_mut().take(last).enumerate() {
        s.0 += close[t + 1 + k] / entry - 1.0;
        s.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_past_the_end_are_not_counted() {
        let close = [10.0, 11.0, 12.0, 9.0];
        let mut sums = vec![(0.0, 0); 5];
        add_returns(&mut sums, &close, 1, 10.0);
        assert_eq!(sums[0], (12.0 / 10.0 - 1.0, 1));
        assert_eq!(sums[1], (9.0 / 10.0 - 1.0, 1));
        assert_eq!(sums[2], (0.0, 0));
        let mut none = vec![(0.0, 0); 3];
        add_returns(&mut none, &close, 3, 10.0);
        assert!(none.iter().all(|s| s.1 == 0));
    }
}
