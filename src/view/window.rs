//! The results table's virtual window: which rows are drawn for a scroll
//! position (the rows in view plus an overscan each side, at a fixed row
//! height) and the spacer heights above and below that keep the scrollbar
//! true. Pure arithmetic, so 10,000 rows cost the DOM only what is in view.

/// Must match `--row-h` in style.css.
pub const ROW_HEIGHT: f64 = 26.0;
/// Rows drawn beyond each edge of the view, so fast scrolls show no gap.
pub const OVERSCAN: usize = 15;

/// The rows `first..end` of `total` are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub first: usize,
    pub end: usize,
    pub total: usize,
}

impl Window {
    /// The window for a scroller scrolled to `scroll_top` showing
    /// `view_height` pixels of `total` rows.
    pub fn at(scroll_top: f64, view_height: f64, total: usize) -> Window {
        // `as usize` saturates: a negative or NaN offset reads as the top.
        let first = ((scroll_top / ROW_HEIGHT) as usize)
            .saturating_sub(OVERSCAN)
            .min(total);
        let shown = (view_height / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        Window {
            first,
            end: first.saturating_add(shown).min(total),
            total,
        }
    }

    /// Height of the spacer above the drawn rows, in CSS pixels.
    pub fn pad_top(&self) -> f64 {
        self.first as f64 * ROW_HEIGHT
    }

    /// Height of the spacer below the drawn rows, in CSS pixels.
    pub fn pad_bottom(&self) -> f64 {
        (self.total - self.end) as f64 * ROW_HEIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_top_the_view_and_one_overscan_are_drawn() {
        let w = Window::at(0.0, 10.0 * ROW_HEIGHT, 1000);
        assert_eq!(
            w,
            Window {
                first: 0,
                end: 10 + 2 * OVERSCAN,
                total: 1000
            }
        );
        assert_eq!(w.pad_top(), 0.0);
    }

    #[test]
    fn scrolled_down_the_window_starts_an_overscan_above_the_view() {
        let w = Window::at(100.0 * ROW_HEIGHT, 10.0 * ROW_HEIGHT, 1000);
        assert_eq!(w.first, 100 - OVERSCAN);
        assert_eq!(w.end, 100 - OVERSCAN + 10 + 2 * OVERSCAN);
    }

    #[test]
    fn spacers_and_drawn_rows_add_up_to_the_full_height() {
        for (top, height, total) in [
            (0.0, 600.0, 5),
            (5000.0, 600.0, 10_000),
            (1e9, 600.0, 10_000),
        ] {
            let w = Window::at(top, height, total);
            let drawn = (w.end - w.first) as f64 * ROW_HEIGHT;
            assert_eq!(
                w.pad_top() + drawn + w.pad_bottom(),
                total as f64 * ROW_HEIGHT
            );
            assert!(w.first <= w.end && w.end <= total);
        }
    }

    #[test]
    fn no_rows_or_a_nonsense_scroll_offset_draw_nothing_past_the_end() {
        assert_eq!(Window::at(0.0, 600.0, 0), Window::default());
        let w = Window::at(f64::NAN, f64::NAN, 50);
        assert_eq!((w.first, w.total), (0, 50));
        let w = Window::at(-300.0, 600.0, 50);
        assert_eq!(w.first, 0);
    }
}
