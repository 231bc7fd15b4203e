//! The function registry of the scan language: one table of kernels (plan
//! key, outputs, parameters with TA-Lib order, defaults and ranges, lookback,
//! run) and the functions that read each kernel's outputs (every name of SPEC
//! §2.3). Imports only the bars and the indicator kernels.

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

/// A kernel: one TA-Lib function and everything the language needs to know
/// about it. Several language functions may read one kernel's outputs
/// (macd / macd_signal / macd_hist); the plan runs it once for all of them.
pub struct Kernel {
    /// Short name used in plan keys (equal keys must mean the same kernel).
    pub key: &'static str,
    /// How many output series the kernel writes (at most [`MAX_OUTPUTS`]).
    pub outputs: usize,
    /// Whether it reads a source series (optional first argument, close by
    /// default) rather than the bars themselves.
    pub takes_source: bool,
    /// Parameters in TA-Lib order, with defaults and ranges.
    pub params: &'static [Param],
    /// TA-Lib's lookback for these parameters (index of the first valid output).
    lookback: fn(Params) -> usize,
    /// Fills the outputs (already cut to start at the source's first bar).
    run: fn(&Args, Outs),
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key)
    }
}

/// The most outputs a kernel has (MACD, BBANDS).
pub const MAX_OUTPUTS: usize = 3;

/// A kernel's output columns; unused ones are empty.
type Outs<'a> = [&'a mut [f64]; MAX_OUTPUTS];

/// A call's parameter values (checked and defaulted by the language).
#[derive(Clone, Copy)]
pub struct Params<'a>(&'a [f64]);

impl Params<'_> {
    /// Parameter `i` as a period (whole bars).
    #[inline]
    fn n(self, i: usize) -> usize {
        self.0.get(i).copied().unwrap_or(0.0) as usize
    }

    /// Parameter `i` as a real number.
    #[inline]
    fn r(self, i: usize) -> f64 {
        self.0.get(i).copied().unwrap_or(0.0)
    }
}

/// What a kernel reads: the bars, its source slice and its parameters.
struct Args<'a> {
    bars: &'a Bars,
    src: &'a [f64],
    p: Params<'a>,
}

impl Args<'_> {
    #[inline]
    fn n(&self, i: usize) -> usize {
        self.p.n(i)
    }
    #[inline]
    fn r(&self, i: usize) -> f64 {
        self.p.r(i)
    }
    #[inline]
    fn o(&self) -> &[f64] {
        self.bars.open()
    }
    #[inline]
    fn h(&self) -> &[f64] {
        self.bars.high()
    }
    #[inline]
    fn l(&self) -> &[f64] {
        self.bars.low()
    }
    #[inline]
    fn c(&self) -> &[f64] {
        self.bars.close()
    }
    #[inline]
    fn v(&self) -> &[f64] {
        self.bars.volume()
    }
}

/// One language function: a name for one output of a kernel.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub kernel: &'static Kernel,
    /// Which kernel output this function reads.
    pub output: usize,
    /// Whether the first argument is a source series (optional, close by default).
    pub takes_source: bool,
    pub params: &'static [Param],
    /// One line for the editor's autocomplete.
    pub doc: &'static str,
}

const MA30: &[Param] = &[period("period", 30, 2)];
const P14_2: &[Param] = &[period("period", 14, 2)];
const P14_1: &[Param] = &[period("period", 14, 1)];
const P10_1: &[Param] = &[period("period", 10, 1)];
const MACD_P: &[Param] = &[
    period("fast", 12, 2),
    period("slow", 26, 2),
    period("signal", 9, 1),
];
const STOCH_P: &[Param] = &[
    period("fastk", 5, 1),
    period("slowk", 3, 1),
    period("slowd", 3, 1),
];
const STOCHRSI_P: &[Param] = &[
    period("period", 14, 2),
    period("fastk", 5, 1),
    period("fastd", 3, 1),
];
const BB: &[Param] = &[period("period", 5, 2), real("k", 2.0, -REAL_MAX)];
const STDDEV_P: &[Param] = &[period("period", 5, 2), real("nbdev", 1.0, -REAL_MAX)];
const ADOSC_P: &[Param] = &[period("fast", 3, 2), period("slow", 10, 2)];
const SAR_P: &[Param] = &[real("accel", 0.02, 0.0), real("max", 0.2, 0.0)];
const PEN3: &[Param] = &[real("penetration", 0.3, 0.0)];
const PEN5: &[Param] = &[real("penetration", 0.5, 0.0)];

