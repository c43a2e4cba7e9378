//! The TUI's state: plain data, changed only by `update`.

use std::collections::VecDeque;

use crate::bookmarks::Bookmark;
use crate::events::{EndReason, Stats, StreamInfo, Transport};

/// How many stats samples the charts keep: the player sends one a second, so one minute.
pub const HISTORY_LEN: usize = 60;
/// How many log lines are kept.
pub const LOG_LEN: usize = 500;

/// Which full-screen view is showing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Rollover, now playing, bitrate, packet loss and the last log lines.
    Player,
    /// The saved streams.
    Bookmarks,
    /// The whole log.
    Log,
}

/// A window drawn over the view, which takes the keys while it is open.
#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help,
    Prompt(Prompt),
    /// "Delete bookmark NAME? y/n".
    ConfirmDelete {
        name: String,
    },
}

/// A one-line text input.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// What a prompt's text is for.
#[derive(Clone, Debug, PartialEq)]
pub enum PromptKind {
    /// A URL, file or bookmark name to play now, without saving it.
    Open,
    /// The URL of a new bookmark; a name prompt follows.
    AddUrl,
    /// The name of a new bookmark for `url`.
    AddName { url: String },
    /// A new name for the bookmark `from`.
    Rename { from: String },
    /// The user name a server asks for, to play `target` again; a password prompt follows.
    User {
        target: String,
        bookmark: Option<String>,
    },
    /// The password of `user` a server asks for, to play `target` again. Shown masked.
    Password {
        target: String,
        bookmark: Option<String>,
        user: String,
    },
}

impl PromptKind {
    pub fn label(&self) -> &'static str {
        match self {
            PromptKind::Open => "Play URL or file",
            PromptKind::AddUrl => "Add bookmark: URL",
            PromptKind::AddName { .. } => "Add bookmark: name",
            PromptKind::Rename { .. } => "Rename bookmark",
            PromptKind::User { .. } => "The server asks for a user name",
            PromptKind::Password { .. } => "Password",
        }
    }

    /// Whether the text typed is hidden (a password).
    pub fn is_secret(&self) -> bool {
        matches!(self, PromptKind::Password { .. })
    }
}

/// One rung of the rollover ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub transport: Transport,
    pub state: StepState,
    /// The URL this step tried (after metafile and bookmark resolution).
    pub url: Option<String>,
}

/// Where a rollover step stands. Times are on the model's clock (`Model::now_ms`).
#[derive(Clone, Debug, PartialEq)]
pub enum StepState {
    Waiting,
    Trying {
        since_ms: u64,
    },
    Failed {
        reason: String,
        after_ms: u64,
    },
    Connected {
        after_ms: u64,
    },
    /// Started early beside a more preferred step, and dropped when that one connected: not a
    /// failure of this transport.
    Dropped {
        reason: String,
    },
}

/// Where the current playback stands.
#[derive(Clone, Debug, PartialEq)]
pub enum PlayState {
    /// The rollover is running.
    Connecting,
    /// Media flows.
    Playing,
    /// The transport dropped and is being re-established.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    Ended(EndReason),
    Failed(String),
}

/// One playback: from a `Play` command until the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// What was asked for (URL, file, or the bookmark's URL).
    pub target: String,
    /// The bookmark this playback belongs to, if any: it records the transport that worked.
    pub bookmark: Option<String>,
    pub state: PlayState,
    pub steps: Vec<Step>,
    pub connected: Option<Transport>,
    pub stream: Option<StreamInfo>,
    pub first_audio: bool,
    /// The latest stats.
    pub stats: Stats,
    /// Received bitrate (bit/s) of each stats event, oldest first.
    pub bitrate_history: VecDeque<u64>,
    /// Loss between consecutive stats events, in tenths of a percent, oldest first.
    pub loss_history: VecDeque<u64>,
    /// The latest script command (caption text, URL), shown under the title.
    pub caption: Option<String>,
    /// Where a metafile's playlist is: the entry playing (from 0) and how many it has.
    pub entry: Option<(usize, usize)>,
}

