//! A compiled scan's plan: the ordered steps that fill the computed series
//! (slots) once per symbol into reusable buffers. Imports the IR (`node`), its
//! evaluation (`eval`) and the kernels (`functions`); nothing imports it back
//! except the checker that builds it and the scan that runs it.
//!
//! After building, [`Plan::fuse`] merges steps that one pass computes
//! together (`fused`): +DI, −DI and ADX of one period; SMA, STDDEV and BBANDS
//! of one source and period. The merged step writes the same slots with the
//! same bits, so nothing downstream knows.

use super::eval::Eval;
use super::functions::Kernel;
use super::node::{BarSeries, Node};
use crate::engine::bars::Bars;

mod fused;

pub use fused::Fused;

/// Where a kernel's source series comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// The kernel reads the bars itself (ATR, candlesticks, …).
    Bars,
    /// A raw bar column.
    Column(BarSeries),
    /// A series computed by an earlier step.
    Slot(usize),
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Kernel {
        kernel: &'static Kernel,
        source: Source,
        params: Vec<f64>,
    },
    /// A derived series (an expression used as an indicator's source),
    /// evaluated bar by bar.
    Series(Node),
    /// Several kernels computed in one pass ([`Plan::fuse`]).
    Fused(Fused),
}

/// One computation per symbol, writing `slots` (one per kernel output).
#[derive(Debug, Clone)]
pub struct Step {
    pub key: String,
    pub kind: StepKind,
    pub slots: Vec<usize>,
}

/// The ordered steps of a scan (each step reads only earlier slots).
///
/// After [`Plan::condition_first`], the steps the scan's condition reads come
/// first: [`Plan::compute_condition`] runs those, [`Plan::compute_rest`] the
/// ones only the display columns (or a match's score) read, so a symbol that
/// does not match never computes its columns.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub slot_count: usize,
    /// Steps `..condition` are the condition's (all of them until
    /// [`Plan::condition_first`] says otherwise).
    condition: Option<usize>,
}

impl Step {
    /// Adds the slots this step reads to `out`.
    fn reads_into(&self, out: &mut Vec<usize>) {
        let source = match &self.kind {
            StepKind::Kernel { source, .. } => *source,
            StepKind::Fused(Fused::Bands { source, .. }) => *source,
            StepKind::Fused(Fused::Dmi { .. }) => Source::Bars,
            StepKind::Series(node) => return node.slots_into(out),
        };
        if let Source::Slot(s) = source {
            out.push(s);
        }
    }
}

impl Plan {
    /// Puts the steps that the slots in `needed` depend on (they and the
    /// steps they read, transitively) first, each group in its order, and
    /// remembers where the others start.
    pub fn condition_first(&mut self, needed: &[usize]) {
        let mut wanted = vec![false; self.slot_count];
        for &s in needed {
            wanted[s] = true;
        }
        let mut reads = Vec::new();
        let mut first = vec![false; self.steps.len()];
        // Each step reads only earlier slots: one pass from the end.
        for (k, step) in self.steps.iter().enumerate().rev() {
            if step.slots.iter().any(|&s| wanted[s]) {
                first[k] = true;
                reads.clear();
                step.reads_into(&mut reads);
                for &s in &reads {
                    wanted[s] = true;
                }
            }
        }
        let steps = std::mem::take(&mut self.steps);
        let (a, b): (Vec<_>, Vec<_>) = steps.into_iter().zip(&first).partition(|(_, &f)| f);
        self.condition = Some(a.len());
        self.steps = a.into_iter().chain(b).map(|(s, _)| s).collect();
    }

    /// Whether [`Plan::compute_condition`] leaves steps for
    /// [`Plan::compute_rest`].
    pub fn has_rest(&self) -> bool {
        self.condition.is_some_and(|c| c < self.steps.len())
    }

    /// Fills every slot for these bars.
    #[cfg(test)]
    pub fn compute(&self, bars: &Bars, slots: &mut Vec<Vec<f64>>) {
        self.compute_condition(bars, slots);
        self.compute_rest(bars, slots);
    }

