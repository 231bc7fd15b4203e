//! Duration and match-count prediction from this device's history, shown
//! before Run and compared after (issue 9 `data-testid="prediction"`).
//!
//! Duration is physics plus small constants, fitted by non-negative least
//! squares ([`nnls`], Lawson–Hanson) on every recorded run of any scan,
//! newer runs weighing more:
//! `T ≈ c0 + c1·requests/rate + c2·fetched + c3·cache_hits + c4·bars·(indicators+1)/threads/10⁶`
//! (ms; `c1` is ms per second of rate-limited fetching, ≈ 1000 when the
//! limit binds). Coefficients cannot go negative, so a new, larger universe
//! or a slower limit extrapolates the right way. Expected matches are the
//! sum of the symbols' posterior match chances. Fewer than
//! [`MIN_RUNS_TO_FIT`] runs: no number at all (`None`), never a guess.
//! No browser crate.

use super::record::{History, RunRecord, ScanHistory};
use super::Fingerprint;

/// Runs (over all scans) needed before a duration is predicted; runs of the
/// scan itself needed before its match count is predicted: 1.
pub const MIN_RUNS_TO_FIT: usize = 2;

/// Half-life of a run's weight in the duration fit, in runs: a device's
/// network and threads change, so recent runs count more.
pub const FIT_HALF_LIFE_RUNS: f64 = 20.0;

/// Runs used in the fit, newest first.
pub const MAX_FIT_RUNS: usize = 200;

/// Runs before a duration range is given.
pub const MIN_RUNS_FOR_RANGE: usize = 5;

/// Runs without a match before "too tight" (fewer if the scan has fewer runs).
pub const TIGHT_RUNS: usize = 3;

/// What is known about a scan before Run (from the cache index, the source's
/// fetch policy, the compiled plan and the pool size).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    pub symbols: u32,
    /// Requests the cache index says are needed.
    pub requests: u32,
    /// Sustained requests per second the source allows (`None`: no limit).
    pub rate_per_s: Option<f64>,
    /// Symbols that need a fetch.
    pub fetched: u32,
    /// Symbols served from the cache.
    pub cache_hits: u32,
    /// Bars to evaluate, summed over symbols.
    pub bars: u64,
    pub indicators: u32,
    pub threads: u32,
}

/// Number of duration features (the length of [`Features::row`]).
pub const FEATURES: usize = 5;

impl Features {
    /// The features of a recorded run (for the fit).
    pub fn of_run(r: &RunRecord) -> Features {
        Features {
            symbols: r.symbols,
            requests: r.requests,
            rate_per_s: r.rate_per_s,
            fetched: r.fetched,
            cache_hits: r.cache_hits,
            bars: r.bars,
            indicators: r.indicators,
            threads: r.threads,
        }
    }

    /// `[1, requests/rate (s), fetched, cache_hits, compute (10⁶ bar·kernels per thread)]`.
    pub fn row(&self) -> [f64; FEATURES] {
        let limited_s = match self.rate_per_s {
            Some(r) if r.is_finite() && r > 0.0 => f64::from(self.requests) / r,
            _ => 0.0,
        };
        let compute = self.bars as f64 * (f64::from(self.indicators) + 1.0)
            / f64::from(self.threads.max(1))
            / 1e6;
        [
            1.0,
            limited_s,
            f64::from(self.fetched),
            f64::from(self.cache_hits),
            compute,
        ]
    }
}

/// A pre-run warning about the scan itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// No match in the scan's last runs (up to [`TIGHT_RUNS`]).
    TooTight,
    /// More than half the universe matched last time.
    TooBroad,
}

impl Warning {
    pub fn message(self) -> &'static str {
        match self {
            Warning::TooTight => "too tight: no match in its last runs",
            Warning::TooBroad => "too broad: more than half the universe matched last time",
        }
    }
}

