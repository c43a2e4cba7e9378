//! Windows over the view: help, text prompts, delete confirmation.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::theme::THEME;
use crate::app::keymap::HELP;
use crate::app::{Model, Overlay};

pub fn render_overlay(model: &Model, area: Rect, buf: &mut Buffer) {
    match &model.overlay {
        None => {}
        Some(Overlay::Help) => {
            let key_width = HELP
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0);
            let mut lines: Vec<Line<'_>> = HELP
                .iter()
                .map(|(keys, what)| {
                    Line::from(vec![
                        Span::styled(format!("{keys:<key_width$}  "), THEME.key),
                        Span::raw(*what),
                    ])
                })
                .collect();
            lines.push(Line::styled("any key closes this window", THEME.dim));
            let height = lines.len() as u16 + 2;
            window(area, 72, height, " Keys ", lines, buf);
        }
        Some(Overlay::Prompt(prompt)) => {
            let shown = if prompt.kind.is_secret() {
                "*".repeat(prompt.text.chars().count())
            } else {
                prompt.text.clone()
            };
            let lines = vec![
                Line::from(vec![Span::raw(shown), Span::styled("▏", THEME.key)]),
                Line::styled("enter: ok   esc: cancel   ctrl-u: clear", THEME.dim),
            ];
            window(
                area,
                64,
                4,
                &format!(" {} ", prompt.kind.label()),
                lines,
                buf,
            );
        }
        Some(Overlay::ConfirmDelete { name }) => {
            let lines = vec![Line::from(vec![
                Span::raw(format!("Delete bookmark {name:?}? ")),
                Span::styled("y", THEME.key),
                Span::raw("/"),
                Span::styled("n", THEME.key),
            ])];
            window(area, 56, 3, " Delete ", lines, buf);
        }
    }
}

/// A bordered window of at most `width` x `height`, centred in `area` and clipped to it.
fn window(
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    lines: Vec<Line<'_>>,
    buf: &mut Buffer,
) {
    let rect = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(title.to_string())
                .border_style(THEME.key),
        )
        .render(rect, buf);
}
