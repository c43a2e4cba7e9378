//! `--headless`: play without a TUI, printing events as JSON lines (`--events json`) on stdout
//! or as a human log on stderr.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use crate::audio::AudioControl;
use crate::events::{PlayerEvent, UiCommand};
use crate::player::SeekRequests;
use crate::playlist::{PlaylistNav, Step};
use crate::remote::{Playback, RemoteCommand, RemoteState, player_volume};

/// Prints events until the channel closes.
pub async fn print_events(mut rx: mpsc::Receiver<PlayerEvent>, json: bool, started: Instant) {
    while let Some(ev) = rx.recv().await {
        let t_ms = started.elapsed().as_millis() as u64;
        if json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", ev.to_json_line(t_ms));
            let _ = out.flush();
        }
        // The human log goes to stderr in both modes; the final error line is main's.
        if let Some(line) = human_line(&ev).filter(|_| !matches!(ev, PlayerEvent::Error { .. })) {
            eprintln!("{line}");
        }
    }
}

/// One line for a person reading stderr; `None` for events not worth a line.
pub fn human_line(ev: &PlayerEvent) -> Option<String> {
    Some(match ev {
        PlayerEvent::Attempt { transport, url } => format!("trying {transport}: {url}"),
        PlayerEvent::AttemptFailed { transport, reason } => format!("{transport} failed: {reason}"),
        PlayerEvent::Connected { transport } => format!("connected over {transport}"),
        PlayerEvent::Stream(s) => {
            let mut line = format!(
                "playing {} {} Hz {} ch {} kb/s{}",
                s.codec,
                s.sample_rate,
                s.channels,
                s.bitrate / 1000,
                if s.live { " (live)" } else { "" }
            );
            if let Some(t) = &s.title {
                line.push_str(&format!(" — {t}"));
            }
            if let Some(a) = &s.author {
                line.push_str(&format!(" by {a}"));
            }
            line
        }
        PlayerEvent::FirstAudio => "audio started".into(),
        PlayerEvent::StreamSwitch { .. } => crate::app::switch_line(ev),
        PlayerEvent::Seek { position_ms } => {
            format!("playing from {:.3} s", *position_ms as f64 / 1000.0)
        }
        PlayerEvent::Stats(_) => return None,
        PlayerEvent::Script { kind, text } => format!("{kind}: {text}"),
        PlayerEvent::Reconnect { attempt, reason } => format!("reconnecting ({attempt}): {reason}"),
        PlayerEvent::Log { level, message } => format!("{level}: {message}"),
        PlayerEvent::Entry { .. } => crate::app::entry_line(ev),
        PlayerEvent::End { reason } => format!("end ({reason:?})").to_lowercase(),
        PlayerEvent::Error { message } => format!("error: {message}"),
        // The error line that follows says what to do.
        PlayerEvent::CredentialsNeeded { .. } => return None,
    })
}

/// Carries out remote controllers' commands while playing headless: pause and resume, volume,
/// seeks, next and previous playlist entry, and stop (which ends the playback like SIGINT does).
pub async fn follow_remote(
    mut commands: mpsc::UnboundedReceiver<RemoteCommand>,
    state: watch::Sender<RemoteState>,
    control: Arc<AudioControl>,
    (nav, seek): (PlaylistNav, Arc<SeekRequests>),
    stop: Arc<watch::Sender<bool>>,
) {
    while let Some(command) = commands.recv().await {
        let (playback, can_go_next, can_go_previous, can_seek) = {
            let s = state.borrow();
            (
                s.playback,
                s.can_go_next(),
                s.can_go_previous(),
                s.can_seek(),
            )
        };
        let command = match command {
            RemoteCommand::PlayPause if playback != Playback::Stopped => {
                UiCommand::SetPaused(playback == Playback::Playing)
            }
            RemoteCommand::Play if playback == Playback::Paused => UiCommand::SetPaused(false),
            RemoteCommand::Pause if playback == Playback::Playing => UiCommand::SetPaused(true),
            RemoteCommand::SetVolume(v) => UiCommand::SetVolume(player_volume(v)),
            RemoteCommand::Stop | RemoteCommand::Quit => {
                let _ = stop.send(true);
                continue;
            }
            // MPRIS: without such an entry, Next and Previous do nothing.
            RemoteCommand::Next if can_go_next => {
                nav.request(Step::Next);
                continue;
            }
            RemoteCommand::Previous if can_go_previous => {
                nav.request(Step::Previous);
                continue;
            }
            // The playback says in its log why a seek cannot be done (a live stream).
            RemoteCommand::Seek(by_ms) if can_seek => {
                seek.request(by_ms);
                continue;
            }
            RemoteCommand::SetPosition(ms) if can_seek => {
                seek.request_at(ms);
                continue;
            }
            RemoteCommand::PlayPause
            | RemoteCommand::Play
            | RemoteCommand::Pause
            | RemoteCommand::Next
            | RemoteCommand::Previous
            | RemoteCommand::Seek(_)
            | RemoteCommand::SetPosition(_) => continue,
        };
        match command {
            UiCommand::SetPaused(paused) => control.set_paused(paused),
            UiCommand::SetVolume(volume) => control.set_volume(volume),
            _ => {}
        }
        state.send_if_modified(|s| s.on_command(&command));
    }
}