impl Session {
    pub fn new(target: String, bookmark: Option<String>, ladder: Vec<Transport>) -> Self {
        Session {
            target,
            bookmark,
            state: PlayState::Connecting,
            steps: ladder
                .into_iter()
                .map(|transport| Step {
                    transport,
                    state: StepState::Waiting,
                    url: None,
                })
                .collect(),
            connected: None,
            stream: None,
            first_audio: false,
            stats: Stats::default(),
            bitrate_history: VecDeque::with_capacity(HISTORY_LEN),
            loss_history: VecDeque::with_capacity(HISTORY_LEN),
            caption: None,
            entry: None,
        }
    }

    /// The URL of the step that connected.
    pub fn connected_url(&self) -> Option<&str> {
        let connected = self.connected?;
        self.steps
            .iter()
            .find(|s| s.transport == connected)?
            .url
            .as_deref()
    }

    /// Current received bitrate in bit/s (the latest sample).
    pub fn current_bitrate(&self) -> u64 {
        self.bitrate_history.back().copied().unwrap_or(0)
    }

    /// Average received bitrate in bit/s over the history.
    pub fn average_bitrate(&self) -> u64 {
        let sum: u64 = self.bitrate_history.iter().sum();
        sum.checked_div(self.bitrate_history.len() as u64)
            .unwrap_or(0)
    }

    /// Packets lost over packets expected, in percent, since the start.
    pub fn loss_percent(&self) -> f64 {
        let s = &self.stats;
        let expected = s.packets_received + s.packets_lost;
        if expected == 0 {
            0.0
        } else {
            s.packets_lost as f64 * 100.0 / expected as f64
        }
    }
}

/// A line of the log view.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub at_ms: u64,
    pub level: String,
    pub message: String,
}

/// Everything the view shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub view: View,
    pub overlay: Option<Overlay>,
    /// Milliseconds since the TUI started, advanced by ticks and stamped on player events.
    pub now_ms: u64,
    pub session: Option<Session>,
    /// Ladder override from `--transports`; otherwise the ladder follows the URL's scheme.
    pub ladder_override: Option<Vec<Transport>>,
    pub bookmarks: Vec<Bookmark>,
    /// Why the bookmarks cannot be used (a broken file); bookmark edits are refused meanwhile.
    pub bookmarks_error: Option<String>,
    /// Selected row in the bookmarks view.
    pub selected: usize,
    /// Linear gain, 0.0 to 2.0.
    pub volume: f32,
    pub paused: bool,
    pub log: VecDeque<LogLine>,
    /// Lines scrolled back from the end in the log view.
    pub log_scroll: usize,
    /// A one-line message for the status bar (result of the last action).
    pub status: Option<String>,
    pub should_quit: bool,
    /// A URL that dies with this process (the `--demo` server's): `a` refuses to save it.
    pub ephemeral_target: Option<String>,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            view: View::Bookmarks,
            overlay: None,
            now_ms: 0,
            session: None,
            ladder_override: None,
            bookmarks: Vec::new(),
            bookmarks_error: None,
            selected: 0,
            volume: 1.0,
            paused: false,
            log: VecDeque::new(),
            log_scroll: 0,
            status: None,
            should_quit: false,
            ephemeral_target: None,
        }
    }
}

impl Model {
    pub fn selected_bookmark(&self) -> Option<&Bookmark> {
        self.bookmarks.get(self.selected)
    }

    /// The rollover ladder the player will walk for `target`, as far as the URL tells: the
    /// events correct it if the runtime does otherwise (a step it reports that is not listed is
    /// appended).
    pub fn ladder_for(&self, target: &str) -> Vec<Transport> {
        if let Some(ladder) = &self.ladder_override {
            return ladder.clone();
        }
        ladder_for_target(target)
    }
}

/// The transports a target's scheme rolls over, in Windows Media Player's order.
pub fn ladder_for_target(target: &str) -> Vec<Transport> {
    let scheme = target
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("file") | None => vec![Transport::File],
        // Unknown schemes get no steps: show nothing until the player reports its steps.
        Some(s) => Transport::ladder_for_scheme(s).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_follows_the_scheme() {
        assert_eq!(ladder_for_target("mms://h/x"), Transport::LADDER.to_vec());
        assert_eq!(ladder_for_target("MMSH://h/x"), vec![Transport::Mmsh]);
        assert_eq!(
            ladder_for_target("rtsp://h/x"),
            vec![Transport::Rtspu, Transport::Rtspt]
        );
        assert_eq!(ladder_for_target("/music/a.wma"), vec![Transport::File]);
        assert!(ladder_for_target("gopher://h/x").is_empty());
    }
}
