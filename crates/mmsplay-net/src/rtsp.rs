//! [MS-RTSP] sans-IO: RTSP messages, SDP with the ASF header (`a=pgmpu`), and the ASF RTP payload format.
//!
//! Windows Media Services 9 and later stream ASF over RTP ("RTSPU" with RTP on UDP, "RTSPT" with
//! RTP interleaved in the RTSP connection). The pieces, each usable by the client
//! (`transport::rtsp`) and by the server (`mmsplay-server`):
//!
//! - [`message`]: RTSP requests and responses, and the framer that splits a TCP byte stream into
//!   messages and `$` interleaved frames, with limits on every length;
//! - [`headers`]: the `Transport`, `Session`, `Range` and `RTP-Info` header values;
//! - [`sdp`]: the DESCRIBE body with the ASF header in `a=pgmpu` ([MS-RTSP] 2.2.5);
//! - [`rtp`]: RTP and RTCP header codecs (RFC 3550);
//! - [`asfpf`]: the `x-asf-pf` payload format, packetizer and depacketizer ([MS-RTSP] 2.2.1);
//! - padding: stripping ASF packet padding for RTP and restoring it on receipt is ASF knowledge,
//!   in `mmsplay_asf::padding`;
//! - [`sequence`]: RTP sequence tracking (loss, late packets, receiver-report figures);
//! - [`holdback`]: putting RTP packets back in order, waiting briefly for resends.

pub mod asfpf;
pub mod client;
pub mod headers;
pub mod holdback;
pub mod message;
pub mod rtp;
pub mod sdp;
pub mod sequence;
pub mod streamswitch;

use crate::error::{ErrorKind, NetError};

/// The server product token Windows Media Services sends. ffmpeg and GStreamer switch to their
/// Windows Media code path only when the OPTIONS reply's `Server` header starts with `WMServer/`.
pub const WMS_SERVER: &str = "WMServer/9.1.1.5001";

/// `Supported` features ([MS-RTSP] 2.2.6.12). A server MUST support eosmsg and sswitch.
pub const WMS_SUPPORTED: &str = "com.microsoft.wm.srvppair, com.microsoft.wm.sswitch, \
     com.microsoft.wm.eosmsg, com.microsoft.wm.predstrm, com.microsoft.wm.startupprofile";

/// Errors of the sans-IO RTSP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtspError {
    /// A malformed RTSP message: start line, headers or body length.
    #[error("rtsp: {0}")]
    Message(String),
    /// A malformed RTP or RTCP packet.
    #[error("rtsp: {0}")]
    Rtp(String),
    /// A malformed ASF payload in RTP (the x-asf-pf format, [MS-RTSP] 2.2.1).
    #[error("rtsp: {0}")]
    Payload(String),
    /// A session description without a usable ASF stream.
    #[error("rtsp: {0}")]
    Sdp(String),
    /// A length or count from the peer is over our limits.
    #[error("rtsp: {what} of {value} bytes is over the limit of {limit}")]
    Limit {
        what: &'static str,
        value: u64,
        limit: u64,
    },
}

impl RtspError {
    pub fn message(m: impl Into<String>) -> Self {
        RtspError::Message(m.into())
    }
    pub fn rtp(m: impl Into<String>) -> Self {
        RtspError::Rtp(m.into())
    }
    pub fn payload(m: impl Into<String>) -> Self {
        RtspError::Payload(m.into())
    }
    pub fn sdp(m: impl Into<String>) -> Self {
        RtspError::Sdp(m.into())
    }
}

impl From<RtspError> for NetError {
    fn from(e: RtspError) -> Self {
        let kind = match e {
            RtspError::Message(_)
            | RtspError::Rtp(_)
            | RtspError::Payload(_)
            | RtspError::Sdp(_) => ErrorKind::Protocol,
            RtspError::Limit { .. } => ErrorKind::Limit,
        };
        NetError::caused_by(kind, e)
    }
}

pub type Result<T> = std::result::Result<T, RtspError>;