/// What is expected of the next run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prediction {
    /// Expected duration, ms (`None`: fewer than [`MIN_RUNS_TO_FIT`] runs).
    pub duration_ms: Option<f64>,
    /// P10–P90 of the duration from the fit's own relative residuals (from
    /// [`MIN_RUNS_FOR_RANGE`] runs; in-sample, so if anything too narrow).
    pub duration_range_ms: Option<(f64, f64)>,
    /// Expected matches (`None`: this scan never ran here).
    pub matches: Option<f64>,
    /// Standard deviation of the match count (independent symbols).
    pub matches_sd: Option<f64>,
    /// Runs behind the duration fit.
    pub runs_used: usize,
    pub warning: Option<Warning>,
}

/// Predicted against actual over recorded runs that had a prediction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Accuracy {
    /// Runs with a duration prediction, and the median of |pred − actual| / actual.
    pub duration_runs: usize,
    pub duration_median_error: Option<f64>,
    /// Share of those within ±50%.
    pub duration_within_half: Option<f64>,
    pub matches_runs: usize,
    /// Median of |pred − actual| / max(actual, 1).
    pub matches_median_error: Option<f64>,
    pub matches_within_half: Option<f64>,
}

/// A fitted duration model: `ms = coefficients · row`.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationModel {
    pub coefficients: [f64; FEATURES],
    pub runs: usize,
    /// P10 and P90 of actual ÷ fitted over the fitted runs, when there are enough.
    pub ratio_range: Option<(f64, f64)>,
}

impl DurationModel {
    pub fn predict(&self, f: &Features) -> f64 {
        self.coefficients
            .iter()
            .zip(f.row())
            .map(|(c, x)| c * x)
            .sum()
    }
}

/// Fits the duration model to `runs` (oldest first); `None` below
/// [`MIN_RUNS_TO_FIT`] or when the fit fails.
pub fn fit_duration(runs: &[&RunRecord]) -> Option<DurationModel> {
    let runs: Vec<&RunRecord> = runs
        .iter()
        .rev()
        .take(MAX_FIT_RUNS)
        .filter(|r| r.duration_ms.is_finite() && r.duration_ms >= 0.0)
        .copied()
        .collect();
    if runs.len() < MIN_RUNS_TO_FIT {
        return None;
    }
    let mut a = Vec::with_capacity(runs.len());
    let mut b = Vec::with_capacity(runs.len());
    for (age, r) in runs.iter().enumerate() {
        let w = 0.5f64.powf(age as f64 / FIT_HALF_LIFE_RUNS).sqrt();
        a.push(Features::of_run(r).row().map(|x| x * w).to_vec());
        b.push(r.duration_ms * w);
    }
    let x = nnls(&a, &b)?;
    let mut coefficients = [0.0; FEATURES];
    coefficients.copy_from_slice(&x);
    let mut model = DurationModel {
        coefficients,
        runs: runs.len(),
        ratio_range: None,
    };
    let mut ratios: Vec<f64> = runs
        .iter()
        .filter_map(|r| {
            let fitted = model.predict(&Features::of_run(r));
            (fitted > 0.0).then(|| r.duration_ms / fitted)
        })
        .collect();
    if ratios.len() >= MIN_RUNS_FOR_RANGE {
        ratios.sort_by(f64::total_cmp);
        model.ratio_range = Some((quantile(&ratios, 0.1), quantile(&ratios, 0.9)));
    }
    Some(model)
}

impl History {
    /// The prediction for `fp` over `universe` with `features`.
    pub fn predict(&self, fp: Fingerprint, features: &Features, universe: &[&str]) -> Prediction {
        let model = fit_duration(&self.all_runs());
        let scan = self.scan(fp).filter(|s| s.run_count > 0);
        let (matches, matches_sd) = match scan {
            Some(s) => {
                let (mu, var) = expected_matches(s, universe);
                (Some(mu), Some(var.sqrt()))
            }
            None => (None, None),
        };
        let duration_ms = model.as_ref().map(|m| m.predict(features).max(0.0));
        Prediction {
            duration_ms,
            duration_range_ms: model
                .as_ref()
                .and_then(|m| m.ratio_range)
                .zip(duration_ms)
                .map(|((lo, hi), d)| (d * lo, d * hi)),
            runs_used: model.as_ref().map_or(0, |m| m.runs),
            matches,
            matches_sd,
            warning: scan.and_then(warning),
        }
    }

