//! The bookmarks browser.

use mmsplay_net::url::redact;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use super::theme::THEME;
use crate::app::Model;
use crate::bookmarks::short_datetime;

pub fn render(model: &Model, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .title(" Bookmarks ")
        .border_style(THEME.border);
    let inner = block.inner(area);
    block.render(area, buf);
    let error_rows = if model.bookmarks_error.is_some() {
        3
    } else {
        0
    };
    let [error_area, list_area] =
        Layout::vertical([Constraint::Length(error_rows), Constraint::Min(0)]).areas(inner);
    if let Some(error) = &model.bookmarks_error {
        Paragraph::new(error.as_str())
            .style(THEME.bad)
            .wrap(Wrap { trim: true })
            .render(error_area, buf);
    }
    if model.bookmarks.is_empty() {
        let hint = if model.bookmarks_error.is_some() {
            "The bookmarks file has an error (above); fix it and restart mmsplay."
        } else {
            "No bookmarks yet: press a to add one, or o to play a URL."
        };
        Paragraph::new(Line::styled(hint, THEME.dim))
            .wrap(Wrap { trim: true })
            .render(list_area, buf);
        return;
    }
    // The table cuts long URLs; the selected one is spelled out in full on the last line.
    let detail_rows = if list_area.height >= 4 { 1 } else { 0 };
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(detail_rows)]).areas(list_area);
    if let Some(b) = model.selected_bookmark() {
        Line::from(vec![
            Span::styled("→ ", THEME.key),
            Span::raw(redact(&b.url)),
        ])
        .render(detail_area, buf);
    }
    let header = Row::new(["Name", "URL", "Worked", "Last played"]).style(THEME.dim);
    let rows = model.bookmarks.iter().map(|b| {
        Row::new([
            b.name.clone(),
            redact(&b.url).into_owned(),
            b.last_transport
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            b.last_played
                .as_ref()
                .map(short_datetime)
                .unwrap_or_else(|| "never".into()),
        ])
    });
    let widths = [
        Constraint::Fill(2),
        Constraint::Fill(3),
        Constraint::Length(6),
        Constraint::Length(16),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(THEME.selected);
    let mut state = TableState::default().with_selected(Some(model.selected));
    StatefulWidget::render(table, list_area, buf, &mut state);
}
