//! The runner's side of the scan history (`web::learn`): before fetching,
//! the symbols put in the job's order and the run predicted; once it is
//! over, the run recorded (margins first, off the page). A child of the
//! runner so it reads the scan's state directly.

use std::sync::Arc;

use crate::data::loader::LoadPlan;
use crate::engine::lang::Scan;
use crate::engine::run::ProgressSnapshot;

use super::super::learn::{self, CacheView, Ended, Pending};
use super::super::store::BarStore;
use super::super::time::{epoch_ms, now_ms};
use super::{Finished, ScanJob, State};

impl State {
    pub(super) fn symbols_used(&self, symbols: Arc<Vec<String>>) {
        self.symbols.replace(Some(symbols));
    }
}

/// Puts the symbols in the job's order and predicts the run (`web::learn`),
/// leaving what the history will be told in `st.pending`.
pub(super) async fn plan_run(
    job: &ScanJob,
    scan: &Scan,
    symbols: Vec<String>,
    store: &BarStore,
    st: &State,
) -> Vec<String> {
    let fp = learn::fingerprint(&scan.display(), job.source, &job.config);
    let plan = LoadPlan::for_scan(job.source, &job.config, job.lookback);
    let view = if job.source.is_fetched() {
        CacheView::of_store(store, &plan, &symbols, epoch_ms() as i64)
    } else {
        CacheView::local(symbols.len())
    };
    let (features, prediction, scan_history) = st.history.with(|h| {
        let features = learn::features(
            &view,
            job.source,
            &job.config,
            scan.indicator_count(),
            st.threads,
            job.lookback,
            learn::typical_bars(h, fp),
        );
        let prediction = learn::predict(h, fp, &features, &symbols);
        (features, prediction, h.scan(fp).cloned())
    });
    let seed = (epoch_ms() as u64).rotate_left(17) ^ st.scan_id;
    let order = learn::fetch_order(
        job.order,
        scan_history.as_ref(),
        &symbols,
        &view,
        store,
        &plan,
        &job.expr,
        job.settings,
        job.lookback,
        seed,
    )
    .await;
    st.pending.replace(Some(Pending {
        fp,
        order: job.order,
        features,
        prediction,
        started_epoch_ms: (epoch_ms() - (now_ms() - st.started_ms)) as i64,
    }));
    let mut by_position: Vec<Option<String>> = symbols.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| by_position.get_mut(i)?.take())
        .collect()
}

/// Tells the history how the run went (margins first, off the page), in
/// the background: the page has already shown the run as finished.
pub(super) fn record_run(state: &State, finished: &Finished, progress: ProgressSnapshot) {
    let Some(pending) = state.pending.borrow_mut().take() else {
        return;
    };
    let Some(symbols) = state.symbols.borrow().clone() else {
        return;
    };
    let ended = Ended {
        reason: finished.reason,
        duration_ms: finished.total_ms,
        matches: finished.rows,
        first_match_ms: finished.first_match_ms,
        tenth_match_ms: finished.tenth_match_ms,
        progress,
        outcomes: state.shared.progress.outcomes(),
        ratings: state.ratings.take(),
        fetch_ms: state.fetch_ms.take(),
    };
    let slots = state.slots.borrow().clone();
    let history = state.history.clone();
    let (expr, settings, lookback) = (state.expr.clone(), state.settings, state.lookback);
    wasm_bindgen_futures::spawn_local(async move {
        let margins = match slots {
            Some(slots) => {
                learn::margins(
                    &expr,
                    symbols.clone(),
                    slots,
                    &ended.outcomes,
                    settings,
                    lookback,
                )
                .await
            }
            None => Vec::new(),
        };
        history.update(|h| learn::record(h, &pending, &ended, &symbols, &margins));
    });
}
