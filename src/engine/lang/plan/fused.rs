//! Fused plan steps: kernels that share their passes, merged after the plan
//! is built ([`Plan::fuse`]) and computed in one walk over the bars.
//! - +DI, −DI and ADX of one period: one true range and directional
//!   movement (`ind::dmi`) instead of three.
//! - SMA, STDDEV and BBANDS of one source and period: one running sum and
//!   one rolling variance (`ind::bands`) instead of three.
//!
//! A fused step writes the very slots its members wrote, with the same bits
//! (each fused kernel is tested bit for bit against the separate ones), so
//! evaluation, columns and lookbacks are untouched. Imports the plan and the
//! kernels only.

use std::collections::BTreeMap;

use super::{source_slice, Plan, Source, Step, StepKind};
use crate::engine::bars::Bars;
use crate::engine::indicators::{self as ind, Bands, BbandsOut};

/// The most slots a fused step writes (SMA, STDDEV and BBANDS' three).
const MAX_FUSED_OUTPUTS: usize = 5;

/// What a fused step computes. Its step's `slots` list the outputs in the
/// order given here.
#[derive(Debug, Clone, PartialEq)]
pub enum Fused {
    /// Slots: `[plus_di, minus_di, adx]` (one no function reads is scratch).
    Dmi { period: usize, members: usize },
    /// Slots: the SMA's if `sma`, then the STDDEV's if `stddev` (its
    /// factor), then upper, middle and lower if `bbands` (its factor).
    Bands {
        source: Source,
        period: usize,
        sma: bool,
        stddev: Option<f64>,
        bbands: Option<f64>,
    },
}

impl Fused {
    /// How many of the language's kernel calls this step stands for.
    pub fn members(&self) -> usize {
        match self {
            Fused::Dmi { members, .. } => *members,
            Fused::Bands {
                sma,
                stddev,
                bbands,
                ..
            } => usize::from(*sma) + usize::from(stddev.is_some()) + usize::from(bbands.is_some()),
        }
    }

    pub(super) fn compute(&self, bars: &Bars, out_slots: &[usize], slots: &mut [Vec<f64>]) {
        // The slots' buffers, borrowed by value for the call (no allocation:
        // this runs once per symbol in the scan loop).
        let mut outs: [Vec<f64>; MAX_FUSED_OUTPUTS] = Default::default();
        for (o, &s) in outs.iter_mut().zip(out_slots) {
            *o = std::mem::take(&mut slots[s]);
        }
        let outs_len = out_slots.len().min(MAX_FUSED_OUTPUTS);
        let outs = &mut outs[..outs_len];
        match self {
            Fused::Dmi { period, .. } => {
                if let [plus, minus, adx] = outs {
                    ind::dmi(
                        bars.high(),
                        bars.low(),
                        bars.close(),
                        *period,
                        plus,
                        minus,
                        adx,
                    );
                } else {
                    for o in outs.iter_mut() {
                        o.fill(f64::NAN);
                    }
                }
            }
            Fused::Bands {
                source,
                period,
                sma,
                stddev,
                bbands,
            } => {
                match source_slice(*source, bars, slots) {
                    // Nothing to compute: every column undefined.
                    None => {
                        for o in outs.iter_mut() {
                            o.fill(f64::NAN);
                        }
                    }
                    Some((first, src)) => {
                        for o in outs.iter_mut() {
                            o[..first].fill(f64::NAN);
                        }
                        let mut cut = outs.iter_mut().map(|o| &mut o[first..]);
                        let sma = if *sma { cut.next() } else { None };
                        let stddev = stddev.and_then(|k| Some((k, cut.next()?)));
                        let bbands = match (bbands, cut.next(), cut.next(), cut.next()) {
                            (Some(k), Some(upper), Some(middle), Some(lower)) => Some(BbandsOut {
                                nbdev_up: *k,
                                nbdev_dn: *k,
                                upper,
                                middle,
                                lower,
                            }),
                            _ => None,
                        };
                        ind::bands(
                            src,
                            *period,
                            Bands {
                                sma,
                                stddev,
                                bbands,
                            },
                        );
                    }
                }
            }
        }
        for (o, &s) in outs.iter_mut().zip(out_slots) {
            slots[s] = std::mem::take(o);
        }
    }
}

/// A bands group: its source and period.
type BandsKey = (Source, usize);
/// The step index of each member of a group, by its place in the fused kernel.
type Members = [Option<usize>; 3];

/// A kernel step's key, source and parameters, when it is one.
fn kernel_of(step: &Step) -> Option<(&'static str, Source, &[f64])> {
    match &step.kind {
        StepKind::Kernel {
            kernel,
            source,
            params,
        } => Some((kernel.key(), *source, params)),
        _ => None,
    }
}

