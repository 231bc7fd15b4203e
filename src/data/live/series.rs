//! A symbol's series as a live scan grows it: closed bars joined onto the
//! bars the first scan loaded. The last loaded bar may be the one that was
//! still forming when it was fetched, so a closed bar with its open time
//! replaces it; newer bars follow; older ones are there already. Pure; no
//! browser crate.

use super::session::ClosedBar;
use crate::engine::bars::{Bars, BarsError, Columns};

/// `old` with `bars` (ascending) joined on, as a new series; `None` when
/// nothing changes (every bar is older than `old`'s last). A bar that breaks
/// the series' rules (a non-positive price, high below low) is an error
/// naming the symbol and the bar: the series is then left as it was.
pub fn append_closed(
    symbol: &str,
    old: &Bars,
    bars: &[ClosedBar],
) -> Result<Option<Bars>, BarsError> {
    let last = old.time().last().copied().unwrap_or(i64::MIN);
    let mut fresh = bars.iter().filter(|b| b.open_ms >= last).peekable();
    let Some(first) = fresh.peek() else {
        return Ok(None);
    };
    let keep = if first.open_ms == last {
        old.len() - 1
    } else {
        old.len()
    };
    let mut cols = Columns::with_capacity(keep + bars.len());
    for i in 0..keep {
        cols.push(
            old.time()[i],
            old.open()[i],
            old.high()[i],
            old.low()[i],
            old.close()[i],
            old.volume()[i],
        );
    }
    let mut previous = i64::MIN;
    for b in fresh {
        // A repeated open time keeps its first bar.
        if b.open_ms <= previous {
            continue;
        }
        previous = b.open_ms;
        cols.push(b.open_ms, b.open, b.high, b.low, b.close, b.volume);
    }
    Bars::new(symbol, cols).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn bar(open_ms: i64, close: f64) -> ClosedBar {
        ClosedBar {
            open_ms,
            open: close,
            high: close + 1.0,
            low: close - 1.0,
            close,
            volume: 10.0,
        }
    }

    fn series(closes: &[f64]) -> Bars {
        let mut cols = Columns::with_capacity(closes.len());
        for (i, &c) in closes.iter().enumerate() {
            cols.push(i as i64 * M, c, c + 1.0, c - 1.0, c, 10.0);
        }
        Bars::new("BTCUSDT", cols).unwrap()
    }

    #[test]
    fn a_closed_bar_with_the_last_bars_open_time_replaces_the_forming_one() {
        let old = series(&[10.0, 11.0, 12.0]);
        let new = append_closed("BTCUSDT", &old, &[bar(2 * M, 15.0), bar(3 * M, 16.0)])
            .unwrap()
            .unwrap();
        assert_eq!(new.time(), &[0, M, 2 * M, 3 * M]);
        assert_eq!(new.close(), &[10.0, 11.0, 15.0, 16.0]);
    }

    #[test]
    fn older_bars_and_repeats_are_not_appended_twice() {
        let old = series(&[10.0, 11.0]);
        assert_eq!(
            append_closed("BTCUSDT", &old, &[bar(0, 99.0)]).unwrap(),
            None
        );
        let new = append_closed(
            "BTCUSDT",
            &old,
            &[
                bar(0, 99.0),
                bar(2 * M, 12.0),
                bar(2 * M, 77.0),
                bar(3 * M, 13.0),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(new.time(), &[0, M, 2 * M, 3 * M]);
        assert_eq!(new.close(), &[10.0, 11.0, 12.0, 13.0]);
    }

    #[test]
    fn a_bar_that_breaks_the_series_rules_is_an_error_and_nothing_changes() {
        let old = series(&[10.0, 11.0]);
        let mut bad = bar(2 * M, 12.0);
        bad.high = 1.0; // below its low
        let e = append_closed("BTCUSDT", &old, &[bad]).unwrap_err();
        assert_eq!(e.symbol, "BTCUSDT");
        assert_eq!(old.len(), 2);
    }

    #[test]
    fn an_empty_series_starts_with_the_first_closed_bar() {
        let new = append_closed("BTCUSDT", &Bars::default(), &[bar(5 * M, 20.0)])
            .unwrap()
            .unwrap();
        assert_eq!(new.time(), &[5 * M]);
        assert_eq!(new.close(), &[20.0]);
    }
}
