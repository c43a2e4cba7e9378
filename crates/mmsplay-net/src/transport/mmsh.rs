//! MMSH over tokio: the non-pipelined MS-WMSP client ([MS-WMSP] 3.1). A Describe on one
//! connection fetches the ASF header (following redirects), a Play on a second connection
//! streams `$H $D … $E`. The sans-IO [`crate::mmsh`] module does all parsing; this file only
//! moves bytes and keeps deadlines.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::Transport;
use crate::error::{ErrorKind, NetError, Result};
use crate::mmsh::{
    BodyEvent, BodyReader, ClientRequest, Dechunker, HttpContent, HttpMode, Pragmas, ResponseHead,
    classify_http, parse_response_head, request::random_client_guid,
};
use crate::session::{AsfEvent, ConnectOptions, TransportStats, pad_packet};
use crate::url::StreamUrl;

/// Redirects followed before giving up (a loop or a chain that long is broken).
pub const MAX_REDIRECTS: usize = 5;
/// Socket read size.
const READ_CHUNK: usize = 16 * 1024;

/// Where requests go: the URL after redirects.
#[derive(Clone, Debug)]
struct Target {
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Resolves a `Location` header: absolute `http://`/`mmsh://` URLs, or a path on the same
    /// server.
    fn redirect(&self, location: &str) -> Result<Target> {
        if location.starts_with('/') {
            return Ok(Target {
                path: location.to_string(),
                ..self.clone()
            });
        }
        let u = StreamUrl::parse(location).map_err(|_| {
            NetError::unsupported(format!("redirected to an unsupported URL: {location}"))
        })?;
        if !matches!(u.scheme.as_str(), "http" | "mmsh") {
            return Err(NetError::unsupported(format!(
                "redirected to another protocol: {location}"
            )));
        }
        Ok(Target {
            port: u.port.unwrap_or(80),
            host: u.host,
            path: u.path,
        })
    }
}

/// How a response body ends (RFC 9112 6.3).
enum Framing {
    /// Read until the server closes.
    Close,
    /// This many bytes left.
    Length(u64),
    Chunked(Dechunker),
}

/// One HTTP response being read: the socket and the body's framing.
struct Response {
    sock: TcpStream,
    head: ResponseHead,
    framing: Framing,
    /// Body bytes that came with the head, not yet handed out.
    early: Vec<u8>,
    done: bool,
}

impl Response {
    /// Reads more body bytes into `out`, waiting until `deadline`. Returns false at the end of
    /// the body.
    async fn read_body(&mut self, out: &mut Vec<u8>, deadline: Instant) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let raw = if self.early.is_empty() {
            let mut buf = vec![0u8; READ_CHUNK];
            let n = timeout_at(deadline, self.sock.read(&mut buf))
                .await
                .map_err(|_| NetError::timeout("the server stopped sending"))?
                .map_err(|e| NetError::io("reading from the server", e))?;
            if n == 0 {
                self.done = true;
                return Ok(false);
            }
            buf.truncate(n);
            buf
        } else {
            std::mem::take(&mut self.early)
        };
        match &mut self.framing {
            Framing::Close => out.extend_from_slice(&raw),
            Framing::Length(left) => {
                let n = raw.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                out.extend_from_slice(&raw[..n]);
                *left -= n as u64;
                if *left == 0 {
                    self.done = true;
                }
            }
            Framing::Chunked(d) => {
                if d.decode(&raw, out)? {
                    self.done = true;
                }
            }
        }
        Ok(true)
    }
}

/// Runs `fut` until `deadline`, naming `what` in the timeout error.
async fn by<T>(
    deadline: Instant,
    what: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    timeout_at(deadline, fut)
        .await
        .map_err(|_| NetError::timeout(format!("timed out {what}")))?
}

/// Connects, sends one request and reads the response head.
async fn exchange(target: &Target, request: &str, deadline: Instant) -> Result<Response> {
    let addr = target.authority();
    let mut sock = by(deadline, &format!("connecting to {addr}"), async {
        TcpStream::connect(&addr)
            .await
            .map_err(|e| NetError::io(&format!("connecting to {addr}"), e))
    })
    .await?;
    let _ = sock.set_nodelay(true);
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
    Ok(Response {
        sock,
        head,
        framing,
        early: buf.split_off(used),
        done,
    })
}

/// Maps a non-200 status to an error.
fn status_error(head: &ResponseHead) -> NetError {
    let what = format!(
        "the server answered HTTP {} {}",
        head.status,
        head.reason.trim()
    );
    match head.status {
        404 | 410 => NetError::new(ErrorKind::NotFound, what),
        401 | 407 => NetError::refused(format!("{what} (authentication is not supported)")),
        _ => NetError::refused(what),
    }
}