/// A period parameter as the kernels read it.
fn period_of(params: &[f64]) -> usize {
    params.first().copied().unwrap_or(0.0) as usize
}

impl Plan {
    /// Merges the steps one pass computes together (see the module doc):
    /// each group of two or more members becomes one step, placed where its
    /// first member was (all members read the same source, available there).
    pub fn fuse(&mut self) {
        self.fuse_dmi();
        self.fuse_bands();
    }

    fn fuse_dmi(&mut self) {
        // period → the step index of +DI, −DI and ADX.
        let mut groups: BTreeMap<usize, Members> = BTreeMap::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Some((key, Source::Bars, params)) = kernel_of(step) else {
                continue;
            };
            let which = match key {
                "plus_di" => 0,
                "minus_di" => 1,
                "adx" => 2,
                _ => continue,
            };
            // DMI needs a period of 2 or more (+DI and −DI also take 1).
            let period = period_of(params);
            if period >= 2 {
                groups.entry(period).or_default()[which].get_or_insert(i);
            }
        }
        let mut merged = Vec::new();
        for (period, members) in groups {
            let present: Vec<usize> = members.iter().flatten().copied().collect();
            if present.len() < 2 {
                continue;
            }
            let slots = members.map(|m| match m {
                Some(i) => self.steps[i].slots[0],
                None => self.scratch_slot(),
            });
            let key = self.fused_key(&present);
            merged.push((
                present,
                Step {
                    key,
                    kind: StepKind::Fused(Fused::Dmi {
                        period,
                        members: members.iter().flatten().count(),
                    }),
                    slots: slots.to_vec(),
                },
            ));
        }
        self.replace(merged);
    }

    fn fuse_bands(&mut self) {
        // (source, period) → the step index of SMA, STDDEV and BBANDS (the
        // first of each; another factor stays a step of its own).
        let mut groups: Vec<(BandsKey, Members)> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Some((key, source, params)) = kernel_of(step) else {
                continue;
            };
            let which = match key {
                "sma" => 0,
                "stddev" => 1,
                "bbands" => 2,
                _ => continue,
            };
            let period = period_of(params);
            if period < 2 {
                continue;
            }
            let at = match groups.iter().position(|(g, _)| *g == (source, period)) {
                Some(at) => at,
                None => {
                    groups.push(((source, period), [None; 3]));
                    groups.len() - 1
                }
            };
            groups[at].1[which].get_or_insert(i);
        }
        let mut merged = Vec::new();
        for ((source, period), [sma, stddev, bbands]) in groups {
            let present: Vec<usize> = [sma, stddev, bbands].into_iter().flatten().collect();
            if present.len() < 2 {
                continue;
            }
            let factor = |i: Option<usize>| {
                i.and_then(|i| kernel_of(&self.steps[i]))
                    .map(|(_, _, p)| p.get(1).copied().unwrap_or(0.0))
            };
            let slots = present
                .iter()
                .flat_map(|&i| self.steps[i].slots.iter().copied())
                .collect();
            let fused = Fused::Bands {
                source,
                period,
                sma: sma.is_some(),
                stddev: factor(stddev),
                bbands: factor(bbands),
            };
            merged.push((
                present.clone(),
                Step {
                    key: self.fused_key(&present),
                    kind: StepKind::Fused(fused),
                    slots,
                },
            ));
        }
        self.replace(merged);
    }

    /// A new slot no function reads (an output a fused kernel writes anyway).
    fn scratch_slot(&mut self) -> usize {
        self.slot_count += 1;
        self.slot_count - 1
    }

    /// `fused(a, b)` from the members' keys, in plan order.
    fn fused_key(&self, members: &[usize]) -> String {
        let mut members = members.to_vec();
        members.sort_unstable();
        let keys: Vec<&str> = members
            .iter()
            .map(|&i| self.steps[i].key.as_str())
            .collect();
        format!("fused({})", keys.join(", "))
    }

    /// Puts each fused step where its first member was and drops the rest.
    fn replace(&mut self, merged: Vec<(Vec<usize>, Step)>) {
        if merged.is_empty() {
            return;
        }
        let mut at: Vec<Option<Step>> = vec![None; self.steps.len()];
        let mut gone = vec![false; self.steps.len()];
        for (members, step) in merged {
            let first = members.iter().copied().min().unwrap_or(0);
            for &m in &members {
                gone[m] = true;
            }
            at[first] = Some(step);
        }
        let steps = std::mem::take(&mut self.steps);
        self.steps = steps
            .into_iter()
            .zip(at.into_iter().zip(gone))
            .filter_map(|(old, (new, gone))| match (new, gone) {
                (Some(new), _) => Some(new),
                (None, true) => None,
                (None, false) => Some(old),
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bars::Columns;
    use crate::engine::lang::check::Builder;
    use crate::engine::lang::parser;
    use crate::engine::lang::Part;

    /// A random walk with highs, lows and a flat stretch (zero ranges and a
    /// zero variance, where the kernels take their special paths).
    fn bars(len: usize, seed: u64) -> Bars {
        let mut x = seed.wrapping_add(1);
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut c = Columns::with_capacity(len);
        let mut level = 50.0;
        for i in 0..len {
            let flat = (200..230).contains(&i);
            if !flat {
                level *= 1.0 + (next() - 0.5) * 0.04;
            }
            let (o, cl) = (level * (1.0 + (next() - 0.5) * 0.01), level);
            let spread = if flat { 0.0 } else { level * next() * 0.02 };
            c.time.push(i as i64 * 86_400_000);
            c.open.push(o);
            c.high.push(o.max(cl) + spread);
            c.low.push(o.min(cl) - spread);
            c.close.push(cl);
            c.volume.push(1_000.0 + next() * 1e4);
        }
        Bars::new("T", c).expect("valid bars")
    }

    /// The plan of `expr` and `columns`, as built (unfused).
    fn plan_of(expr: &str, columns: &[&str]) -> Plan {
        let mut b = Builder::default();
        let ast = parser::parse(expr, Part::Expr).expect("parses");
        b.check_root(&ast, expr, Part::Expr).expect("checks");
        for (k, text) in columns.iter().enumerate() {
            let c = parser::parse(text, Part::Column(k)).expect("parses");
            b.check_root(&c, text, Part::Column(k)).expect("checks");
        }
        b.plan
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn a_fused_plan_fills_every_slot_with_the_bits_of_the_separate_kernels() {
        let cases: &[(&str, &[&str])] = &[
            ("adx(14) > 20 and plus_di(14) > minus_di(14)", &[]),
            ("adx(7) > 20", &["plus_di(7)", "minus_di(14)", "adx(14)"]),
            (
                "close > bb_upper(20, 2) and stddev(close, 20, 2) > 0",
                &["sma(close, 20)", "bb_lower(20, 2)", "sma(20)"],
            ),
            (
                "sma(hl2, 10) > bb_middle(hl2, 10, 1.5)",
                &["stddev(hl2, 10)"],
            ),
            // A derived source with a warm-up of its own.
            (
                "sma(rsi(14), 5) > 50",
                &["stddev(rsi(14), 5, 3)", "bb_upper(rsi(14), 5, 1)"],
            ),
            // Another factor stays a step of its own.
            (
                "stddev(close, 20, 1) > stddev(close, 20, 2)",
                &["sma(close, 20)"],
            ),
        ];
        for (k, (expr, columns)) in cases.iter().enumerate() {
            let plain = plan_of(expr, columns);
            let mut fused = plain.clone();
            fused.fuse();
            assert!(
                fused.steps.len() < plain.steps.len(),
                "{expr}: nothing was fused ({:?})",
                fused.steps.iter().map(|s| &s.key).collect::<Vec<_>>()
            );
            for len in [1, 15, 40, 600] {
                let bars = bars(len, k as u64 * 31 + len as u64);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                plain.compute(&bars, &mut a);
                fused.compute(&bars, &mut b);
                for s in 0..plain.slot_count {
                    assert_eq!(bits(&a[s]), bits(&b[s]), "{expr}: slot {s}, {len} bars");
                }
            }
        }
    }

    #[test]
    fn fused_steps_name_their_members_and_count_them() {
        let mut plan = plan_of(
            "adx(14) > 20 and plus_di(14) > 1",
            &["sma(close, 20)", "bb_upper(20, 2)", "rsi(14)"],
        );
        plan.fuse();
        let keys: Vec<&str> = plan.steps.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "fused(adx(14), plus_di(14))",
                "fused(sma(close, 20), bbands(close, 20, 2))",
                "rsi(close, 14)"
            ]
        );
        let members: Vec<usize> = plan
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Fused(f) => Some(f.members()),
                _ => None,
            })
            .collect();
        assert_eq!(members, [2, 2]);
    }

    #[test]
    fn a_lone_member_or_a_period_of_one_is_left_as_it_was() {
        for (expr, columns) in [
            ("adx(14) > 20", &["plus_di(10)"][..]),
            ("plus_di(1) > minus_di(1)", &[][..]),
            ("sma(close, 20) > bb_middle(close, 10, 2)", &[][..]),
        ] {
            let plain = plan_of(expr, columns);
            let mut fused = plain.clone();
            fused.fuse();
            let keys = |p: &Plan| p.steps.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
            assert_eq!(keys(&fused), keys(&plain), "{expr}");
            assert_eq!(fused.slot_count, plain.slot_count, "{expr}");
        }
    }
}
