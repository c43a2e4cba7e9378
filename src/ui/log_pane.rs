//! The log: the connection's events, newest at the bottom.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::format::clock;
use super::theme::THEME;
use crate::app::Model;

pub fn render(model: &Model, area: Rect, buf: &mut Buffer, title: &str) {
    let block = Block::bordered()
        .title(format!(" {title} "))
        .border_style(THEME.border);
    let rows = usize::from(block.inner(area).height);
    // The last `rows` lines before the scroll position (which counts back from the newest).
    let end = model.log.len().saturating_sub(model.log_scroll);
    let start = end.saturating_sub(rows);
    let lines: Vec<Line<'_>> = model
        .log
        .range(start..end)
        .map(|l| {
            let style = match l.level.as_str() {
                "error" => THEME.bad,
                "warn" => THEME.warn,
                "debug" | "trace" => THEME.dim,
                _ => ratatui::style::Style::new(),
            };
            Line::from(vec![
                Span::styled(format!("{:>6} ", clock(l.at_ms)), THEME.dim),
                Span::styled(l.message.clone(), style),
            ])
        })
        .collect();
    Paragraph::new(lines).block(block).render(area, buf);
}