    /// Fills the slots the condition reads for these bars (`slots` are a
    /// workspace's buffers; every slot's length is set). Buffers keep their
    /// capacity across symbols, so after the longest symbol nothing is
    /// allocated here.
    pub fn compute_condition(&self, bars: &Bars, slots: &mut Vec<Vec<f64>>) {
        let n = bars.len();
        if slots.len() < self.slot_count {
            slots.resize_with(self.slot_count, Vec::new);
        }
        // Only the length: every step writes all of its slots (a kernel from
        // its source's first finite value on, the bars before it marked
        // undefined below), so no value of the last symbol is left, and the
        // columns are not written twice. Filling them with NaN first was
        // 12 % of a scan's time on a worker in V8 (`Scan::prepare`'s self
        // time in `--only profile`): NaN is no repeated byte, so no
        // `memory.fill`. `tests::every_step_writes_every_bar_of_its_slots`
        // checks it for every function.
        for slot in &mut slots[..self.slot_count] {
            slot.resize(n, f64::NAN);
        }
        let end = self.condition.unwrap_or(self.steps.len());
        run_steps(&self.steps[..end], bars, slots);
    }

    /// Fills the rest of the slots, after [`Plan::compute_condition`] for the
    /// same bars.
    pub fn compute_rest(&self, bars: &Bars, slots: &mut [Vec<f64>]) {
        let start = self.condition.unwrap_or(self.steps.len());
        run_steps(&self.steps[start..], bars, slots);
    }
}

/// Runs `steps` in order, each writing every bar of its slots.
fn run_steps(steps: &[Step], bars: &Bars, slots: &mut [Vec<f64>]) {
    for step in steps {
        match &step.kind {
            StepKind::Series(node) => {
                let Some(&s) = step.slots.first() else {
                    continue;
                };
                let mut out = std::mem::take(&mut slots[s]);
                let mut eval = Eval::new(bars, slots, None);
                for (i, v) in out.iter_mut().enumerate() {
                    *v = eval.num(node, i);
                }
                slots[s] = out;
            }
            StepKind::Kernel {
                kernel,
                source,
                params,
            } => {
                let k = step.slots.len().min(3);
                let mut outs: [Vec<f64>; 3] = Default::default();
                for (o, &s) in outs.iter_mut().zip(&step.slots) {
                    *o = std::mem::take(&mut slots[s]);
                }
                match source_slice(*source, bars, slots) {
                    Some((first, src)) => {
                        for o in &mut outs[..k] {
                            o[..first].fill(f64::NAN);
                        }
                        kernel.run(bars, src, first, params, &mut outs[..k]);
                    }
                    None => {
                        for o in &mut outs[..k] {
                            o.fill(f64::NAN);
                        }
                    }
                }
                for (o, &s) in outs.into_iter().zip(&step.slots) {
                    slots[s] = o;
                }
            }
            StepKind::Fused(fused) => fused.compute(bars, &step.slots, slots),
        }
    }
}

/// The source a kernel reads, from its first finite value on, with that
/// index: a derived source's warm-up is trimmed so the kernel sees the same
/// slice TA-Lib would be given (bar-reading kernels: all bars, from 0).
/// `None` when there is nothing to compute (no finite value, or a slot of
/// another length).
fn source_slice<'a>(
    source: Source,
    bars: &'a Bars,
    slots: &'a [Vec<f64>],
) -> Option<(usize, &'a [f64])> {
    let n = bars.len();
    let src: &[f64] = match source {
        Source::Bars => return (n > 0).then_some((0, &[][..])),
        Source::Column(b) => b.column(bars).unwrap_or(&[]),
        Source::Slot(s) => slots.get(s).map_or(&[], |v| v.as_slice()),
    };
    if src.len() != n {
        return None;
    }
    let first = src.iter().position(|v| v.is_finite())?;
    Some((first, &src[first..]))
}

