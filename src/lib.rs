//! mmsplay: a terminal player for Microsoft Media Server streams.
//!
//! The binary is a thin shell over this library so that integration tests can drive the player
//! headless.

pub mod app;
pub mod bookmarks;
pub mod cli;
pub mod events;
pub mod tui;
pub mod ui;
