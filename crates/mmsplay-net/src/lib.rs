//! Network side of mmsplay: the Windows Media streaming protocols as sans-IO codecs
//! ([MS-MMSP] in `mmsp`, [MS-WMSP] in `mmsh`, [MS-RTSP] in `rtsp`), tokio transports that turn
//! each into the same stream of ASF header + data packets (`transport`, `session`), and the
//! protocol rollover that tries them in order.
//!
//! Layering rule: the protocol modules (`mmsp`, `mmsh`, `rtsp`) and the shared sans-IO pieces
//! they and the transports use (`reorder`, the one reorder/resend buffer; `packet_pair`, the
//! bandwidth probe; `redirect`, the one
//! redirect follower) never import tokio;
//! only `transport`, `session` and `rollover` do.

pub mod auth;
pub mod error;
pub mod mmsh;
pub mod mmsp;
pub mod packet_pair;
pub mod proxy;
pub mod redirect;
pub mod reorder;
pub mod rollover;
pub mod rtsp;
pub mod session;
pub mod stream;
mod text_head;
pub mod transport;
mod transport_kind;
pub mod url;

pub use error::{ErrorKind, NetError};
pub use session::Session;
pub use stream::{Acceleration, AsfEvent, ConnectOptions, StreamChooser, TransportStats};
pub use transport_kind::{Transport, UnknownTransport};
pub use url::{Ports, StreamUrl};
