//! The integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod auth;
mod bookmarks;
mod common;
mod cpal_output;
mod empty_streams;
mod install;
mod meta;
mod mms;
mod mmsh;
mod mpris;
mod multichannel;
mod playback;
mod reconnect;
mod redirects;
mod rollover;
mod rtsp;
mod seek;
mod select;
mod serve;
mod third_party;
mod tui;
