//! One client's RTSP connection: the request handlers and its session.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mmsplay_net::Transport;
use mmsplay_net::auth::Verdict;
use mmsplay_net::rtsp::headers::{self, LowerTransport, TransportSpec};
use mmsplay_net::rtsp::message::{Frame, Framer, Message};
use mmsplay_net::rtsp::{WMS_SERVER, WMS_SUPPORTED, sdp, streamswitch};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use super::streamer::{Job, Shared, Target, Writer, loop_span_ms};
use crate::clients::Arrival;
use crate::record::SessionRecord;
use crate::thinning::StreamFilter;
use crate::{Media, ServerContext};

/// Largest request body (parameter bodies are a few lines).
const MAX_REQUEST_BODY: usize = 64 * 1024;
/// The session timeout we announce ([MS-RTSP] 2.2.6.11: `Session: id;timeout=60`).
const SESSION_TIMEOUT_SECS: u64 = 60;
/// A connection with no request at all for this long is closed (twice the session timeout).
const IDLE_LIMIT: Duration = Duration::from_secs(2 * SESSION_TIMEOUT_SECS);
const PUBLIC: &str = "DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, OPTIONS, ANNOUNCE, RECORD, GET_PARAMETER, SET_PARAMETER";

struct Session {
    id: String,
    media: Arc<Media>,
    target: Option<Target>,
    /// UDP sockets of the session, bound at the first UDP SETUP.
    udp: Option<(Arc<UdpSocket>, Arc<UdpSocket>)>,
    setup_url: String,
    aggregate_url: String,
    shared: Arc<Shared>,
    streamer: Option<JoinHandle<()>>,
    /// Answers NACKs while the session's UDP sockets exist.
    resender: Option<JoinHandle<()>>,
    /// Media never goes out (`--blackhole rtspu`).
    blackholed: bool,
    /// The latest PLAY's fast-start request, for the streamer it starts.
    accelerate: Option<mmsplay_net::Acceleration>,
    /// The ASF streams SETUP (by their control names), in order; none named: every stream.
    setup_streams: Vec<u8>,
    started: std::time::Instant,
}

impl Session {
    fn stop(&mut self) {
        if let Some(h) = self.streamer.take() {
            h.abort();
        }
    }

    /// The media streaming now: a server-side playlist's current entry, else what SETUP named.
    fn playing(&self) -> Arc<Media> {
        let entry = self.shared.entry.load(Ordering::Relaxed);
        crate::playlist::entry(&self.media, entry).unwrap_or_else(|| self.media.clone())
    }

    fn transport(&self) -> Transport {
        match &self.target {
            Some(Target::Tcp { .. }) => Transport::Rtspt,
            _ => Transport::Rtspu,
        }
    }
}

struct Conn {
    ctx: Arc<ServerContext>,
    peer: SocketAddr,
    local: SocketAddr,
    writer: Writer,
    session: Option<Session>,
    /// `--blackhole rtspt`: after a TCP SETUP, nothing more is ever sent.
    silent: bool,
    cseq_out: Arc<AtomicU32>,
    /// The client's User-Agent, from its latest request that had one.
    user_agent: String,
}

/// What to do after the reply went out.
enum After {
    Nothing,
    Play,
}

