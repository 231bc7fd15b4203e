//! The hand-off of loaded bars from the page to the workers: one slot per
//! symbol, filled once (by the page, in whatever order loads complete), and
//! a ready queue the workers take from, lowest scan position first. A worker
//! with nothing ready sleeps on a condition variable until a slot is filled
//! or the scan is closed: no polling, and no worker waits on one slow symbol
//! while later ones are ready. Plain `std`: tested natively.
//!
//! A fresh cache hit can be handed over still encoded ([`Landed::Encoded`]):
//! the worker that takes the slot decodes it, so the page only reads.
//!
//! The page only ever holds the lock for a push and a notify (as rayon's own
//! wake-ups do), and takes it without parking (`engine::sync`): a contended
//! `lock` on the browser's main thread traps, and the scan never ended.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use super::symbol::{Encoded, Landed};
use crate::engine::run::{BarSource, Loaded, Queue, SymbolError};
use crate::engine::sync::lock_without_parking;

/// One scan's slots (see the module doc).
pub struct Slots {
    index: HashMap<String, usize>,
    values: Vec<OnceLock<Value>>,
    state: Mutex<State>,
    filled: Condvar,
}

/// A filled slot.
enum Value {
    Loaded(Result<Loaded, SymbolError>),
    /// Bytes to decode (taken by the first load, which frees them) and what
    /// came of decoding them.
    Encoded(
        Mutex<Option<Encoded>>,
        OnceLock<Result<Loaded, SymbolError>>,
    ),
}

#[derive(Default)]
struct State {
    /// Filled and not handed out yet, lowest position first.
    ready: BinaryHeap<Reverse<usize>>,
    /// Positions handed out so far.
    handed: usize,
    /// No slot will be filled any more (the loads are over, or the scan stopped).
    closed: bool,
}

impl Slots {
    pub fn new(symbols: &[String]) -> Slots {
        Slots {
            index: symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i))
                .collect(),
            values: symbols.iter().map(|_| OnceLock::new()).collect(),
            state: Mutex::new(State::default()),
            filled: Condvar::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The lock as the page takes it (never parks; see `engine::sync`).
    fn state(&self) -> MutexGuard<'_, State> {
        lock_without_parking(&self.state)
    }

    /// Fills position `i` (a second fill is ignored) and wakes a worker.
    pub fn fill(&self, i: usize, value: Result<Loaded, SymbolError>) {
        self.fill_value(i, Value::Loaded(value));
    }

    /// Fills position `i` with what a load handed over: encoded bars are
    /// decoded by the worker that takes them ([`BarSource::load`]).
    pub fn fill_landed(&self, i: usize, landed: Result<Landed, SymbolError>) {
        let value = match landed {
            Ok(Landed::Encoded(encoded)) => {
                Value::Encoded(Mutex::new(Some(encoded)), OnceLock::new())
            }
            Ok(Landed::Loaded(loaded)) => Value::Loaded(Ok(loaded)),
            Err(e) => Value::Loaded(Err(e)),
        };
        self.fill_value(i, value);
    }

    fn fill_value(&self, i: usize, value: Value) {
        let Some(slot) = self.values.get(i) else {
            return;
        };
        if slot.set(value).is_err() {
            return;
        }
        self.state().ready.push(Reverse(i));
        self.filled.notify_one();
    }

    /// No more fills: workers take what is ready, then their queue ends.
    pub fn close(&self) {
        self.state().closed = true;
        self.filled.notify_all();
    }

    /// Positions filled so far.
    pub fn filled(&self) -> usize {
        self.values.iter().filter(|v| v.get().is_some()).count()
    }

    /// Takes up to `max` ready positions without waiting. `false` when none
    /// is ready now.
    pub fn take_ready(&self, max: usize, out: &mut Vec<usize>) -> bool {
        out.clear();
        let mut state = self.state();
        take(&mut state, max, out)
    }

    /// Whether every position has been handed out, or no more will be.
    pub fn is_done(&self) -> bool {
        let state = self.state();
        state.ready.is_empty() && (state.closed || state.handed >= self.values.len())
    }
}

fn take(state: &mut State, max: usize, out: &mut Vec<usize>) -> bool {
    while out.len() < max.max(1) {
        match state.ready.pop() {
            Some(Reverse(i)) => out.push(i),
            None => break,
        }
    }
    state.handed += out.len();
    !out.is_empty()
}

