//! The integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;
mod cpal_output;
mod playback;
mod third_party;