pub async fn handle(
    sock: TcpStream,
    peer: SocketAddr,
    mut arrival: Arrival,
    ctx: Arc<ServerContext>,
) {
    let _ = sock.set_nodelay(true);
    let Ok(local) = sock.local_addr() else {
        return;
    };
    let (mut rd, wr) = sock.into_split();
    let queue = ctx.queue;
    let mut conn = Conn {
        ctx,
        peer,
        local,
        writer: Arc::new(tokio::sync::Mutex::new(super::wire::Wire::new(wr, queue))),
        session: None,
        silent: false,
        cseq_out: Arc::new(AtomicU32::new(1)),
        user_agent: String::new(),
    };
    let mut framer = Framer::new(MAX_REQUEST_BODY);
    let mut buf = vec![0u8; 16 * 1024];
    let mut stop = conn.ctx.shutdown.subscribe();
    // Until the first request is complete, the handshake deadline; then the idle limit.
    let handshake_at = tokio::time::Instant::now() + conn.ctx.handshake_timeout;
    'conn: loop {
        let deadline = if arrival.is_admitted() {
            tokio::time::Instant::now() + IDLE_LIMIT
        } else {
            handshake_at
        };
        let n = tokio::select! {
            r = tokio::time::timeout_at(deadline, rd.read(&mut buf)) => match r {
                Ok(Ok(n)) if n > 0 => n,
                _ => break,
            },
            _ = crate::stopping(&mut stop) => {
                conn.finish_streaming().await;
                break;
            }
            // The streamer dropped a client that stopped reading.
            _ = gone(conn.session.as_ref().map(|s| s.shared.clone())) => break,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Message(m))) if m.method().is_some() => {
                    if arrival.admit().is_err() {
                        let r = conn
                            .reply(&m, 503, "Service Unavailable")
                            .with("Retry-After", "30");
                        let _ = conn.write(&r).await;
                        break 'conn;
                    }
                    let (reply, after) = conn.on_request(&m).await;
                    if conn.silent {
                        continue;
                    }
                    if let Some(reply) = reply
                        && conn.write(&reply).await.is_err()
                    {
                        break 'conn;
                    }
                    if let After::Play = after {
                        conn.start_streaming();
                    }
                }
                // Replies to our EndOfStream notice (ffmpeg: 501) and client RTCP: nothing to do.
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!("rtsp: {} sent a bad request: {e}", conn.peer);
                    if !conn.silent {
                        let r = Message::response(400, "Bad Request").with("Server", WMS_SERVER);
                        let _ = conn.write(&r).await;
                    }
                    break 'conn;
                }
            }
        }
    }
    conn.end_session();
}

/// Resolves when the session's streamer drops its client.
async fn gone(shared: Option<Arc<Shared>>) {
    match shared {
        Some(s) => s.gone.notified().await,
        None => std::future::pending().await,
    }
}

impl Conn {
    /// Shutting down: a running streamer ends its stream the RTSP way (the EndOfStream
    /// notice, then RTCP BYE); wait for it, bounded.
    async fn finish_streaming(&mut self) {
        let Some(h) = self.session.as_mut().and_then(|s| s.streamer.take()) else {
            return;
        };
        if tokio::time::timeout(Duration::from_secs(2), h)
            .await
            .is_err()
        {
            tracing::debug!("rtsp: {} streamer did not end in time", self.peer);
        }
    }

    async fn write(&self, m: &Message) -> std::io::Result<()> {
        self.writer.lock().await.write_all(&m.to_bytes()).await
    }

    fn end_session(&mut self) {
        if let Some(mut s) = self.session.take() {
            s.stop();
            if let Some(h) = s.resender.take() {
                h.abort();
            }
            let mut r = SessionRecord::new(s.transport(), Some(self.peer));
            r.started = s.started;
            r.set_user_agent(&self.user_agent);
            r.path = s.setup_url.clone();
            r.packets_sent = s.shared.sent.load(Ordering::Relaxed);
            r.packets_dropped = s.shared.dropped.load(Ordering::Relaxed);
            r.bytes_sent = s.shared.octets.load(Ordering::Relaxed);
            r.streams = match s.shared.filter.lock() {
                Ok(f) => f.sent(&s.media.header),
                Err(_) => Vec::new(),
            };
            r.start_ms = s.shared.start_ms.load(Ordering::Relaxed);
            self.ctx.session_end(&r);
        }
    }

    fn reply(&self, req: &Message, status: u16, reason: &str) -> Message {
        let mut m = Message::response(status, reason)
            .with("CSeq", req.header("CSeq").unwrap_or("0").trim().to_string())
            .with("Server", WMS_SERVER);
        if let Some(s) = &self.session
            && (status < 300 || req.session_id().is_some())
        {
            m = m.with(
                "Session",
                format!("{};timeout={SESSION_TIMEOUT_SECS}", s.id),
            );
        }
        m
    }

