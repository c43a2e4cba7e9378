//! The transport picker: a [`Session`] is an open stream on one of the transports, and the
//! player consumes its [`AsfEvent`]s without knowing which protocol is under it.

use std::time::Duration;

use crate::Transport;
use crate::error::{NetError, Result};
use crate::stream::{AsfEvent, ConnectOptions};
use crate::transport;
use crate::url::StreamUrl;

/// An open stream on one transport. The transports are an enum, not trait objects, so that
/// each keeps its own plain async methods (the retina style).
pub struct Session {
    link: Link,
    /// The server's `host:port`, named in every error.
    peer: String,
}

enum Link {
    Mmsh(transport::mmsh::MmshSession),
    Mms(transport::mms::MmsSession),
    Rtsp(transport::rtsp::RtspSession),
}

impl Session {
    /// Connects with one transport and returns once media has started flowing (the ASF header
    /// and at least the first data packet are in hand, buffered inside the session), or fails
    /// within `opts.connect_timeout`. An error names the transport, the peer and the cause.
    pub async fn open(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Session> {
        let peer = url.authority(url.port_for(t, &opts.ports));
        let fut = async {
            match t {
                Transport::Mmsh => Ok(Link::Mmsh(
                    transport::mmsh::MmshSession::connect(url, opts).await?,
                )),
                Transport::Mmst | Transport::Mmsu => Ok(Link::Mms(
                    transport::mms::MmsSession::connect(url, t, opts).await?,
                )),
                Transport::Rtspu | Transport::Rtspt => Ok(Link::Rtsp(
                    transport::rtsp::RtspSession::connect(url, t, opts).await?,
                )),
                Transport::File => Err(NetError::unsupported("a file is not a network transport")),
            }
        };
        let result = match tokio::time::timeout(opts.connect_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(NetError::timeout(format!(
                "no media within {:.1} s",
                opts.connect_timeout.as_secs_f64()
            ))),
        };
        match result {
            Ok(link) => Ok(Session { link, peer }),
            Err(e) => Err(e.with_transport(t).with_peer(peer).doing("connecting")),
        }
    }

    /// The next event. Every transport bounds its own waits by `idle_timeout`.
    pub async fn next_event(&mut self) -> Result<AsfEvent> {
        let r = match &mut self.link {
            Link::Mmsh(s) => s.next_event().await,
            Link::Mms(s) => s.next_event().await,
            Link::Rtsp(s) => s.next_event().await,
        };
        r.map_err(|e| {
            e.with_transport(self.transport())
                .with_peer(self.peer.clone())
                .doing("streaming")
        })
    }

    /// Asks the server for audio stream `audio` (with the command streams) from now on,
    /// mid-stream. Returns whether the transport could: MMS (StreamSwitch), RTSP
    /// (SelectStream), MMSH in non-pipelined mode (SelectStream); an MMSH session in pipelined
    /// mode keeps what it asked for at connect.
    pub async fn select(&mut self, audio: &[u16]) -> Result<bool> {
        match &mut self.link {
            Link::Mms(s) => s.select(audio).await.map(|()| true),
            Link::Rtsp(s) => s.select(audio).await.map(|()| true),
            Link::Mmsh(s) => s.select(audio).await,
        }
    }

    pub fn transport(&self) -> Transport {
        match &self.link {
            Link::Mmsh(_) => Transport::Mmsh,
            Link::Mms(s) => s.transport(),
            Link::Rtsp(s) => s.transport(),
        }
    }

    /// The server's `host:port`.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Ends the session politely (TEARDOWN, close messages), within a short bound.
    pub async fn close(self) {
        let fut = async {
            match self.link {
                Link::Mmsh(s) => s.close().await,
                Link::Mms(s) => s.close().await,
                Link::Rtsp(s) => s.close().await,
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), fut).await;
    }
}
