//! The single-threaded build's executor (pages that are not cross-origin
//! isolated): the engine's [`Run`] is driven on the page in time-boxed
//! slices, one per animation frame, taking only symbols whose bars are
//! ready. Loading goes on between slices, so rows stream in as downloads
//! land, and the scan's time and match limits count over the whole run.

use crate::data::loader::Slots;
use crate::engine::lang::Scan;
use crate::engine::run::{
    BarSource, Clock, Control, InOrder, Progress, Queue, Run, RunOptions, Sink, Summary,
};

use super::time::BrowserClock;

/// How long one slice may compute before the page gets the frame back.
const SLICE_SECS: f64 = 0.008;

/// Symbols a slice can take without waiting.
pub trait Ready: Sync {
    fn take(&self, max: usize, out: &mut Vec<usize>) -> bool;
    /// Nothing more will be handed out.
    fn is_done(&self) -> bool;
}

impl Ready for Slots {
    fn take(&self, max: usize, out: &mut Vec<usize>) -> bool {
        self.take_ready(max, out)
    }
    fn is_done(&self) -> bool {
        Slots::is_done(self)
    }
}

impl Ready for InOrder {
    fn take(&self, max: usize, out: &mut Vec<usize>) -> bool {
        self.next_batch(max, out)
    }
    fn is_done(&self) -> bool {
        InOrder::is_done(self)
    }
}

/// Hands out ready symbols until the slice's time is up.
struct Budgeted<'a, R> {
    ready: &'a R,
    clock: &'a BrowserClock,
    until: f64,
}

impl<R: Ready> Queue for Budgeted<'_, R> {
    fn next_batch(&self, max: usize, out: &mut Vec<usize>) -> bool {
        out.clear();
        self.clock.now_secs() < self.until && self.ready.take(max, out)
    }
}

/// Runs the scan on the page, a slice per frame, until `ready` is done or
/// the scan stops.
pub async fn run<R: Ready>(
    scan: &Scan,
    symbols: &[String],
    source: &dyn BarSource,
    ready: &R,
    options: &RunOptions,
    control: &Control,
    progress: &Progress,
    sink: &dyn Sink,
) -> Summary {
    let clock = BrowserClock::default();
    let run = Run::new(
        scan, symbols, source, options, control, progress, sink, &clock,
    );
    loop {
        let slice = Budgeted {
            ready,
            clock: &clock,
            until: clock.now_secs() + SLICE_SECS,
        };
        run.work(&slice);
        if ready.is_done() || control.is_stopped() {
            break;
        }
        // The page paints, input is handled, and downloads land meanwhile.
        next_frame().await;
    }
    run.finish()
}

/// Resolves on the next animation frame.
pub async fn next_frame() {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::request_animation_frame(move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}
