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
        let top = (scroll_top / ROW_HEIGHT) as usize;
        let in_view = (view_height / ROW_HEIGHT).ceil() as usize;
        // Near the top there is less than an overscan above the view; the
        // rows below it stay one overscan (drawing the missing ones there
        // too built ~50 rows a scan where ~35 show the same).
        Window {
            first: top.saturating_sub(OVERSCAN).min(total),
            end: top
                .saturating_add(in_view)
                .saturating_add(OVERSCAN)
                .min(total),
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

/// A key that moves the results grid's active row (WAI-ARIA grid pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
}

impl Move {
    /// The move a `KeyboardEvent.key` asks for, if any.
    pub fn from_key(key: &str) -> Option<Move> {
        Some(match key {
            "ArrowDown" => Move::Down,
            "ArrowUp" => Move::Up,
            "PageDown" => Move::PageDown,
            "PageUp" => Move::PageUp,
            "Home" => Move::First,
            "End" => Move::Last,
            _ => return None,
        })
    }

    /// The active position after the move, of `total` rows, `page` rows in
    /// view; `None` with no rows. With no active row yet, any move starts
    /// at the first row (End at the last).
    pub fn apply(self, active: Option<usize>, total: usize, page: usize) -> Option<usize> {
        let last = total.checked_sub(1)?;
        let page = page.max(1);
        let at = match (active.map(|a| a.min(last)), self) {
            (_, Move::Last) => last,
            (None, _) | (_, Move::First) => 0,
            (Some(a), Move::Down) => (a + 1).min(last),
            (Some(a), Move::Up) => a.saturating_sub(1),
            (Some(a), Move::PageDown) => (a + page).min(last),
            (Some(a), Move::PageUp) => a.saturating_sub(page),
        };
        Some(at)
    }
}

/// The scroll offset that brings row `position` fully into a view of
/// `view_height` pixels (below a sticky header of `header` pixels) scrolled
/// to `scroll_top`; `None` when it is in view already.
pub fn scroll_to_show(
    position: usize,
    scroll_top: f64,
    view_height: f64,
    header: f64,
) -> Option<f64> {
    let top = position as f64 * ROW_HEIGHT;
    let bottom = top + ROW_HEIGHT;
    let visible = (view_height - header).max(ROW_HEIGHT);
    if top < scroll_top {
        Some(top)
    } else if bottom > scroll_top + visible {
        Some(bottom - visible)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_the_active_row_within_the_rows() {
        assert_eq!(Move::from_key("ArrowDown"), Some(Move::Down));
        assert_eq!(Move::from_key("a"), None);
        assert_eq!(Move::Down.apply(None, 10, 5), Some(0));
        assert_eq!(Move::Last.apply(None, 10, 5), Some(9));
        assert_eq!(Move::Down.apply(Some(3), 10, 5), Some(4));
        assert_eq!(Move::Down.apply(Some(9), 10, 5), Some(9));
        assert_eq!(Move::Up.apply(Some(0), 10, 5), Some(0));
        assert_eq!(Move::PageDown.apply(Some(7), 10, 5), Some(9));
        assert_eq!(Move::PageUp.apply(Some(7), 10, 5), Some(2));
        assert_eq!(Move::First.apply(Some(7), 10, 5), Some(0));
        assert_eq!(
            Move::Down.apply(Some(0), 0, 5),
            None,
            "no rows, no active row"
        );
        // Rows filtered away under the active one: it is clamped first.
        assert_eq!(Move::Up.apply(Some(50), 10, 5), Some(8));
    }

    #[test]
    fn the_active_row_is_scrolled_into_view_only_when_out_of_it() {
        let h = ROW_HEIGHT;
        // A view of 10 rows under a one-row header.
        assert_eq!(scroll_to_show(3, 0.0, 11.0 * h, h), None);
        assert_eq!(scroll_to_show(10, 0.0, 11.0 * h, h), Some(h));
        assert_eq!(scroll_to_show(2, 5.0 * h, 11.0 * h, h), Some(2.0 * h));
        assert_eq!(scroll_to_show(14, 5.0 * h, 11.0 * h, h), None);
    }

    #[test]
    fn at_the_top_the_view_and_one_overscan_are_drawn() {
        let w = Window::at(0.0, 10.0 * ROW_HEIGHT, 1000);
        assert_eq!(
            w,
            Window {
                first: 0,
                end: 10 + OVERSCAN,
                total: 1000
            }
        );
        assert_eq!(w.pad_top(), 0.0);
        // Scrolled a few rows: what is above them, the view, one overscan.
        let w = Window::at(4.0 * ROW_HEIGHT, 10.0 * ROW_HEIGHT, 1000);
        assert_eq!((w.first, w.end), (0, 4 + 10 + OVERSCAN));
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