    async fn on_request(&mut self, req: &Message) -> (Option<Message>, After) {
        let method = req.method().unwrap_or("").to_ascii_uppercase();
        if let Some(ua) = req.header("User-Agent") {
            self.user_agent = ua.chars().take(256).collect();
        }
        let uri = match &req.start {
            mmsplay_net::rtsp::message::StartLine::Request { uri, .. } => uri.clone(),
            _ => String::new(),
        };
        // A request naming another session than ours.
        if let (Some(asked), Some(s)) = (req.session_id(), &self.session)
            && asked != s.id
            && method != "OPTIONS"
        {
            return (
                Some(self.reply(req, 454, "Session Not Found")),
                After::Nothing,
            );
        }
        // `--redirect` and `--auth`: keep-alives and TEARDOWN need neither.
        if !matches!(
            method.as_str(),
            "OPTIONS" | "GET_PARAMETER" | "SET_PARAMETER" | "TEARDOWN"
        ) {
            if let Some(to) = self.ctx.access.redirect_for(&uri) {
                let r = self.reply(req, 302, "Found").with("Location", to);
                return (Some(r), After::Nothing);
            }
            let verdict = self.ctx.access.check(
                req.method().unwrap_or(""),
                &uri,
                req.header("Authorization"),
            );
            if verdict != Verdict::Allowed {
                let mut r = self.reply(req, 401, "Unauthorized");
                for c in self.ctx.access.challenges(verdict) {
                    r = r.with("WWW-Authenticate", c);
                }
                return (Some(r), After::Nothing);
            }
        }
        let reply = match method.as_str() {
            "OPTIONS" => self
                .reply(req, 200, "OK")
                .with("Public", PUBLIC)
                .with("Supported", WMS_SUPPORTED),
            "DESCRIBE" => self.describe(req, &uri),
            "SETUP" => match self.setup(req, &uri).await {
                Some(r) => r,
                None => return (None, After::Nothing),
            },
            "PLAY" => return self.play(req),
            "PAUSE" => match &mut self.session {
                Some(s) => {
                    s.stop();
                    self.reply(req, 200, "OK")
                }
                None => self.reply(req, 454, "Session Not Found"),
            },
            "TEARDOWN" => {
                let r = self.reply(req, 200, "OK");
                self.end_session();
                r
            }
            "SET_PARAMETER" if is_select_stream(req) => self.select_stream(req),
            // Keep-alives, logging, and GStreamer's echo of our EndOfStream notice.
            "GET_PARAMETER" | "SET_PARAMETER" => self.reply(req, 200, "OK"),
            _ => self.reply(req, 501, "Not Implemented"),
        };
        (Some(reply), After::Nothing)
    }

    /// The file a URL names, the URL up to its name (the aggregate URL), and what follows the
    /// name (`audio`, `rtx`, ...).
    fn lookup(&self, uri: &str) -> Option<(Arc<Media>, String, String)> {
        let path_start = uri
            .find("://")
            .map(|i| i + 3)
            .and_then(|i| uri[i..].find('/').map(|j| i + j))
            .unwrap_or(0);
        let path = uri[path_start..].split(['?', '#']).next().unwrap_or("");
        let (media, taken) = self.ctx.library.find_prefix(path)?;
        // Where the `taken`-th non-empty raw segment ends.
        let mut end = 0;
        let mut seen = 0;
        for (i, seg) in path.split('/').enumerate() {
            if i > 0 {
                end += 1;
            }
            end += seg.len();
            if !seg.is_empty() {
                seen += 1;
                if seen == taken {
                    break;
                }
            }
        }
        let aggregate = uri[..(path_start + end).min(uri.len())].to_string();
        let tail = path
            .get(end..)
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string();
        Some((media, aggregate, tail))
    }

