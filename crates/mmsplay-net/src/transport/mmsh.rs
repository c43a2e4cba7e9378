//! MMSH over tokio: the MS-WMSP client ([MS-WMSP] 3.1). A Describe fetches the ASF header
//! (following redirects), then a Play streams `$H $D … $E`: on a second connection in
//! non-pipelined mode (HTTP/1.0, what ffmpeg, VLC and libmms do, and our default), or on the
//! same keep-alive connection with a chunked body in pipelined mode (HTTP/1.1,
//! [`MmshSession::connect_with`]). [`probe`] tells an `http://` URL's stream from a metafile.
//! The sans-IO [`crate::mmsh`] module does all parsing; this file only moves bytes and keeps
//! deadlines: every wait is bounded by the connect deadline or `idle_timeout`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mmsplay_asf::padding::pad;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::Transport;
use crate::auth::{ClientAuth, Credentials};
use crate::error::{ErrorKind, NetError, Result};
use crate::mmsh::redirect::{Followed, Redirects, Target, status_error};
use crate::mmsh::{
    BodyEvent, BodyReader, ClientRequest, HttpContent, HttpMode, Pragmas, classify_http,
    request::{random_client_guid, select_streams},
};
use crate::proxy::proxied_request;
use crate::stream::{AsfEvent, ConnectOptions, TransportStats};
use crate::text_head::with_header;
use crate::transport::http::{HttpResponse, by, exchange_via, request_on};
use crate::url::StreamUrl;

pub use crate::mmsh::redirect::MAX_REDIRECTS;
/// Socket read size.
const READ_CHUNK: usize = 16 * 1024;

/// Body bytes looked at before deciding whether a Describe answer is MS-WMSP.
const PROBE_LEN: usize = 16;

/// Rejects an answer that is not an MS-WMSP body, naming what it is instead (the metafile
/// code handles ASX and `[Reference]` files).
fn check_content(content_type: Option<&str>, probe: &[u8]) -> Result<()> {
    match classify_http(content_type, probe) {
        HttpContent::Wmsp => Ok(()),
        HttpContent::Metafile => Err(NetError::unsupported(
            "the URL is a metafile (ASX), not an MS-WMSP stream",
        )),
        HttpContent::PlainAsf => Err(NetError::unsupported(
            "the URL is a plain ASF file, not an MS-WMSP stream",
        )),
        HttpContent::Other if probe.is_empty() => Err(NetError::closed(
            "the server closed the connection before sending the ASF header",
        )),
        HttpContent::Other => Err(NetError::unsupported(format!(
            "the URL is not an MS-WMSP stream (Content-Type {})",
            content_type.unwrap_or("none")
        ))),
    }
}

/// What the Describe step learned.
struct Described {
    target: Target,
    /// The credentials answer, for the Play.
    auth: ClientAuth,
    /// The Describe's connection, still open for the Play (pipelined mode).
    conn: Option<TcpStream>,
    header: Bytes,
    live: bool,
    scripts: Vec<AsfEvent>,
}

/// Sends a request to `target` through the proxy `opts` names for its host, with an
/// `Authorization` when `auth` has taken a challenge.
async fn send(
    target: &Target,
    request: String,
    auth: &mut ClientAuth,
    opts: &ConnectOptions,
    deadline: Instant,
) -> Result<HttpResponse> {
    let request = match auth.authorization("GET", &target.path) {
        Some(a) => with_header(&request, "Authorization", &a),
        None => request,
    };
    let proxy = opts.proxy.for_host(&target.host);
    exchange_via(&target.authority(), proxy, &request, deadline).await
}

/// Sends a Describe ([MS-WMSP] 2.2.2.1), follows redirects (bounded) and answers the server's
/// 401 with the credentials (once, or again on a stale nonce); returns the final target, its
/// 200 response (body unread) and the authentication state for the Play.
async fn describe_request(
    target: Target,
    guid: &str,
    mode: HttpMode,
    opts: &ConnectOptions,
    credentials: Option<Credentials>,
    deadline: Instant,
) -> Result<(Target, HttpResponse, ClientAuth)> {
    let mut redirects = Redirects::new(target);
    let mut auth = ClientAuth::new(credentials);
    loop {
        let target = redirects.target();
        let req = ClientRequest {
            path: &target.path,
            host: &target.authority(),
            client_guid: guid,
            request_context: 1,
            mode,
        }
        .describe();
        let resp = send(target, req, &mut auth, opts, deadline).await?;
        if resp.head.status == 401 {
            auth.on_challenge(resp.head.headers.all("www-authenticate"))?;
            continue;
        }
        let from = format!("http://{}{}", target.authority(), target.path);
        if redirects.on_response(&resp.head)? == Followed::Answered {
            return Ok((redirects.into_target(), resp, auth));
        }
        let to = redirects.target();
        opts.notes.note(format!(
            "mmsh: {from} redirects to http://{}{}",
            to.authority(),
            to.path
        ));
    }
}

