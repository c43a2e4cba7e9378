//! Remote control: the desktop's way to drive mmsplay (media keys, sound-menu widgets,
//! `playerctl`), through MPRIS on Linux.
//!
//! It is another command source beside the keyboard and another sink of the player's events:
//! [`RemoteCommand`]s arrive on [`Remote::commands`] and are carried out like keys are (the TUI
//! turns them into its own messages; headless mode applies them to the audio control), and
//! [`RemoteState`], what a controller is shown, is kept up to date from the player's events and
//! the commands the player was given, then published on a watch channel. Without a session
//! bus (or on other platforms) nothing arrives and the state goes nowhere.

use tokio::sync::{mpsc, watch};

use crate::events::{PlayerEvent, UiCommand};

/// What a remote controller asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum RemoteCommand {
    PlayPause,
    Play,
    Pause,
    Stop,
    /// The next entry of the playlist (ignored unless [`RemoteState::can_go_next`]).
    Next,
    /// The entry before (ignored unless [`RemoteState::can_go_previous`]).
    Previous,
    /// Linear gain as MPRIS gives it (1.0 = unchanged); the player clamps it.
    SetVolume(f64),
    /// Move by this many milliseconds (negative: back), on demand (ignored unless
    /// [`RemoteState::can_seek`]).
    Seek(i64),
    /// Move to this position in milliseconds, on demand.
    SetPosition(u64),
    Quit,
}

/// Whether something plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Playback {
    #[default]
    Stopped,
    Playing,
    Paused,
}

/// What a remote controller is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteState {
    pub playback: Playback,
    /// What is playing, as asked for (a URL, a file, or an entry of a metafile).
    pub url: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    /// Known for on-demand streams only.
    pub duration_ms: Option<u64>,
    pub live: bool,
    pub position_ms: u64,
    pub volume: f64,
    /// Where a metafile's playlist is: the entry playing (from 0) and how many it has.
    pub entry: Option<(usize, usize)>,
    /// Counts the seeks carried out (MPRIS signals each with `Seeked`).
    pub seeks: u64,
}

impl Default for RemoteState {
    fn default() -> Self {
        RemoteState {
            playback: Playback::Stopped,
            url: None,
            title: None,
            author: None,
            duration_ms: None,
            live: false,
            position_ms: 0,
            volume: 1.0,
            entry: None,
            seeks: 0,
        }
    }
}

impl RemoteState {
    /// Whether the player can seek: an on-demand stream is playing.
    pub fn can_seek(&self) -> bool {
        self.playback != Playback::Stopped && self.duration_ms.is_some()
    }

    /// Whether the playlist has an entry after the one playing.
    pub fn can_go_next(&self) -> bool {
        self.entry
            .is_some_and(|(index, count)| index.saturating_add(1) < count)
    }

    /// Whether the playlist has an entry before the one playing.
    pub fn can_go_previous(&self) -> bool {
        self.entry.is_some_and(|(index, _)| index > 0)
    }

    /// Follows a player event; whether the state changed.
    pub fn on_event(&mut self, event: &PlayerEvent) -> bool {
        let before = self.clone();
        match event {
            PlayerEvent::Attempt { url, .. } if self.url.is_none() => {
                self.url = Some(url.clone());
            }
            PlayerEvent::Stream(info) => {
                self.title = info
                    .title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .or(self.title.take());
                self.author = info.author.clone().filter(|a| !a.is_empty());
                self.live = info.live;
                self.duration_ms = info.duration_ms.filter(|_| !info.live);
            }
            PlayerEvent::Entry {
                index,
                count,
                url,
                title,
            } => {
                // A server-side playlist's entry (no count) leaves the metafile's position.
                if let Some(count) = count {
                    self.entry = Some((*index, *count));
                }
                self.url = Some(url.clone());
                self.title = title.clone();
                self.author = None;
                self.duration_ms = None;
                self.position_ms = 0;
            }
            PlayerEvent::FirstAudio if self.playback == Playback::Stopped => {
                self.playback = Playback::Playing;
            }
            PlayerEvent::Stats(stats) if !self.live => self.position_ms = stats.position_ms,
            PlayerEvent::Seek { position_ms } => {
                self.position_ms = *position_ms;
                self.seeks = self.seeks.wrapping_add(1);
            }
            PlayerEvent::End { .. } | PlayerEvent::Error { .. } => {
                self.playback = Playback::Stopped;
                self.entry = None;
            }
            _ => {}
        }
        *self != before
    }

    /// Follows a command the player was given; whether the state changed.
    pub fn on_command(&mut self, command: &UiCommand) -> bool {
        let before = self.clone();
        match command {
            UiCommand::Play { target } => {
                *self = RemoteState {
                    url: Some(mmsplay_net::url::redact(target).into_owned()),
                    volume: self.volume,
                    ..RemoteState::default()
                };
            }
            UiCommand::Stop | UiCommand::Quit => self.playback = Playback::Stopped,
            UiCommand::SetPaused(paused) => {
                if self.playback != Playback::Stopped || !paused {
                    self.playback = if *paused {
                        Playback::Paused
                    } else {
                        Playback::Playing
                    };
                }
            }
            UiCommand::SetVolume(volume) => self.volume = f64::from(*volume),
            // The title and position follow from the stream's own events.
            UiCommand::NextLanguage
            | UiCommand::SetCredentials(_)
            | UiCommand::NextEntry
            | UiCommand::PreviousEntry
            | UiCommand::Seek { .. }
            | UiCommand::SeekTo { .. }
            | UiCommand::StartAt { .. } => {}
        }
        *self != before
    }
}

