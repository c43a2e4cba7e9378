//! Keys to actions, in one place, so the help overlay and the handling cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::View;

/// What a key means outside text prompts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextView,
    ShowPlayer,
    ShowBookmarks,
    ShowLog,
    TogglePause,
    NextLanguage,
    NextEntry,
    PreviousEntry,
    Stop,
    VolumeUp,
    VolumeDown,
    /// Seek by this many seconds (negative: back).
    Seek(i32),
    Up,
    Down,
    Top,
    Bottom,
    Play,
    Open,
    Add,
    Rename,
    Delete,
    Close,
}

/// Seconds one press of ← or → seeks, and with shift.
pub const SEEK_SHORT_SECS: i32 = 10;
pub const SEEK_LONG_SECS: i32 = 60;

/// The key bindings, as the help overlay lists them: (keys, what they do, where).
pub const HELP: &[(&str, &str)] = &[
    ("space", "pause / resume"),
    (
        "← →  shift ← →",
        "seek 10 s / 60 s back / forward (on demand)",
    ),
    ("+ - 9 0 (↑ ↓ in player)", "volume up / down"),
    ("s", "stop"),
    ("l", "next language, when the stream has several"),
    ("n  p", "next / previous playlist entry"),
    ("tab  1 2 3", "player / bookmarks / log"),
    ("j k ↑ ↓  g G", "move in bookmarks, scroll the log"),
    ("enter", "play the selected bookmark"),
    ("o", "play a URL or file without saving it"),
    ("a", "add a bookmark (the current stream, or a URL)"),
    ("r", "rename the selected bookmark"),
    ("d", "delete the selected bookmark"),
    ("?", "this help"),
    ("esc", "close a window"),
    ("q  ctrl-c", "quit"),
];

/// Maps a key press to an action in `view`. Key releases and repeats of releases are ignored
/// (terminals that report them would otherwise act twice).
pub fn action(key: &KeyEvent, view: View) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    let in_list = view != View::Player;
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::Tab => Action::NextView,
        KeyCode::Char('1') => Action::ShowPlayer,
        KeyCode::Char('2') | KeyCode::Char('b') => Action::ShowBookmarks,
        KeyCode::Char('3') => Action::ShowLog,
        KeyCode::Char('l') => Action::NextLanguage,
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('n') => Action::NextEntry,
        KeyCode::Char('p') => Action::PreviousEntry,
        KeyCode::Char('s') => Action::Stop,
        // As in mpv: arrows seek (shift: further), +/- and 9/0 set the volume.
        KeyCode::Left | KeyCode::Right => {
            let secs = if key.modifiers.contains(KeyModifiers::SHIFT) {
                SEEK_LONG_SECS
            } else {
                SEEK_SHORT_SECS
            };
            Action::Seek(if key.code == KeyCode::Left {
                -secs
            } else {
                secs
            })
        }
        KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Char('0') => Action::VolumeUp,
        KeyCode::Char('-') | KeyCode::Char('9') => Action::VolumeDown,
        KeyCode::Up if !in_list => Action::VolumeUp,
        KeyCode::Down if !in_list => Action::VolumeDown,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter => Action::Play,
        KeyCode::Char('o') => Action::Open,
        KeyCode::Char('a') => Action::Add,
        KeyCode::Char('r') => Action::Rename,
        KeyCode::Char('d') | KeyCode::Delete => Action::Delete,
        KeyCode::Esc => Action::Close,
        _ => return None,
    })
}