    fn describe(&mut self, req: &Message, uri: &str) -> Message {
        if self.ctx.faults.refuses(Transport::Rtspu) && self.ctx.faults.refuses(Transport::Rtspt) {
            return self.reply(req, 503, "Service Unavailable");
        }
        let Some((media, aggregate, _)) = self.lookup(uri) else {
            return self.reply(req, 404, "Not Found");
        };
        let live = self.ctx.is_live(&media);
        let header_bytes = if live && media.relay.is_none() {
            live_header(&media)
        } else {
            media.header_bytes.to_vec()
        };
        let control = format!("{aggregate}/");
        let body = sdp::build(&sdp::DescribeSpec {
            control: &control,
            header_bytes: &header_bytes,
            header: &media.header,
            duration_ms: media.header.file.duration_ms(),
            live,
            ipv6: self.local.is_ipv6(),
            session_id: rand::random::<u64>() >> 1,
        });
        self.reply(req, 200, "OK")
            .with("Content-Base", control)
            .with("Cache-Control", "no-cache")
            .with("X-Broadcast-Id", if live { "1" } else { "0" })
            .with("Supported", WMS_SUPPORTED)
            .with_body("application/sdp", body)
    }

    async fn setup(&mut self, req: &Message, uri: &str) -> Option<Message> {
        let found = self.lookup(uri);
        let (media, aggregate, tail) = match (found, &self.session) {
            (Some(f), _) => f,
            // A client that resolved the control URL against the server root: the session
            // already knows the file.
            (None, Some(s)) => (
                s.media.clone(),
                s.aggregate_url.clone(),
                uri.rsplit('/').next().unwrap_or("").to_string(),
            ),
            (None, None) => return Some(self.reply(req, 404, "Not Found")),
        };
        let Some(spec) = req
            .header("Transport")
            .and_then(|t| TransportSpec::parse(t).ok())
        else {
            return Some(self.reply(req, 461, "Unsupported Transport"));
        };
        let lower = match spec.lower {
            Some(l) if !spec.multicast => l,
            _ => return Some(self.reply(req, 461, "Unsupported Transport")),
        };
        let t = match lower {
            LowerTransport::Udp => Transport::Rtspu,
            LowerTransport::Tcp => Transport::Rtspt,
        };
        if self.ctx.faults.refuses(t) {
            return Some(self.reply(req, 461, "Unsupported Transport"));
        }
        if t == Transport::Rtspt && self.ctx.faults.blackholes(t) {
            // Like a firewall that lets the connection in and then drops everything.
            self.silent = true;
            return None;
        }
        if lower == LowerTransport::Udp && spec.client_port.is_none() {
            return Some(self.reply(req, 461, "Unsupported Transport"));
        }
        if self.session.is_none() {
            let number = self.ctx.next_session();
            let id = format!("{:016}", rand::random::<u64>() % 10_000_000_000_000_000);
            self.session = Some(Session {
                id,
                media: media.clone(),
                target: None,
                udp: None,
                setup_url: uri.to_string(),
                aggregate_url: aggregate.clone(),
                shared: Arc::new(Shared::new(self.ctx.faults.loss(number))),
                streamer: None,
                resender: None,
                blackholed: false,
                accelerate: None,
                setup_streams: Vec::new(),
                started: std::time::Instant::now(),
            });
        }
        let local_ip = self.local.ip();
        let peer_ip = self.peer.ip();
        let blackhole_udp = self.ctx.faults.blackholes(Transport::Rtspu);
        let s = self.session.as_mut()?;
        let is_rtx = tail == "rtx" || tail.ends_with("/rtx");
        // Which ASF stream the SETUP names, by the control names our SDP gave them.
        let header = &s.media.header;
        let named = header
            .streams
            .iter()
            .map(|st| st.number)
            .find(|n| tail == sdp::stream_control(header, *n));
        if let Some(n) = named
            && !s.setup_streams.contains(&n)
        {
            s.setup_streams.push(n);
            // The streams SETUP are sent, and no other.
            if let Ok(mut f) = s.shared.filter.lock() {
                *f = StreamFilter::only(header, &s.setup_streams);
            }
        }
        let transport_reply = match lower {
            LowerTransport::Udp => {
                if s.udp.is_none() {
                    match bind_pair(local_ip).await {
                        Ok(pair) => {
                            s.resender = Some(tokio::spawn(super::streamer::answer_nacks(
                                pair.1.clone(),
                                pair.0.clone(),
                                s.shared.clone(),
                            )));
                            s.udp = Some(pair);
                        }
                        Err(e) => {
                            tracing::warn!("rtsp: cannot bind UDP: {e}");
                            return Some(self.reply(req, 500, "Internal Server Error"));
                        }
                    }
                }
                let (rtp, rtcp) = s.udp.clone()?;
                let sp = rtp.local_addr().map(|a| a.port()).unwrap_or(0);
                let sp2 = rtcp.local_addr().map(|a| a.port()).unwrap_or(0);
                let (cp, cp2) = spec.client_port.unwrap_or((0, None));
                if is_rtx && let Ok(mut to) = s.shared.rtx_to.lock() {
                    *to = Some(SocketAddr::new(peer_ip, cp));
                }
                // The rtx stream (ffmpeg SETUPs it first) gets ports but never data; every
                // data stream shares the first one's destination.
                if !is_rtx && !matches!(s.target, Some(Target::Udp { .. })) {
                    s.stop();
                    s.target = Some(Target::Udp {
                        rtp,
                        rtcp,
                        rtp_to: SocketAddr::new(peer_ip, cp),
                        rtcp_to: SocketAddr::new(peer_ip, cp2.unwrap_or(cp.saturating_add(1))),
                    });
                    s.setup_url = uri.to_string();
                    s.blackholed = blackhole_udp;
                }
                let client = match cp2 {
                    Some(b) => format!("{cp}-{b}"),
                    None => cp.to_string(),
                };
                format!(
                    "RTP/AVP/UDP;unicast;client_port={client};server_port={sp}-{sp2};source={local_ip};ssrc={:08x};mode=PLAY",
                    s.shared.ssrc
                )
            }
            LowerTransport::Tcp => {
                let (a, b) = spec.interleaved.unwrap_or((0, Some(1)));
                let b = b.unwrap_or(a.saturating_add(1));
                if !is_rtx && !matches!(s.target, Some(Target::Tcp { .. })) {
                    s.stop();
                    s.target = Some(Target::Tcp {
                        channel: a,
                        rtcp_channel: b,
                    });
                    s.setup_url = uri.to_string();
                    s.blackholed = false;
                }
                format!(
                    "RTP/AVP/TCP;unicast;interleaved={a}-{b};ssrc={:08x};mode=PLAY",
                    s.shared.ssrc
                )
            }
        };
        Some(
            self.reply(req, 200, "OK")
                .with("Transport", transport_reply)
                .with("Cache-Control", "no-cache"),
        )
    }

