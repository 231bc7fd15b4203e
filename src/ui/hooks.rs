//! The page's outside hooks: `window.__technicLastScan` for tests and outside
//! checks, and this device's past throughput in localStorage (seeds the ETA).
//! Everything here is best effort: a browser that refuses storage or a
//! property set only loses the hook, never the scan.

use std::collections::BTreeMap;

use wasm_bindgen::JsValue;

use crate::web::runner::Finished;

use super::stored;

/// localStorage key of the past throughput: a JSON map source → symbols/s.
const THROUGHPUT_KEY: &str = "technic.throughput";

/// Sets `window.__technicLastScan = {scanId, firstRowMs, totalMs, rows,
/// symbols, threads, stopped, reason, computeMs, firstMatchMs, tenthMatchMs,
/// order, predictedMs, predictedMatches}` (milliseconds from the Run click;
/// `computeMs` is the engine's own time on the workers; the match times are
/// null with fewer matches, the predictions null with no history).
pub fn publish_last_scan(scan_id: u64, finished: &Finished) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let report = js_sys::Object::new();
    let number = |v: Option<f64>| v.map_or(JsValue::NULL, JsValue::from_f64);
    let prediction = finished.prediction.as_ref();
    let fields: [(&str, JsValue); 14] = [
        ("scanId", JsValue::from_f64(scan_id as f64)),
        (
            "firstRowMs",
            finished
                .first_row_ms
                .map_or(JsValue::NULL, JsValue::from_f64),
        ),
        ("totalMs", JsValue::from_f64(finished.total_ms)),
        (
            "computeMs",
            finished.compute_ms.map_or(JsValue::NULL, JsValue::from_f64),
        ),
        ("rows", JsValue::from_f64(finished.rows as f64)),
        ("symbols", JsValue::from_f64(finished.symbols as f64)),
        ("threads", JsValue::from_f64(finished.threads as f64)),
        ("stopped", JsValue::from_bool(finished.stopped)),
        ("reason", JsValue::from_str(finished.reason.label())),
        ("firstMatchMs", number(finished.first_match_ms)),
        ("tenthMatchMs", number(finished.tenth_match_ms)),
        ("order", JsValue::from_str(finished.order.name())),
        (
            "predictedMs",
            number(prediction.and_then(|p| p.duration_ms)),
        ),
        (
            "predictedMatches",
            number(prediction.and_then(|p| p.matches)),
        ),
    ];
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&report, &JsValue::from_str(name), &value);
    }
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("__technicLastScan"), &report);
}

/// Symbols per second this device reached on `source` before, if known.
pub fn past_throughput(source: &str) -> Option<f64> {
    stored::read::<BTreeMap<String, f64>>(THROUGHPUT_KEY)?
        .get(source)
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
}

/// Remembers a measured rate, blended with the past one so a single odd scan
/// (a cold cache, a busy machine) does not swing the next ETA.
pub fn record_throughput(source: &str, symbols_per_sec: f64) {
    if !symbols_per_sec.is_finite() || symbols_per_sec <= 0.0 {
        return;
    }
    let mut rates: BTreeMap<String, f64> = stored::read(THROUGHPUT_KEY).unwrap_or_default();
    let blended = rates
        .get(source)
        .map_or(symbols_per_sec, |old| 0.5 * old + 0.5 * symbols_per_sec);
    rates.insert(source.to_string(), blended);
    stored::write(THROUGHPUT_KEY, &rates);
}
