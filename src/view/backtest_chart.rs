//! Geometry of the Backtest panel's small SVG charts (no chart library): the
//! average path after a signal against the baseline, the cumulative R curve,
//! and one symbol's closes around a signal with the signal bar, the entry
//! and the horizon marked. Only numbers and `points` text come out; the page
//! draws them as `<polyline>` and `<line>` elements. Imports no browser crate.

use crate::engine::backtest::{AveragePath, CurvePoint};
use crate::engine::bars::Bars;

/// The drawing area in SVG units; `pad` is left free on every side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub w: f64,
    pub h: f64,
    pub pad: f64,
}

pub const CHART: Frame = Frame {
    w: 480.0,
    h: 180.0,
    pad: 24.0,
};

/// A chart of one or more lines over a shared x (0..n) and y range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lines {
    /// `points` text per line ("x,y x,y …"), in the order given.
    pub lines: Vec<String>,
    /// The y of value 0, when 0 is in range (a reference line).
    pub zero_y: Option<f64>,
    /// The y range shown (low, high), for labels.
    pub range: (f64, f64),
}

impl Frame {
    fn x(&self, i: usize, n: usize) -> f64 {
        let span = (n.max(2) - 1) as f64;
        self.pad + (self.w - 2.0 * self.pad) * i as f64 / span
    }

    fn y(&self, v: f64, (lo, hi): (f64, f64)) -> f64 {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        self.h - self.pad - (self.h - 2.0 * self.pad) * t
    }
}

/// The range covering every defined value (and 0 when `with_zero`), never
/// empty.
fn range<'a>(series: impl Iterator<Item = &'a [Option<f64>]>, with_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = if with_zero {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, f64::NEG_INFINITY)
    };
    for s in series {
        for v in s.iter().flatten().filter(|v| v.is_finite()) {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.01 };
        return (lo - d, hi + d);
    }
    (lo, hi)
}

