//! The transport picker: a [`Session`] is an open stream on one of the transports, and the
//! player consumes its [`AsfEvent`]s without knowing which protocol is under it.

use std::time::Duration;

use crate::Transport;
use crate::error::{NetError, Result};
use crate::stream::{AsfEvent, ConnectOptions};
use crate::transport;
use crate::url::StreamUrl;

/// An open stream on one transport. An enum, not a trait object, so that each transport keeps
/// its own plain async methods (the retina style).
pub enum Session {
    Mmsh(transport::mmsh::MmshSession),
    Mms(transport::mms::MmsSession),
    Rtsp(transport::rtsp::RtspSession),
}

impl Session {
    /// Connects with one transport and returns once media has started flowing (the ASF header
    /// and at least the first data packet are in hand, buffered inside the session), or fails
    /// within `opts.connect_timeout`.
    pub async fn open(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Session> {
        let fut = async {
            match t {
                Transport::Mmsh => Ok(Session::Mmsh(
                    transport::mmsh::MmshSession::connect(url, opts).await?,
                )),
                Transport::Mmst | Transport::Mmsu => Ok(Session::Mms(
                    transport::mms::MmsSession::connect(url, t, opts).await?,
                )),
                Transport::Rtspu | Transport::Rtspt => Ok(Session::Rtsp(
                    transport::rtsp::RtspSession::connect(url, t, opts).await?,
                )),
                Transport::File => Err(NetError::unsupported("a file is not a network transport")),
            }
        };
        match tokio::time::timeout(opts.connect_timeout, fut).await {
            Ok(r) => r.map_err(|e| e.with_transport(t)),
            Err(_) => Err(NetError::timeout(format!(
                "no media within {:.1} s",
                opts.connect_timeout.as_secs_f64()
            ))
            .with_transport(t)),
        }
    }

    /// The next event. Every transport bounds its own waits by `idle_timeout`.
    pub async fn next_event(&mut self) -> Result<AsfEvent> {
        match self {
            Session::Mmsh(s) => s.next_event().await,
            Session::Mms(s) => s.next_event().await,
            Session::Rtsp(s) => s.next_event().await,
        }
    }

    pub fn transport(&self) -> Transport {
        match self {
            Session::Mmsh(_) => Transport::Mmsh,
            Session::Mms(s) => s.transport(),
            Session::Rtsp(s) => s.transport(),
        }
    }

    /// Ends the session politely (TEARDOWN, close messages), within a short bound.
    pub async fn close(self) {
        let fut = async {
            match self {
                Session::Mmsh(s) => s.close().await,
                Session::Mms(s) => s.close().await,
                Session::Rtsp(s) => s.close().await,
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), fut).await;
    }
}
