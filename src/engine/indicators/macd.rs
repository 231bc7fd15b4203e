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
