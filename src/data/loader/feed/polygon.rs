//! Polygon aggregates for [`Feed`]: `next_url` paging, on the configured
//! base's origin only.

use super::*;
use crate::data::formats::polygon;

impl<T: Transport, C: Clock> Feed<T, C> {
    pub(super) async fn load_polygon(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(polygon::BASE);
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or(now - POLYGON_HISTORY_DAYS * DAY_MS);
        let (name, value) =
            polygon::auth_header(&base, self.config.key()).map_err(|e| self.request_error(e))?;
        let mut url =
            polygon::aggregates_url(&base, symbol, from, now).map_err(|e| self.request_error(e))?;
        let mut pages = Vec::new();
        let mut bytes = 0u64;
        loop {
            let body = self
                .get(&Request::get(url.clone()).with_header(name, value.clone()))
                .await?;
            bytes += body.len() as u64;
            let page = match polygon::parse_aggregates(symbol, &body) {
                Ok(page) => page,
                Err(FormatError::Empty { .. }) if from_ms.is_some() || !pages.is_empty() => break,
                Err(e) => return Err(self.parse_error(e)),
            };
            pages.push(page.bars);
            match page.next_url {
                Some(next) if pages.len() < MAX_PAGES => {
                    // The server names the next page; the key goes with it
                    // only to the base the user configured.
                    url =
                        polygon::next_page_url(&base, &next).map_err(|e| self.request_error(e))?;
                }
                _ => break,
            }
        }
        Ok(Fetched {
            bars: concat(symbol, pages)?,
            bytes,
        })
    }
}
