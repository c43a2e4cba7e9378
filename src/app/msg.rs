//! What changes the model (`Msg`) and what the model asks of the world (`Cmd`).

use crate::bookmarks::Bookmark;
use crate::events::{PlayerEvent, Transport, UiCommand};
use crate::remote::RemoteCommand;

/// An input to `update`.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// The clock advanced (drives spinners and elapsed times).
    Tick { now_ms: u64 },
    /// A key press, already decoded from the terminal.
    Key(crossterm::event::KeyEvent),
    /// An event from the player, stamped with the model's clock when it arrived.
    Player { event: PlayerEvent, now_ms: u64 },
    /// Start playing `target` (the command-line TARGET, resolved against the bookmarks by the
    /// runtime when it names one).
    Play {
        target: String,
        bookmark: Option<String>,
    },
    /// The bookmarks as loaded at start, or why the file cannot be used (then bookmark edits
    /// are refused, so that the file is never overwritten).
    BookmarksLoaded(Result<Vec<Bookmark>, String>),
    /// The answer to a `Cmd::Bookmarks`: the list as saved, or why the change was refused.
    BookmarksSaved(Result<Vec<Bookmark>, String>),
    /// Leave (SIGTERM, SIGHUP, or the terminal's input ended).
    Quit,
    /// The terminal was resized (nothing to store: the next draw uses the new size).
    Resize,
    /// A remote controller (MPRIS: media keys, desktop widgets) asked for something.
    Remote(RemoteCommand),
}

/// A change to the bookmarks file, carried out by the runtime through `bookmarks::Store`.
#[derive(Clone, Debug, PartialEq)]
pub enum BookmarkOp {
    Add {
        name: String,
        url: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Remove {
        name: String,
    },
    /// Remember the transport that worked, stamped with the current time by the runtime.
    RecordPlayed {
        name: String,
        transport: Transport,
    },
    /// Remember where an on-demand stream was left (`None`: it played to its end).
    RecordPosition {
        name: String,
        position_ms: Option<u64>,
    },
}

/// An effect for the runtime to carry out.
#[derive(Clone, Debug, PartialEq)]
pub enum Cmd {
    /// Forward to the player.
    Player(UiCommand),
    /// Change the bookmarks file; the runtime answers with `Msg::BookmarksSaved`.
    Bookmarks(BookmarkOp),
}
