//! RTSP with the Windows Media extensions: our client against our server, independent peers
//! (ffmpeg, GStreamer) against our server, and our client against hostile servers.

mod hostile;
mod oracles;
mod own;
mod player;
mod robustness;
mod support;
