//! The rollover panel: one row per step of the ladder, in order, with its state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::format::{fit, secs};
use super::theme::{GLYPH_DROPPED, GLYPH_FAILED, GLYPH_OK, GLYPH_WAITING, SPINNER, THEME};
use crate::app::{Session, StepState};
use crate::events::Transport;

/// `last_worked` is the transport that worked the last time this bookmark played: the ladder
/// marks it, so that a user sees where the rollover is heading.
pub fn render(
    session: &Session,
    now_ms: u64,
    last_worked: Option<Transport>,
    area: Rect,
    buf: &mut Buffer,
) {
    let title = match session.connected {
        Some(t) => format!(" Rollover → {t} "),
        None => " Rollover ".to_string(),
    };
    let block = Block::bordered().title(title).border_style(THEME.border);
    let width = usize::from(block.inner(area).width);
    let lines: Vec<Line<'_>> = if session.steps.is_empty() {
        vec![Line::styled("waiting for the player", THEME.dim)]
    } else {
        session
            .steps
            .iter()
            .map(|step| {
                let mut line = step_line(step.transport.as_str(), &step.state, now_ms, width);
                let pending = matches!(step.state, StepState::Waiting | StepState::Trying { .. });
                if pending && last_worked == Some(step.transport) {
                    line.push_span(Span::styled(" (worked last time)", THEME.ok));
                }
                line
            })
            .collect()
    };
    Paragraph::new(lines).block(block).render(area, buf);
}

/// `✘ rtspu  failed: timed out · 3.0 s`, `⠋ rtspt  trying… 1.2 s`, `✔ mmst   connected in 0.4 s`,
/// cut with `…` to `width` columns.
pub fn step_line<'a>(name: &'a str, state: &StepState, now_ms: u64, width: usize) -> Line<'a> {
    let (glyph, style, text) = match state {
        StepState::Waiting => (GLYPH_WAITING, THEME.dim, "waiting".to_string()),
        StepState::Trying { since_ms } => {
            let elapsed = now_ms.saturating_sub(*since_ms);
            let frame = SPINNER[(now_ms / 100) as usize % SPINNER.len()];
            (frame, THEME.busy, format!("trying… {}", secs(elapsed)))
        }
        // The reason before the time: in a narrow panel it matters more (and the log has the
        // whole line).
        StepState::Failed { reason, after_ms } => (
            GLYPH_FAILED,
            THEME.bad,
            format!("failed: {reason} · {}", secs(*after_ms)),
        ),
        StepState::Dropped { reason } => (GLYPH_DROPPED, THEME.dim, reason.clone()),
        StepState::Connected { after_ms } => (
            GLYPH_OK,
            THEME.ok,
            format!("connected in {}", secs(*after_ms)),
        ),
    };
    Line::from(vec![
        Span::styled(format!("{glyph} "), style),
        Span::styled(format!("{name:<6} "), THEME.title),
        // Glyph, space, name padded to 6, space: 9 columns before the text.
        Span::styled(fit(&text, width.saturating_sub(9)), style),
    ])
}
