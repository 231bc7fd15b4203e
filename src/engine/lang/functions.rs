//! The function registry of the scan language: every name of SPEC §2.3, its
//! parameters (TA-Lib order, defaults and ranges), which kernel computes it
//! and which of the kernel's outputs it reads. Also runs the kernels.

use crate::engine::bars::Bars;
use crate::engine::indicators as ind;
use crate::engine::indicators::candles;

/// The largest real parameter TA-Lib accepts (`TA_REAL_MAX`, ~3e37).
const REAL_MAX: f64 = 3e37;

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// A whole number of bars in `min..=max`.
    Period { min: usize, max: usize },
    /// Any number in `min..=max`.
    Real { min: f64, max: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    pub range: Range,
}

const fn period(name: &'static str, default: usize, min: usize) -> Param {
    Param {
        name,
        default: default as f64,
        range: Range::Period { min, max: 100_000 },
    }
}

const fn real(name: &'static str, default: f64, min: f64) -> Param {
    Param {
        name,
        default,
        range: Range::Real { min, max: REAL_MAX },
    }
}

/// A kernel: one TA-Lib function; several language functions may share one
/// (macd / macd_signal / macd_hist read its three outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    Sma,
    Ema,
    Wma,
    Dema,
    Tema,
    Kama,
    Rsi,
    Macd,
    Stoch,
    StochRsi,
    Willr,
    Cci,
    Mfi,
    Atr,
    Natr,
    Adx,
    PlusDi,
    MinusDi,
    Aroon,
    AroonOsc,
    Trange,
    Roc,
    Mom,
    Bbands,
    Stddev,
    Obv,
    Ad,
    Adosc,
    Sar,
    LinearReg,
    LinearRegSlope,
    Highest,
    Lowest,
    Sum,
    Engulfing,
    Hammer,
    Doji,
    MorningStar,
    EveningStar,
    ShootingStar,
    Harami,
    ThreeWhiteSoldiers,
    ThreeBlackCrows,
    Piercing,
    DarkCloudCover,
    Marubozu,
}

/// One language function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub kernel: Kernel,
    /// Which kernel output this function reads.
    pub output: usize,
    /// Whether the first argument is a source series (optional, close by default).
    pub takes_source: bool,
    pub params: &'static [Param],
    /// One line for the editor's autocomplete.
    pub doc: &'static str,
}

const fn f(
    name: &'static str,
    kernel: Kernel,
    output: usize,
    takes_source: bool,
    params: &'static [Param],
    doc: &'static str,
) -> Function {
    Function {
        name,
        kernel,
        output,
        takes_source,
        params,
        doc,
    }
}

const MA30: &[Param] = &[period("period", 30, 2)];
const P14_2: &[Param] = &[period("period", 14, 2)];
const P14_1: &[Param] = &[period("period", 14, 1)];
const P10_1: &[Param] = &[period("period", 10, 1)];
const MACD: &[Param] = &[
    period("fast", 12, 2),
    period("slow", 26, 2),
    period("signal", 9, 1),
];
const STOCH: &[Param] = &[
    period("fastk", 5, 1),
    period("slowk", 3, 1),
    period("slowd", 3, 1),
];
const STOCHRSI: &[Param] = &[
    period("period", 14, 2),
    period("fastk", 5, 1),
    period("fastd", 3, 1),
];
const BB: &[Param] = &[period("period", 5, 2), real("k", 2.0, -REAL_MAX)];
const STDDEV: &[Param] = &[period("period", 5, 2), real("nbdev", 1.0, -REAL_MAX)];
const ADOSC: &[Param] = &[period("fast", 3, 2), period("slow", 10, 2)];
const SAR: &[Param] = &[real("accel", 0.02, 0.0), real("max", 0.2, 0.0)];
const PEN3: &[Param] = &[real("penetration", 0.3, 0.0)];
const PEN5: &[Param] = &[real("penetration", 0.5, 0.0)];

