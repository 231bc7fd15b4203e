//! Indicator kernels: free functions over columns that equal TA-Lib 0.6.x (the
//! C library; the `ta-lib` crate is the test oracle) within 1e-9 relative from
//! TA-Lib's first valid output onward, on the same input slice.
//!
//! Conventions every kernel follows (one indicator per file, doc layout:
//! formula, warm-up, complexity):
//! - Inputs are finite slices starting at the first bar to use; the caller (the
//!   scan plan) trims leading `NaN`s of derived series before calling.
//! - `out.len() == input.len()`; `out[..lookback]` is `NaN` (undefined), and
//!   `out[lookback..]` holds values at the same index as the bar they belong to.
//!   If the input is not longer than the lookback, `out` is all `NaN`.
//! - Every kernel `<name>` has `<name>_lookback(params) -> usize`, the index of
//!   its first valid output (TA-Lib's `*_Lookback`, with unstable period 0).
//! - Parameters outside TA-Lib's accepted range fill `out` with `NaN`; the scan
//!   language rejects them earlier with a message. Kernels never panic and never
//!   allocate unless their doc says so (DEMA/TEMA/MACD/… need scratch columns).
//! - No `f64::mul_add` in hot loops: in wasm it is a slow library call (6–17×
//!   slower for EMA/MACD/ATR), and unfused arithmetic stays within 1e-9. The
//!   one exception is `fused`'s x86_64 FMA clone (ADOSC, SAR, KAMA), which
//!   rounds exactly as its wasm emulation does.
//! - Run-time CPU dispatch lives in two places only: `fused::run_fused`
//!   (hardware FMA for the kernels that round once) and `lanes::run_lanes`
//!   (AVX2 for four-bar steps: the EMA family, RSI, the ±DI/ADX family, the
//!   running sums of SMA/SUM, WMA and LINEARREG, CCI, CDLDOJI, MOM, TRANGE,
//!   and the blocks of AD and STDDEV/BBANDS). Both paths give the same bits,
//!   and wasm runs the same steps in simd128 lanes, so the native CLI and the
//!   wasm page agree; each is tested.
//!
//! Definitional choices that follow TA-Lib (stated once here, repeated per file):
//! - EMA is seeded with the SMA of its first `period` inputs; k = 2/(period+1).
//! - RSI, ATR, NATR, ADX, +DI, −DI use Wilder smoothing (seeded by a sum/mean of
//!   the first period), so they depend on how much history was loaded.
//! - Standard deviation (BBANDS, STDDEV) is the population one (divide by n).
//! - MACD seeds its fast EMA on the `fast` bars that end where the slow EMA's
//!   seed ends, so both lines start on the same bar (TA-Lib's alignment).
//! - Degenerate windows (no movement, zero range) follow the oracle crate
//!   (ta-lib 0.8.3), which tests totals exactly or against a relative 1e-14 band
//!   rather than TA-Lib 0.6's absolute 1e-8 (that band zeroed every indicator of
//!   a sub-cent instrument). One visible consequence: an RSI over a series with
//!   no change at all since its seed is the neutral 50 (TA-Lib issue #480), not 0.
//! - Where TA-Lib rounds a multiply-add once (ADOSC, SAR), `fused` rounds once
//!   too: the CPU's FMA on x86_64 (as the oracle does), exact plain arithmetic
//!   elsewhere, so results stay bit-identical on every target.
//! - Candlestick outputs are TA-Lib's: ±100, and ±80 for the weaker forms of
//!   engulfing and harami (TA-Lib 0.6), 0 otherwise.

pub mod ad;
pub mod adosc;
pub mod aroon;
pub mod atr;
pub mod bands;
pub mod bbands;
pub mod candles;
pub mod cci;
pub mod dema;
pub mod dmi;
pub mod ema;
pub(crate) mod fused;
pub mod kama;
pub(crate) mod lanes;
pub mod linearreg;
pub mod macd;
pub mod mfi;
pub mod mom;
pub mod obv;
pub mod roc;
pub mod rolling;
pub mod rsi;
pub mod sar;
pub(crate) mod select;
pub mod sma;
pub mod stddev;
pub mod stoch;
pub mod stochrsi;
pub mod tema;
pub mod trange;
pub mod willr;
pub mod wma;

pub use ad::{ad, ad_lookback};
pub use adosc::{adosc, adosc_lookback};
pub use aroon::{aroon, aroon_lookback, aroonosc, aroonosc_lookback};
pub use atr::{atr, atr_lookback, natr, natr_lookback};
pub use bands::{bands, bands_lookback, Bands, BbandsOut};
pub use bbands::{bbands, bbands_lookback};
pub use cci::{cci, cci_lookback};
pub use dema::{dema, dema_lookback};
pub use dmi::{adx, adx_lookback, dmi, minus_di, minus_di_lookback, plus_di, plus_di_lookback};
pub use ema::{ema, ema_lookback};
pub use kama::{kama, kama_lookback};
pub use linearreg::{linearreg, linearreg_lookback, linearreg_slope, linearreg_slope_lookback};
pub use macd::{macd, macd_lookback};
pub use mfi::{mfi, mfi_lookback};
pub use mom::{mom, mom_lookback};
pub use obv::{obv, obv_lookback};
pub use roc::{roc, roc_lookback};
pub use rolling::{highest, highest_lookback, lowest, lowest_lookback, sum, sum_lookback};
pub use rsi::{rsi, rsi_lookback};
pub use sar::{sar, sar_lookback};
pub use sma::{sma, sma_lookback};
pub use stddev::{stddev, stddev_lookback};
pub use stoch::{stoch, stoch_lookback};
pub use stochrsi::{stochrsi, stochrsi_lookback};
pub use tema::{tema, tema_lookback};
pub use trange::{trange, trange_lookback};
pub use willr::{willr, willr_lookback};
pub use wma::{wma, wma_lookback};

/// Marks every output slot undefined.
#[inline]
pub(crate) fn fill_nan(out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = f64::NAN);
}
