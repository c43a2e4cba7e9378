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
//!
//! Sans-IO: `transport::mmsh` (the client) and the server drive these with sockets.

pub mod chunk;
pub mod classify;
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
    #[error("{0}")]
    Http(String),
    /// The `$` framing or a chunk body is malformed.
    #[error("{0}")]
    Chunk(String),
    /// A size from the server is over our limits.
    #[error("{0}")]
    Limit(String),
    /// The server reported an error in-band (`$E` with an error HRESULT).
    #[error("{0}")]
    Server(String),
}

impl From<MmshError> for NetError {
    fn from(e: MmshError) -> NetError {
        let kind = match e {
            MmshError::Limit(_) => ErrorKind::Limit,
            MmshError::Http(_) | MmshError::Chunk(_) | MmshError::Server(_) => ErrorKind::Protocol,
        };
        NetError::caused_by(kind, e)
    }
}
