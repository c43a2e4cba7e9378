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

use mmsplay_asf::padding::pad;
use tokio::time::Instant;

use crate::Transport;
use crate::auth::GivenCredentials;
use crate::error::{ErrorKind, NetError, Result};
use crate::mmsh::client::{self, Outcome, Step};
use crate::mmsh::redirect::Target;
use crate::mmsh::request::{random_client_guid, select_streams};
use crate::mmsh::{BodyEvent, BodyReader, HttpContent, HttpMode, Pragmas, classify_http};
use crate::proxy::proxied_request;
use crate::stream::{AsfEvent, ConnectOptions, TransportStats};
use crate::transport::http::{HttpResponse, by, exchange_via, request_on};
use crate::url::StreamUrl;

pub use crate::mmsh::redirect::MAX_REDIRECTS;
/// Socket read size.
const READ_CHUNK: usize = 16 * 1024;
/// How long a SelectStream request may take.
const SELECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a mid-stream SelectStream needs: the connect machine (where the Play went, as which
/// client, with which credentials), the proxy, the Play's client-id, and which of the
/// header's streams it sends now.
struct Selector {
    machine: client::Connect,
    proxy: Option<crate::proxy::Proxy>,
    client_id: u64,
    header: mmsplay_asf::Header,
    on: Vec<u16>,
}

/// The streams a Play that named none gets: every audio and command stream (what
/// [`select_streams`] asks for).
fn all_selected(header: &mmsplay_asf::Header) -> Vec<u16> {
    select_streams(header, &[])
        .into_iter()
        .filter(|(_, thin)| *thin == 0)
        .map(|(n, _)| n)
        .collect()
}

/// The connect machine for `url`, as client `client_guid`.
fn machine(
    url: &StreamUrl,
    opts: &ConnectOptions,
    mode: HttpMode,
    client_guid: String,
) -> client::Connect {
    client::Connect::new(client::ConnectConfig {
        target: Target {
            host: url.host.clone(),
            port: url.port_for(Transport::Mmsh, &opts.ports),
            path: url.path.clone(),
        },
        client_guid,
        mode,
        start_ms: opts.start_ms,
        streams: opts.streams.clone(),
        choose: opts.choose.clone(),
        extra_headers: Vec::new(),
        absolute_uri: false,
        accelerate: opts.accelerate,
        stats: opts.stats.clone(),
    })
}

/// The response being read, and whether it came on a reused connection.
#[derive(Default)]
struct Current {
    resp: Option<HttpResponse>,
    reused: bool,
}

/// Sends the machine's requests until it wants body bytes or is done; returns that step.
/// Requests go through the HTTP proxy `opts` names for the host; a 401 is answered with the
/// credentials (once, or again for a stale nonce) that belong to the server asking
/// ([`GivenCredentials::offer`]); each redirect hop is noted in the log.
async fn send_requests(
    machine: &mut client::Connect,
    mut step: Step,
    cur: &mut Current,
    (url, opts): (&StreamUrl, &ConnectOptions),
    deadline: Instant,
) -> Result<Step> {
    loop {
        let (to, request, reuse) = match step {
            Step::Send { to, request, reuse } => (to, request, reuse),
            Step::Done(Outcome::Unauthorized(u)) => {
                let to = machine.target();
                let credentials = if to.host.eq_ignore_ascii_case(&url.host) {
                    opts.credentials_for(&to.host, to.port, url)
                } else {
                    // Redirected to another host: the URL's own credentials stay behind.
                    GivenCredentials::offer(opts.credentials.as_ref(), &to.host, to.port, None)
                };
                step = machine.answer_challenge(&u, credentials)?;
                continue;
            }
            other => return Ok(other),
        };
        let proxy = opts.proxy.for_host(&to.host);
        let kept = match (reuse, cur.resp.take()) {
            (true, Some(r)) => r.into_reusable(deadline).await,
            _ => None,
        };
        cur.reused = kept.is_some();
        let resp = match kept {
            Some(sock) => {
                let request = match proxy {
                    Some(p) => proxied_request(&request, &to.authority(), p),
                    None => request,
                };
                request_on(sock, &request, deadline).await?
            }
            None => exchange_via(&to.authority(), proxy, &request, deadline).await?,
        };
        // Every redirect answer is a line in the log, the one a loop ends on too.
        if let (300..=399, Some(location)) = (resp.head.status, resp.head.headers.get("location")) {
            let here = to.url();
            let there = crate::url::resolve(&here, location.trim());
            opts.notes.note(format!(
                "mmsh: {here} redirects to {}",
                crate::url::redact(&there)
            ));
        }
        step = machine.on_head(&resp.head)?;
        cur.resp = Some(resp);
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
    let mut machine = machine(url, opts, HttpMode::NonPipelined, random_client_guid());
    let mut cur = Current::default();
    let first = machine.start();
    let step = send_requests(&mut machine, first, &mut cur, (url, opts), deadline).await?;
    let mut resp = match (step, cur.resp) {
        (Step::ReadBody, Some(resp)) => resp,
        (Step::Done(Outcome::Unauthorized(u)), _) => return Err(u.into_error().into()),
        _ => return Err(client::ClientError::OutOfOrder("probe").into()),
    };
    let target = machine.target();
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
    /// For a SelectStream mid-stream (non-pipelined mode only).
    selector: Option<Box<Selector>>,
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
        let mut machine = machine(url, opts, mode, random_client_guid());
        let mut cur = Current::default();
        let mut step = machine.start();
        let mut body = Vec::with_capacity(READ_CHUNK);
        let ready = loop {
            step = match send_requests(&mut machine, step, &mut cur, (url, opts), deadline).await? {
                Step::ReadBody => {
                    let resp = cur
                        .resp
                        .as_mut()
                        .ok_or(client::ClientError::OutOfOrder("a body with no response"))?;
                    body.clear();
                    let more = by(
                        deadline,
                        "waiting for the ASF header",
                        resp.read_body(&mut body, deadline),
                    )
                    .await?;
                    // Stamped as the bytes arrive: it times the Describe's `$P` pair.
                    machine.on_body_at(&body, more, std::time::Instant::now())?
                }
                Step::Done(Outcome::Playing(ready)) => break *ready,
                Step::Done(Outcome::Unauthorized(u)) => return Err(u.into_error().into()),
                send @ Step::Send { .. } => send,
            };
        };
        let resp = cur
            .resp
            .ok_or(client::ClientError::OutOfOrder("Play without a response"))?;
        let pipelined = cur.reused && resp.head.is_chunked();
        // A SelectStream names the Play by the client-id its response gave; in pipelined
        // mode it would go on the Play's own connection, which this client does not do.
        let selector = Pragmas::from_headers(&resp.head.headers)
            .number("client-id")
            .filter(|_| !pipelined)
            .and_then(|client_id| {
                let header = mmsplay_asf::parse_header(&ready.header).ok()?;
                let on = crate::stream::wanted(&opts.streams, opts.choose.as_ref(), &header);
                let on = if on.is_empty() {
                    all_selected(&header)
                } else {
                    on
                };
                Some(Box::new(Selector {
                    proxy: opts.proxy.for_host(&ready.target.host).cloned(),
                    machine,
                    client_id,
                    header,
                    on,
                }))
            });
        let mut reader = BodyReader::new();
        reader.seed_header(ready.header.clone())?;
        let mut session = MmshSession {
            transport: Transport::Mmsh,
            pipelined,
            resp: Box::new(resp),
            reader: Box::new(reader),
            pending: VecDeque::new(),
            packet_size: ready.packet_size,
            idle_timeout: opts.idle_timeout,
            stats: opts.stats.clone(),
            expected_packets: ready.expected_packets,
            finished: false,
            selector,
        };
        session.pending.push_back(AsfEvent::Header(ready.header));
        session
            .pending
            .extend(ready.scripts.into_iter().map(|text| AsfEvent::Script {
                kind: "metadata".into(),
                text,
            }));
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
                if let Some(ev) = self.convert(ev) {
                    return Ok(ev);
                }
                continue;
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

    fn convert(&mut self, ev: BodyEvent) -> Option<AsfEvent> {
        Some(match ev {
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
            // Only a Describe asks for `$P`; one in a Play body carries nothing to play.
            BodyEvent::PacketPair { .. } => return None,
        })
    }

    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Asks the server for `audio` (and the command streams) from now on: a SelectStream
    /// request on a connection of its own ([MS-WMSP] 3.1.4.x, non-pipelined mode), naming the
    /// Play by its client-id. A session without one (pipelined, or a server that gave no
    /// client-id), or whose server refuses, keeps its streams (`false`).
    pub async fn select(&mut self, audio: &[u16]) -> Result<bool> {
        let Some(s) = self.selector.as_mut() else {
            return Ok(false);
        };
        let want = crate::stream::with_commands(&s.header, audio);
        let changes: Vec<(u16, u8)> = s
            .header
            .streams
            .iter()
            .map(|st| u16::from(st.number))
            .filter(|n| want.contains(n) != s.on.contains(n))
            .map(|n| (n, if want.contains(&n) { 0 } else { 2 }))
            .collect();
        if changes.is_empty() {
            return Ok(true);
        }
        let (to, request) = s.machine.select_stream(s.client_id, &changes);
        let deadline = Instant::now() + SELECT_TIMEOUT;
        // A server that cannot select is no reason to stop: the stream plays on as it is.
        match exchange_via(&to.authority(), s.proxy.as_ref(), &request, deadline).await {
            Ok(resp) if resp.head.status == 200 => {
                s.on = want;
                Ok(true)
            }
            Ok(resp) => {
                tracing::warn!(
                    "the server answered a stream selection with {} {}",
                    resp.head.status,
                    resp.head.reason
                );
                Ok(false)
            }
            Err(e) => {
                tracing::warn!("cannot ask the server for other streams: {e}");
                Ok(false)
            }
        }
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