/// `points` text of one series (undefined values are left out).
fn points(ys: &[Option<f64>], range: (f64, f64), frame: Frame) -> String {
    ys.iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, v)))
        .map(|(i, v)| format!("{:.1},{:.1}", frame.x(i, ys.len()), frame.y(v, range)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines sharing one y range that includes 0.
pub fn lines(series: &[&[Option<f64>]], frame: Frame) -> Lines {
    let range = range(series.iter().copied(), true);
    Lines {
        lines: series.iter().map(|s| points(s, range, frame)).collect(),
        zero_y: Some(frame.y(0.0, range)),
        range,
    }
}

/// The average path after a signal (first line) and of the baseline
/// (second), from 0 at the entry to the longest horizon.
pub fn path_chart(path: &AveragePath, frame: Frame) -> Lines {
    let with_entry = |s: &[Option<f64>]| -> Vec<Option<f64>> {
        std::iter::once(Some(0.0))
            .chain(s.iter().copied())
            .collect()
    };
    let (sig, base) = (with_entry(&path.signals), with_entry(&path.baseline));
    lines(&[&sig, &base], frame)
}

/// Most points a drawn line has: 170,000 trades as one polyline made the
/// page stall for seconds, and a chart 480 units wide cannot show more.
pub const MAX_POINTS: usize = 1200;

/// The cumulative R after each trade, from 0 before the first; a long curve
/// is drawn through every k-th trade (and the last), at most [`MAX_POINTS`].
pub fn r_curve(curve: &[CurvePoint], frame: Frame) -> Lines {
    let stride = curve.len().div_ceil(MAX_POINTS).max(1);
    let mut ys: Vec<Option<f64>> = std::iter::once(Some(0.0))
        .chain(
            curve
                .iter()
                .skip(stride - 1)
                .step_by(stride)
                .map(|c| Some(c.cum_r)),
        )
        .collect();
    if !curve.len().is_multiple_of(stride) {
        ys.extend(curve.last().map(|c| Some(c.cum_r)));
    }
    lines(&[&ys], frame)
}

/// One symbol's closes around a signal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalChart {
    pub close: String,
    /// x of the signal bar, of the entry bar (t+1) and of bar t+h when shown.
    pub signal_x: f64,
    pub entry_x: Option<f64>,
    pub horizon_x: Option<f64>,
    /// Bar indexes shown (first, last) and the close range.
    pub first: usize,
    pub last: usize,
    pub range: (f64, f64),
}

/// Bars shown before the signal.
const BEFORE: usize = 30;
/// Bars shown after the horizon.
const AFTER: usize = 10;

/// The closes from 30 bars before the signal bar `t` to 10 after `t + h`
/// (clipped to the data); `None` when `t` is not a bar of `bars`.
pub fn signal_chart(bars: &Bars, t: usize, h: usize, frame: Frame) -> Option<SignalChart> {
    let n = bars.len();
    if t >= n {
        return None;
    }
    let first = t.saturating_sub(BEFORE);
    let last = (t + h + AFTER).min(n - 1);
    let closes: Vec<Option<f64>> = bars.close()[first..=last]
        .iter()
        .map(|&c| Some(c))
        .collect();
    let range = range(std::iter::once(closes.as_slice()), false);
    let count = closes.len();
    let at = |i: usize| (i >= first && i <= last).then(|| frame.x(i - first, count));
    Some(SignalChart {
        close: points(&closes, range, frame),
        signal_x: frame.x(t - first, count),
        entry_x: at(t + 1),
        horizon_x: at(t + h),
        first,
        last,
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bars::Columns;

    fn parse(points: &str) -> Vec<(f64, f64)> {
        points
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn lines_share_a_range_with_zero_and_stay_inside_the_frame() {
        let a = [Some(0.02), None, Some(-0.01)];
        let b = [Some(0.0), Some(0.005), Some(0.01)];
        let l = lines(&[&a, &b], CHART);
        assert_eq!(l.range, (-0.01, 0.02));
        let pa = parse(&l.lines[0]);
        assert_eq!(pa.len(), 2, "an undefined value is left out");
        assert_eq!(
            pa[0],
            (CHART.pad, CHART.pad),
            "the highest value at the top"
        );
        assert_eq!(pa[1].1, CHART.h - CHART.pad, "the lowest at the bottom");
        assert_eq!(pa[1].0, CHART.w - CHART.pad);
        let z = l.zero_y.unwrap();
        assert!((z - parse(&l.lines[1])[0].1).abs() < 0.1);
        for (x, y) in parse(&l.lines[1]) {
            assert!((0.0..=CHART.w).contains(&x) && (0.0..=CHART.h).contains(&y));
        }
    }

    #[test]
    fn a_long_r_curve_is_thinned_but_ends_at_the_last_trade() {
        let point = |i: usize| CurvePoint {
            time: i as i64,
            symbol: "T".into(),
            r: 1.0,
            cum_r: (i + 1) as f64,
        };
        let short: Vec<CurvePoint> = (0..10).map(point).collect();
        assert_eq!(parse(&r_curve(&short, CHART).lines[0]).len(), 11);
        for n in [MAX_POINTS * 3, MAX_POINTS * 3 + 7] {
            let long: Vec<CurvePoint> = (0..n).map(point).collect();
            let l = r_curve(&long, CHART);
            let pts = parse(&l.lines[0]);
            assert!(pts.len() <= MAX_POINTS + 2, "{} points", pts.len());
            assert_eq!(
                l.range,
                (0.0, n as f64),
                "the last trade's cumulative R is the top"
            );
            assert_eq!(pts.last().unwrap().1, CHART.pad);
        }
    }

    #[test]
    fn a_flat_or_empty_series_still_has_a_range() {
        assert_eq!(lines(&[&[None, None]], CHART).lines[0], "");
        let flat = lines(&[&[Some(0.0), Some(0.0)]], CHART);
        assert!(flat.range.0 < flat.range.1);
    }

    #[test]
    fn the_signal_chart_marks_the_signal_entry_and_horizon_bars() {
        let mut c = Columns::default();
        for i in 0..100i64 {
            let v = 10.0 + i as f64;
            c.push(i, v, v, v, v, 1.0);
        }
        let bars = Bars::new("T", c).unwrap();
        let ch = signal_chart(&bars, 50, 5, CHART).unwrap();
        assert_eq!((ch.first, ch.last), (20, 65));
        let pts = parse(&ch.close);
        assert_eq!(pts.len(), 46);
        assert!((pts[30].0 - ch.signal_x).abs() < 0.1);
        assert!(ch.entry_x.unwrap() > ch.signal_x);
        assert!((pts[35].0 - ch.horizon_x.unwrap()).abs() < 0.1);
        // Near the end the window is clipped and a horizon past it is not drawn.
        let end = signal_chart(&bars, 97, 5, CHART).unwrap();
        assert_eq!(end.last, 99);
        assert_eq!(end.horizon_x, None);
        assert!(signal_chart(&bars, 100, 5, CHART).is_none());
    }
}
