//! Metafiles (ASX, [Reference], NSC) resolved and played against `mmsplay serve`,
//! `--record` over every transport checked with ffprobe and ffmpeg, and stream metadata and
//! script commands shown as events.

mod metafile;
mod record;
mod script;
pub mod support;
