//! The interactive program: the TUI on one side, playback sessions on the other, joined by
//! channels. The TUI sends `UiCommand`s; this loop starts and stops playback and forwards the
//! player's events back.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::audio::AudioControl;
use crate::events::{PlayerEvent, UiCommand};
use crate::player::{Events, PlayOptions};
use crate::tui::{self, TuiOptions};

/// A playback in progress: how to stop it and where it runs.
struct Current {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Current {
    async fn stop(self) {
        let _ = self.stop.send(true);
        // Playback stops within a packet; do not hang the UI on a stuck device.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(6), self.task).await;
    }
}

/// Runs the TUI until the user quits. `start` is played at once when given.
pub async fn run_tui(
    start: Option<String>,
    ephemeral_target: Option<String>,
    mut opts: PlayOptions,
    log_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    let (ev_tx, ev_rx) = mpsc::channel::<PlayerEvent>(4096);
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<UiCommand>();
    // Remote controllers drive the TUI like the keyboard does, and see what the TUI sees.
    let remote = crate::remote::start();
    let remote_state = remote.state;
    let (player_tx, player_rx) = mpsc::channel::<PlayerEvent>(4096);
    tokio::spawn(crate::remote::tee_events(
        player_rx,
        ev_tx,
        remote_state.clone(),
    ));
    let tui_opts = TuiOptions {
        start_target: start,
        log_path,
        transports: opts.transports.clone(),
        ephemeral_target,
        ..Default::default()
    };
    let ui = tokio::spawn(tui::run_with_remote(
        tui_opts,
        ev_rx,
        cmd_tx,
        remote.commands,
    ));
    let control = Arc::new(AudioControl::default());
    let events = Events::new(player_tx);
    let mut current: Option<Current> = None;
    // A bookmark's remembered place, for the next playback only.
    let mut start_at: Option<u64> = None;
    while let Some(cmd) = cmd_rx.recv().await {
        remote_state.send_if_modified(|s| s.on_command(&cmd));
        match cmd {
            UiCommand::Play { target } => {
                if let Some(c) = current.take() {
                    c.stop().await;
                }
                control.set_paused(false);
                // A seek asked for the last playback is not one for this one.
                opts.seek.take();
                let opts = match start_at.take() {
                    Some(ms) => PlayOptions {
                        start: Some(ms as f64 / 1000.0),
                        ..opts.clone()
                    },
                    None => opts.clone(),
                };
                current = Some(start_playback(&target, &opts, &control, &events));
            }
            UiCommand::Stop => {
                if let Some(c) = current.take() {
                    c.stop().await;
                }
            }
            UiCommand::SetPaused(p) => control.set_paused(p),
            UiCommand::SetVolume(v) => control.set_volume(v),
            UiCommand::NextLanguage => {
                opts.language_key
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            UiCommand::NextEntry => opts.playlist_nav.request(crate::playlist::Step::Next),
            UiCommand::PreviousEntry => {
                opts.playlist_nav.request(crate::playlist::Step::Previous);
            }
            // The playback carries it out, or says why it cannot.
            UiCommand::Seek { by_ms } => {
                if current.is_some() {
                    opts.seek.request(by_ms);
                }
            }
            UiCommand::SeekTo { ms } => {
                if current.is_some() {
                    opts.seek.request_at(ms);
                }
            }
            UiCommand::StartAt { ms } => start_at = Some(ms),
            // Typed for the server that asked: the next one to ask, as playing again leads
            // back to it.
            UiCommand::SetCredentials(c) => {
                opts.credentials = Some(mmsplay_net::auth::GivenCredentials::new(
                    c,
                    mmsplay_net::auth::OwnerRule::FirstToAsk,
                ));
            }
            UiCommand::Quit => break,
        }
    }
    if let Some(c) = current.take() {
        c.stop().await;
    }
    drop(events);
    ui.await
        .map_err(|e| anyhow::anyhow!("the TUI task failed: {e}"))?
}

fn start_playback(
    target: &str,
    opts: &PlayOptions,
    control: &Arc<AudioControl>,
    events: &Events,
) -> Current {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (target, opts, control, events) = (
        target.to_string(),
        opts.clone(),
        control.clone(),
        events.clone(),
    );
    let task = tokio::spawn(async move {
        match crate::target::resolve(&target, &crate::lookup_bookmark) {
            Ok(t) => {
                let _ = crate::playlist::play(t, opts, control, events, stop_rx).await;
            }
            Err(message) => events.emit(PlayerEvent::Error { message }),
        }
    });
    Current {
        stop: stop_tx,
        task,
    }
}
