//! The writing side of one RTSP connection, shared by its replies and the interleaved media
//! of RTSP over TCP: one [`Outbox`], so that a media frame the client has taken only part of
//! is finished before a reply goes out, and the order on the wire is the order of the calls.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::tcp::OwnedWriteHalf;

use crate::outbox::{Behind, Outbox};

/// How long a reply (or a goodbye) may wait for the client to read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Wire {
    wr: OwnedWriteHalf,
    out: Outbox,
}

impl Wire {
    /// A connection whose listener may fall `queue` packets behind.
    pub fn new(wr: OwnedWriteHalf, queue: usize) -> Wire {
        Wire {
            wr,
            out: Outbox::new(queue),
        }
    }

    /// Writes `b` after everything queued, waiting (bounded) for the client.
    pub async fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.bytes(Bytes::copy_from_slice(b));
        self.out.write_all(&self.wr, WRITE_TIMEOUT).await
    }

    /// Queues an interleaved media frame: its framing, then the packet (shared, not copied).
    pub fn queue(&mut self, framing: &[u8], packet: Bytes) {
        self.out.framing(framing);
        self.out.packet(packet);
    }

    /// Packets queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.packets()
    }

    /// Writes what is queued, as much as the client takes now.
    pub fn write_ready(&mut self) -> io::Result<()> {
        self.out.write_ready(&self.wr)
    }

    /// An error if the client is a whole queue behind.
    pub fn check(&self) -> io::Result<()> {
        self.out
            .check()
            .map_err(|Behind| io::Error::other("client a whole queue behind"))
    }

    /// Writes everything queued, waiting (bounded) for the client.
    pub async fn drain(&mut self) -> io::Result<()> {
        self.out.write_all(&self.wr, WRITE_TIMEOUT).await
    }
}
