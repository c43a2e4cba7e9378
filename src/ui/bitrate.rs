//! The live bitrate panel: received bitrate over the last minute, with current and average.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::chart;
use super::format::kbps;
use super::theme::THEME;
use crate::app::Session;

pub fn render(session: &Session, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .title(" Bitrate, last minute ")
        .border_style(THEME.border);
    let inner = block.inner(area);
    block.render(area, buf);
    let [figures, chart] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let spans = vec![
        Span::styled("now ", THEME.dim),
        Span::styled(kbps(session.current_bitrate()), THEME.bitrate),
        Span::styled("  avg ", THEME.dim),
        Span::raw(kbps(session.average_bitrate())),
    ];
    // (The stream's declared rate is in the now-playing panel; it only sets the scale here.)
    let declared = session.stream.as_ref().map_or(0, |s| u64::from(s.bitrate));
    Line::from(spans).render(figures, buf);
    // Scale to the declared rate too, so that a steady stream reads as a level line rather
    // than a full-height block.
    let peak = session.bitrate_history.iter().copied().max().unwrap_or(0);
    chart::render(
        &session.bitrate_history,
        peak.max(declared),
        THEME.bitrate,
        chart,
        buf,
    );
}
