//! The one error type of the network layer. Its `Display` is the short human sentence that the
//! `attempt_failed` event and the TUI show, so write messages for users.

use std::io;

use crate::Transport;

/// How a step failed, which the rollover uses to decide what comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server answered "no" (RTSP/HTTP error status, MMS error `hr`, connection refused).
    Refused,
    /// Nothing (or not enough) arrived before a deadline.
    Timeout,
    /// The peer sent something that breaks the protocol.
    Protocol,
    /// A length or count from the peer is over our limits.
    Limit,
    /// The stream does not exist.
    NotFound,
    /// The transport or the content is something we do not support.
    Unsupported,
    /// The connection dropped mid-stream.
    Closed,
    /// A local IO failure.
    Io,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct NetError {
    pub kind: ErrorKind,
    pub transport: Option<Transport>,
    pub message: String,
}

impl NetError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        NetError {
            kind,
            transport: None,
            message: message.into(),
        }
    }

    pub fn refused(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, m)
    }

    pub fn timeout(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, m)
    }

    pub fn protocol(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, m)
    }

    pub fn limit(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Limit, m)
    }

    pub fn closed(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Closed, m)
    }

    pub fn unsupported(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, m)
    }

    pub fn with_transport(mut self, t: Transport) -> Self {
        self.transport = Some(t);
        self
    }

    /// Turns an IO error into a user sentence, keeping refusals and timeouts apart.
    pub fn io(context: &str, e: io::Error) -> Self {
        let kind = match e.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ErrorKind::Closed,
            _ => ErrorKind::Io,
        };
        Self::new(kind, format!("{context}: {e}"))
    }
}

impl From<mmsplay_asf::AsfError> for NetError {
    fn from(e: mmsplay_asf::AsfError) -> Self {
        Self::new(ErrorKind::Protocol, e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, NetError>;