/// What the Describe step learned.
struct Described {
    target: Target,
    header: Bytes,
    live: bool,
    scripts: Vec<AsfEvent>,
}

/// Describe ([MS-WMSP] 2.2.2.1), following redirects.
async fn describe(mut target: Target, guid: &str, deadline: Instant) -> Result<Described> {
    let mut hops = 0;
    let mut resp = loop {
        let req = ClientRequest {
            path: &target.path,
            host: &target.authority(),
            client_guid: guid,
            request_context: 1,
            mode: HttpMode::NonPipelined,
        }
        .describe();
        let resp = exchange(&target, &req, deadline).await?;
        match resp.head.status {
            200 => break resp,
            301 | 302 | 303 | 305 | 307 | 308 => {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(NetError::protocol(format!(
                        "more than {MAX_REDIRECTS} redirects"
                    )));
                }
                let loc =
                    resp.head.headers.get("location").ok_or_else(|| {
                        NetError::protocol("a redirect without a Location header")
                    })?;
                target = target.redirect(loc)?;
            }
            _ => return Err(status_error(&resp.head)),
        }
    };
    let pragmas = Pragmas::from_headers(&resp.head.headers);
    let features = pragmas.features();
    let content_type = resp.head.content_type().map(str::to_string);
    let mut reader = BodyReader::new();
    let mut body = Vec::new();
    let mut classified = false;
    let mut scripts = Vec::new();
    let header = by(deadline, "waiting for the ASF header", async {
        loop {
            while let Some(ev) = reader.next_event()? {
                match ev {
                    BodyEvent::Header(h) => return Ok(h),
                    BodyEvent::Meta(text) => scripts.push(AsfEvent::Script {
                        kind: "metadata".into(),
                        text,
                    }),
                    BodyEvent::Packet(_) | BodyEvent::Gap(_) => {}
                    BodyEvent::End => {
                        return Err(NetError::protocol("the stream ended before its header"));
                    }
                }
            }
            body.clear();
            if !resp.read_body(&mut body, deadline).await? {
                return Err(NetError::closed(
                    "the server closed the connection before sending the ASF header",
                ));
            }
            if !classified && !body.is_empty() {
                classified = true;
                match classify_http(content_type.as_deref(), &body) {
                    HttpContent::Wmsp => {}
                    HttpContent::Metafile => {
                        return Err(NetError::unsupported(
                            "the URL is a metafile (ASX), not an MS-WMSP stream",
                        ));
                    }
                    HttpContent::PlainAsf => {
                        return Err(NetError::unsupported(
                            "the URL is a plain ASF file, not an MS-WMSP stream",
                        ));
                    }
                    HttpContent::Other => {
                        return Err(NetError::unsupported(format!(
                            "the URL is not an MS-WMSP stream (Content-Type {})",
                            content_type.as_deref().unwrap_or("none")
                        )));
                    }
                }
            }
            reader.push(&body);
        }
    })
    .await?;
    let parsed = mmsplay_asf::parse_header(&header)?;
    let live = parsed.file.broadcast || features.iter().any(|f| f == "broadcast");
    Ok(Described {
        target,
        header,
        live,
        scripts,
    })
}

/// A playing MMSH stream.
pub struct MmshSession {
    transport: Transport,
    // Boxed: keeps `Session`, an enum over all transports, small.
    resp: Box<Response>,
    reader: Box<BodyReader>,
    pending: VecDeque<AsfEvent>,
    packet_size: u32,
    idle_timeout: Duration,
    stats: Arc<TransportStats>,
    /// On demand: the packet count the header declares (0: unknown), to tell a clean end
    /// without `$E` from a server that died.
    expected_packets: u64,
    received: u64,
    finished: bool,
}

