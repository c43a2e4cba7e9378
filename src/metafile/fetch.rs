//! A small HTTP/1.0 GET for metafiles and progressively downloaded ASF files: every wait has a
//! deadline, every length a limit, and redirects are followed a bounded number of times.
//! The HTTP heads are parsed by the sans-IO code in `mmsplay_net::mmsh::http`.

use std::time::Duration;

use mmsplay_net::StreamUrl;
use mmsplay_net::mmsh::{Dechunker, ResponseHead, parse_response_head};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

/// Most redirects followed for one fetch.
pub const MAX_REDIRECTS: u32 = 5;
/// Largest response head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Windows Media Player's own user agent: Windows Media Services answers it with the stream
/// (or its MS-WMSP header), where a browser's would get a `[Reference]` file pointing back.
const USER_AGENT: &str = mmsplay_net::mmsh::request::USER_AGENT;

/// Why a fetch failed; `Display` is the short sentence users see.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("timed out {0}")]
    Timeout(&'static str),
    #[error("the server answered {0} {1}")]
    Status(u16, String),
    #[error("{0}")]
    Protocol(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
}

/// An answered GET: the head and a reader for the body.
pub struct HttpBody {
    /// The URL that answered (after redirects).
    pub url: StreamUrl,
    pub head: ResponseHead,
    sock: TcpStream,
    /// Body bytes read along with the head.
    pending: Vec<u8>,
    /// Body bytes still expected when the server sent a Content-Length.
    remaining: Option<u64>,
    /// The chunked coding, from a server that used it although we asked in HTTP/1.0.
    dechunker: Option<Dechunker>,
    chunked_done: bool,
}

impl HttpBody {
    pub fn content_type(&self) -> Option<&str> {
        self.head.content_type()
    }

    /// Appends the next body bytes to `out`; `false` at the end of the body. Waits at most
    /// until `deadline`.
    pub async fn read_some(
        &mut self,
        out: &mut Vec<u8>,
        deadline: Instant,
    ) -> Result<bool, FetchError> {
        let raw = if !self.pending.is_empty() {
            // Already counted against Content-Length when the head was read.
            std::mem::take(&mut self.pending)
        } else {
            if self.remaining == Some(0) || self.chunked_done {
                return Ok(false);
            }
            let mut chunk = vec![0u8; 16 * 1024];
            let n = timeout_at(deadline, self.sock.read(&mut chunk))
                .await
                .map_err(|_| FetchError::Timeout("reading the response"))?
                .map_err(|e| FetchError::Protocol(format!("reading the response: {e}")))?;
            if n == 0 {
                return Ok(false);
            }
            chunk.truncate(n);
            self.take_from(&mut chunk);
            chunk
        };
        match self.dechunker.as_mut() {
            Some(d) => {
                self.chunked_done = d
                    .decode(&raw, out)
                    .map_err(|e| FetchError::Protocol(format!("bad chunked body: {e}")))?;
            }
            None => out.extend_from_slice(&raw),
        }
        Ok(true)
    }

    /// Counts bytes against Content-Length, dropping anything past it.
    fn take_from(&mut self, bytes: &mut Vec<u8>) {
        if let Some(r) = self.remaining.as_mut() {
            let keep = (bytes.len() as u64).min(*r);
            bytes.truncate(keep as usize);
            *r -= keep;
        }
    }

    /// Reads until `out` holds at least `want` bytes or the body ends.
    pub async fn read_at_least(
        &mut self,
        out: &mut Vec<u8>,
        want: usize,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        while out.len() < want {
            if !self.read_some(out, deadline).await? {
                break;
            }
        }
        Ok(())
    }

    /// Reads the whole body, failing when it is over `limit` bytes.
    pub async fn read_to_end(
        &mut self,
        out: &mut Vec<u8>,
        limit: usize,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        while self.read_some(out, deadline).await? {
            if out.len() > limit {
                return Err(FetchError::TooLarge(limit));
            }
        }
        Ok(())
    }
}

/// GETs `url` (`http://`), following redirects. `default_port` is used when the URL has none.
/// Returns once the response head is in; the body is read through [`HttpBody`].
pub async fn get(
    url: &StreamUrl,
    default_port: u16,
    deadline: Instant,
) -> Result<HttpBody, FetchError> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let port = url.port.unwrap_or(default_port);
        let authority = url.authority(port);
        let mut sock = timeout_at(deadline, TcpStream::connect((url.host.as_str(), port)))
            .await
            .map_err(|_| FetchError::Timeout("connecting"))?
            .map_err(|e| FetchError::Connect(authority.clone(), e.to_string()))?;
        let _ = sock.set_nodelay(true);
        let req = format!(
            "GET {} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            url.path
        );
        timeout_at(deadline, sock.write_all(req.as_bytes()))
            .await
            .map_err(|_| FetchError::Timeout("sending the request"))?
            .map_err(|e| FetchError::Protocol(format!("sending the request: {e}")))?;
        let (head, rest) = read_head(&mut sock, deadline).await?;
        match head.status {
            200 => {
                let chunked = head.is_chunked();
                let remaining = if chunked { None } else { head.content_length() };
                let mut body = HttpBody {
                    url,
                    head,
                    sock,
                    pending: Vec::new(),
                    remaining,
                    dechunker: chunked.then(Dechunker::default),
                    chunked_done: false,
                };
                let mut rest = rest;
                body.take_from(&mut rest);
                body.pending = rest;
                return Ok(body);
            }
            301 | 302 | 303 | 307 | 308 => {
                let loc = head
                    .headers
                    .get("location")
                    .ok_or_else(|| FetchError::Protocol("a redirect without a Location".into()))?;
                url = redirect(&url, loc.trim())?;
            }
            s => return Err(FetchError::Status(s, head.reason.clone())),
        }
    }
    Err(FetchError::Redirects)
}

fn redirect(from: &StreamUrl, location: &str) -> Result<StreamUrl, FetchError> {
    let abs = super::resolve_ref(
        Some(&format!(
            "http://{}{}",
            from.authority(from.port.unwrap_or(80)),
            from.path
        )),
        location,
    );
    let u = StreamUrl::parse(&abs).map_err(|_| {
        FetchError::Protocol(format!("redirected to an unsupported URL: {location}"))
    })?;
    if u.scheme != "http" {
        return Err(FetchError::Protocol(format!("redirected to {location}")));
    }
    Ok(u)
}

async fn read_head(
    sock: &mut TcpStream,
    deadline: Instant,
) -> Result<(ResponseHead, Vec<u8>), FetchError> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match parse_response_head(&buf) {
            Ok(Some((head, used))) => return Ok((head, buf.split_off(used))),
            Ok(None) => {}
            Err(e) => return Err(FetchError::Protocol(format!("not an HTTP response: {e}"))),
        }
        if buf.len() > MAX_HEAD {
            return Err(FetchError::Protocol("the response head is too long".into()));
        }
        let n = timeout_at(deadline, sock.read(&mut chunk))
            .await
            .map_err(|_| FetchError::Timeout("waiting for the response"))?
            .map_err(|e| FetchError::Protocol(format!("reading the response: {e}")))?;
        if n == 0 {
            return Err(FetchError::Protocol(
                "the server closed the connection without an answer".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A deadline `d` from now.
pub fn deadline_in(d: Duration) -> Instant {
    Instant::now() + d
}
