//! Scan presets: the classic setups as expressions, and the picker that loads
//! one into the editor. Only text here; the editor validates it like any edit.

use leptos::prelude::*;

use super::state::use_scan_state;

/// A named scan with its display columns (`;`-separated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    pub expr: &'static str,
    pub columns: &'static str,
}

pub const PRESETS: [Preset; 6] = [
    Preset {
        id: "above-sma50",
        name: "Above the 50-day average",
        expr: "close > sma(close, 50)",
        columns: "sma(close, 50); rsi(14)",
    },
    Preset {
        id: "technic-long",
        name: "Technic Long / Strong Long signals",
        expr: "signal >= 1",
        columns: "",
    },
    Preset {
        id: "golden-cross",
        name: "Golden cross (50 over 200)",
        expr: "sma(close, 50) crosses above sma(close, 200)",
        columns: "sma(close, 50); sma(close, 200)",
    },
    Preset {
        id: "rsi-oversold-uptrend",
        name: "RSI oversold in an uptrend",
        expr: "close > sma(close, 200) and rsi(14) < 30",
        columns: "sma(close, 200)",
    },
    Preset {
        id: "breakout-volume",
        name: "20-day breakout on 2× volume",
        expr: "close > highest(high, 20)[1] and volume > 2 * avg(volume, 20)",
        columns: "highest(high, 20)[1]; volume / avg(volume, 20)",
    },
    Preset {
        id: "bollinger-bounce",
        name: "Bollinger lower-band bounce",
        expr: "close[1] < bb_lower(20, 2)[1] and close > bb_lower(20, 2)",
        columns: "bb_lower(20, 2)",
    },
];

/// Loaded on start: it matches rows on the bundled sample.
pub const DEFAULT_PRESET: Preset = PRESETS[0];

/// A select of presets; choosing one replaces the expression and columns.
#[component]
pub fn Presets() -> impl IntoView {
    let state = use_scan_state();
    let form = state.form;
    // Shows the preset whose text is in the editor, or "custom" once edited.
    let current = move || {
        let expr = form.expr.read();
        PRESETS
            .iter()
            .find(|p| p.expr == expr.as_str())
            .map_or("", |p| p.id)
    };
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        if let Some(p) = PRESETS.iter().find(|p| p.id == id) {
            form.expr.set(p.expr.to_string());
            form.columns.set(p.columns.to_string());
        }
    };
    view! {
        <label class="field preset">
            <span>"Preset"</span>
            <select data-testid="preset" on:change=on_change>
                <option value="" prop:selected=move || current().is_empty()>
                    "Custom scan"
                </option>
                {PRESETS
                    .iter()
                    .map(|p| {
                        let id = p.id;
                        view! {
                            <option value=id prop:selected=move || current() == id>
                                {p.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
