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
    /// The server asks for credentials we do not have, or refused ours (the cause is an
    /// [`AuthError`](crate::auth::AuthError) saying which).
    Unauthorized,
}

/// A network failure with where and why: the transport, the peer, what was being done and
/// the cause. Its `Display` is the whole one-line sentence a user sees, e.g.
/// `mmst 127.0.0.1:1755: connecting: Connection refused (os error 111)`; [`source`] gives the
/// typed cause (an `io::Error`, an `AsfError`, a protocol module's error) to code that looks.
///
/// [`source`]: std::error::Error::source
#[derive(Debug)]
pub struct NetError {
    pub kind: ErrorKind,
    pub transport: Option<Transport>,
    /// The server's `host:port`.
    pub peer: Option<String>,
    /// What was being done (`connecting`, `reading the reply to DESCRIBE`…), if said.
    pub doing: Option<String>,
    /// Why, in words.
    pub message: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.transport, &self.peer) {
            (Some(t), Some(p)) => write!(f, "{t} {p}: ")?,
            (Some(t), None) => write!(f, "{t}: ")?,
            (None, Some(p)) => write!(f, "{p}: ")?,
            (None, None) => {}
        }
        if let Some(d) = &self.doing {
            write!(f, "{d}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl NetError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        NetError {
            kind,
            transport: None,
            peer: None,
            doing: None,
            message: message.into(),
            cause: None,
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

    /// A failure caused by `cause`: its text is the message, and it is the `source()`.
    pub fn caused_by(
        kind: ErrorKind,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(kind, cause.to_string()).with_cause(cause)
    }

    /// Keeps `cause` as the `source()` (the message says it in words already).
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// Names the transport, unless a more precise one is already named.
    pub fn with_transport(mut self, t: Transport) -> Self {
        self.transport.get_or_insert(t);
        self
    }

    /// Names the peer (`host:port`), unless one is already named.
    pub fn with_peer(mut self, peer: impl Into<String>) -> Self {
        if self.peer.is_none() {
            self.peer = Some(peer.into());
        }
        self
    }

    /// Says what was being done, unless something more precise is already said.
    pub fn doing(mut self, what: impl Into<String>) -> Self {
        if self.doing.is_none() {
            self.doing = Some(what.into());
        }
        self
    }

    /// Turns an IO error into a user sentence, keeping refusals and timeouts apart. `context`
    /// is what was being done; the IO error is the cause.
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
        Self::caused_by(kind, e).doing(context)
    }
}

impl From<mmsplay_asf::AsfError> for NetError {
    fn from(e: mmsplay_asf::AsfError) -> Self {
        let kind = match e {
            mmsplay_asf::AsfError::LimitExceeded { .. } => ErrorKind::Limit,
            _ => ErrorKind::Protocol,
        };
        Self::caused_by(kind, e)
    }
}

impl From<crate::auth::AuthError> for NetError {
    fn from(e: crate::auth::AuthError) -> Self {
        let kind = match e {
            crate::auth::AuthError::Syntax(_) => ErrorKind::Protocol,
            _ => ErrorKind::Unauthorized,
        };
        Self::caused_by(kind, e)
    }
}

impl NetError {
    /// The authentication failure behind this error, if it is one.
    pub fn auth_error(&self) -> Option<&crate::auth::AuthError> {
        let cause = self.cause.as_deref()?;
        match cause.downcast_ref::<NetError>() {
            Some(inner) => inner.auth_error(),
            None => cause.downcast_ref(),
        }
    }
}

pub type Result<T> = std::result::Result<T, NetError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn the_sentence_says_where_what_and_why_and_keeps_the_cause() {
        let e = NetError::io(
            "connecting",
            io::Error::new(io::ErrorKind::ConnectionRefused, "refused"),
        )
        .with_transport(Transport::Mmst)
        .with_peer("127.0.0.1:1755")
        .with_transport(Transport::Mmsh);
        assert_eq!(e.kind, ErrorKind::Refused);
        assert_eq!(e.to_string(), "mmst 127.0.0.1:1755: connecting: refused");
        let cause = e.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(
            cause.map(io::Error::kind),
            Some(io::ErrorKind::ConnectionRefused)
        );
        let e = NetError::from(mmsplay_asf::AsfError::NotAsf);
        assert!(e.source().is_some());
        assert_eq!(NetError::timeout("late").to_string(), "late");
    }
}
