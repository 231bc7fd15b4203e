//! All native integration tests build into this one binary, one module per area.

mod common;

/// The backtest: signals and statistics against a TA-Lib reference, look-ahead,
/// trade rules, and the `technic backtest` JSON contract.
mod backtest;
/// The `technic` CLI contract.
mod cli;
/// The bar cache's byte format: round trip, schema version, checksum, corruption.
mod codec;
/// CSV reading (formats, dates, adjustment) and every malformed-file case.
mod csv_input;
/// Market-data response formats (Binance, Coinbase, Polygon, Twelve Data) and ZIP/CSV import.
mod formats;
/// The Technic score and trade plan against tests/fixtures/technic-golden.json.
mod golden;
/// Scan history (issue 9): the learned order (tiers, ties, Thompson draws,
/// exploration, decay), the duration/match predictor, bytes, bounds and margins.
mod history;
/// The scan language: parse, print, check, errors with spans, evaluation.
mod lang;
/// The bar loader with fake store, transport and clock: cache decisions,
/// cache identity, retries, the 429 pause, stop, and where keys go.
mod loader;
/// SMA, EMA, WMA, DEMA, TEMA, KAMA, rolling highest/lowest/sum, ROC, MOM,
/// STDDEV, BBANDS, LINEARREG(_SLOPE) against the `ta-lib` crate.
mod oracle_averages;
/// The twelve candlestick patterns against the `ta-lib` crate.
mod oracle_candles;
/// RSI, MACD, STOCH, STOCHRSI, WILLR, CCI, MFI against the `ta-lib` crate.
mod oracle_oscillators;
/// TRANGE, ATR, NATR, ADX, +DI, −DI, AROON, AROONOSC, OBV, AD, ADOSC, SAR
/// against the `ta-lib` crate.
mod oracle_range_volume;
/// Fetch and cache policy: backoff, Retry-After, rate limits, freshness, tail top-up, LRU.
mod policy;
/// The scan run: streaming batches, stop, auto-stop, progress, error rows.
mod run;
/// The deterministic synthetic market.
mod synthetic;