use Kernel as K;

/// Every function of the language, in the order the editor lists them.
pub static FUNCTIONS: &[Function] = &[
    f("sma", K::Sma, 0, true, MA30, "simple moving average"),
    f(
        "ema",
        K::Ema,
        0,
        true,
        MA30,
        "exponential moving average (SMA seed)",
    ),
    f("wma", K::Wma, 0, true, MA30, "weighted moving average"),
    f(
        "dema",
        K::Dema,
        0,
        true,
        MA30,
        "double exponential moving average",
    ),
    f(
        "tema",
        K::Tema,
        0,
        true,
        MA30,
        "triple exponential moving average",
    ),
    f(
        "kama",
        K::Kama,
        0,
        true,
        MA30,
        "Kaufman adaptive moving average",
    ),
    f(
        "rsi",
        K::Rsi,
        0,
        true,
        P14_2,
        "relative strength index (Wilder)",
    ),
    f("macd", K::Macd, 0, true, MACD, "MACD line"),
    f("macd_signal", K::Macd, 1, true, MACD, "MACD signal line"),
    f("macd_hist", K::Macd, 2, true, MACD, "MACD histogram"),
    f("stoch_k", K::Stoch, 0, false, STOCH, "slow stochastic %K"),
    f("stoch_d", K::Stoch, 1, false, STOCH, "slow stochastic %D"),
    f(
        "stochrsi_k",
        K::StochRsi,
        0,
        true,
        STOCHRSI,
        "stochastic RSI %K",
    ),
    f(
        "stochrsi_d",
        K::StochRsi,
        1,
        true,
        STOCHRSI,
        "stochastic RSI %D",
    ),
    f("willr", K::Willr, 0, false, P14_2, "Williams %R"),
    f("cci", K::Cci, 0, false, P14_2, "commodity channel index"),
    f("mfi", K::Mfi, 0, false, P14_2, "money flow index"),
    f(
        "atr",
        K::Atr,
        0,
        false,
        P14_1,
        "average true range (Wilder)",
    ),
    f(
        "natr",
        K::Natr,
        0,
        false,
        P14_1,
        "ATR as a percent of close",
    ),
    f("adx", K::Adx, 0, false, P14_2, "average directional index"),
    f(
        "plus_di",
        K::PlusDi,
        0,
        false,
        P14_1,
        "plus directional indicator",
    ),
    f(
        "minus_di",
        K::MinusDi,
        0,
        false,
        P14_1,
        "minus directional indicator",
    ),
    f("aroonosc", K::AroonOsc, 0, false, P14_2, "Aroon oscillator"),
    f("aroon_down", K::Aroon, 0, false, P14_2, "Aroon down"),
    f("aroon_up", K::Aroon, 1, false, P14_2, "Aroon up"),
    f("trange", K::Trange, 0, false, &[], "true range"),
    f("roc", K::Roc, 0, true, P10_1, "rate of change in percent"),
    f(
        "mom",
        K::Mom,
        0,
        true,
        P10_1,
        "momentum (difference over n bars)",
    ),
    f("bb_upper", K::Bbands, 0, true, BB, "upper Bollinger band"),
    f(
        "bb_middle",
        K::Bbands,
        1,
        true,
        BB,
        "middle Bollinger band (SMA)",
    ),
    f("bb_lower", K::Bbands, 2, true, BB, "lower Bollinger band"),
    f(
        "stddev",
        K::Stddev,
        0,
        true,
        STDDEV,
        "population standard deviation",
    ),
    f("obv", K::Obv, 0, false, &[], "on-balance volume"),
    f(
        "ad",
        K::Ad,
        0,
        false,
        &[],
        "Chaikin accumulation/distribution line",
    ),
    f("adosc", K::Adosc, 0, false, ADOSC, "Chaikin A/D oscillator"),
    f("sar", K::Sar, 0, false, SAR, "parabolic SAR"),
    f(
        "linearreg",
        K::LinearReg,
        0,
        true,
        P14_2,
        "linear regression value",
    ),
    f(
        "linearreg_slope",
        K::LinearRegSlope,
        0,
        true,
        P14_2,
        "linear regression slope",
    ),
    f(
        "highest",
        K::Highest,
        0,
        true,
        MA30,
        "highest value over n bars",
    ),
    f(
        "lowest",
        K::Lowest,
        0,
        true,
        MA30,
        "lowest value over n bars",
    ),
    f("sum", K::Sum, 0, true, MA30, "sum over n bars"),
    f("avg", K::Sma, 0, true, MA30, "average over n bars (= sma)"),
    f(
        "cdl_engulfing",
        K::Engulfing,
        0,
        false,
        &[],
        "engulfing pattern (+100/-100/0)",
    ),
    f("cdl_hammer", K::Hammer, 0, false, &[], "hammer (+100/0)"),
    f("cdl_doji", K::Doji, 0, false, &[], "doji (+100/0)"),
    f(
        "cdl_morningstar",
        K::MorningStar,
        0,
        false,
        PEN3,
        "morning star (+100/0)",
    ),
    f(
        "cdl_eveningstar",
        K::EveningStar,
        0,
        false,
        PEN3,
        "evening star (-100/0)",
    ),
    f(
        "cdl_shootingstar",
        K::ShootingStar,
        0,
        false,
        &[],
        "shooting star (-100/0)",
    ),
    f(
        "cdl_harami",
        K::Harami,
        0,
        false,
        &[],
        "harami (+100/-100/0)",
    ),
    f(
        "cdl_3whitesoldiers",
        K::ThreeWhiteSoldiers,
        0,
        false,
        &[],
        "three white soldiers (+100/0)",
    ),
    f(
        "cdl_3blackcrows",
        K::ThreeBlackCrows,
        0,
        false,
        &[],
        "three black crows (-100/0)",
    ),
    f(
        "cdl_piercing",
        K::Piercing,
        0,
        false,
        &[],
        "piercing pattern (+100/0)",
    ),
    f(
        "cdl_darkcloudcover",
        K::DarkCloudCover,
        0,
        false,
        PEN5,
        "dark cloud cover (-100/0)",
    ),
    f(
        "cdl_marubozu",
        K::Marubozu,
        0,
        false,
        &[],
        "marubozu (+100/-100/0)",
    ),
];

