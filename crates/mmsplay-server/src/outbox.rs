//! A session's bounded queue of outgoing bytes, written with vectored writes.
//!
//! The framing a protocol puts before a packet (`$D` and its MMS data header, an HTTP chunk
//! line, an interleaved RTP header) is a few bytes held inline; the packet itself is the
//! shared [`Bytes`] every listener holds, never copied per listener. Everything due in one
//! pacing tick goes out in one `writev`, as much as the socket takes without waiting. What it
//! does not take stays queued for the next tick; a listener whose queue grows past its limit
//! (it stopped reading, or reads slower than the stream) is dropped by its session, and since
//! no write ever waits for it, it slows nobody else.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

/// Packets a listener may fall behind before it is dropped, by default (about 100 s of
/// 128 kb/s audio in 1600-byte packets: the socket buffers come on top). The packets are
/// shared, so a full queue costs a listener little memory of its own.
pub const QUEUE_PACKETS: usize = 1024;
/// Longest framing held inline.
pub const INLINE: usize = 32;
/// Most pieces handed to one `writev` (well below `IOV_MAX`).
const MAX_SLICES: usize = 64;

enum Part {
    Inline { buf: [u8; INLINE], len: u8 },
    Shared { bytes: Bytes, packet: bool },
}

impl Part {
    fn bytes(&self) -> &[u8] {
        match self {
            Part::Inline { buf, len } => &buf[..usize::from(*len)],
            Part::Shared { bytes, .. } => bytes,
        }
    }
}

/// A socket an [`Outbox`] writes to.
pub trait Socket {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl Socket for TcpStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        TcpStream::try_write_vectored(self, bufs)
    }
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::writable(self)
    }
}

impl Socket for OwnedWriteHalf {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        OwnedWriteHalf::try_write_vectored(self, bufs)
    }
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
        OwnedWriteHalf::writable(self)
    }
}

/// The queue was over its limit of packets: the listener is a whole queue behind.
#[derive(Debug)]
pub struct Behind;

/// Queued bytes of one connection.
pub struct Outbox {
    parts: VecDeque<Part>,
    /// Bytes of the front part already written.
    front_done: usize,
    /// Packets queued (pushed with [`Outbox::packet`]) and not yet fully written.
    packets: usize,
    /// Packets a listener may be behind.
    limit: usize,
}

impl Outbox {
    /// An empty queue that holds at most `limit` packets.
    pub fn new(limit: usize) -> Outbox {
        Outbox {
            parts: VecDeque::new(),
            front_done: 0,
            packets: 0,
            limit: limit.max(1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Packets queued and not yet fully written.
    pub fn packets(&self) -> usize {
        self.packets
    }

    /// Queues a few framing bytes (copied; longer ones than [`INLINE`] are allocated).
    pub fn framing(&mut self, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        if b.len() > INLINE {
            self.parts.push_back(Part::Shared {
                bytes: Bytes::copy_from_slice(b),
                packet: false,
            });
            return;
        }
        let mut buf = [0u8; INLINE];
        buf[..b.len()].copy_from_slice(b);
        self.parts.push_back(Part::Inline {
            buf,
            len: b.len() as u8,
        });
    }

    /// Queues shared bytes that are not a packet (a header, a message).
    pub fn bytes(&mut self, b: Bytes) {
        if !b.is_empty() {
            self.parts.push_back(Part::Shared {
                bytes: b,
                packet: false,
            });
        }
    }

    /// Queues a data packet (shared, not copied); it counts against the limit.
    pub fn packet(&mut self, p: Bytes) {
        self.packets += 1;
        self.parts.push_back(Part::Shared {
            bytes: p,
            packet: true,
        });
    }

    /// Whether the listener is more than a whole queue behind.
    pub fn check(&self) -> Result<(), Behind> {
        if self.packets > self.limit {
            Err(Behind)
        } else {
            Ok(())
        }
    }

    /// Writes as much as the socket takes now, without waiting.
    pub fn write_ready(&mut self, sock: &impl Socket) -> io::Result<()> {
        while !self.parts.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut n = 0;
            let mut want = 0;
            for (i, part) in self.parts.iter().take(MAX_SLICES).enumerate() {
                let b = if i == 0 {
                    &part.bytes()[self.front_done..]
                } else {
                    part.bytes()
                };
                slices[n] = IoSlice::new(b);
                want += b.len();
                n += 1;
            }
            match sock.try_write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(k) => {
                    self.advance(k);
                    if k < want {
                        // The socket buffer is full: no point asking again now.
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes everything, waiting for the socket; fails if that takes longer than `limit`.
    pub async fn write_all(&mut self, sock: &impl Socket, limit: Duration) -> io::Result<()> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            self.write_ready(sock)?;
            if self.is_empty() {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, sock.writable()).await {
                Ok(r) => r?,
                Err(_) => return Err(io::ErrorKind::TimedOut.into()),
            }
        }
    }

    /// `k` more bytes were written.
    fn advance(&mut self, mut k: usize) {
        while k > 0 {
            let Some(front) = self.parts.front() else {
                return;
            };
            let left = front.bytes().len() - self.front_done;
            if k < left {
                self.front_done += k;
                return;
            }
            k -= left;
            self.front_done = 0;
            if let Some(Part::Shared { packet: true, .. }) = self.parts.pop_front() {
                self.packets -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A socket that takes at most `room` bytes, then would block.
    struct Tight {
        room: Mutex<usize>,
        got: Mutex<Vec<u8>>,
    }

    impl Socket for Tight {
        fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut room = self.room.lock().unwrap();
            if *room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(*room - n);
                self.got.lock().unwrap().extend_from_slice(&b[..take]);
                n += take;
                if n == *room {
                    break;
                }
            }
            *room -= n;
            Ok(n)
        }
        async fn writable(&self) -> io::Result<()> {
            std::future::pending().await
        }
    }

    #[test]
    fn partial_writes_resume_where_they_stopped_and_packets_count_down() {
        let sock = Tight {
            room: Mutex::new(5),
            got: Mutex::new(Vec::new()),
        };
        let mut out = Outbox::new(2);
        out.framing(b"$D");
        out.packet(Bytes::from_static(b"abcdef"));
        out.framing(b"\r\n");
        out.packet(Bytes::from_static(b"xyz"));
        assert!(out.check().is_ok());
        out.write_ready(&sock).unwrap();
        assert_eq!(*sock.got.lock().unwrap(), b"$Dabc");
        assert_eq!(out.packets(), 2);
        *sock.room.lock().unwrap() = 9;
        out.write_ready(&sock).unwrap();
        assert_eq!(*sock.got.lock().unwrap(), b"$Dabcdef\r\nxyz");
        assert_eq!(out.packets(), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn a_queue_past_its_limit_is_behind() {
        let mut out = Outbox::new(2);
        for _ in 0..3 {
            out.packet(Bytes::from_static(b"p"));
        }
        assert!(out.check().is_err());
    }

    #[tokio::test]
    async fn a_socket_that_never_drains_times_out() {
        let sock = Tight {
            room: Mutex::new(0),
            got: Mutex::new(Vec::new()),
        };
        let mut out = Outbox::new(4);
        out.bytes(Bytes::from_static(b"header"));
        let e = out
            .write_all(&sock, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
