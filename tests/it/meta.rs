//! Metafiles (ASX, [Reference], NSC) resolved and played against `mmsplay serve`, and
//! `--record` over every transport checked with ffprobe and ffmpeg.

mod metafile;
mod record;
mod support;