    /// How well past predictions did, for `fp` or (`None`) over all scans.
    pub fn accuracy(&self, fp: Option<Fingerprint>) -> Accuracy {
        let runs: Vec<&RunRecord> = match fp {
            Some(f) => self.scan(f).map_or(Vec::new(), |s| s.runs.iter().collect()),
            None => self.all_runs(),
        };
        let d: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let p = r.predicted_ms?;
                Some((p - r.duration_ms).abs() / r.duration_ms.max(1.0))
            })
            .collect();
        let m: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let p = r.predicted_matches?;
                let a = f64::from(r.matches);
                Some((p - a).abs() / a.max(1.0))
            })
            .collect();
        Accuracy {
            duration_runs: d.len(),
            duration_median_error: median(&d),
            duration_within_half: share_within_half(&d),
            matches_runs: m.len(),
            matches_median_error: median(&m),
            matches_within_half: share_within_half(&m),
        }
    }
}

/// Σ posterior means and Σ p(1−p) over `universe` (unseen symbols at the
/// scan's overall rate).
pub fn expected_matches(scan: &ScanHistory, universe: &[&str]) -> (f64, f64) {
    let rate = scan.overall_rate();
    universe.iter().fold((0.0, 0.0), |(mu, var), s| {
        let p = scan.symbol(s).map_or(rate, |st| st.mean(rate));
        (mu + p, var + p * (1.0 - p))
    })
}

fn warning(scan: &ScanHistory) -> Option<Warning> {
    let last = scan.runs.back()?;
    if last.symbols > 0 && f64::from(last.matches) > f64::from(last.symbols) / 2.0 {
        return Some(Warning::TooBroad);
    }
    let recent = scan.runs.iter().rev().take(TIGHT_RUNS);
    recent
        .clone()
        .all(|r| r.matches == 0)
        .then_some(Warning::TooTight)
}

/// The `q` quantile of sorted, non-empty `s` (linear between ranks).
fn quantile(s: &[f64], q: f64) -> f64 {
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

fn share_within_half(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().filter(|e| **e <= 0.5).count() as f64 / v.len() as f64)
}

/// Non-negative least squares, Lawson–Hanson: `argmin ‖A x − b‖₂` subject to
/// `x ≥ 0`, for `A` given as rows (`m × n`, a handful of columns). Columns are
/// scaled to unit norm internally for conditioning. `None` when the shapes
/// disagree or a value is not finite.
///
/// Written here rather than taken from a crate: the ones on crates.io
/// (e.g. `nnls`) pull in `ndarray` for what is ~80 lines at this size.
pub fn nnls(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let m = a.len();
    let n = a.first().map_or(0, Vec::len);
    if m != b.len() || n == 0 || a.iter().any(|r| r.len() != n) {
        return None;
    }
    if a.iter().flatten().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let scale: Vec<f64> = (0..n)
        .map(|j| {
            let s = a.iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt();
            if s > 0.0 {
                s
            } else {
                1.0
            }
        })
        .collect();
    let a: Vec<Vec<f64>> = a
        .iter()
        .map(|r| r.iter().zip(&scale).map(|(v, s)| v / s).collect())
        .collect();
    let tol = 1e-10 * (1.0 + b.iter().map(|v| v * v).sum::<f64>().sqrt());
    let mut x = vec![0.0; n];
    let mut passive = vec![false; n];
    let gradient = |x: &[f64]| -> Vec<f64> {
        let r: Vec<f64> = (0..m)
            .map(|i| b[i] - a[i].iter().zip(x).map(|(p, q)| p * q).sum::<f64>())
            .collect();
        (0..n)
            .map(|j| (0..m).map(|i| a[i][j] * r[i]).sum())
            .collect()
    };
    for _ in 0..(3 * n + 3) {
        let w = gradient(&x);
        let Some(t) = (0..n)
            .filter(|&j| !passive[j] && w[j] > tol)
            .max_by(|&i, &j| w[i].total_cmp(&w[j]))
        else {
            break;
        };
        passive[t] = true;
        for _ in 0..(3 * n + 3) {
            let s = solve_passive(&a, b, &passive)?;
            if (0..n).filter(|&j| passive[j]).all(|j| s[j] > 0.0) {
                x = s;
                break;
            }
            // Step back to where the first passive coefficient hits zero.
            let alpha = (0..n)
                .filter(|&j| passive[j] && s[j] <= 0.0)
                .map(|j| x[j] / (x[j] - s[j]))
                .fold(f64::INFINITY, f64::min);
            for j in 0..n {
                x[j] += alpha * (s[j] - x[j]);
                if passive[j] && x[j] <= 1e-12 {
                    passive[j] = false;
                    x[j] = 0.0;
                }
            }
            if !passive.iter().any(|p| *p) {
                break;
            }
        }
    }
    Some(
        x.iter()
            .zip(&scale)
            .map(|(v, s)| (v / s).max(0.0))
            .collect(),
    )
}

