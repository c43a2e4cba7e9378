//! A sparkline of a one-minute history that always shows the whole minute: newest sample at
//! the right edge, and samples averaged in pairs (or more) when the panel is narrower than the
//! history.

use std::collections::VecDeque;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{RenderDirection, Sparkline, Widget};

pub fn render(history: &VecDeque<u64>, max: u64, style: Style, area: Rect, buf: &mut Buffer) {
    let bars = bucket_newest_first(history, usize::from(area.width));
    // Right to left: the first bar (the newest) is drawn at the right edge.
    Sparkline::default()
        .data(bars)
        .max(max.max(1))
        .direction(RenderDirection::RightToLeft)
        .style(style)
        .render(area, buf);
}

/// Averages `history` (oldest first) into at most `width` bars, newest first.
pub fn bucket_newest_first(history: &VecDeque<u64>, width: usize) -> Vec<u64> {
    if width == 0 || history.is_empty() {
        return Vec::new();
    }
    let per_bar = history.len().div_ceil(width);
    let newest: Vec<u64> = history.iter().rev().copied().collect();
    newest
        .chunks(per_bar)
        .map(|c| c.iter().sum::<u64>() / c.len() as u64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_bucketing() {
        let h: VecDeque<u64> = (1..=6).collect();
        assert_eq!(bucket_newest_first(&h, 10), vec![6, 5, 4, 3, 2, 1]);
        assert_eq!(bucket_newest_first(&h, 3), vec![5, 3, 1]); // (6+5)/2, (4+3)/2, (2+1)/2
        assert_eq!(bucket_newest_first(&h, 4), vec![5, 3, 1]);
        assert!(bucket_newest_first(&h, 0).is_empty());
    }
}
