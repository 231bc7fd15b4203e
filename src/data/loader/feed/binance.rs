//! Binance klines for [`Feed`]: paged forward for a tail or a time range,
//! back to a depth or the listing start, the main host as a fallback when the
//! data host cannot be reached, and the top USDT pairs by volume.

use super::*;
use crate::data::formats::binance;

impl<T: Transport, C: Clock> Feed<T, C> {
    pub(super) async fn load_binance(
        &self,
        symbol: &str,
        span: Span,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(binance::DATA_API_BASE);
        if base != binance::DATA_API_BASE {
            return self.binance_span(&base, symbol, span).await;
        }
        match self.binance_span(&base, symbol, span).await {
            // The data host unreachable (blocked, down): the main host serves
            // the same klines.
            Err(SymbolError::FetchFailed(Failure::Network(_))) if !self.transport.is_stopped() => {
                self.binance_span(binance::API_BASE, symbol, span).await
            }
            other => other,
        }
    }

    pub(super) async fn binance_span(
        &self,
        base: &str,
        symbol: &str,
        span: Span,
    ) -> Result<Fetched, SymbolError> {
        match span {
            Span::From(from_ms) => self.binance_klines(base, symbol, from_ms).await,
            Span::Back { bars, before_ms } => {
                self.binance_back(base, symbol, bars, before_ms).await
            }
            Span::Between { start, end } => self.binance_between(base, symbol, start, end).await,
        }
    }

    /// The klines opening from `start` to `end` (both included), paged
    /// forward until a short page, the end or [`MAX_PAGES`]. A page with a
    /// kline outside the range is an error (a server ignoring the range).
    pub(super) async fn binance_between(
        &self,
        base: &str,
        symbol: &str,
        start: i64,
        end: i64,
    ) -> Result<Fetched, SymbolError> {
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.start_time = Some(start);
        request.end_time = Some(end);
        self.binance_forward(symbol, request, true).await
    }

    /// The klines from `from_ms` on (a tail, paged forward), or the newest
    /// page when `None` (the history we want: nothing follows it).
    pub(super) async fn binance_klines(
        &self,
        base: &str,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.start_time = from_ms;
        self.binance_forward(symbol, request, from_ms.is_some())
            .await
    }

    /// Asks `request`, then, when `follow` (it has a start time), the pages
    /// after it until a short page, its end time or [`MAX_PAGES`], each
    /// checked to lie within the asked range. An empty page ends a followed
    /// range (nothing newer); the newest page empty is a symbol without bars.
    pub(super) async fn binance_forward(
        &self,
        symbol: &str,
        mut request: binance::KlinesRequest<'_>,
        follow: bool,
    ) -> Result<Fetched, SymbolError> {
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let url = request.url().map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = match binance::parse_klines(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if follow || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            let next = if follow {
                request
                    .check_page(symbol, &page)
                    .map_err(|e| self.parse_error(e))?;
                request.next_page(&page)
            } else {
                None
            };
            pages.push(page);
            match next {
                Some(n) if pages.len() < MAX_PAGES => request = n,
                _ => break,
            }
        }
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }

    /// Pages back from `before_ms` (exclusive; from the newest kline when
    /// `None`), each page asking for what is still missing (at most 1,000),
    /// until `want` bars, a short or empty page (nothing earlier: the listing
    /// start) or [`MAX_PAGES`].
    pub(super) async fn binance_back(
        &self,
        base: &str,
        symbol: &str,
        want: usize,
        before_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let want = want.clamp(1, MAX_PAGES * binance::MAX_LIMIT as usize);
        let mut request = binance::KlinesRequest::at(base, symbol, self.interval());
        request.end_time = before_ms.map(|t| t.saturating_sub(1));
        // Newest first.
        let mut pages: Vec<Bars> = Vec::new();
        let mut have = 0usize;
        let mut bytes = 0u64;
        while have < want && pages.len() < MAX_PAGES {
            request.limit = (want - have).min(binance::MAX_LIMIT as usize) as u32;
            let url = request.url().map_err(|e| self.request_error(e))?;
            let body = self.get(&Request::get(url)).await?;
            bytes += body.len() as u64;
            let page = match binance::parse_klines(symbol, &body) {
                Ok(page) => page,
                // Nothing before the asked end: the listing start. The newest
                // page itself empty is a symbol without bars (an error row).
                Err(FormatError::Empty { .. }) if before_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            request
                .check_page(symbol, &page)
                .map_err(|e| self.parse_error(e))?;
            have += page.len();
            let prev = request.prev_page(&page);
            pages.push(page);
            match prev {
                Some(p) => request = p,
                None => break,
            }
        }
        pages.reverse();
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }

    /// Binance's top `binance_top` USDT pairs by 24-hour quote volume (the
    /// data host, then the main host when the data host fails).
    pub async fn binance_top_pairs(&self) -> Result<Vec<String>, SymbolError> {
        let n = self.config.binance_top.max(1);
        let base = self.config.base_or(binance::DATA_API_BASE);
        let mut bases = vec![base.clone()];
        if base == binance::DATA_API_BASE {
            bases.push(binance::API_BASE.to_string());
        }
        let mut last = SymbolError::NoData;
        for base in bases {
            let url = binance::ticker_24hr_url(&base).map_err(|e| self.request_error(e))?;
            match self.get(&Request::get(url)).await {
                Ok(body) => {
                    return binance::top_usdt_pairs(&body, n)
                        .map(|pairs| pairs.into_iter().map(|t| t.symbol).collect())
                        .map_err(|e| self.parse_error(e));
                }
                Err(SymbolError::Stopped) => return Err(SymbolError::Stopped),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
