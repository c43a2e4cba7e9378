//! MPRIS (`org.mpris.MediaPlayer2`) on the D-Bus session bus, with the `mpris-server` crate:
//! what makes media keys, desktop sound menus and `playerctl -p mmsplay` work.
//!
//! The server runs on a thread of its own (the crate's player is not `Send`), with a
//! single-threaded runtime. Method calls become [`RemoteCommand`]s for the program; the
//! [`RemoteState`] the program publishes becomes the properties (status, metadata, volume,
//! position). Without a session bus the thread logs why and ends: playback is unaffected.

use mpris_server::{Metadata, PlaybackStatus, Player, Time, TrackId};
use tokio::sync::{mpsc, watch};

use crate::remote::{Playback, RemoteCommand, RemoteState};

/// The bus name suffix: `org.mpris.MediaPlayer2.mmsplay`, or with `.instancePID` when another
/// mmsplay holds that name (`playerctl -p mmsplay` finds both).
const NAME: &str = "mmsplay";

/// The URL schemes mmsplay opens, as the desktop entry lists them.
const URI_SCHEMES: [&str; 9] = [
    "mms", "mmsh", "mmst", "mmsu", "rtsp", "rtspu", "rtspt", "http", "file",
];

const MIME_TYPES: [&str; 5] = [
    "audio/x-ms-asx",
    "audio/x-ms-wax",
    "audio/x-ms-wma",
    "video/x-ms-asf",
    "audio/x-ms-asf",
];

/// Starts the MPRIS server thread.
pub fn spawn(commands: mpsc::UnboundedSender<RemoteCommand>, state: watch::Receiver<RemoteState>) {
    let started = std::thread::Builder::new()
        .name("mpris".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::info!("MPRIS is off: cannot start its runtime: {e}");
                    return;
                }
            };
            let local = tokio::task::LocalSet::new();
            if let Err(e) = local.block_on(&runtime, serve(commands, state)) {
                tracing::info!("MPRIS is off: {e}");
            }
        });
    if let Err(e) = started {
        tracing::info!("MPRIS is off: cannot start its thread: {e}");
    }
}

async fn serve(
    commands: mpsc::UnboundedSender<RemoteCommand>,
    mut state: watch::Receiver<RemoteState>,
) -> mpris_server::zbus::Result<()> {
    let mut seeks = 0;
    let player = match build(NAME).await {
        Ok(p) => p,
        Err(_) => build(&format!("{NAME}.instance{}", std::process::id())).await?,
    };
    connect(&player, &commands);
    tokio::task::spawn_local(player.run());
    loop {
        let current = state.borrow_and_update().clone();
        show(&player, &current).await?;
        if current.seeks != seeks {
            seeks = current.seeks;
            let at = i64::try_from(current.position_ms).unwrap_or(i64::MAX);
            player.seeked(Time::from_millis(at)).await?;
        }
        // The program dropped its end: it is leaving.
        if state.changed().await.is_err() {
            return Ok(());
        }
    }
}

async fn build(suffix: &str) -> mpris_server::zbus::Result<Player> {
    Player::builder(suffix)
        .identity("mmsplay")
        .desktop_entry("mmsplay")
        .supported_uri_schemes(URI_SCHEMES)
        .supported_mime_types(MIME_TYPES)
        .can_quit(true)
        .can_play(true)
        .can_pause(true)
        .can_control(true)
        .build()
        .await
}

/// Method calls and property writes become commands.
fn connect(player: &Player, commands: &mpsc::UnboundedSender<RemoteCommand>) {
    let send = |command: RemoteCommand| {
        let commands = commands.clone();
        move |_: &Player| {
            // A closed channel: the program is leaving anyway.
            let _ = commands.send(command.clone());
        }
    };
    player.connect_play_pause(send(RemoteCommand::PlayPause));
    player.connect_play(send(RemoteCommand::Play));
    player.connect_pause(send(RemoteCommand::Pause));
    player.connect_stop(send(RemoteCommand::Stop));
    player.connect_next(send(RemoteCommand::Next));
    player.connect_previous(send(RemoteCommand::Previous));
    player.connect_quit(send(RemoteCommand::Quit));
    let volume = commands.clone();
    player.connect_set_volume(move |_, v| {
        let _ = volume.send(RemoteCommand::SetVolume(v));
    });
    let seek = commands.clone();
    player.connect_seek(move |_, offset| {
        let _ = seek.send(RemoteCommand::Seek(offset.as_millis()));
    });
    let position = commands.clone();
    player.connect_set_position(move |_, _track, at| {
        let ms = u64::try_from(at.as_millis()).unwrap_or(0);
        let _ = position.send(RemoteCommand::SetPosition(ms));
    });
}

/// Brings the properties in line with `state`; each setter signals only a change.
async fn show(player: &Player, state: &RemoteState) -> mpris_server::zbus::Result<()> {
    let status = match state.playback {
        Playback::Stopped => PlaybackStatus::Stopped,
        Playback::Playing => PlaybackStatus::Playing,
        Playback::Paused => PlaybackStatus::Paused,
    };
    if player.playback_status() != status {
        player.set_playback_status(status).await?;
    }
    let metadata = metadata(state);
    if *player.metadata() != metadata {
        player.set_metadata(metadata).await?;
    }
    if player.can_go_next() != state.can_go_next() {
        player.set_can_go_next(state.can_go_next()).await?;
    }
    if player.can_go_previous() != state.can_go_previous() {
        player.set_can_go_previous(state.can_go_previous()).await?;
    }
    if player.can_seek() != state.can_seek() {
        player.set_can_seek(state.can_seek()).await?;
    }
    if player.volume() != state.volume {
        player.set_volume(state.volume).await?;
    }
    let position_ms = i64::try_from(state.position_ms).unwrap_or(i64::MAX);
    player.set_position(Time::from_millis(position_ms));
    Ok(())
}

fn metadata(state: &RemoteState) -> Metadata {
    let mut m = Metadata::new();
    if state.url.is_none() {
        m.set_trackid(Some(TrackId::NO_TRACK));
        return m;
    }
    // One track at a time; its id only has to be a valid object path.
    if let Ok(id) = TrackId::try_from("/org/mmsplay/track/current") {
        m.set_trackid(Some(id));
    }
    m.set_url(state.url.clone());
    let title = state.title.clone().or_else(|| state.url.clone());
    m.set_title(title);
    m.set_artist(state.author.clone().map(|a| [a]));
    if let Some(ms) = state.duration_ms {
        m.set_length(Some(Time::from_millis(
            i64::try_from(ms).unwrap_or(i64::MAX),
        )));
    }
    m
}
