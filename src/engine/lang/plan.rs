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
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub slot_count: usize,
}

impl Plan {
    /// Fills every slot for these bars (`slots` are a workspace's buffers).
    /// Buffers keep their capacity across symbols, so after the longest symbol
    /// nothing is allocated here.
    pub fn compute(&self, bars: &Bars, slots: &mut Vec<Vec<f64>>) {
        let n = bars.len();
        if slots.len() < self.slot_count {
            slots.resize_with(self.slot_count, Vec::new);
        }
        for slot in &mut slots[..self.slot_count] {
            slot.clear();
            slot.resize(n, f64::NAN);
        }
        for step in &self.steps {
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
                    if let Some((first, src)) = source_slice(*source, bars, slots) {
                        kernel.run(bars, src, first, params, &mut outs[..k]);
                    }
                    for (o, &s) in outs.into_iter().zip(&step.slots) {
                        slots[s] = o;
                    }
                }
                StepKind::Fused(fused) => fused.compute(bars, &step.slots, slots),
            }
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
