//! The writing side of one MMSH connection: every write has a deadline (a client that stops
//! reading ends its own session instead of pinning a task), and a Play body can be sent with
//! the HTTP/1.1 chunked coding of pipelined mode ([MS-WMSP] 2.2.2.6).

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::ServerError;

/// How long one write may wait for the client to read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Sink {
    sock: TcpStream,
    chunked: bool,
}

impl Sink {
    pub fn new(sock: TcpStream) -> Sink {
        Sink {
            sock,
            chunked: false,
        }
    }

    pub fn sock(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Body bytes from now on go out as HTTP/1.1 chunks.
    pub fn set_chunked(&mut self, on: bool) {
        self.chunked = on;
    }

    /// Writes bytes as they are (response heads).
    pub async fn raw(&mut self, b: &[u8]) -> Result<(), ServerError> {
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

    pub async fn flush(&mut self) -> Result<(), ServerError> {
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
