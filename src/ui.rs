//! The view: a pure function of `&Model` that draws one frame.
//!
//! Each panel has its own module and draws into the area it is given, whatever its size: a
//! panel that gets too little room shows less, never panics. Nothing here reads a clock, a file
//! or a channel; time comes from `Model::now_ms`.

mod bitrate;
mod bookmarks;
mod chart;
mod format;
mod help;
mod log_pane;
mod loss;
mod now_playing;
mod rollover;
pub mod theme;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{Model, PlayState, View};
use theme::THEME;

use format::kbps;

/// Below this size the full layout cannot fit; a three-line summary is drawn instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Draws the whole screen.
pub fn view(model: &Model, frame: &mut Frame<'_>) {
    render(model, frame.area(), frame.buffer_mut());
}

/// Draws the whole screen into `buf` (what `view` does, usable without a `Frame`).
pub fn render(model: &Model, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_tiny(model, area, buf);
        help::render_overlay(model, area, buf);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(model, header, buf);
    match model.view {
        View::Player => render_player(model, body, buf),
        View::Bookmarks => bookmarks::render(model, body, buf),
        View::Log => log_pane::render(model, body, buf, "Log (j/k scroll)"),
    }
    render_footer(model, footer, buf);
    help::render_overlay(model, area, buf);
}

/// The player view: rollover and bitrate on top, now playing and packet loss below, then the
/// last log lines.
fn render_player(model: &Model, area: Rect, buf: &mut Buffer) {
    let Some(session) = &model.session else {
        Paragraph::new(
            "Nothing is playing. Press 2 for the bookmarks, or start mmsplay with a URL.",
        )
        .style(THEME.dim)
        .render(area, buf);
        return;
    };
    // Rollover needs one row per step plus borders. Below it, now playing and packets want 11
    // rows (8 still shows every figure); the log pane gets what is left, and is the first thing
    // dropped when the terminal is short (the log view still has it all).
    let ladder_rows = (session.steps.len().max(1) as u16 + 2).min(7);
    let (middle_rows, log_rows) = match area.height.saturating_sub(ladder_rows) {
        h if h >= 11 + 3 => (11, h - 11),
        h => (h, 0),
    };
    let [top, middle, log] = Layout::vertical([
        Constraint::Length(ladder_rows),
        Constraint::Length(middle_rows),
        Constraint::Length(log_rows),
    ])
    .areas(area);
    // The rollover gets the wider half: failure reasons are its point.
    let [rollover_area, bitrate_area] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let [playing_area, loss_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle);
    let last_worked = session
        .bookmark
        .as_ref()
        .and_then(|name| model.bookmarks.iter().find(|b| &b.name == name))
        .and_then(|b| b.last_transport);
    rollover::render(session, model.now_ms, last_worked, rollover_area, buf);
    bitrate::render(session, bitrate_area, buf);
    now_playing::render(model, session, playing_area, buf);
    loss::render(session, loss_area, buf);
    if !log.is_empty() {
        log_pane::render(model, log, buf, "Log");
    }
}

fn render_header(model: &Model, area: Rect, buf: &mut Buffer) {
    let mut spans = vec![Span::styled(" mmsplay ", THEME.title)];
    for (view, label) in [
        (View::Player, "1 Player"),
        (View::Bookmarks, "2 Bookmarks"),
        (View::Log, "3 Log"),
    ] {
        let style = if model.view == view {
            THEME.tab_active
        } else {
            THEME.dim
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {label} "), style));
    }
    if let Some(session) = &model.session {
        spans.push(Span::raw("  "));
        spans.push(state_span(model, session));
    }
    Line::from(spans).render(area, buf);
}

/// A short, coloured word for where playback stands.
fn state_span(model: &Model, session: &crate::app::Session) -> Span<'static> {
    match &session.state {
        PlayState::Connecting => Span::styled("connecting…", THEME.busy),
        PlayState::Playing if model.paused => Span::styled("⏸ paused", THEME.warn),
        PlayState::Playing => Span::styled("▶ playing", THEME.ok),
        PlayState::Reconnecting { attempt, .. } => {
            Span::styled(format!("reconnecting ({attempt})…"), THEME.busy)
        }
        PlayState::Ended(reason) => {
            Span::styled(format!("■ {}", format::end_reason(*reason)), THEME.dim)
        }
        PlayState::Failed(_) => Span::styled("✘ failed", THEME.bad),
    }
}

fn render_footer(model: &Model, area: Rect, buf: &mut Buffer) {
    if let Some(status) = &model.status {
        Line::styled(format!(" {status}"), THEME.warn).render(area, buf);
        return;
    }
    let keys: &[(&str, &str)] = match model.view {
        View::Player => &[
            ("space", "pause"),
            ("+/-", "volume"),
            ("a", "bookmark"),
            ("tab", "views"),
            ("?", "help"),
            ("q", "quit"),
        ],
        View::Bookmarks => &[
            ("enter", "play"),
            ("o", "open"),
            ("a", "add"),
            ("r", "rename"),
            ("d", "delete"),
            ("tab", "views"),
            ("?", "help"),
            ("q", "quit"),
        ],
        View::Log => &[
            ("j/k", "scroll"),
            ("tab", "views"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(format!(" {key}"), THEME.key));
        spans.push(Span::styled(format!(" {what} "), THEME.dim));
    }
    Line::from(spans).render(area, buf);
}

/// For terminals too small for panels: the state and the connected transport on one line, and
/// the help hint if there is room.
fn render_tiny(model: &Model, area: Rect, buf: &mut Buffer) {
    let lines = match &model.session {
        Some(s) => vec![
            Line::from(state_span(model, s)),
            Line::raw(format!(
                "{} {}",
                s.connected.map(|t| t.as_str()).unwrap_or("-"),
                kbps(s.current_bitrate())
            )),
            Line::styled("(terminal too small)", THEME.dim),
        ],
        None => vec![
            Line::raw(format!("{} bookmarks", model.bookmarks.len())),
            Line::styled("(terminal too small)", THEME.dim),
        ],
    };
    Paragraph::new(lines).render(area, buf);
}