/// The ends of the remote-control link that the program holds.
pub struct Remote {
    /// What controllers ask for.
    pub commands: mpsc::UnboundedReceiver<RemoteCommand>,
    /// What they are shown; update it with `send_if_modified`.
    pub state: watch::Sender<RemoteState>,
}

/// Starts remote control: MPRIS on a thread of its own where the platform and the build have
/// it, else a link on which nothing ever arrives.
pub fn start() -> Remote {
    let (command_tx, commands) = mpsc::unbounded_channel();
    let (state, state_rx) = watch::channel(RemoteState::default());
    #[cfg(all(target_os = "linux", feature = "mpris"))]
    crate::mpris::spawn(command_tx, state_rx);
    #[cfg(not(all(target_os = "linux", feature = "mpris")))]
    drop((command_tx, state_rx));
    Remote { commands, state }
}

/// Passes the player's events on to their consumer (the TUI, or the headless printer), and
/// keeps the remote controllers' view of the playback up to date from them.
pub async fn tee_events(
    mut from_player: mpsc::Receiver<PlayerEvent>,
    to: mpsc::Sender<PlayerEvent>,
    state: watch::Sender<RemoteState>,
) {
    while let Some(event) = from_player.recv().await {
        state.send_if_modified(|s| s.on_event(&event));
        if to.send(event).await.is_err() {
            break;
        }
    }
}

/// The volume range of the player (`UiCommand::SetVolume`), for commands from outside.
pub fn player_volume(volume: f64) -> f32 {
    if volume.is_nan() {
        return 1.0;
    }
    volume.clamp(0.0, 2.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EndReason, Stats, StreamInfo};

    /// Desktop widgets show the URL: never with its password.
    #[test]
    fn the_url_shown_to_the_desktop_has_no_password() {
        let mut s = RemoteState::default();
        s.on_command(&UiCommand::Play {
            target: "mmsh://bob:Hunter2@h/x".into(),
        });
        assert_eq!(s.url.as_deref(), Some("mmsh://bob:***@h/x"));
    }

    #[test]
    fn the_state_follows_a_playback() {
        let mut s = RemoteState::default();
        assert!(s.on_command(&UiCommand::Play {
            target: "mms://h/x".into()
        }));
        let info = StreamInfo {
            title: Some("Tone".into()),
            author: Some("mmsplay".into()),
            duration_ms: Some(10_000),
            ..StreamInfo::default()
        };
        assert!(s.on_event(&PlayerEvent::Stream(info)));
        assert_eq!(s.playback, Playback::Stopped);
        assert!(s.on_event(&PlayerEvent::FirstAudio));
        assert_eq!(s.playback, Playback::Playing);
        let stats = Stats {
            position_ms: 2500,
            ..Stats::default()
        };
        assert!(s.on_event(&PlayerEvent::Stats(stats.clone())));
        assert!(s.can_seek(), "on demand");
        // A seek moves the position at once, and is counted for MPRIS's Seeked signal.
        assert!(s.on_event(&PlayerEvent::Seek { position_ms: 7000 }));
        assert!(s.on_event(&PlayerEvent::Stats(stats)));
        assert!(s.on_command(&UiCommand::SetPaused(true)));
        assert!(s.on_command(&UiCommand::SetVolume(0.5)));
        assert_eq!(
            s,
            RemoteState {
                playback: Playback::Paused,
                url: Some("mms://h/x".into()),
                title: Some("Tone".into()),
                author: Some("mmsplay".into()),
                duration_ms: Some(10_000),
                live: false,
                position_ms: 2500,
                volume: 0.5,
                entry: None,
                seeks: 1,
            }
        );
        assert!(s.on_event(&PlayerEvent::End {
            reason: EndReason::Eos
        }));
        assert_eq!(s.playback, Playback::Stopped);
        assert!(!s.can_seek(), "nothing plays");
        // Pausing nothing changes nothing.
        assert!(!s.on_command(&UiCommand::SetPaused(true)));
        // A new playback keeps the volume only.
        s.on_command(&UiCommand::Play {
            target: "mmsh://h/y".into(),
        });
        assert_eq!(s.title, None);
        assert_eq!(s.volume, 0.5);
    }

    #[test]
    fn next_and_previous_follow_the_playlist_position() {
        let mut s = RemoteState::default();
        assert!(!s.can_go_next() && !s.can_go_previous());
        let entry = |index| PlayerEvent::Entry {
            index,
            count: Some(3),
            url: format!("e{index}.asf"),
            title: None,
        };
        assert!(s.on_event(&entry(0)));
        assert!(s.can_go_next() && !s.can_go_previous());
        s.on_event(&entry(1));
        assert!(s.can_go_next() && s.can_go_previous());
        assert_eq!(s.url.as_deref(), Some("e1.asf"));
        s.on_event(&entry(2));
        assert!(!s.can_go_next() && s.can_go_previous());
        s.on_event(&PlayerEvent::End {
            reason: EndReason::Eos,
        });
        assert!(!s.can_go_next() && !s.can_go_previous());
    }

    #[test]
    fn live_streams_have_no_length_or_position() {
        let mut s = RemoteState::default();
        let info = StreamInfo {
            live: true,
            duration_ms: Some(1),
            ..StreamInfo::default()
        };
        s.on_event(&PlayerEvent::Stream(info));
        s.on_event(&PlayerEvent::Stats(Stats {
            position_ms: 900,
            ..Stats::default()
        }));
        assert_eq!((s.duration_ms, s.position_ms), (None, 0));
    }

    #[test]
    fn volumes_from_outside_are_clamped() {
        assert_eq!(player_volume(0.25), 0.25);
        assert_eq!(player_volume(-1.0), 0.0);
        assert_eq!(player_volume(7.0), 2.0);
        assert_eq!(player_volume(f64::NAN), 1.0);
    }
}
