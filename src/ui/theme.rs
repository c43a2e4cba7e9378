//! Colours and glyphs in one place.

use ratatui::style::{Color, Modifier, Style};

pub struct Theme {
    pub title: Style,
    pub border: Style,
    pub dim: Style,
    pub key: Style,
    pub ok: Style,
    pub bad: Style,
    pub busy: Style,
    pub warn: Style,
    pub selected: Style,
    pub bitrate: Style,
    pub loss: Style,
    pub tab_active: Style,
}

pub const THEME: Theme = Theme {
    title: Style::new().add_modifier(Modifier::BOLD),
    border: Style::new().fg(Color::DarkGray),
    dim: Style::new().fg(Color::DarkGray),
    key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ok: Style::new().fg(Color::Green),
    bad: Style::new().fg(Color::Red),
    busy: Style::new().fg(Color::Yellow),
    warn: Style::new().fg(Color::Yellow),
    selected: Style::new().add_modifier(Modifier::REVERSED),
    bitrate: Style::new().fg(Color::Cyan),
    loss: Style::new().fg(Color::Red),
    tab_active: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
};

/// Frames of the "trying" spinner.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
pub const GLYPH_OK: &str = "✔";
pub const GLYPH_FAILED: &str = "✘";
pub const GLYPH_WAITING: &str = "·";
pub const GLYPH_DROPPED: &str = "–";