impl MmshSession {
    pub async fn connect(url: &StreamUrl, opts: &ConnectOptions) -> Result<Self> {
        let deadline = Instant::now() + opts.connect_timeout;
        let guid = random_client_guid();
        let target = Target {
            host: url.host.clone(),
            port: url.port_for(Transport::Mmsh, &opts.ports),
            path: url.path.clone(),
        };
        let d = describe(target, &guid, deadline).await?;
        let header = mmsplay_asf::parse_header(&d.header)?;

        // Stream selection ([MS-WMSP] 2.2.1.4.27): every stream, or the asked ones with the
        // others switched off (thinning 2).
        let streams: Vec<(u16, u8)> = header
            .streams
            .iter()
            .map(|s| {
                let n = u16::from(s.number);
                let on = opts.streams.is_empty() || opts.streams.contains(&n);
                (n, if on { 0 } else { 2 })
            })
            .collect();
        let start = if d.live { None } else { Some(opts.start_ms) };
        let req = ClientRequest {
            path: &d.target.path,
            host: &d.target.authority(),
            client_guid: &guid,
            request_context: 2,
            mode: HttpMode::NonPipelined,
        }
        .play(start, &streams);
        let resp = exchange(&d.target, &req, deadline).await?;
        if resp.head.status != 200 {
            return Err(status_error(&resp.head));
        }
        let mut reader = BodyReader::new();
        reader.seed_header(d.header.clone())?;
        let mut session = MmshSession {
            transport: Transport::Mmsh,
            resp: Box::new(resp),
            reader: Box::new(reader),
            pending: VecDeque::new(),
            packet_size: header.packet_size(),
            idle_timeout: opts.idle_timeout,
            stats: opts.stats.clone(),
            expected_packets: if d.live { 0 } else { header.file.data_packets },
            received: 0,
            finished: false,
        };
        session.pending.push_back(AsfEvent::Header(d.header));
        session.pending.extend(d.scripts);
        // Media flows once the first data packet is here.
        loop {
            let ev = session.pull(deadline).await?;
            let is_packet = matches!(ev, AsfEvent::Packet(_));
            let is_end = matches!(ev, AsfEvent::End);
            session.pending.push_back(ev);
            if is_packet {
                return Ok(session);
            }
            if is_end {
                return Err(NetError::protocol(
                    "the server ended the stream before sending any data",
                ));
            }
        }
    }

    pub async fn next_event(&mut self) -> Result<AsfEvent> {
        if let Some(ev) = self.pending.pop_front() {
            return Ok(ev);
        }
        let deadline = Instant::now() + self.idle_timeout;
        self.pull(deadline).await
    }

    /// Reads until the body yields one event; `deadline` bounds the wait for more bytes.
    async fn pull(&mut self, deadline: Instant) -> Result<AsfEvent> {
        let mut buf = Vec::with_capacity(READ_CHUNK);
        loop {
            if self.finished {
                return Ok(AsfEvent::End);
            }
            if let Some(ev) = self.reader.next_event()? {
                return Ok(self.convert(ev));
            }
            buf.clear();
            let more = self.resp.read_body(&mut buf, deadline).await.map_err(|e| {
                if e.kind == ErrorKind::Timeout {
                    NetError::timeout(format!(
                        "no data from the server for {:.1} s",
                        self.idle_timeout.as_secs_f64()
                    ))
                } else {
                    e
                }
            })?;
            if !more {
                // A clean end without `$E`: every declared packet arrived.
                if self.expected_packets > 0
                    && self.received >= self.expected_packets
                    && self.reader.buffered() == 0
                {
                    self.finished = true;
                    return Ok(AsfEvent::End);
                }
                return Err(NetError::closed(
                    "the server closed the connection in the middle of the stream",
                ));
            }
            self.reader.push(&buf);
        }
    }

    fn convert(&mut self, ev: BodyEvent) -> AsfEvent {
        match ev {
            BodyEvent::Header(h) => {
                self.packet_size = self.reader.packet_size();
                // A new header may change the packet count too.
                self.expected_packets = mmsplay_asf::parse_header(&h)
                    .map(|p| {
                        if p.file.broadcast {
                            0
                        } else {
                            p.file.data_packets
                        }
                    })
                    .unwrap_or(0);
                self.received = 0;
                AsfEvent::Header(h)
            }
            BodyEvent::Packet(p) => {
                self.stats.packet(p.len());
                self.received += 1;
                AsfEvent::Packet(pad_packet(p.to_vec(), self.packet_size))
            }
            BodyEvent::Gap(n) => {
                TransportStats::add(&self.stats.packets_lost, n);
                self.received += n;
                AsfEvent::Gap { lost: n }
            }
            BodyEvent::Meta(text) => AsfEvent::Script {
                kind: "metadata".into(),
                text,
            },
            BodyEvent::End => {
                self.finished = true;
                AsfEvent::End
            }
        }
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Non-pipelined mode has nothing to say at the end: closing the connection stops the
    /// server ([MS-WMSP] 3.2.5.6).
    pub async fn close(self) {
        let mut sock = self.resp.sock;
        let _ = sock.shutdown().await;
    }
}
