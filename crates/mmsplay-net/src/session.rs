//! What every transport yields: one ASF header, then data packets, gaps and end of stream.
//! The player consumes a [`Session`] without knowing which protocol is under it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::Transport;
use crate::error::{NetError, Result};
use crate::transport;
use crate::url::{Ports, StreamUrl};

/// One item of the uniform stream.
#[derive(Clone, Debug, PartialEq)]
pub enum AsfEvent {
    /// The ASF Header Object followed by the 50-byte Data Object prefix. Comes first, and again
    /// after a stream change (a new header mid-stream: rebuild the demuxer and decoder).
    Header(Bytes),
    /// One ASF data packet, zero-padded back to the header's packet size.
    Packet(Bytes),
    /// `lost` data packets never arrived here (sequence gap). Already counted in the stats.
    Gap { lost: u64 },
    /// A script command carried by the transport (MMSH `$M`, say).
    Script { kind: String, text: String },
    /// The server ended the stream normally.
    End,
}

/// Counters every transport updates as media arrives. Shared with the player (read) through an
/// `Arc`; relaxed atomics are enough, the figures are for display.
#[derive(Debug, Default)]
pub struct TransportStats {
    pub bytes_received: AtomicU64,
    pub packets_received: AtomicU64,
    pub packets_lost: AtomicU64,
    pub packets_recovered: AtomicU64,
    pub packets_late: AtomicU64,
}

impl TransportStats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one received data packet of `len` bytes (as received, before padding).
    pub fn packet(&self, len: usize) {
        Self::add(&self.packets_received, 1);
        Self::add(&self.bytes_received, len as u64);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What a transport needs to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub ports: Ports,
    /// Deadline for the whole connect step: until media flows.
    pub connect_timeout: Duration,
    /// Once playing, how long without any data before the stream is declared dead.
    pub idle_timeout: Duration,
    /// Where to start an on-demand stream (resume after a reconnect), in milliseconds.
    pub start_ms: u64,
    /// Stream numbers to ask for (empty: the server's default / all audio).
    pub streams: Vec<u16>,
    pub stats: Arc<TransportStats>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            ports: Ports::default(),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
            start_ms: 0,
            streams: Vec::new(),
            stats: Arc::new(TransportStats::default()),
        }
    }
}

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

/// Pads a data packet with zeros back to the header's packet size (transports strip padding).
pub fn pad_packet(mut packet: Vec<u8>, packet_size: u32) -> Bytes {
    if packet.len() < packet_size as usize {
        packet.resize(packet_size as usize, 0);
    }
    Bytes::from(packet)
}
