//! The page's pure logic, compiled and tested natively: number and text
//! formatting, the table's columns, sort, filter, row keys and virtual
//! window, the form's field parsing, the universe filters, the CSV export,
//! presets and per-service base URLs. The Leptos components in `ui` call
//! these; nothing here imports a browser crate or Leptos.

pub mod backtest;
pub mod backtest_chart;
pub mod bases;
pub mod columns;
pub mod detail;
pub mod export;
pub mod fields;
pub mod format;
pub mod live;
pub mod prediction;
pub mod presets;
pub mod saved;
pub mod share;
pub mod universe;
pub mod window;

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests {
    /// Symbol names, file names and server messages reach the page as text
    /// nodes and attributes through `view!` (escaped by construction). This
    /// keeps it so: no file of the page may write HTML from a string.
    #[test]
    fn no_page_file_renders_a_string_as_html() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["src/ui", "src/view", "src/web", "www"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let is_code = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("rs" | "js" | "html")
                );
                if !is_code || path.ends_with("src/view/mod.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for needle in [
                    "inner_html",
                    "innerHTML",
                    "outerHTML",
                    "insertAdjacentHTML",
                    "document.write",
                ] {
                    assert!(!text.contains(needle), "{} uses {needle}", path.display());
                }
                checked += 1;
            }
        }
        assert!(checked > 10, "only {checked} files checked: wrong root?");
    }
}
