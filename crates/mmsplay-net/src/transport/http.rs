//! The one HTTP/1.x client over tokio, for MS-WMSP (`transport::mmsh`) and for fetching
//! metafiles and progressively downloaded files (the player's `metafile::fetch`): connect,
//! send a request, read the head, read the body by its framing (length, chunked or close),
//! and hand a kept-alive connection back. Every wait has a deadline; heads and chunks are
//! parsed by the sans-IO [`crate::mmsh::http`].

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::error::{NetError, Result};
use crate::mmsh::{Dechunker, ResponseHead, parse_response_head};
use crate::proxy::{Proxy, proxied_request};

/// Socket read size.
const READ_CHUNK: usize = 16 * 1024;

/// How a response body ends (RFC 9112 6.3).
enum Framing {
    /// Read until the server closes.
    Close,
    /// This many bytes left.
    Length(u64),
    Chunked(Dechunker),
}

/// One HTTP response being read: the head, the socket and the body's framing.
pub struct HttpResponse {
    sock: TcpStream,
    pub head: ResponseHead,
    framing: Framing,
    /// Body bytes that came with the head, not yet handed out.
    early: Vec<u8>,
    /// Read buffer, reused.
    scratch: Vec<u8>,
    done: bool,
}

impl HttpResponse {
    /// Reads more body bytes into `out`, waiting until `deadline`. Returns false at the end of
    /// the body.
    pub async fn read_body(&mut self, out: &mut Vec<u8>, deadline: Instant) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let raw = if self.early.is_empty() {
            self.scratch.resize(READ_CHUNK, 0);
            let n = timeout_at(deadline, self.sock.read(&mut self.scratch))
                .await
                .map_err(|_| NetError::timeout("the server stopped sending"))?
                .map_err(|e| NetError::io("reading from the server", e))?;
            if n == 0 {
                self.done = true;
                return Ok(false);
            }
            &self.scratch[..n]
        } else {
            self.scratch = std::mem::take(&mut self.early);
            &self.scratch[..]
        };
        match &mut self.framing {
            Framing::Close => out.extend_from_slice(raw),
            Framing::Length(left) => {
                let n = raw.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                out.extend_from_slice(&raw[..n]);
                *left -= n as u64;
                if *left == 0 {
                    self.done = true;
                }
            }
            Framing::Chunked(d) => {
                if d.decode(raw, out)? {
                    self.done = true;
                }
            }
        }
        Ok(true)
    }
}

impl HttpResponse {
    /// Closes our side of the connection.
    pub async fn shutdown(mut self) {
        let _ = self.sock.shutdown().await;
    }

    /// Reads the rest of a length-delimited or chunked body (bounded) and hands the connection
    /// back for the next request, when the server keeps it open (HTTP/1.1 keep-alive).
    pub async fn into_reusable(mut self, deadline: Instant) -> Option<TcpStream> {
        let keep = self.head.minor == 1
            && !matches!(self.framing, Framing::Close)
            && !self
                .head
                .headers
                .all("connection")
                .any(|v| v.eq_ignore_ascii_case("close"));
        if !keep {
            return None;
        }
        let mut rest = Vec::new();
        while !self.done {
            if rest.len() > 64 * 1024 || !self.read_body(&mut rest, deadline).await.ok()? {
                return None;
            }
        }
        Some(self.sock)
    }
}

/// Runs `fut` until `deadline`, naming `what` in the timeout error.
pub async fn by<T>(
    deadline: Instant,
    what: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    timeout_at(deadline, fut)
        .await
        .map_err(|_| NetError::timeout(format!("timed out {what}")))?
}

/// Connects to `addr` (`host:port`), sends one request and reads the response head.
pub async fn exchange(addr: &str, request: &str, deadline: Instant) -> Result<HttpResponse> {
    let sock = by(deadline, &format!("connecting to {addr}"), async {
        TcpStream::connect(&addr)
            .await
            .map_err(|e| NetError::io("connecting", e).with_peer(addr))
    })
    .await?;
    let _ = sock.set_nodelay(true);
    request_on(sock, request, deadline).await
}

/// [`exchange`] with the origin server `authority` (`host:port`), directly or through an
/// HTTP proxy (the request rewritten for it by [`proxied_request`]).
pub async fn exchange_via(
    authority: &str,
    proxy: Option<&Proxy>,
    request: &str,
    deadline: Instant,
) -> Result<HttpResponse> {
    let Some(p) = proxy else {
        return exchange(authority, request, deadline).await;
    };
    let resp = exchange(
        &p.authority(),
        &proxied_request(request, authority, p),
        deadline,
    )
    .await
    .map_err(|mut e| {
        e.message = format!("through the HTTP proxy {p}: {}", e.message);
        e
    })?;
    if resp.head.status == 407 {
        return Err(NetError::refused(format!(
            "the HTTP proxy {p} asks for credentials: give them as --proxy http://USER:PASS@HOST:PORT"
        )));
    }
    Ok(resp)
}

/// Sends one request on an open connection and reads the response head.
pub async fn request_on(
    mut sock: TcpStream,
    request: &str,
    deadline: Instant,
) -> Result<HttpResponse> {
    by(deadline, "sending the request", async {
        sock.write_all(request.as_bytes())
            .await
            .map_err(|e| NetError::io("sending the request", e))
    })
    .await?;
    let mut buf = Vec::with_capacity(2048);
    let (head, used) = by(deadline, "waiting for the HTTP response", async {
        loop {
            if let Some(h) = parse_response_head(&buf)? {
                return Ok(h);
            }
            let mut chunk = [0u8; 4096];
            let n = sock
                .read(&mut chunk)
                .await
                .map_err(|e| NetError::io("reading the HTTP response", e))?;
            if n == 0 {
                return Err(NetError::closed(if buf.is_empty() {
                    "the server closed the connection without answering".to_string()
                } else {
                    "the server closed the connection in the middle of the HTTP response"
                        .to_string()
                }));
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await?;
    let framing = if head.is_chunked() {
        Framing::Chunked(Dechunker::default())
    } else if let Some(n) = head.content_length() {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    let done = matches!(framing, Framing::Length(0));
    Ok(HttpResponse {
        sock,
        head,
        framing,
        early: buf.split_off(used),
        scratch: Vec::new(),
        done,
    })
}