/// The workers' queue: waits until a position is ready; ends once all were
/// handed out or the slots are closed with nothing ready.
impl Queue for Slots {
    fn next_batch(&self, max: usize, out: &mut Vec<usize>) -> bool {
        out.clear();
        // Workers only: they may park, and the condvar needs a real wait.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if take(&mut state, max, out) {
                return true;
            }
            if state.closed || state.handed >= self.values.len() {
                return false;
            }
            state = self.filled.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A filled slot's bars (decoded here, on the caller's thread, when they
/// came encoded); a symbol whose slot was never filled was cut off by a stop.
impl BarSource for Slots {
    fn load(&self, symbol: &str) -> Result<Loaded, SymbolError> {
        let i = *self.index.get(symbol).ok_or(SymbolError::NoData)?;
        match self.values[i].get() {
            None => Err(SymbolError::Stopped),
            Some(Value::Loaded(value)) => value.clone(),
            Some(Value::Encoded(bytes, decoded)) => decoded
                .get_or_init(|| {
                    // Never contended in practice (a run loads a symbol
                    // once), and the page may be the caller: no parking.
                    let encoded = lock_without_parking(bytes).take();
                    encoded.map_or(Err(SymbolError::NoData), |e| e.decode(symbol))
                })
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bars::Bars;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn loaded() -> Result<Loaded, SymbolError> {
        Ok(Loaded {
            bars: Arc::new(Bars::default()),
            from_cache: true,
            bytes: 0,
        })
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("S{i}")).collect()
    }

    #[test]
    fn ready_positions_come_out_lowest_first_whatever_the_fill_order() {
        let slots = Slots::new(&names(5));
        for i in [3, 1, 4] {
            slots.fill(i, loaded());
        }
        let mut out = Vec::new();
        assert!(slots.next_batch(2, &mut out));
        assert_eq!(out, [1, 3]);
        assert!(slots.next_batch(2, &mut out));
        assert_eq!(out, [4]);
        assert!(!slots.take_ready(2, &mut out), "0 and 2 are not filled yet");
    }

    #[test]
    fn a_waiting_worker_wakes_on_a_fill_not_on_a_timer() {
        let slots = Arc::new(Slots::new(&names(3)));
        let worker = {
            let slots = slots.clone();
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let t = Instant::now();
                let got = slots.next_batch(1, &mut out);
                (got, out, t.elapsed())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        // Position 2 is ready while 0 (a slow symbol) is not: the worker
        // takes 2 rather than waiting for 0.
        slots.fill(2, loaded());
        let (got, out, waited) = worker.join().unwrap();
        assert!(got);
        assert_eq!(out, [2]);
        assert!(waited >= Duration::from_millis(40));
    }

    #[test]
    fn closing_wakes_every_waiting_worker_and_ends_their_queue() {
        let slots = Arc::new(Slots::new(&names(4)));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let slots = slots.clone();
                std::thread::spawn(move || slots.next_batch(1, &mut Vec::new()))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30));
        slots.close();
        for w in workers {
            assert!(!w.join().unwrap(), "a closed queue with nothing ready ends");
        }
        assert!(matches!(slots.load("S0"), Err(SymbolError::Stopped)));
        assert!(matches!(slots.load("NOPE"), Err(SymbolError::NoData)));
    }

    #[test]
    fn the_queue_ends_once_every_position_was_handed_out() {
        let slots = Slots::new(&names(2));
        slots.fill(0, loaded());
        slots.fill(1, Err(SymbolError::NoData));
        slots.fill(1, loaded()); // a second fill is ignored
        let mut out = Vec::new();
        assert!(slots.next_batch(8, &mut out));
        assert_eq!(out, [0, 1]);
        assert!(
            !slots.next_batch(8, &mut out),
            "returns at once, nothing left"
        );
        assert!(slots.is_done());
        assert!(matches!(slots.load("S1"), Err(SymbolError::NoData)));
    }

    #[test]
    fn encoded_bars_are_decoded_by_the_load_once_and_cut_to_the_depth() {
        use crate::data::codec;
        use crate::data::synthetic;
        let slots = Slots::new(&names(3));
        let bars = synthetic::bars(7, 0, 40);
        let bytes = codec::encode(&bars);
        let encoded = |depth| {
            Ok(Landed::Encoded(Encoded {
                bytes: bytes.clone(),
                depth,
            }))
        };
        slots.fill_landed(0, encoded(None));
        slots.fill_landed(1, encoded(Some(10)));
        slots.fill_landed(0, Err(SymbolError::NoData)); // a second fill is ignored
        slots.fill_landed(
            2,
            Ok(Landed::Encoded(Encoded {
                bytes: b"not a codec entry".to_vec(),
                depth: None,
            })),
        );
        assert_eq!(slots.filled(), 3);
        let whole = slots.load("S0").unwrap();
        assert!(whole.from_cache);
        assert_eq!(*whole.bars, codec::decode("S0", &bytes).unwrap());
        // A second load hands out the same decoded bars (decoded once).
        assert!(Arc::ptr_eq(&whole.bars, &slots.load("S0").unwrap().bars));
        let cut = slots.load("S1").unwrap();
        assert_eq!(cut.bars.len(), 10);
        assert_eq!(cut.bars.time(), &bars.time()[30..]);
        match slots.load("S2") {
            Err(SymbolError::Invalid(e)) => assert!(e.to_string().contains("bar cache"), "{e}"),
            other => panic!("expected an invalid-data error, got {other:?}"),
        }
    }
}