/// Declares every kernel (a `static`) and [`FUNCTIONS`] from one table: a row
/// per kernel with its plan key, output count, whether it reads a source,
/// its parameters, its lookback, its run, and the functions that read it
/// (`output "name" "doc"`). Adding an indicator is one row.
macro_rules! kernels {
    ($(
        $id:ident $key:literal $outputs:literal $src:ident $params:expr,
            lookback $lookback:expr,
            run $run:expr,
            [$($out:literal $name:literal $doc:literal),+ $(,)?];
    )*) => {
        $(
            static $id: Kernel = Kernel {
                key: $key,
                outputs: $outputs,
                takes_source: kernels!(@src $src),
                params: $params,
                lookback: $lookback,
                run: $run,
            };
        )*

        /// Every kernel, in table order.
        pub static KERNELS: &[&Kernel] = &[$(&$id),*];

        /// Every function of the language, in the order the editor lists them.
        pub static FUNCTIONS: &[Function] = &[$($(
            Function {
                name: $name,
                kernel: &$id,
                output: $out,
                takes_source: kernels!(@src $src),
                params: $params,
                doc: $doc,
            },
        )+)*];
    };
    (@src src) => { true };
    (@src bars) => { false };
}

// One row per kernel: static, plan key, outputs, `src` (reads a source
// series) or `bars`, parameters; lookback; run; the functions reading it.
#[rustfmt::skip]
kernels! {
    SMA "sma" 1 src MA30,
        lookback |p| ind::sma_lookback(p.n(0)),
        run |x, [a, ..]| ind::sma(x.src, x.n(0), a),
        [0 "sma" "simple moving average", 0 "avg" "average over n bars (= sma)"];
    EMA "ema" 1 src MA30,
        lookback |p| ind::ema_lookback(p.n(0)),
        run |x, [a, ..]| ind::ema(x.src, x.n(0), a),
        [0 "ema" "exponential moving average (SMA seed)"];
    WMA "wma" 1 src MA30,
        lookback |p| ind::wma_lookback(p.n(0)),
        run |x, [a, ..]| ind::wma(x.src, x.n(0), a),
        [0 "wma" "weighted moving average"];
    DEMA "dema" 1 src MA30,
        lookback |p| ind::dema_lookback(p.n(0)),
        run |x, [a, ..]| ind::dema(x.src, x.n(0), a),
        [0 "dema" "double exponential moving average"];
    TEMA "tema" 1 src MA30,
        lookback |p| ind::tema_lookback(p.n(0)),
        run |x, [a, ..]| ind::tema(x.src, x.n(0), a),
        [0 "tema" "triple exponential moving average"];
    KAMA "kama" 1 src MA30,
        lookback |p| ind::kama_lookback(p.n(0)),
        run |x, [a, ..]| ind::kama(x.src, x.n(0), a),
        [0 "kama" "Kaufman adaptive moving average"];
    RSI "rsi" 1 src P14_2,
        lookback |p| ind::rsi_lookback(p.n(0)),
        run |x, [a, ..]| ind::rsi(x.src, x.n(0), a),
        [0 "rsi" "relative strength index (Wilder)"];
    MACD "macd" 3 src MACD_P,
        lookback |p| ind::macd_lookback(p.n(0), p.n(1), p.n(2)),
        run |x, [a, b, c]| ind::macd(x.src, x.n(0), x.n(1), x.n(2), a, b, c),
        [0 "macd" "MACD line", 1 "macd_signal" "MACD signal line", 2 "macd_hist" "MACD histogram"];
    STOCH "stoch" 2 bars STOCH_P,
        lookback |p| ind::stoch_lookback(p.n(0), p.n(1), p.n(2)),
        run |x, [a, b, ..]| ind::stoch(x.h(), x.l(), x.c(), x.n(0), x.n(1), x.n(2), a, b),
        [0 "stoch_k" "slow stochastic %K", 1 "stoch_d" "slow stochastic %D"];
    STOCHRSI "stochrsi" 2 src STOCHRSI_P,
        lookback |p| ind::stochrsi_lookback(p.n(0), p.n(1), p.n(2)),
        run |x, [a, b, ..]| ind::stochrsi(x.src, x.n(0), x.n(1), x.n(2), a, b),
        [0 "stochrsi_k" "stochastic RSI %K", 1 "stochrsi_d" "stochastic RSI %D"];
    WILLR "willr" 1 bars P14_2,
        lookback |p| ind::willr_lookback(p.n(0)),
        run |x, [a, ..]| ind::willr(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "willr" "Williams %R"];
    CCI "cci" 1 bars P14_2,
        lookback |p| ind::cci_lookback(p.n(0)),
        run |x, [a, ..]| ind::cci(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "cci" "commodity channel index"];
    MFI "mfi" 1 bars P14_2,
        lookback |p| ind::mfi_lookback(p.n(0)),
        run |x, [a, ..]| ind::mfi(x.h(), x.l(), x.c(), x.v(), x.n(0), a),
        [0 "mfi" "money flow index"];
    ATR "atr" 1 bars P14_1,
        lookback |p| ind::atr_lookback(p.n(0)),
        run |x, [a, ..]| ind::atr(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "atr" "average true range (Wilder)"];
    NATR "natr" 1 bars P14_1,
        lookback |p| ind::natr_lookback(p.n(0)),
        run |x, [a, ..]| ind::natr(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "natr" "ATR as a percent of close"];
    ADX "adx" 1 bars P14_2,
        lookback |p| ind::adx_lookback(p.n(0)),
        run |x, [a, ..]| ind::adx(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "adx" "average directional index"];
    PLUS_DI "plus_di" 1 bars P14_1,
        lookback |p| ind::plus_di_lookback(p.n(0)),
        run |x, [a, ..]| ind::plus_di(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "plus_di" "plus directional indicator"];
    MINUS_DI "minus_di" 1 bars P14_1,
        lookback |p| ind::minus_di_lookback(p.n(0)),
        run |x, [a, ..]| ind::minus_di(x.h(), x.l(), x.c(), x.n(0), a),
        [0 "minus_di" "minus directional indicator"];
    AROONOSC "aroonosc" 1 bars P14_2,
        lookback |p| ind::aroonosc_lookback(p.n(0)),
        run |x, [a, ..]| ind::aroonosc(x.h(), x.l(), x.n(0), a),
        [0 "aroonosc" "Aroon oscillator"];
    AROON "aroon" 2 bars P14_2,
        lookback |p| ind::aroon_lookback(p.n(0)),
        run |x, [a, b, ..]| ind::aroon(x.h(), x.l(), x.n(0), a, b),
        [0 "aroon_down" "Aroon down", 1 "aroon_up" "Aroon up"];
    TRANGE "trange" 1 bars &[],
        lookback |_| ind::trange_lookback(),
        run |x, [a, ..]| ind::trange(x.h(), x.l(), x.c(), a),
        [0 "trange" "true range"];
    ROC "roc" 1 src P10_1,
        lookback |p| ind::roc_lookback(p.n(0)),
        run |x, [a, ..]| ind::roc(x.src, x.n(0), a),
        [0 "roc" "rate of change in percent"];
    MOM "mom" 1 src P10_1,
        lookback |p| ind::mom_lookback(p.n(0)),
        run |x, [a, ..]| ind::mom(x.src, x.n(0), a),
        [0 "mom" "momentum (difference over n bars)"];
    BBANDS "bbands" 3 src BB,
        lookback |p| ind::bbands_lookback(p.n(0)),
        run |x, [a, b, c]| ind::bbands(x.src, x.n(0), x.r(1), x.r(1), a, b, c),
        [0 "bb_upper" "upper Bollinger band", 1 "bb_middle" "middle Bollinger band (SMA)", 2 "bb_lower" "lower Bollinger band"];
    STDDEV "stddev" 1 src STDDEV_P,
        lookback |p| ind::stddev_lookback(p.n(0)),
        run |x, [a, ..]| ind::stddev(x.src, x.n(0), x.r(1), a),
        [0 "stddev" "population standard deviation"];
    OBV "obv" 1 bars &[],
        lookback |_| ind::obv_lookback(),
        run |x, [a, ..]| ind::obv(x.c(), x.v(), a),
        [0 "obv" "on-balance volume"];
    AD "ad" 1 bars &[],
        lookback |_| ind::ad_lookback(),
        run |x, [a, ..]| ind::ad(x.h(), x.l(), x.c(), x.v(), a),
        [0 "ad" "Chaikin accumulation/distribution line"];
    ADOSC "adosc" 1 bars ADOSC_P,
        lookback |p| ind::adosc_lookback(p.n(0), p.n(1)),
        run |x, [a, ..]| ind::adosc(x.h(), x.l(), x.c(), x.v(), x.n(0), x.n(1), a),
        [0 "adosc" "Chaikin A/D oscillator"];
    SAR "sar" 1 bars SAR_P,
        lookback |p| ind::sar_lookback(p.r(0), p.r(1)),
        run |x, [a, ..]| ind::sar(x.h(), x.l(), x.r(0), x.r(1), a),
        [0 "sar" "parabolic SAR"];
    LINEARREG "linearreg" 1 src P14_2,
        lookback |p| ind::linearreg_lookback(p.n(0)),
        run |x, [a, ..]| ind::linearreg(x.src, x.n(0), a),
        [0 "linearreg" "linear regression value"];
    LINEARREG_SLOPE "linearreg_slope" 1 src P14_2,
        lookback |p| ind::linearreg_slope_lookback(p.n(0)),
        run |x, [a, ..]| ind::linearreg_slope(x.src, x.n(0), a),
        [0 "linearreg_slope" "linear regression slope"];
    HIGHEST "max" 1 src MA30,
        lookback |p| ind::highest_lookback(p.n(0)),
        run |x, [a, ..]| ind::highest(x.src, x.n(0), a),
        [0 "highest" "highest value over n bars"];
    LOWEST "min" 1 src MA30,
        lookback |p| ind::lowest_lookback(p.n(0)),
        run |x, [a, ..]| ind::lowest(x.src, x.n(0), a),
        [0 "lowest" "lowest value over n bars"];
    SUM "sum" 1 src MA30,
        lookback |p| ind::sum_lookback(p.n(0)),
        run |x, [a, ..]| ind::sum(x.src, x.n(0), a),
        [0 "sum" "sum over n bars"];
    CDLENGULFING "cdlengulfing" 1 bars &[],
        lookback |_| candles::cdl_engulfing_lookback(),
        run |x, [a, ..]| candles::cdl_engulfing(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_engulfing" "engulfing pattern (+100/-100/0)"];
    CDLHAMMER "cdlhammer" 1 bars &[],
        lookback |_| candles::cdl_hammer_lookback(),
        run |x, [a, ..]| candles::cdl_hammer(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_hammer" "hammer (+100/0)"];
    CDLDOJI "cdldoji" 1 bars &[],
        lookback |_| candles::cdl_doji_lookback(),
        run |x, [a, ..]| candles::cdl_doji(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_doji" "doji (+100/0)"];
    CDLMORNINGSTAR "cdlmorningstar" 1 bars PEN3,
        lookback |_| candles::cdl_morningstar_lookback(),
        run |x, [a, ..]| candles::cdl_morningstar(x.o(), x.h(), x.l(), x.c(), x.r(0), a),
        [0 "cdl_morningstar" "morning star (+100/0)"];
    CDLEVENINGSTAR "cdleveningstar" 1 bars PEN3,
        lookback |_| candles::cdl_eveningstar_lookback(),
        run |x, [a, ..]| candles::cdl_eveningstar(x.o(), x.h(), x.l(), x.c(), x.r(0), a),
        [0 "cdl_eveningstar" "evening star (-100/0)"];
    CDLSHOOTINGSTAR "cdlshootingstar" 1 bars &[],
        lookback |_| candles::cdl_shootingstar_lookback(),
        run |x, [a, ..]| candles::cdl_shootingstar(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_shootingstar" "shooting star (-100/0)"];
    CDLHARAMI "cdlharami" 1 bars &[],
        lookback |_| candles::cdl_harami_lookback(),
        run |x, [a, ..]| candles::cdl_harami(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_harami" "harami (+100/-100/0)"];
    CDL3WHITESOLDIERS "cdl3whitesoldiers" 1 bars &[],
        lookback |_| candles::cdl_3whitesoldiers_lookback(),
        run |x, [a, ..]| candles::cdl_3whitesoldiers(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_3whitesoldiers" "three white soldiers (+100/0)"];
    CDL3BLACKCROWS "cdl3blackcrows" 1 bars &[],
        lookback |_| candles::cdl_3blackcrows_lookback(),
        run |x, [a, ..]| candles::cdl_3blackcrows(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_3blackcrows" "three black crows (-100/0)"];
    CDLPIERCING "cdlpiercing" 1 bars &[],
        lookback |_| candles::cdl_piercing_lookback(),
        run |x, [a, ..]| candles::cdl_piercing(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_piercing" "piercing pattern (+100/0)"];
    CDLDARKCLOUDCOVER "cdldarkcloudcover" 1 bars PEN5,
        lookback |_| candles::cdl_darkcloudcover_lookback(),
        run |x, [a, ..]| candles::cdl_darkcloudcover(x.o(), x.h(), x.l(), x.c(), x.r(0), a),
        [0 "cdl_darkcloudcover" "dark cloud cover (-100/0)"];
    CDLMARUBOZU "cdlmarubozu" 1 bars &[],
        lookback |_| candles::cdl_marubozu_lookback(),
        run |x, [a, ..]| candles::cdl_marubozu(x.o(), x.h(), x.l(), x.c(), a),
        [0 "cdl_marubozu" "marubozu (+100/-100/0)"];
}

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
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Short name used in plan keys.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// Index of the first valid output for these parameters (TA-Lib's
    /// lookback). Candlestick lookbacks come from TA-Lib's default candle
    /// settings (averaging periods of 10 bars for bodies and shadows, 5 for
    /// near/far), checked against the `ta-lib` crate in tests.
    pub fn lookback(&self, p: &[f64]) -> usize {
        (self.lookback)(Params(p))
    }

    /// Runs the kernel. `src` is the source slice for source-taking kernels
    /// (already trimmed of leading `NaN`s), `first` the bar it starts at;
    /// `outs[k][first..]` receive output `k`. Bar-reading kernels ignore
    /// `src` and use all bars (`first` is 0 for them). Does nothing when
    /// fewer than [`Kernel::outputs`] columns are given.
    pub fn run(&self, bars: &Bars, src: &[f64], first: usize, p: &[f64], outs: &mut [Vec<f64>]) {
        if outs.len() < self.outputs {
            for out in outs {
                out.fill(f64::NAN);
            }
            return;
        }
        let mut cut: Outs = Default::default();
        for (to, out) in cut.iter_mut().zip(outs.iter_mut()) {
            *to = out.get_mut(first..).unwrap_or_default();
        }
        let args = Args {
            bars,
            src,
            p: Params(p),
        };
        (self.run)(&args, cut);
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
            assert_eq!(f.takes_source, f.kernel.takes_source, "{}", f.name);
            assert_eq!(f.params, f.kernel.params, "{}", f.name);
        }
        for k in KERNELS {
            assert!((1..=MAX_OUTPUTS).contains(&k.outputs), "{k:?}");
            assert!(
                FUNCTIONS.iter().any(|f| std::ptr::eq(f.kernel, *k)),
                "{k:?} is read by no function"
            );
        }
    }

    #[test]
    fn plan_keys_name_one_kernel_each() {
        // Steps are deduplicated by key: two kernels sharing one would
        // silently read each other's outputs.
        let mut keys: Vec<&str> = KERNELS.iter().map(|k| k.key).collect();
        let before = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), before);
    }

    #[test]
    fn a_kernel_given_too_few_output_columns_only_marks_them_undefined() {
        // The plan leaves every value of its slots to the steps, so even
        // this (which a plan never does) leaves nothing of the last symbol.
        let bars = Bars::default();
        let mut outs = vec![vec![1.0; 4]];
        MACD.run(&bars, &[1.0, 2.0, 3.0, 4.0], 0, &[2.0, 3.0, 1.0], &mut outs);
        assert!(outs.len() == 1 && outs[0].len() == 4 && outs[0].iter().all(|v| v.is_nan()));
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
