//! The writing side of one MMSH connection: every write has a deadline (a client that stops
//! reading ends its own session instead of pinning a task), and a Play body can be sent with
//! the HTTP/1.1 chunked coding of pipelined mode ([MS-WMSP] 2.2.2.6).
//!
//! Data packets are queued in the connection's [`Outbox`] with their `$D` framing in front,
//! sharing the packet's bytes, and go out once per pacing tick in one vectored write
//! ([`Sink::until_due`]); anything else written first sends what is queued, so the order on
//! the wire is the order of the calls.

use std::time::Duration;

use bytes::Bytes;
use mmsplay_net::mmsh::chunk::{ChunkKind, encode_mms_chunk_head};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::ServerError;
use crate::outbox::Outbox;
use crate::pacing::Pacer;

/// Without pacing (`--fast`), packets are written in batches of this many.
const FAST_BATCH: usize = 32;

/// How long one write may wait for the client to read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Sink {
    sock: TcpStream,
    chunked: bool,
    /// Data packets not written yet.
    out: Outbox,
}

impl Sink {
    /// A connection whose listener may fall `queue` packets behind.
    pub fn new(sock: TcpStream, queue: usize) -> Sink {
        Sink {
            sock,
            chunked: false,
            out: Outbox::new(queue),
        }
    }

    pub fn sock(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Body bytes from now on go out as HTTP/1.1 chunks.
    pub fn set_chunked(&mut self, on: bool) {
        self.chunked = on;
    }

    /// Writes bytes as they are (response heads), after what is queued.
    pub async fn raw(&mut self, b: &[u8]) -> Result<(), ServerError> {
        self.drain().await?;
        match timeout(WRITE_TIMEOUT, self.sock.write_all(b)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ServerError::Usage(format!("mmsh: client gone: {e}"))),
            Err(_) => Err(ServerError::Usage("mmsh: client stopped reading".into())),
        }
    }

    /// Writes body bytes, chunk-coded in pipelined mode.
    pub async fn body(&mut self, b: &[u8]) -> Result<(), ServerError> {
        if self.chunked {
            let mut framed = Vec::with_capacity(b.len() + 12);
            framed.extend_from_slice(format!("{:x}\r\n", b.len()).as_bytes());
            framed.extend_from_slice(b);
            framed.extend_from_slice(b"\r\n");
            self.raw(&framed).await
        } else {
            self.raw(b).await
        }
    }

    /// Queues a `$D` chunk of `packet` (LocationId `location`, AFFlags `af_flags`) without
    /// copying the packet; it goes out at the next [`Sink::until_due`] that finds it due.
    pub fn data(&mut self, location: u32, af_flags: u8, packet: &Bytes) -> Result<(), ServerError> {
        let head = encode_mms_chunk_head(ChunkKind::Data, location, 0, af_flags, packet.len())
            .map_err(|e| ServerError::Media(e.to_string()))?;
        if self.chunked {
            let line = format!("{:x}\r\n", head.len() + packet.len());
            self.out.framing(line.as_bytes());
        }
        self.out.framing(&head);
        self.out.packet(packet.clone());
        if self.chunked {
            self.out.framing(b"\r\n");
        }
        Ok(())
    }

    /// Before the packet with send time `send_ms`: unless it is due now, writes what is
    /// queued (as much as the client takes, as its socket drains) and waits for the tick at
    /// which it is. A listener still a whole queue behind then is an error: it is dropped.
    /// (Checked after the wait, not when a burst was just queued: a preroll burst or a batch
    /// may be larger than the queue, and a client that reads takes it in the meantime.)
    pub async fn until_due(&mut self, pacer: &Pacer, send_ms: u64) -> Result<(), ServerError> {
        if pacer.is_fast() {
            if self.out.packets() >= FAST_BATCH {
                self.drain().await?;
            }
            return Ok(());
        }
        if pacer.is_due(send_ms) {
            return Ok(());
        }
        // What the socket does not take now goes out as it drains, until the tick.
        loop {
            self.write_queued()?;
            if self.out.is_empty() {
                pacer.wait(send_ms).await;
                break;
            }
            tokio::select! {
                w = self.sock.writable() => w.map_err(|e| ServerError::Usage(format!("mmsh: client gone: {e}")))?,
                _ = pacer.wait(send_ms) => break,
            }
        }
        self.write_queued()?;
        self.check_queue()
    }