/// Unconstrained least squares on the passive columns (zeros elsewhere), by
/// the normal equations with a tiny ridge so that collinear columns (the same
/// scan rerun) still solve.
fn solve_passive(a: &[Vec<f64>], b: &[f64], passive: &[bool]) -> Option<Vec<f64>> {
    let cols: Vec<usize> = (0..passive.len()).filter(|&j| passive[j]).collect();
    let k = cols.len();
    let mut g = vec![vec![0.0; k + 1]; k];
    for (p, &cp) in cols.iter().enumerate() {
        for (q, &cq) in cols.iter().enumerate() {
            g[p][q] = a.iter().map(|r| r[cp] * r[cq]).sum();
        }
        g[p][k] = a.iter().zip(b).map(|(r, y)| r[cp] * y).sum();
        g[p][p] += 1e-12;
    }
    // Gaussian elimination with partial pivoting on the augmented matrix.
    for c in 0..k {
        let piv = (c..k).max_by(|&i, &j| g[i][c].abs().total_cmp(&g[j][c].abs()))?;
        g.swap(c, piv);
        let d = g[c][c];
        if d.abs() < 1e-300 {
            return None;
        }
        let pivot_row = g[c].clone();
        for row in g.iter_mut().skip(c + 1) {
            let f = row[c] / d;
            for (x, p) in row.iter_mut().zip(&pivot_row).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut s = vec![0.0; k];
    for c in (0..k).rev() {
        let tail: f64 = ((c + 1)..k).map(|j| g[c][j] * s[j]).sum();
        s[c] = (g[c][k] - tail) / g[c][c];
    }
    let mut x = vec![0.0; passive.len()];
    for (p, &cp) in cols.iter().enumerate() {
        x[cp] = s[p];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_matches_the_unconstrained_solution_when_it_is_non_negative() {
        let a = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
        let b = vec![1.0, 2.0, 3.0];
        let x = nnls(&a, &b).unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-9 && (x[1] - 2.0).abs() < 1e-9,
            "{x:?}"
        );
    }

    #[test]
    fn nnls_clamps_a_negative_coefficient_to_zero() {
        // Unconstrained: y = 12 − 1·x₂; with x ≥ 0 the slope is 0 and the intercept the mean.
        let a: Vec<Vec<f64>> = (0..10).map(|i| vec![1.0, f64::from(i)]).collect();
        let b: Vec<f64> = (0..10).map(|i| 12.0 - f64::from(i)).collect();
        let x = nnls(&a, &b).unwrap();
        assert_eq!(x[1], 0.0);
        assert!((x[0] - b.iter().sum::<f64>() / 10.0).abs() < 1e-9, "{x:?}");
    }

    #[test]
    fn nnls_refuses_ragged_or_non_finite_input() {
        assert!(nnls(&[vec![1.0], vec![1.0, 2.0]], &[1.0, 2.0]).is_none());
        assert!(nnls(&[vec![f64::NAN]], &[1.0]).is_none());
        assert!(nnls(&[vec![1.0]], &[1.0, 2.0]).is_none());
    }
}
