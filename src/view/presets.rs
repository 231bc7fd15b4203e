//! Scan presets: the classic setups as expressions with their display
//! columns. Data only; the page's picker (`ui::presets`) loads one into the
//! editor, which validates it like any edit.

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

/// The preset whose expression is `expr`, if any (the picker shows it as
/// chosen; an edited expression is a custom scan).
pub fn preset_of(expr: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.expr == expr)
}

/// The preset with option value `id`.
pub fn preset_by_id(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lang::Scan;
    use crate::view::fields::column_list;

    #[test]
    fn every_preset_compiles_with_its_columns() {
        for p in PRESETS {
            let compiled = Scan::compile(p.expr, &column_list(p.columns));
            assert!(compiled.is_ok(), "{}: {:?}", p.id, compiled.err());
        }
    }

    #[test]
    fn preset_ids_and_expressions_are_unique() {
        for (i, a) in PRESETS.iter().enumerate() {
            for b in &PRESETS[i + 1..] {
                assert_ne!(a.id, b.id);
                assert_ne!(a.expr, b.expr);
            }
        }
    }

    #[test]
    fn a_preset_is_found_by_its_expression_or_its_id() {
        assert_eq!(preset_of(DEFAULT_PRESET.expr), Some(&PRESETS[0]));
        assert_eq!(preset_of("close > 1"), None);
        assert_eq!(
            preset_by_id("golden-cross").map(|p| p.id),
            Some("golden-cross")
        );
        assert_eq!(preset_by_id(""), None);
    }
}
