//! The score's features at one bar (SPEC §2.4; each window in the module
//! docs of `score`): the definitions, one bar at a time. `windows` computes
//! the same bits for a run of bars. Engine only: no browser crate.

use crate::engine::bars::Bars;

/// The raw features at one bar (see the module docs for each window).
/// `NaN` when the window does not fit in the bars loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub ret_1d: f64,
    pub ret_5d: f64,
    pub ret_21d: f64,
    pub vol_realized_20: f64,
    /// ATR(14) / close, a fraction (0.01 = 1%).
    pub atr_pct_14: f64,
    pub sma_20: f64,
    pub sma_50: f64,
    pub sma_200: f64,
    /// Percent below the highest close of the last 20 bars (≤ 0).
    pub pct_from_high20: f64,
    /// Percent above the lowest close of the last 20 bars (≥ 0).
    pub pct_from_low20: f64,
    pub rsi_14: f64,
    pub macd_hist: f64,
    pub dollar_vol_20: f64,
    pub vol_spike_ratio: f64,
    pub gap_mean_10: f64,
}

impl Features {
    /// Every feature undefined.
    pub const NAN: Features = Features {
        ret_1d: f64::NAN,
        ret_5d: f64::NAN,
        ret_21d: f64::NAN,
        vol_realized_20: f64::NAN,
        atr_pct_14: f64::NAN,
        sma_20: f64::NAN,
        sma_50: f64::NAN,
        sma_200: f64::NAN,
        pct_from_high20: f64::NAN,
        pct_from_low20: f64::NAN,
        rsi_14: f64::NAN,
        macd_hist: f64::NAN,
        dollar_vol_20: f64::NAN,
        vol_spike_ratio: f64::NAN,
        gap_mean_10: f64::NAN,
    };
}

/// The features at bar `i < bars.len()`, one bar at a time as the module
/// docs define them, given RSI(14), ATR(14) and the MACD histogram at `i`
/// (`windows::features` gives the same bits for a run of bars, faster).
pub(super) fn features_at(
    bars: &Bars,
    i: usize,
    [rsi_14, atr_14, macd_hist]: [f64; 3],
) -> Features {
    let n = i + 1;
    let close = &bars.close()[..n];
    let open = &bars.open()[..n];
    let volume = &bars.volume()[..n];
    let last = close[i];

    let ret = |k: usize| {
        if i >= k {
            last / close[i - k] - 1.0
        } else {
            f64::NAN
        }
    };
    let atr_pct_14 = atr_14 / last;

    let dollar_vol_20 = window(n, 20).map_or(f64::NAN, |w| {
        w.map(|j| close[j] * volume[j]).sum::<f64>() / 20.0
    });
    let vol_spike_ratio = if dollar_vol_20 > 0.0 {
        last * volume[i] / dollar_vol_20
    } else {
        f64::NAN
    };

    let (pct_from_high20, pct_from_low20) = window(n, 20).map_or((f64::NAN, f64::NAN), |w| {
        let (low, high) = w.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), j| {
            (lo.min(close[j]), hi.max(close[j]))
        });
        ((last / high - 1.0) * 100.0, (last / low - 1.0) * 100.0)
    });

    Features {
        ret_1d: ret(1),
        ret_5d: ret(5),
        ret_21d: ret(21),
        vol_realized_20: return_std(close, 20) * 252f64.sqrt(),
        atr_pct_14,
        sma_20: mean_last(close, 20),
        sma_50: mean_last(close, 50),
        sma_200: mean_last(close, 200),
        pct_from_high20,
        pct_from_low20,
        rsi_14,
        macd_hist,
        dollar_vol_20,
        vol_spike_ratio,
        gap_mean_10: window(n - 1, 10).map_or(f64::NAN, |w| {
            w.map(|j| (open[j + 1] - close[j]).abs() / close[j])
                .sum::<f64>()
                / 10.0
        }),
    }
}

/// The indices of the last `width` of `len` items, if there are that many.
#[inline]
pub(super) fn window(len: usize, width: usize) -> Option<std::ops::Range<usize>> {
    (len >= width).then(|| len - width..len)
}

/// Mean of the last `width` values (`NaN` if fewer).
pub(super) fn mean_last(src: &[f64], width: usize) -> f64 {
    window(src.len(), width).map_or(f64::NAN, |w| src[w].iter().sum::<f64>() / width as f64)
}

/// Sample standard deviation (n − 1) of the last `count` simple daily returns
/// of `close` (`NaN` without `count + 1` closes).
pub(super) fn return_std(close: &[f64], count: usize) -> f64 {
    if count < 2 || close.len() < count + 1 {
        return f64::NAN;
    }
    let start = close.len() - count;
    let r = |j: usize| close[j] / close[j - 1] - 1.0;
    let mean = (start..close.len()).map(r).sum::<f64>() / count as f64;
    let ss = (start..close.len())
        .map(|j| {
            let d = r(j) - mean;
            d * d
        })
        .sum::<f64>();
    (ss / (count - 1) as f64).sqrt()
}