/// Looks a function up by its (lower-case) name.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Every function name, for autocomplete and "did you mean".
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

impl Function {
    /// The call's shape, e.g. `rsi([src = close,] period = 14)`.
    pub fn signature(&self) -> String {
        let mut parts = Vec::new();
        if self.takes_source {
            parts.push("[src = close]".to_string());
        }
        for p in self.params {
            parts.push(format!("{} = {}", p.name, p.default));
        }
        format!("{}({})", self.name, parts.join(", "))
    }
}

impl Range {
    /// Whether `v` is allowed.
    pub fn accepts(self, v: f64) -> bool {
        match self {
            Range::Period { min, max } => v.fract() == 0.0 && v >= min as f64 && v <= max as f64,
            Range::Real { min, max } => v >= min && v <= max,
        }
    }

    /// "a whole number from 2 to 100000", for messages.
    pub fn describe(self) -> String {
        match self {
            Range::Period { min, max } => format!("a whole number from {min} to {max}"),
            Range::Real { min: 0.0, .. } => "a number from 0 to 3e37".to_string(),
            Range::Real { .. } => "a number from -3e37 to 3e37".to_string(),
        }
    }
}

impl Kernel {
    /// How many output series the kernel writes.
    pub fn outputs(self) -> usize {
        match self {
            K::Macd | K::Bbands => 3,
            K::Stoch | K::StochRsi | K::Aroon => 2,
            _ => 1,
        }
    }

