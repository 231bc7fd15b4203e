//! The engine alone, for a bare WebAssembly worker: the scan run of
//! `cargo bench --bench score` (the app's synthetic market, seed 7, its
//! default columns, `run::run` on the calling thread) behind three exports,
//! with no page, no UI, no worker pool and no shared memory around it.
//! `scripts/bench-browser.mjs` builds it as the single-threaded page is built
//! (scripts/build-st.sh's flags: simd128, the prebuilt std), runs it in a
//! dedicated worker of the same Chromium, and prints `wasm.engine.ms.1t`
//! beside the page's one worker and the native scan: how much of
//! `wasm.per_thread_vs_native` is the compiled kernels and how much the page.
//!
//! Exports: `expr_buffer(len)` (room for the scan's UTF-8 text, written by
//! the host), `scan_setup(symbols, bars, len)` (the market and the compiled
//! scan; 0 when it compiles, 1 when not), `scan_run()` (one run; its matches).
//! Built natively too (a cdylib nothing loads), where `cargo test` runs its
//! unit tests (`test = true` in Cargo.toml). Imports no browser crate.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use technic::data::synthetic;
use technic::engine::bars::Bars;
use technic::engine::lang::Scan;
use technic::engine::run::{
    self, Clock, Control, Flow, Loaded, Progress, Row, RunOptions, Sink, SymbolError,
};

struct Market {
    bars: Vec<Arc<Bars>>,
    names: Vec<String>,
    scan: Scan,
}

thread_local! {
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static MARKET: RefCell<Option<Market>> = const { RefCell::new(None) };
}

/// Room for `len` bytes of scan text; the host writes them at the address
/// returned, then calls `scan_setup`.
#[no_mangle]
pub extern "C" fn expr_buffer(len: usize) -> *mut u8 {
    TEXT.with(|t| {
        let mut t = t.borrow_mut();
        t.clear();
        t.resize(len, 0);
        t.as_mut_ptr()
    })
}

/// `symbols` synthetic symbols of `bars` bars and the scan in the buffer,
/// with the page's default columns (as `cargo bench --bench score`).
/// 0 when the scan compiles, 1 when it does not.
#[no_mangle]
pub extern "C" fn scan_setup(symbols: usize, bars: usize, len: usize) -> u32 {
    let text = TEXT.with(|t| String::from_utf8_lossy(&t.borrow()[..len]).into_owned());
    let columns = ["sma(close, 50)", "rsi(14)"].map(String::from);
    let Ok(scan) = Scan::compile(&text, &columns) else {
        return 1;
    };
    let market = Market {
        bars: (0..symbols)
            .map(|i| Arc::new(synthetic::bars(7, i, bars)))
            .collect(),
        names: (0..symbols).map(synthetic::symbol_name).collect(),
        scan,
    };
    MARKET.with(|m| *m.borrow_mut() = Some(market));
    0
}

/// One run of the scan over the market (on this thread); its matches.
#[no_mangle]
pub extern "C" fn scan_run() -> usize {
    MARKET.with(|m| {
        let m = m.borrow();
        let Some(m) = m.as_ref() else {
            return 0;
        };
        let source = |name: &str| -> Result<Loaded, SymbolError> {
            let i: usize = name
                .strip_prefix("SYN")
                .and_then(|n| n.parse().ok())
                .ok_or(SymbolError::NoData)?;
            Ok(Loaded {
                bars: m.bars.get(i).ok_or(SymbolError::NoData)?.clone(),
                from_cache: true,
                bytes: 0,
            })
        };
        let sink = Count(AtomicUsize::new(0));
        run::run(
            &m.scan,
            &m.names,
            &source,
            &RunOptions::default(),
            &Control::new(),
            &Progress::default(),
            &sink,
            &NoClock,
        );
        sink.0.load(Ordering::Relaxed)
    })
}

struct Count(AtomicUsize);

impl Sink for Count {
    fn batch(&self, rows: Vec<Row>) -> Flow {
        self.0.fetch_add(rows.len(), Ordering::Relaxed);
        Flow::Continue
    }
}

/// The host times the run; the engine's own clock (time limits, fetch
/// times) is not used by a run without limits.
struct NoClock;

impl Clock for NoClock {
    fn now_secs(&self) -> f64 {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use technic::engine::score::Settings;

    /// Writes `text` where the host would, then sets up `symbols` × 300 bars.
    fn setup(symbols: usize, text: &str) -> u32 {
        let at = expr_buffer(text.len());
        // SAFETY: `expr_buffer` returned room for `text.len()` bytes, which
        // nothing else touches until `scan_setup` reads them.
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), at, text.len()) };
        scan_setup(symbols, 300, text.len())
    }

    #[test]
    fn runs_the_scan_it_is_given_over_every_symbol() {
        assert_eq!(setup(40, "close > 0"), 0);
        assert_eq!(scan_run(), 40);
        assert_eq!(setup(40, "close > 1e9"), 0);
        assert_eq!(scan_run(), 0);
        // A scan that splits the market: the engine's own count of it.
        let text = "rsi(14) > 50";
        assert_eq!(setup(40, text), 0);
        let scan = Scan::compile(text, &[]).expect("compiles");
        let mut ws = scan.workspace();
        let want = (0..40)
            .filter(|&i| {
                let bars = synthetic::bars(7, i, 300);
                scan.prepare(&bars, &mut ws, &Settings::default())
                    .matches_at(bars.len() - 1)
            })
            .count();
        assert!(0 < want && want < 40, "{want} of 40 match: not a split");
        assert_eq!(scan_run(), want);
    }

    #[test]
    fn a_scan_that_does_not_compile_is_refused() {
        assert_eq!(setup(4, "rsi(14) >"), 1);
    }
}
