//! See main.rs for what this module covers.

use crate::common::{all_series, assert_oracle};
use ta_lib::Core;
use technic::engine::indicators as ind;

#[test]
fn sma_matches_ta_lib() {
    let core = Core::new();
    for s in all_series() {
        for period in [2, 5, 20, 50, 200] {
            let mut ours = vec![0.0; s.len()];
            ind::sma(&s.close, period, &mut ours);
            let mut theirs = vec![0.0; s.len()];
            let r = core
                .sma(0, s.len() - 1, &s.close, period as i32, &mut theirs)
                .unwrap();
            assert_eq!(
                ind::sma_lookback(period),
                core.sma_lookback(period as i32).unwrap() as usize
            );
            assert_oracle(
                &format!("sma({period}) on {}", s.name),
                &ours,
                &theirs,
                r.beg_idx,
                r.count,
            );
        }
    }
}
