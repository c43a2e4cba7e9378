//! Network side of mmsplay: the Windows Media streaming protocols as sans-IO codecs
//! ([MS-MMSP], [MS-WMSP], [MS-RTSP]), tokio transports that turn each into the same stream of
//! ASF header + data packets, and the protocol rollover that tries them in order.
//!
//! Layering rule: the protocol modules (`mmsp`, `mmsh`, `rtsp`) never import tokio; only
//! `transport` and `rollover` do.

pub mod transport_kind;

pub use transport_kind::Transport;