    /// Writes what is queued, as much as the client takes now.
    pub fn write_queued(&mut self) -> Result<(), ServerError> {
        self.out
            .write_ready(&self.sock)
            .map_err(|e| ServerError::Usage(format!("mmsh: client gone: {e}")))
    }

    /// An error if the client is a whole queue behind: it is dropped.
    pub fn check_queue(&self) -> Result<(), ServerError> {
        self.out
            .check()
            .map_err(|_| ServerError::Usage("mmsh: client a whole queue behind, dropped".into()))
    }

    /// Writes everything queued, waiting (bounded) for the client.
    async fn drain(&mut self) -> Result<(), ServerError> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.out
            .write_all(&self.sock, WRITE_TIMEOUT)
            .await
            .map_err(|e| ServerError::Usage(format!("mmsh: client gone: {e}")))
    }

    pub async fn flush(&mut self) -> Result<(), ServerError> {
        self.drain().await?;
        match timeout(WRITE_TIMEOUT, self.sock.flush()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(ServerError::Usage("mmsh: client gone".into())),
        }
    }

    /// Ends a body: the last chunk in pipelined mode (the connection stays), else a flush (the
    /// caller then closes).
    pub async fn finish(&mut self) -> Result<(), ServerError> {
        if self.chunked {
            self.chunked = false;
            self.raw(b"0\r\n\r\n").await?;
        }
        self.flush().await
    }

    /// An error or empty status reply with our Server header; failures are ignored (the
    /// connection is closed next anyway).
    pub async fn simple(&mut self, status: u16, reason: &str) {
        let body = format!("{status} {reason}\r\n");
        let head = format!(
            "HTTP/1.0 {status} {reason}\r\nServer: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            super::SERVER_NAME,
            body.len()
        );
        let _ = self.raw(head.as_bytes()).await;
        let _ = self.flush().await;
    }

    /// `401 Unauthorized` with one `WWW-Authenticate` line per challenge (`serve --auth`).
    pub async fn unauthorized(&mut self, challenges: &[String]) {
        let body = "401 Unauthorized\r\n";
        let mut head = format!(
            "HTTP/1.0 401 Unauthorized\r\nServer: {}\r\n",
            super::SERVER_NAME
        );
        for c in challenges {
            head.push_str(&format!("WWW-Authenticate: {c}\r\n"));
        }
        head.push_str(&format!(
            "Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let _ = self.raw(head.as_bytes()).await;
        let _ = self.flush().await;
    }

    /// `302 Found` to `location` (`serve --redirect`).
    pub async fn redirect(&mut self, location: &str) {
        let head = format!(
            "HTTP/1.0 302 Found\r\nServer: {}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            super::SERVER_NAME
        );
        let _ = self.raw(head.as_bytes()).await;
        let _ = self.flush().await;
    }

    /// The busy answer to a client over the session limits: `503` with a `Retry-After`.
    pub async fn busy(&mut self) {
        let body = "503 Service Unavailable: too many clients\r\n";
        let head = format!(
            "HTTP/1.0 503 Service Unavailable\r\nServer: {}\r\nRetry-After: 30\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            super::SERVER_NAME,
            body.len()
        );
        let _ = self.raw(head.as_bytes()).await;
        let _ = self.flush().await;
    }

    /// `200 OK` with an empty body (KeepAlive, Log, Stop).
    pub async fn empty_ok(&mut self, keep_alive: bool) -> Result<(), ServerError> {
        let (version, conn) = if keep_alive {
            ("1.1", "Keep-Alive")
        } else {
            ("1.0", "close")
        };
        let head = format!(
            "HTTP/{version} 200 OK\r\nServer: {}\r\nCache-Control: no-cache\r\nContent-Length: 0\r\nConnection: {conn}\r\n\r\n",
            super::SERVER_NAME
        );
        self.raw(head.as_bytes()).await?;
        self.flush().await
    }
}