/// What an `http://` URL serves, as [`probe`] found it.
#[derive(Clone, Debug)]
pub struct HttpProbe {
    pub content: HttpContent,
    pub content_type: Option<String>,
    /// The URL after redirects.
    pub url: String,
    /// The start of the body (at most the `max_body` asked for): a metafile's text.
    pub body: Vec<u8>,
}

/// Asks an `http://` (or `mmsh://`) URL what it serves, the way Windows Media Player did: a
/// Describe with an NSPlayer User-Agent, redirects followed. An MS-WMSP server answers with
/// `$H` ([`HttpContent::Wmsp`]: play it with [`MmshSession`]); a web server with the file,
/// often an ASX metafile ([`HttpContent::Metafile`]: parse `body`). Bounded by
/// `opts.connect_timeout` and `max_body`.
pub async fn probe(url: &StreamUrl, opts: &ConnectOptions, max_body: usize) -> Result<HttpProbe> {
    let deadline = Instant::now() + opts.connect_timeout;
    let target = Target {
        host: url.host.clone(),
        port: url.port_for(Transport::Mmsh, &opts.ports),
        path: url.path.clone(),
    };
    let guid = random_client_guid();
    let (target, mut resp, _) = describe_request(
        target,
        &guid,
        HttpMode::NonPipelined,
        opts,
        opts.credentials_for(url),
        deadline,
    )
    .await?;
    let content_type = resp.head.content_type().map(str::to_string);
    let mut body = Vec::new();
    let mut chunk = Vec::new();
    while body.len() < max_body {
        chunk.clear();
        match by(
            deadline,
            "reading the answer",
            resp.read_body(&mut chunk, deadline),
        )
        .await
        {
            Ok(true) => body.extend_from_slice(&chunk[..chunk.len().min(max_body - body.len())]),
            Ok(false) => break,
            // A streaming answer never ends: what arrived is enough to classify it.
            Err(e) if e.kind == ErrorKind::Timeout && !body.is_empty() => break,
            Err(e) => return Err(e),
        }
        // A stream's first bytes tell all; only a metafile needs its whole text.
        if classify_http(content_type.as_deref(), &body) == HttpContent::Wmsp {
            break;
        }
    }
    Ok(HttpProbe {
        content: classify_http(content_type.as_deref(), &body),
        content_type,
        url: format!("http://{}{}", target.authority(), target.path),
        body,
    })
}

/// Describe ([MS-WMSP] 2.2.2.1), following redirects, then the ASF header from its body.
async fn describe(
    target: Target,
    guid: &str,
    mode: HttpMode,
    opts: &ConnectOptions,
    credentials: Option<Credentials>,
    deadline: Instant,
) -> Result<Described> {
    let (target, mut resp, auth) =
        describe_request(target, guid, mode, opts, credentials, deadline).await?;
    let pragmas = Pragmas::from_headers(&resp.head.headers);
    let features = pragmas.features();
    let content_type = resp.head.content_type().map(str::to_string);
    let mut reader = BodyReader::new();
    let mut body = Vec::new();
    // The first body bytes, held until there are enough to tell what the body is.
    let mut probe: Option<Vec<u8>> = Some(Vec::new());
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
            let more = resp.read_body(&mut body, deadline).await?;
            if let Some(p) = probe.as_mut() {
                p.extend_from_slice(&body);
                if p.len() < PROBE_LEN && more {
                    continue;
                }
                check_content(content_type.as_deref(), p)?;
                body = probe.take().unwrap_or_default();
            }
            if !more {
                reader.push(&body);
                // Whatever is left may still complete the header; otherwise the body ended.
                if let Some(BodyEvent::Header(h)) = reader.next_event()? {
                    return Ok(h);
                }
                return Err(NetError::closed(
                    "the server closed the connection before sending the ASF header",
                ));
            }
            reader.push(&body);
        }
    })
    .await?;
    let parsed = mmsplay_asf::parse_header(&header)?;
    let live = parsed.file.broadcast || features.iter().any(|f| f == "broadcast");
    let conn = match mode {
        HttpMode::Pipelined => resp.into_reusable(deadline).await,
        HttpMode::NonPipelined => None,
    };
    Ok(Described {
        target,
        auth,
        conn,
        header,
        live,
        scripts,
    })
}