#[cfg(test)]
mod tests {
    use super::super::{functions::FUNCTIONS, Scan};
    use crate::data::synthetic;
    use crate::engine::bars::{Bars, Columns};

    /// A value no step computes: left in a slot, it was not written.
    const UNWRITTEN: f64 = -123_456.789;

    /// Bars whose range never moves for a while (TR > 0, no directional
    /// move: ADX's bars without a DX), then a walk.
    fn no_moves_then_walk() -> Bars {
        let mut c = Columns::default();
        let walk = synthetic::bars(9, 1, 120);
        for i in 0..240 {
            let (o, h, l, cl, v) = if i < 120 {
                (10.0, 11.0, 9.0, 10.0, 0.0)
            } else {
                let j = i - 120;
                let w = &walk;
                (
                    w.open()[j],
                    w.high()[j],
                    w.low()[j],
                    w.close()[j],
                    w.volume()[j],
                )
            };
            c.push(i as i64, o, h, l, cl, v);
        }
        Bars::new("no moves", c).unwrap()
    }

    #[test]
    fn every_step_writes_every_bar_of_its_slots() {
        // `Plan::compute` sets the slots' length only, so a value a step
        // does not write would be the last symbol's. Every slot is filled
        // with a value no step computes first, and none may be left: every
        // function (defaults, and a short and a long period), the fused
        // families, derived sources (one undefined where the bar has no
        // body: its first finite value moves from symbol to symbol), over
        // ordinary, flat, no-move, gappy, short and one-bar symbols.
        let mut calls: Vec<String> = Vec::new();
        for f in FUNCTIONS {
            calls.push(format!("{}()", f.name));
            if let Some(p) = f.params.first() {
                let src = if f.takes_source { "close, " } else { "" };
                for v in [(p.default * 3.0).round(), 2.0] {
                    if p.range.accepts(v) {
                        calls.push(format!("{}({src}{v})", f.name));
                    }
                }
            }
        }
        calls.extend(
            [
                "plus_di(9)",
                "minus_di(9)",
                "adx(9)",
                "sma(close, 7)",
                "stddev(close, 7)",
                "bb_upper(7, 2)",
                "sma(sma(close, 40), 5)",
                "bb_middle(sma(close, 30), 7, 2)",
                "stddev(rsi(close, 20), 7)",
                "ema(close - open, 3)",
                "sma(close / (close - open), 3)",
                "bb_lower(volume / (close - open), 4, 2)",
            ]
            .map(String::from),
        );
        let calls: Vec<String> = calls
            .into_iter()
            .filter(|c| Scan::compile("true", std::slice::from_ref(c)).is_ok())
            .collect();
        let scan = Scan::compile("true", &calls).unwrap();
        let mut flat = Columns::default();
        for i in 0..50 {
            flat.push(i, 5.0, 5.0, 5.0, 5.0, 0.0);
        }
        let symbols = [
            synthetic::bars(3, 0, 230),
            no_moves_then_walk(),
            Bars::new("flat", flat).unwrap(),
            synthetic::bars(3, 5, 18),
            synthetic::bars(3, 6, 3),
            synthetic::bars(3, 7, 1),
        ];
        let mut slots: Vec<Vec<f64>> = Vec::new();
        let mut checked = 0;
        for bars in &symbols {
            slots.resize_with(scan.plan.slot_count, Vec::new);
            for slot in &mut slots {
                slot.clear();
                slot.resize(bars.len(), UNWRITTEN);
            }
            scan.plan.compute(bars, &mut slots);
            for step in &scan.plan.steps {
                for &s in &step.slots {
                    let left = slots[s].iter().position(|&v| v == UNWRITTEN);
                    assert_eq!(
                        left,
                        None,
                        "{} over {} bars left a bar unwritten",
                        step.key,
                        bars.len()
                    );
                    checked += bars.len();
                }
            }
        }
        assert!(
            calls.len() > 100 && checked > 50_000,
            "{} calls, {checked} values",
            calls.len()
        );
    }
}