    /// SelectStream ([MS-RTSP] 4.4.4.1): while streaming, stop sending each entry's old
    /// stream and send its new one, from the next packet on; the reply has no body.
    fn select_stream(&mut self, req: &Message) -> Message {
        let Some(s) = &self.session else {
            return self.reply(req, 454, "Session Not Found");
        };
        let entries = streamswitch::parse(&req.body);
        if entries.is_empty() {
            return self.reply(req, 400, "Bad Request");
        }
        if let Ok(mut f) = s.shared.filter.lock() {
            f.switch(&s.media.header, entries.iter().flat_map(|e| e.switches()));
        }
        self.reply(req, 200, "OK")
    }

    fn play(&mut self, req: &Message) -> (Option<Message>, After) {
        let live = self.ctx.live;
        let Some(s) = &mut self.session else {
            return (
                Some(self.reply(req, 454, "Session Not Found")),
                After::Nothing,
            );
        };
        if s.target.is_none() {
            return (
                Some(self.reply(req, 455, "Method Not Valid in This State")),
                After::Nothing,
            );
        }
        s.stop();
        let m = &s.playing();
        let first_send = u64::from(m.send_times_ms.first().copied().unwrap_or(0));
        let index = if live {
            let span = loop_span_ms(m);
            let pos = (super::live_epoch().elapsed().as_millis() as u64) % span.max(1);
            m.send_times_ms
                .partition_point(|t| u64::from(*t) < first_send + pos)
                .min(m.packets.len().saturating_sub(1))
        } else {
            match req.header("Range").and_then(headers::parse_npt_start) {
                // Send times run from the first packet; npt 0 is the first packet.
                Some(ms) => m
                    .send_times_ms
                    .partition_point(|t| u64::from(*t) < first_send + ms),
                None => s.shared.next_index.load(Ordering::Relaxed),
            }
        };
        s.shared.next_index.store(index, Ordering::Relaxed);
        let start_ms = m
            .send_times_ms
            .get(index)
            .map(|t| u64::from(*t).saturating_sub(first_send))
            .unwrap_or(0);
        s.shared.start_ms.store(start_ms, Ordering::Relaxed);
        let rtptime = m.send_times_ms.get(index).copied().unwrap_or(0);
        // [MS-RTSP] 2.2.6.11: the reply repeats the acceleration the server will use.
        s.accelerate = req
            .header("X-Accelerate-Streaming")
            .and_then(headers::parse_accelerate)
            .filter(|_| !live);
        let info = format!(
            "url={};seq={};rtptime={rtptime}",
            s.setup_url,
            s.shared.seq()
        );
        let accelerate = s.accelerate;
        let reply = self
            .reply(req, 200, "OK")
            // An open range: GStreamer hangs at the end with a closed one (protocols.md 6.4).
            .with("Range", headers::npt_from(if live { 0 } else { start_ms }))
            .with("RTP-Info", info);
        let reply = match accelerate {
            Some(a) => reply.with("X-Accelerate-Streaming", headers::accelerate_value(&a)),
            None => reply,
        };
        (Some(reply), After::Play)
    }

