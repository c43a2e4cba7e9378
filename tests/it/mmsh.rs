//! MMSH (MS-WMSP): our client against our server, against VLC's MMSH server and against
//! hostile servers; ffmpeg and VLC as clients of our server.

mod hostile;
mod ours;
mod peers;
mod player;
mod robustness;
pub(crate) mod support;
