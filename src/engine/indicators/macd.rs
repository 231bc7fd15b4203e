//! MACD line, signal and histogram (TA-Lib `MACD`).
//!
//! Formula: line = EMA(fast) − EMA(slow); signal = EMA(signal) of the line;
//! hist = line − signal. If `slow < fast` the two are swapped (as TA-Lib does).
//! TA-Lib's alignment: the slow EMA is seeded on bars `0..slow`, and the fast
//! EMA on the `fast` bars that end at the same bar (`slow-fast..slow`), not on
//! bars `0..fast`; the signal EMA is seeded on the first `signal` line values.
//! A signal period of 1 means no smoothing: signal = line, hist = 0.
//! Warm-up: `slow - 1 + signal - 1` bars for all three outputs.
//! Range: fast, slow in 2..=100000, signal in 1..=100000.
//! Complexity: O(len), no allocation (`hist` holds the slow EMA meanwhile).

use super::ema::ema_with_k;
use super::fill_nan;

pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    fast.max(slow).saturating_sub(1) + signal.saturating_sub(1)
}

pub fn macd(
    src: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    line: &mut [f64],
    sig: &mut [f64],
    hist: &mut [f64],
) {
    fill_nan(line);
    fill_nan(sig);
    fill_nan(hist);
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let len = src.len();
    let ok_len = line.len() == len && sig.len() == len && hist.len() == len;
    if !(2..=100_000).contains(&fast)
        || !(2..=100_000).contains(&slow)
        || !(1..=100_000).contains(&signal)
        || !ok_len
    {
        return;
    }
    let lookback = macd_lookback(fast, slow, signal);
    if len <= lookback {
        return;
    }
    // Slow EMA into `hist` and fast EMA into `line`, both starting at `slow - 1`.
    let start = slow - 1;
    ema_with_k(src, slow, 2.0 / (slow as f64 + 1.0), start, hist);
    ema_with_k(src, fast, 2.0 / (fast as f64 + 1.0), start, line);
    for i in start..len {
        line[i] -= hist[i];
    }
    // Signal EMA of the line, seeded on its first `signal` values.
    if signal == 1 {
        sig[start..].copy_from_slice(&line[start..]);
    } else {
        let k = 2.0 / (signal as f64 + 1.0);
        ema_with_k(&line[start..], signal, k, signal - 1, &mut sig[start..]);
    }
    for i in start..lookback {
        line[i] = f64::NAN;
        sig[i] = f64::NAN;
    }
    for i in 0..len {
        hist[i] = if i < lookback {
            f64::NAN
        } else {
            line[i] - sig[i]
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EMA seeded with the mean of `src[first + 1 - n..=first]`, from `first` on.
    fn naive_ema(src: &[f64], n: usize, first: usize) -> Vec<f64> {
        let k = 2.0 / (n as f64 + 1.0);
        let mut out = vec![f64::NAN; src.len()];
        out[first] = src[first + 1 - n..=first].iter().sum::<f64>() / n as f64;
        for i in first + 1..src.len() {
            out[i] = out[i - 1] + k * (src[i] - out[i - 1]);
        }
        out
    }

    fn series() -> Vec<f64> {
        (0..70)
            .map(|i| 20.0 + (i as f64 * 0.3).sin() * 3.0 + i as f64 * 0.05)
            .collect()
    }

    #[test]
    fn fast_ema_is_seeded_on_the_bars_ending_with_the_slow_seed() {
        let src = series();
        let (fast, slow, signal) = (3, 8, 4);
        let (mut line, mut sig, mut hist) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
        macd(&src, fast, slow, signal, &mut line, &mut sig, &mut hist);
        let slow_ema = naive_ema(&src, slow, slow - 1);
        let fast_ema = naive_ema(&src, fast, slow - 1);
        let want_line: Vec<f64> = (0..70).map(|i| fast_ema[i] - slow_ema[i]).collect();
        let want_sig = naive_ema(&want_line[slow - 1..], signal, signal - 1);
        let lb = macd_lookback(fast, slow, signal);
        assert_eq!(lb, 7 + 3);
        assert!(line[..lb]
            .iter()
            .chain(&sig[..lb])
            .chain(&hist[..lb])
            .all(|v| v.is_nan()));
        for i in lb..70 {
            assert!((line[i] - want_line[i]).abs() < 1e-12, "line at {i}");
            assert!(
                (sig[i] - want_sig[i - (slow - 1)]).abs() < 1e-12,
                "signal at {i}"
            );
            assert!((hist[i] - (line[i] - sig[i])).abs() < 1e-15, "hist at {i}");
        }
    }

    #[test]
    fn slow_shorter_than_fast_is_swapped_and_signal_one_is_the_line() {
        let src = series();
        let cols = |f, s, g| {
            let (mut a, mut b, mut c) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
            macd(&src, f, s, g, &mut a, &mut b, &mut c);
            (a, b, c)
        };
        let (l1, s1, h1) = cols(12, 26, 9);
        let (l2, s2, h2) = cols(26, 12, 9);
        assert_eq!(format!("{l1:?}{s1:?}{h1:?}"), format!("{l2:?}{s2:?}{h2:?}"));
        let (line, sig, hist) = cols(5, 10, 1);
        assert_eq!(line[9..], sig[9..]);
        assert!(hist[9..].iter().all(|&h| h == 0.0));
    }

    #[test]
    fn bad_periods_give_all_nan() {
        let src = series();
        let (mut a, mut b, mut c) = (vec![0.0; 70], vec![0.0; 70], vec![0.0; 70]);
        for (f, s, g) in [(1, 26, 9), (12, 26, 0), (12, 100_001, 9), (30, 60, 12)] {
            macd(&src, f, s, g, &mut a, &mut b, &mut c);
            assert!(
                a.iter().chain(&b).chain(&c).all(|v| v.is_nan()),
                "({f},{s},{g})"
            );
        }
    }
}
