//! The now-playing panel: what the ASF header says about the stream, and where playback is.

use mmsplay_net::url::redact;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::format::{bar, channels, clock, end_reason, secs};
use super::theme::THEME;
use crate::app::{Model, PlayState, Session};

pub fn render(model: &Model, session: &Session, area: Rect, buf: &mut Buffer) {
    let info = session.stream.as_ref();
    let title = match info {
        Some(i) if i.live => " Now playing · live ",
        Some(_) => " Now playing · on demand ",
        None => " Now playing ",
    };
    let block = Block::bordered().title(title).border_style(THEME.border);
    let width = usize::from(block.inner(area).width);
    let mut lines = Vec::new();

    let title = info.and_then(|i| i.title.clone()).filter(|t| !t.is_empty());
    lines.push(Line::styled(
        title.unwrap_or_else(|| redact(&session.target).into_owned()),
        THEME.title,
    ));
    let credits: Vec<String> = info
        .map(|i| {
            let author = i
                .author
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| format!("by {a}"));
            let copyright = i
                .copyright
                .iter()
                .filter(|c| !c.is_empty())
                .map(|c| format!("© {c}"));
            author.chain(copyright).collect()
        })
        .unwrap_or_default();
    if !credits.is_empty() {
        lines.push(Line::raw(credits.join("  ")));
    }
    // The description, and the album, may only be in the extended content description.
    let tag = |name: &str| {
        info.and_then(|i| i.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let description = info
        .and_then(|i| i.description.as_deref())
        .filter(|d| !d.is_empty())
        .or_else(|| tag("Description"));
    if let Some(description) = description {
        lines.push(Line::styled(description.to_string(), THEME.dim));
    }
    if let Some(album) = tag("WM/AlbumTitle") {
        lines.push(Line::styled(format!("album: {album}"), THEME.dim));
    }
    match info {
        Some(i) => {
            // "wmapro · 48.0 kHz · 5.1 · 24-bit · 768 kb/s": the layout by name where the
            // stream gives one, the bit depth where it means something.
            let layout = i
                .channel_layout
                .clone()
                .unwrap_or_else(|| channels(i.channels));
            let depth = i
                .bits_per_sample
                .map(|b| format!(" · {b}-bit"))
                .unwrap_or_default();
            lines.push(Line::raw(format!(
                "{} · {:.1} kHz · {layout}{depth} · {} kb/s{}",
                i.codec,
                f64::from(i.sample_rate) / 1000.0,
                i.bitrate / 1000,
                // The variant and language being played, which `l` and adaptation change.
                i.language
                    .as_deref()
                    .map(|l| format!(" · {l} (stream {})", i.stream_number))
                    .unwrap_or_default(),
            )))
        }
        None => lines.push(Line::styled("waiting for the stream header", THEME.dim)),
    }

    // Elapsed time; for on-demand streams also the duration and a position bar.
    let position = session.stats.position_ms;
    let duration = info
        .filter(|i| !i.live)
        .and_then(|i| i.duration_ms)
        .filter(|d| *d > 0);
    match duration {
        Some(total) => {
            let times = format!("{} / {} ", clock(position), clock(total));
            let bar_width = width.saturating_sub(times.chars().count());
            lines.push(Line::from(vec![
                Span::raw(times),
                Span::styled(
                    bar(position as f64 / total as f64, bar_width),
                    THEME.bitrate,
                ),
            ]));
        }
        None => {
            let live = if info.is_some_and(|i| i.live) {
                "live, "
            } else {
                ""
            };
            lines.push(Line::raw(format!(
                "{} elapsed ({live}no duration)",
                clock(position)
            )))
        }
    }

    let mut status = vec![
        Span::styled("buffer ", THEME.dim),
        Span::raw(secs(session.stats.buffer_ms)),
        Span::styled("  volume ", THEME.dim),
        Span::raw(format!("{:.0}%", model.volume * 100.0)),
    ];
    if model.paused {
        status.push(Span::styled("  ⏸ paused", THEME.warn));
    }
    lines.push(Line::from(status));
    // Where playback stands comes before the details, so a short panel keeps it.
    match &session.state {
        PlayState::Reconnecting { attempt, reason } => lines.push(Line::styled(
            format!("reconnecting ({attempt}): {reason}"),
            THEME.busy,
        )),
        PlayState::Ended(reason) => lines.push(Line::styled(end_reason(*reason), THEME.dim)),
        PlayState::Failed(message) => {
            lines.push(Line::styled(format!("error: {message}"), THEME.bad))
        }
        PlayState::Connecting | PlayState::Playing => {}
    }
    if let Some(t) = session.connected {
        let url = redact(session.connected_url().unwrap_or(&session.target));
        lines.push(Line::from(vec![
            Span::styled("via ", THEME.dim),
            Span::raw(format!("{t}  {url}")),
        ]));
    }
    if let Some(caption) = &session.caption {
        lines.push(Line::styled(caption.clone(), THEME.warn));
    }
    Paragraph::new(lines).block(block).render(area, buf);
}