    /// Short name used in plan keys.
    pub fn key(self) -> &'static str {
        match self {
            K::Sma => "sma",
            K::Ema => "ema",
            K::Wma => "wma",
            K::Dema => "dema",
            K::Tema => "tema",
            K::Kama => "kama",
            K::Rsi => "rsi",
            K::Macd => "macd",
            K::Stoch => "stoch",
            K::StochRsi => "stochrsi",
            K::Willr => "willr",
            K::Cci => "cci",
            K::Mfi => "mfi",
            K::Atr => "atr",
            K::Natr => "natr",
            K::Adx => "adx",
            K::PlusDi => "plus_di",
            K::MinusDi => "minus_di",
            K::Aroon => "aroon",
            K::AroonOsc => "aroonosc",
            K::Trange => "trange",
            K::Roc => "roc",
            K::Mom => "mom",
            K::Bbands => "bbands",
            K::Stddev => "stddev",
            K::Obv => "obv",
            K::Ad => "ad",
            K::Adosc => "adosc",
            K::Sar => "sar",
            K::LinearReg => "linearreg",
            K::LinearRegSlope => "linearreg_slope",
            K::Highest => "max",
            K::Lowest => "min",
            K::Sum => "sum",
            K::Engulfing => "cdlengulfing",
            K::Hammer => "cdlhammer",
            K::Doji => "cdldoji",
            K::MorningStar => "cdlmorningstar",
            K::EveningStar => "cdleveningstar",
            K::ShootingStar => "cdlshootingstar",
            K::Harami => "cdlharami",
            K::ThreeWhiteSoldiers => "cdl3whitesoldiers",
            K::ThreeBlackCrows => "cdl3blackcrows",
            K::Piercing => "cdlpiercing",
            K::DarkCloudCover => "cdldarkcloudcover",
            K::Marubozu => "cdlmarubozu",
        }
    }

    /// Index of the first valid output for these parameters (TA-Lib's
    /// lookback). Candlestick lookbacks come from TA-Lib's default candle
    /// settings (averaging periods of 10 bars for bodies and shadows, 5 for
    /// near/far), checked against the `ta-lib` crate in tests.
    pub fn lookback(self, p: &[f64]) -> usize {
        let n = |i: usize| p.get(i).copied().unwrap_or(0.0) as usize;
        let r = |i: usize| p.get(i).copied().unwrap_or(0.0);
        match self {
            K::Sma => ind::sma_lookback(n(0)),
            K::Ema => ind::ema_lookback(n(0)),
            K::Wma => ind::wma_lookback(n(0)),
            K::Dema => ind::dema_lookback(n(0)),
            K::Tema => ind::tema_lookback(n(0)),
            K::Kama => ind::kama_lookback(n(0)),
            K::Rsi => ind::rsi_lookback(n(0)),
            K::Macd => ind::macd_lookback(n(0), n(1), n(2)),
            K::Stoch => ind::stoch_lookback(n(0), n(1), n(2)),
            K::StochRsi => ind::stochrsi_lookback(n(0), n(1), n(2)),
            K::Willr => ind::willr_lookback(n(0)),
            K::Cci => ind::cci_lookback(n(0)),
            K::Mfi => ind::mfi_lookback(n(0)),
            K::Atr => ind::atr_lookback(n(0)),
            K::Natr => ind::natr_lookback(n(0)),
            K::Adx => ind::adx_lookback(n(0)),
            K::PlusDi => ind::plus_di_lookback(n(0)),
            K::MinusDi => ind::minus_di_lookback(n(0)),
            K::Aroon => ind::aroon_lookback(n(0)),
            K::AroonOsc => ind::aroonosc_lookback(n(0)),
            K::Trange => ind::trange_lookback(),
            K::Roc => ind::roc_lookback(n(0)),
            K::Mom => ind::mom_lookback(n(0)),
            K::Bbands => ind::bbands_lookback(n(0)),
            K::Stddev => ind::stddev_lookback(n(0)),
            K::Obv => ind::obv_lookback(),
            K::Ad => ind::ad_lookback(),
            K::Adosc => ind::adosc_lookback(n(0), n(1)),
            K::Sar => ind::sar_lookback(r(0), r(1)),
            K::LinearReg => ind::linearreg_lookback(n(0)),
            K::LinearRegSlope => ind::linearreg_slope_lookback(n(0)),
            K::Highest => ind::highest_lookback(n(0)),
            K::Lowest => ind::lowest_lookback(n(0)),
            K::Sum => ind::sum_lookback(n(0)),
            K::Engulfing => candles::cdl_engulfing_lookback(),
            K::Hammer => candles::cdl_hammer_lookback(),
            K::Doji => candles::cdl_doji_lookback(),
            K::MorningStar => candles::cdl_morningstar_lookback(),
            K::EveningStar => candles::cdl_eveningstar_lookback(),
            K::ShootingStar => candles::cdl_shootingstar_lookback(),
            K::Harami => candles::cdl_harami_lookback(),
            K::ThreeWhiteSoldiers => candles::cdl_3whitesoldiers_lookback(),
            K::ThreeBlackCrows => candles::cdl_3blackcrows_lookback(),
            K::Piercing => candles::cdl_piercing_lookback(),
            K::DarkCloudCover => candles::cdl_darkcloudcover_lookback(),
            K::Marubozu => candles::cdl_marubozu_lookback(),
        }
    }

    /// Runs the kernel. `src` is the source slice for source-taking kernels
    /// (already trimmed of leading `NaN`s), `first` the bar it starts at;
    /// `outs[k][first..]` receive output `k`. Bar-reading kernels ignore
    /// `src` and use all bars (`first` is 0 for them).
    pub fn run(self, bars: &Bars, src: &[f64], first: usize, p: &[f64], outs: &mut [Vec<f64>]) {
        let n = |i: usize| p.get(i).copied().unwrap_or(0.0) as usize;
        let r = |i: usize| p.get(i).copied().unwrap_or(0.0);
        let (o, h, l, c, v) = (
            bars.open(),
            bars.high(),
            bars.low(),
            bars.close(),
            bars.volume(),
        );
        let [a, rest @ ..] = outs else {
            return;
        };
        let a = &mut a[first..];
        match self {
            K::Sma => ind::sma(src, n(0), a),
            K::Ema => ind::ema(src, n(0), a),
            K::Wma => ind::wma(src, n(0), a),
            K::Dema => ind::dema(src, n(0), a),
            K::Tema => ind::tema(src, n(0), a),
            K::Kama => ind::kama(src, n(0), a),
            K::Rsi => ind::rsi(src, n(0), a),
            K::Roc => ind::roc(src, n(0), a),
            K::Mom => ind::mom(src, n(0), a),
            K::Stddev => ind::stddev(src, n(0), r(1), a),
            K::LinearReg => ind::linearreg(src, n(0), a),
            K::LinearRegSlope => ind::linearreg_slope(src, n(0), a),
            K::Highest => ind::highest(src, n(0), a),
            K::Lowest => ind::lowest(src, n(0), a),
            K::Sum => ind::sum(src, n(0), a),
            K::Macd => {
                if let [b, d, ..] = rest {
                    ind::macd(src, n(0), n(1), n(2), a, &mut b[first..], &mut d[first..]);
                }
            }
            K::Bbands => {
                if let [b, d, ..] = rest {
                    ind::bbands(src, n(0), r(1), r(1), a, &mut b[first..], &mut d[first..]);
                }
            }
            K::StochRsi => {
                if let [b, ..] = rest {
                    ind::stochrsi(src, n(0), n(1), n(2), a, &mut b[first..]);
                }
            }
            K::Stoch => {
                if let [b, ..] = rest {
                    ind::stoch(h, l, c, n(0), n(1), n(2), a, b);
                }
            }
            K::Aroon => {
                if let [b, ..] = rest {
                    ind::aroon(h, l, n(0), a, b);
                }
            }
            K::Willr => ind::willr(h, l, c, n(0), a),
            K::Cci => ind::cci(h, l, c, n(0), a),
            K::Mfi => ind::mfi(h, l, c, v, n(0), a),
            K::Atr => ind::atr(h, l, c, n(0), a),
            K::Natr => ind::natr(h, l, c, n(0), a),
            K::Adx => ind::adx(h, l, c, n(0), a),
            K::PlusDi => ind::plus_di(h, l, c, n(0), a),
            K::MinusDi => ind::minus_di(h, l, c, n(0), a),
            K::AroonOsc => ind::aroonosc(h, l, n(0), a),
            K::Trange => ind::trange(h, l, c, a),
            K::Obv => ind::obv(c, v, a),
            K::Ad => ind::ad(h, l, c, v, a),
            K::Adosc => ind::adosc(h, l, c, v, n(0), n(1), a),
            K::Sar => ind::sar(h, l, r(0), r(1), a),
            K::Engulfing => candles::cdl_engulfing(o, h, l, c, a),
            K::Hammer => candles::cdl_hammer(o, h, l, c, a),
            K::Doji => candles::cdl_doji(o, h, l, c, a),
            K::MorningStar => candles::cdl_morningstar(o, h, l, c, r(0), a),
            K::EveningStar => candles::cdl_eveningstar(o, h, l, c, r(0), a),
            K::ShootingStar => candles::cdl_shootingstar(o, h, l, c, a),
            K::Harami => candles::cdl_harami(o, h, l, c, a),
            K::ThreeWhiteSoldiers => candles::cdl_3whitesoldiers(o, h, l, c, a),
            K::ThreeBlackCrows => candles::cdl_3blackcrows(o, h, l, c, a),
            K::Piercing => candles::cdl_piercing(o, h, l, c, a),
            K::DarkCloudCover => candles::cdl_darkcloudcover(o, h, l, c, r(0), a),
            K::Marubozu => candles::cdl_marubozu(o, h, l, c, a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_lower_case() {
        let mut names: Vec<_> = function_names().collect();
        assert!(names.iter().all(|n| *n == n.to_lowercase()));
        let before = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn outputs_read_by_functions_exist_in_their_kernel() {
        for f in FUNCTIONS {
            assert!(f.output < f.kernel.outputs(), "{}", f.name);
        }
    }

    #[test]
    fn defaults_follow_ta_lib() {
        let d = |name: &str| -> Vec<f64> {
            function(name)
                .unwrap()
                .params
                .iter()
                .map(|p| p.default)
                .collect()
        };
        assert_eq!(d("rsi"), vec![14.0]);
        assert_eq!(d("sma"), vec![30.0]);
        assert_eq!(d("macd_hist"), vec![12.0, 26.0, 9.0]);
        assert_eq!(d("bb_lower"), vec![5.0, 2.0]);
        assert_eq!(d("stoch_d"), vec![5.0, 3.0, 3.0]);
        assert_eq!(d("stochrsi_k"), vec![14.0, 5.0, 3.0]);
        assert_eq!(d("sar"), vec![0.02, 0.2]);
        assert_eq!(d("adosc"), vec![3.0, 10.0]);
        assert_eq!(d("cdl_darkcloudcover"), vec![0.5]);
        assert_eq!(
            function("rsi").unwrap().signature(),
            "rsi([src = close], period = 14)"
        );
    }

    #[test]
    fn ranges_accept_whole_periods_inside_ta_lib_limits_only() {
        let r = Range::Period {
            min: 2,
            max: 100_000,
        };
        assert!(r.accepts(2.0) && r.accepts(100_000.0));
        assert!(!r.accepts(1.0) && !r.accepts(2.5) && !r.accepts(100_001.0));
        let r = Range::Real {
            min: 0.0,
            max: REAL_MAX,
        };
        assert!(r.accepts(0.0) && !r.accepts(-0.1));
    }
}
