//! The TUI's core, in the Elm style: a [`Model`] of plain data, the [`Msg`]s that change it
//! (keys, player events, clock ticks, results of bookmark saves) and [`update()`], which applies a
//! message and returns the [`Cmd`]s the runtime must carry out.
//!
//! Nothing here does IO: no tokio, no files, no terminal. That keeps every behaviour of the TUI
//! testable by feeding messages and looking at the model, and the view (`crate::ui`) a pure
//! function of `&Model`.

pub mod keymap;
pub mod model;
pub mod msg;
pub mod update;

pub use model::{
    HISTORY_LEN, Model, Overlay, PlayState, Prompt, PromptKind, Session, Step, StepState, View,
};
pub use msg::{BookmarkOp, Cmd, Msg};
pub use update::{entry_line, switch_line, update};
