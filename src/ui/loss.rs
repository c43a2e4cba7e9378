//! The packet-loss panel: counters, the loss rate over time, underruns.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::chart;
use super::theme::THEME;
use crate::app::Session;

pub fn render(session: &Session, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .title(" Packets ")
        .border_style(THEME.border);
    let inner = block.inner(area);
    block.render(area, buf);
    let [figures, label, chart] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let s = &session.stats;
    let loss = session.loss_percent();
    let loss_style = if s.packets_lost > 0 {
        THEME.loss
    } else {
        THEME.ok
    };
    let underrun_style = if s.underruns > 0 {
        THEME.warn
    } else {
        THEME.ok
    };
    let pair = |a: &'static str, av: String, b: &'static str, bv: String, bstyle| {
        Line::from(vec![
            Span::styled(format!("{a:<10}"), THEME.dim),
            Span::raw(format!("{av:>8}  ")),
            Span::styled(format!("{b:<10}"), THEME.dim),
            Span::styled(format!("{bv:>6}"), bstyle),
        ])
    };
    let lines = vec![
        pair(
            "received",
            s.packets_received.to_string(),
            "lost",
            s.packets_lost.to_string(),
            loss_style,
        ),
        pair(
            "recovered",
            s.packets_recovered.to_string(),
            "late",
            s.packets_late.to_string(),
            THEME.title,
        ),
        pair(
            "loss",
            format!("{loss:.2} %"),
            "underruns",
            s.underruns.to_string(),
            underrun_style,
        ),
        pair(
            "damaged",
            s.packets_bad.to_string(),
            "reconnects",
            s.reconnects.to_string(),
            THEME.title,
        ),
    ];
    Paragraph::new(lines).render(figures, buf);
    let peak = session.loss_history.iter().copied().max().unwrap_or(0);
    Line::from(vec![
        Span::styled("loss per second, peak ", THEME.dim),
        Span::raw(format!("{:.1} %", peak as f64 / 10.0)),
    ])
    .render(label, buf);
    // Scale to at least 10 % so that a trickle of loss shows as small bars, not full ones.
    chart::render(&session.loss_history, peak.max(100), THEME.loss, chart, buf);
}
