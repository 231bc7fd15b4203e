//! The live session's per-symbol bookkeeping: each kline from a socket
//! (final or forming, for the next bar or after missed ones), the REST gap
//! fills and their answers, and the closed bars released in order. Part of
//! [`Live`]; no I/O, no browser crate.

use super::*;

impl Live {
    /// The answer to a [`Command::FetchGap`] for `symbol`: its closed bars
    /// (any order; bars outside the range asked for are dropped) or why the
    /// fetch failed (retried with backoff).
    pub fn on_gap(
        &mut self,
        symbol: &str,
        result: Result<Vec<ClosedBar>, String>,
        now_ms: i64,
    ) -> Vec<Command> {
        if self.stopped {
            return Vec::new();
        }
        let mut out = Vec::new();
        let Some(&i) = self.index.get(&symbol.trim().to_ascii_uppercase()) else {
            return self.finish(now_ms, out);
        };
        let Some(Gap::InFlight { start_ms, end_ms }) = self.series[i].gap else {
            return self.finish(now_ms, out);
        };
        let bars = match result {
            Err(why) => Err(format!("gap fetch failed: {why}")),
            Ok(bars) => self.check_gap(i, start_ms, end_ms, bars),
        };
        match bars {
            Err(why) => {
                let name = self.series[i].symbol.clone();
                self.status.last_error = Some(cut(format!("{name}: {why}")));
                let attempt = self.series[i].gap_attempt;
                let at = now_ms.saturating_add(self.backoff(attempt.saturating_add(1)));
                let s = &mut self.series[i];
                s.gap_attempt = attempt.saturating_add(1);
                s.gap = Some(Gap::RetryAt(at));
                self.retries_waiting += 1;
            }
            Ok(bars) => {
                self.status.gaps_filled += 1;
                let mut appended = Vec::new();
                let s = &mut self.series[i];
                s.gap = None;
                s.gap_attempt = 0;
                s.short_answers = 0;
                let settled = s.settled.unwrap_or(i64::MIN);
                // REST is the truth for its range; a stream bar fills a bar
                // REST lacks.
                let mut merged: BTreeMap<i64, (ClosedBar, bool)> = BTreeMap::new();
                for (&t, bar) in s.buffer.range(..=end_ms) {
                    merged.insert(t, (*bar, false));
                }
                for bar in bars {
                    merged.insert(bar.open_ms, (bar, true));
                }
                for &(bar, from_rest) in merged.range(settled.saturating_add(1)..).map(|(_, v)| v) {
                    appended.push(bar);
                    if from_rest {
                        self.status.gap_bars += 1;
                    } else {
                        self.status.bars_received += 1;
                    }
                }
                let s = &mut self.series[i];
                s.buffer = s.buffer.split_off(&end_ms.saturating_add(1));
                if let Some(last) = appended.last() {
                    s.last_bar = Some(*last);
                }
                s.settled = Some(settled.max(end_ms));
                self.advance(i, appended, &mut out);
            }
        }
        self.finish(now_ms, out)
    }

    /// One kline from socket `conn`.
    pub(super) fn on_kline(&mut self, conn: usize, k: &Kline, out: &mut Vec<Command>) {
        let Some(&i) = self.index.get(&k.symbol) else {
            self.status.malformed += 1;
            self.status.last_error = Some(cut(format!(
                "connection {conn}: kline for {}, which is not subscribed",
                k.symbol
            )));
            return;
        };
        if k.interval != self.interval {
            self.status.malformed += 1;
            self.status.last_error = Some(cut(format!(
                "connection {conn}: {} kline at interval {}, expected {}",
                k.symbol, k.interval, self.interval
            )));
            return;
        }
        let p = self.interval.ms();
        let t = k.open_ms;
        let s = &mut self.series[i];
        if let Some(settled) = s.settled {
            if t <= settled {
                self.status.duplicates += 1;
                let bar = ClosedBar::of(k);
                if k.closed && t == settled && s.last_bar.is_some_and(|last| last != bar) {
                    self.status.last_error = Some(cut(format!(
                        "{}: bar {t} arrived again with other values; the first is kept",
                        s.symbol
                    )));
                }
                return;
            }
        }
        if k.closed {
            s.known_closed = Some(s.known_closed.map_or(t, |c| c.max(t)));
            s.buffer.insert(t, ClosedBar::of(k));
            if s.buffer.len() > MAX_BUFFERED {
                s.buffer.pop_first();
            }
        } else {
            if s.forming.is_some_and(|f| t < f) {
                self.status.out_of_order += 1;
                return;
            }
            s.forming = Some(t);
            let before = t - p;
            s.known_closed = Some(s.known_closed.map_or(before, |c| c.max(before)));
        }
        self.advance(i, Vec::new(), out);
    }

    /// Appends what can be appended for series `i` (after `appended`, bars
    /// already taken) and asks for the next gap if bars are missing.
    pub(super) fn advance(
        &mut self,
        i: usize,
        mut appended: Vec<ClosedBar>,
        out: &mut Vec<Command>,
    ) {
        let p = self.interval.ms();
        let s = &mut self.series[i];
        if s.settled.is_none() {
            // No bars yet: the first closed bar starts the series.
            if let Some((t, bar)) = s.buffer.pop_first() {
                appended.push(bar);
                s.settled = Some(t);
                self.status.bars_received += 1;
            }
        }
        if let Some(mut settled) = s.settled {
            s.buffer = s.buffer.split_off(&settled.saturating_add(1));
            while let Some(bar) = s.buffer.remove(&(settled + p)) {
                appended.push(bar);
                settled += p;
                self.status.bars_received += 1;
            }
            s.settled = Some(settled);
            if s.gap.is_none() && s.known_closed.is_some_and(|c| c > settled) {
                let start_ms = settled + p;
                let wanted = match s.buffer.first_key_value() {
                    Some((&t, _)) => t - p,
                    None => s.known_closed.unwrap_or(start_ms),
                };
                let end_ms = wanted.min(start_ms + (MAX_GAP_BARS - 1) * p);
                s.gap = Some(Gap::InFlight { start_ms, end_ms });
                out.push(Command::FetchGap {
                    symbol: s.symbol.clone(),
                    start_ms,
                    end_ms,
                });
            }
        }
        if let Some(last) = appended.last() {
            s.last_bar = Some(*last);
            out.push(Command::Append {
                symbol: s.symbol.clone(),
                bars: appended,
            });
        }
    }

    /// The usable bars of a gap answer for series `i` (range `start..=end`),
    /// ascending, or why the answer is refused.
    pub(super) fn check_gap(
        &mut self,
        i: usize,
        start_ms: i64,
        end_ms: i64,
        bars: Vec<ClosedBar>,
    ) -> Result<Vec<ClosedBar>, String> {
        let mut kept: BTreeMap<i64, ClosedBar> = BTreeMap::new();
        for bar in bars {
            if !(start_ms..=end_ms).contains(&bar.open_ms) {
                continue; // a bar after the range may still be forming
            }
            if let Some(problem) = bar.problem(self.interval) {
                return Err(format!("gap bar at {}: {problem}", bar.open_ms));
            }
            kept.entry(bar.open_ms).or_insert(bar);
        }
        let s = &mut self.series[i];
        let have_end = kept.contains_key(&end_ms)
            || s.buffer.contains_key(&end_ms)
            || s.settled.is_some_and(|t| t >= end_ms);
        if !have_end && s.short_answers < MAX_SHORT_ANSWERS {
            s.short_answers += 1;
            return Err(format!("gap answer ends before bar {end_ms}; asking again"));
        }
        Ok(kept.into_values().collect())
    }
}