    fn start_streaming(&mut self) {
        let (live, fast) = (self.ctx.live, self.ctx.fast);
        let writer = self.writer.clone();
        let cseq = self.cseq_out.clone();
        let Some(s) = &mut self.session else {
            return;
        };
        let Some(target) = s.target.clone() else {
            return;
        };
        if s.blackholed {
            return;
        }
        let media = s.playing();
        // One BYE per m= line: the streams and the rtx line.
        let byes = media.header.streams.len() + 1;
        let entry = s.shared.entry.load(Ordering::Relaxed);
        let job = Job {
            next: crate::playlist::entry(&s.media, entry + 1),
            ipv6: self.local.is_ipv6(),
            accelerate: s.accelerate,
            media,
            target,
            writer,
            shared: s.shared.clone(),
            live,
            fast,
            session_id: s.id.clone(),
            aggregate_url: s.aggregate_url.clone(),
            setup_url: s.setup_url.clone(),
            cseq,
            byes,
            stop: self.ctx.shutdown.subscribe(),
        };
        s.streamer = Some(tokio::spawn(job.run()));
    }
}

/// Whether a SET_PARAMETER is a SelectStream: its body is of the stream-switch media type.
fn is_select_stream(req: &Message) -> bool {
    req.header("Content-Type").is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with(streamswitch::CONTENT_TYPE)
    })
}

/// The UDP socket pair of a session, an even port and the next when possible.
async fn bind_pair(ip: IpAddr) -> std::io::Result<(Arc<UdpSocket>, Arc<UdpSocket>)> {
    for _ in 0..8 {
        let a = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let p = a.local_addr()?.port();
        if p.is_multiple_of(2)
            && p < u16::MAX
            && let Ok(b) = UdpSocket::bind(SocketAddr::new(ip, p + 1)).await
        {
            return Ok((Arc::new(a), Arc::new(b)));
        }
    }
    let a = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let b = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    Ok((Arc::new(a), Arc::new(b)))
}

/// The header of a live broadcast (ASF spec 3.2): the Broadcast flag set, Seekable cleared,
/// and File Size, Data Packets Count, Play and Send Duration zeroed (invalid for broadcasts).
fn live_header(media: &Media) -> Vec<u8> {
    let mut bytes = media.header_bytes.to_vec();
    if let Some(fp) = sdp::file_properties_offset(&bytes, media.header.len) {
        bytes[fp + 40..fp + 48].fill(0);
        bytes[fp + 56..fp + 80].fill(0);
        let mut flags = u32::from_le_bytes([
            bytes[fp + 88],
            bytes[fp + 89],
            bytes[fp + 90],
            bytes[fp + 91],
        ]);
        flags = (flags | 1) & !2;
        bytes[fp + 88..fp + 92].copy_from_slice(&flags.to_le_bytes());
    }
    bytes
}
