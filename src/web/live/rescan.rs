//! A live scan's re-scan: the scan run over the symbols whose bars just
//! closed (on the worker pool, or on this thread in the single-threaded
//! build), and REST bars as the live core's closed bars. Page only through
//! `pool::is_threaded`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::data::live::ClosedBar;
use crate::engine::bars::Bars;
use crate::engine::lang::Scan;
use crate::engine::run::{
    self, Control, Flow, InOrder, Loaded, Progress, Row, RunOptions, Sink, SymbolError,
};
use crate::web::pool;
use crate::web::time::BrowserClock;

/// Runs the scan over `symbols` (their bars in `source`), all on this thread
/// or on the pool: the rows of the symbols that match or fail.
pub fn scan_symbols(
    scan: &Scan,
    symbols: &[String],
    source: HashMap<String, Arc<Bars>>,
    options: &RunOptions,
) -> Vec<Row> {
    struct Rows(Mutex<Vec<Row>>);
    impl Sink for Rows {
        fn batch(&self, rows: Vec<Row>) -> Flow {
            if let Ok(mut all) = self.0.lock() {
                all.extend(rows);
            }
            Flow::Continue
        }
    }
    let load = |symbol: &str| -> Result<Loaded, SymbolError> {
        source
            .get(symbol)
            .map(|bars| Loaded {
                bars: bars.clone(),
                from_cache: true,
                bytes: 0,
            })
            .ok_or(SymbolError::NoData)
    };
    let sink = Rows(Mutex::new(Vec::new()));
    let (control, progress, clock) = (Control::new(), Progress::default(), BrowserClock::default());
    if pool::is_threaded() {
        run::run(
            scan, symbols, &load, options, &control, &progress, &sink, &clock,
        );
    } else {
        let work = run::Run::new(
            scan, symbols, &load, options, &control, &progress, &sink, &clock,
        );
        work.work(&InOrder::new(symbols.len()));
        work.finish();
    }
    sink.0.into_inner().unwrap_or_default()
}

pub fn closed_bars(bars: &Bars) -> Vec<ClosedBar> {
    (0..bars.len())
        .map(|i| ClosedBar {
            open_ms: bars.time()[i],
            open: bars.open()[i],
            high: bars.high()[i],
            low: bars.low()[i],
            close: bars.close()[i],
            volume: bars.volume()[i],
        })
        .collect()
}
