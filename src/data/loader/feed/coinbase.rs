//! Coinbase candles for [`Feed`]: 300-candle pages, newest first; 4h bars
//! built from hourly candles.

use super::*;
use crate::data::formats::coinbase;

impl<T: Transport, C: Clock> Feed<T, C> {
    pub(super) async fn load_coinbase(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let interval = self.interval();
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or_else(|| {
            interval.open_of(now.saturating_sub(COINBASE_HISTORY_BARS * interval.ms()))
        });
        self.coinbase_range(symbol, from, now, from_ms.is_some())
            .await
    }

    /// The interval's bars from `from` to `to` (candles of
    /// [`coinbase::granularity`], newest page first, aggregated when the
    /// interval is not a granularity). A page with no candles means the
    /// product was not listed yet, so older pages are not asked for. No
    /// candles at all is `bars: None` when `part` (a tail or a range of the
    /// series), else an error row.
    pub(super) async fn coinbase_range(
        &self,
        symbol: &str,
        from: i64,
        to: i64,
        part: bool,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(coinbase::BASE);
        let interval = self.interval();
        let granularity = coinbase::granularity(interval);
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        for range in coinbase::page_ranges_at(from, to, granularity)
            .into_iter()
            .rev()
        {
            let url = coinbase::candles_url_at(&base, symbol, range, granularity)
                .map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = coinbase::parse_candles(symbol, &body).map_err(|e| self.parse_error(e))?;
            let empty = page.is_empty();
            pages.push(page);
            if empty {
                break;
            }
        }
        let bars = coinbase::merge_pages(symbol, &pages)
            .and_then(|candles| coinbase::bars_at(symbol, interval, candles));
        match bars {
            Ok(bars) => Ok(Fetched {
                bars: Some(bars),
                bytes,
            }),
            Err(FormatError::Empty { .. }) if part => Ok(Fetched { bars: None, bytes }),
            Err(e) => Err(self.parse_error(e)),
        }
    }
}
