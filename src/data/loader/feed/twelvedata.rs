//! Twelve Data time series for [`Feed`]: one page, the key in a header.

use super::*;
use crate::data::formats::twelvedata;

impl<T: Transport, C: Clock> Feed<T, C> {
    pub(super) async fn load_twelvedata(
        &self,
        symbol: &str,
        from_ms: Option<i64>,
    ) -> Result<Fetched, SymbolError> {
        let base = self.config.base_or(twelvedata::BASE);
        let now = self.clock.now_ms();
        let from = from_ms.unwrap_or(now - HISTORY_DAYS * DAY_MS);
        let (name, value) =
            twelvedata::auth_header(&base, self.config.key()).map_err(|e| self.request_error(e))?;
        let url = twelvedata::time_series_url(&base, symbol, from, now)
            .map_err(|e| self.request_error(e))?;
        let body = self
            .get(&Request::get(url).with_header(name, value))
            .await?;
        match twelvedata::parse_time_series(symbol, &body) {
            Ok(bars) => Ok(whole(bars, &body)),
            Err(FormatError::Empty { .. }) if from_ms.is_some() => Ok(Fetched {
                bars: None,
                bytes: body.len() as u64,
            }),
            Err(e) => Err(self.parse_error(e)),
        }
    }
}