/// A playing MMSH stream.
pub struct MmshSession {
    transport: Transport,
    /// Play went over the Describe's connection with a chunked body.
    pipelined: bool,
    // Boxed: keeps `Session`, an enum over all transports, small.
    resp: Box<HttpResponse>,
    reader: Box<BodyReader>,
    pending: VecDeque<AsfEvent>,
    packet_size: u32,
    idle_timeout: Duration,
    stats: Arc<TransportStats>,
    /// On demand: the packet count the header declares (0: unknown), to tell a clean end
    /// without `$E` from a server that died.
    expected_packets: u64,
    finished: bool,
}

impl MmshSession {
    /// Connects the way ffmpeg, VLC and libmms do (non-pipelined, HTTP/1.0): what every server
    /// answers.
    pub async fn connect(url: &StreamUrl, opts: &ConnectOptions) -> Result<Self> {
        Self::connect_with(url, opts, HttpMode::NonPipelined).await
    }

    /// Connects in the given mode. Pipelined ([MS-WMSP] 1.3, HTTP/1.1 with
    /// `version11-enabled=1`): the Play reuses the Describe's connection when the server kept
    /// it open, and its body comes chunked; otherwise it falls back to a new connection.
    pub async fn connect_with(
        url: &StreamUrl,
        opts: &ConnectOptions,
        mode: HttpMode,
    ) -> Result<Self> {
        let deadline = Instant::now() + opts.connect_timeout;
        let guid = random_client_guid();
        let target = Target {
            host: url.host.clone(),
            port: url.port_for(Transport::Mmsh, &opts.ports),
            path: url.path.clone(),
        };
        let credentials = opts.credentials_for(url);
        let mut d = describe(target, &guid, mode, opts, credentials, deadline).await?;
        let header = mmsplay_asf::parse_header(&d.header)?;

        let streams = select_streams(&header, &opts.streams);
        let start = if d.live { None } else { Some(opts.start_ms) };
        let req = ClientRequest {
            path: &d.target.path,
            host: &d.target.authority(),
            client_guid: &guid,
            request_context: 2,
            mode,
        }
        .play(start, &streams);
        let reused = d.conn.is_some();
        let resp = match d.conn.take() {
            Some(sock) => {
                let req = match d.auth.authorization("GET", &d.target.path) {
                    Some(a) => with_header(&req, "Authorization", &a),
                    None => req,
                };
                let req = match opts.proxy.for_host(&d.target.host) {
                    Some(p) => proxied_request(&req, &d.target.authority(), p),
                    None => req,
                };
                request_on(sock, &req, deadline).await?
            }
            None => send(&d.target, req, &mut d.auth, opts, deadline).await?,
        };
        let pipelined = reused && resp.head.is_chunked();
        if resp.head.status != 200 {
            return Err(status_error(&resp.head));
        }
        let mut reader = BodyReader::new();
        reader.seed_header(d.header.clone())?;
        let mut session = MmshSession {
            transport: Transport::Mmsh,
            pipelined,
            resp: Box::new(resp),
            reader: Box::new(reader),
            pending: VecDeque::new(),
            packet_size: header.packet_size(),
            idle_timeout: opts.idle_timeout,
            stats: opts.stats.clone(),
            expected_packets: if d.live { 0 } else { header.file.data_packets },
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
                    && self
                        .reader
                        .last_location()
                        .is_some_and(|l| u64::from(l) + 1 >= self.expected_packets)
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
                AsfEvent::Header(h)
            }
            BodyEvent::Packet(p) => {
                self.stats.packet(p.len());
                AsfEvent::Packet(pad(p.to_vec(), self.packet_size).into())
            }
            BodyEvent::Gap(n) => {
                TransportStats::add(&self.stats.packets_lost, n);
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

    /// Whether the session runs in pipelined mode (one connection, chunked Play body).
    pub fn pipelined(&self) -> bool {
        self.pipelined
    }

    /// Non-pipelined mode has nothing to say at the end: closing the connection stops the
    /// server ([MS-WMSP] 3.2.5.6).
    pub async fn close(self) {
        self.resp.shutdown().await;
    }
}
