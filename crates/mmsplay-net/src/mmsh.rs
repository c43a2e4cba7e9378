//! [MS-WMSP] streaming over HTTP, sans-IO: requests, Pragma headers, the `$H $D $E $C $M $P`
//! chunk codec, and the client's reading of a response body.
//!
//! - [`http`]: request/response heads and the chunked transfer coding, bounded.
//! - [`pragma`]: `Pragma` tokens (features, client-id, stream-switch entries…).
//! - [`request`]: the client's Describe and Play requests; request types on the server side.
//! - [`chunk`]: the `$` framing, both ways.
//! - [`stream`]: `$` chunks to header / packet / gap / end events, for the client.
//! - [`classify`]: is an HTTP answer MS-WMSP, a metafile, plain ASF or something else.
//! - [`redirect`]: following a Describe's redirects, and the errors its statuses mean.
//! - [`client`]: the client's connect (Describe, redirects, Play) as a state machine.
//!
//! Sans-IO: `transport::mmsh` (the client) and the server drive these with sockets.

pub mod chunk;
pub mod classify;
pub mod client;
pub mod http;
pub mod pragma;
pub mod redirect;
pub mod request;
pub mod stream;

pub use chunk::{Chunk, ChunkDecoder, ChunkKind, MmsPacket};
pub use classify::{HttpContent, classify_http};
pub use http::{
    Dechunker, Headers, RequestHead, ResponseHead, parse_request_head, parse_response_head,
};
pub use pragma::{Pragmas, StreamSwitch};
pub use request::{ClientRequest, HttpMode, RequestKind, ServerRequest, StartAt};
pub use stream::{BodyEvent, BodyReader};

use crate::error::{ErrorKind, NetError};

/// What can go wrong in the MS-WMSP codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MmshError {
    /// The HTTP layer is malformed or over its limits.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The `$` framing or a chunk body is malformed.
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    /// The ASF header from the server is over our limit.
    #[error("the ASF header is larger than {limit_kib} KiB")]
    HeaderTooLarge { limit_kib: usize },
    /// The server ended the stream in-band with an error (`$E` with an error HRESULT).
    #[error("the server ended the stream with error 0x{hresult:08x}")]
    ServerEnded { hresult: u32 },
}

/// A malformed HTTP head or chunked body, or one over our limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("{what} head is longer than {limit} bytes")]
    HeadTooLong { what: &'static str, limit: usize },
    #[error("{what} has too many header lines")]
    TooManyHeaders { what: &'static str },
    #[error("the server did not answer with HTTP")]
    NotHttp,
    #[error("unsupported HTTP version {0:?}")]
    Version(String),
    #[error("bad status line {0:?}")]
    StatusLine(String),
    #[error("bad request line {0:?}")]
    RequestLine(String),
    #[error("chunk size line too long")]
    ChunkSizeLineTooLong,
    #[error("bad chunk size {0:?}")]
    ChunkSize(String),
}

/// A malformed `$` chunk, or a header chunk that does not hold a usable ASF header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("${kind} chunk of {len} bytes is shorter than its 8-byte packet header")]
    ShorterThanPacketHeader { kind: char, len: usize },
    #[error("${kind} packet size {packet_size} exceeds its chunk length {len}")]
    PacketSizeBeyondChunk {
        kind: char,
        packet_size: usize,
        len: usize,
    },
    #[error("expected a '$' chunk at body offset {offset}, got byte 0x{byte:02x}")]
    NotAChunk { offset: u64, byte: u8 },
    #[error("payload of {0} bytes is too large for one chunk")]
    PayloadTooLarge(usize),
    #[error("bad ASF header: {0}")]
    BadHeader(mmsplay_asf::AsfError),
    #[error("bad ASF packet size {0}")]
    BadPacketSize(u32),
    #[error("the server sent data before a complete ASF header")]
    DataBeforeHeader,
    #[error("the ASF header is truncated")]
    HeaderTruncated,
    #[error("the ASF header is truncated: {got} of {need} bytes")]
    HeaderTruncatedAt { got: usize, need: usize },
}

impl From<MmshError> for NetError {
    fn from(e: MmshError) -> NetError {
        let kind = match e {
            MmshError::HeaderTooLarge { .. } => ErrorKind::Limit,
            MmshError::Http(_) | MmshError::Chunk(_) | MmshError::ServerEnded { .. } => {
                ErrorKind::Protocol
            }
        };
        NetError::caused_by(kind, e)
    }
}
