//! MMS (MS-MMSP) over TCP and UDP: our client against our server, hostile servers, and
//! independent peers (ffmpeg, VLC, libmms, tshark) against our server.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod client_server;
mod hostile;
mod oracles;
mod player;
mod util;
