//! MMS over tokio ([MS-MMSP]): the client for `Transport::Mmst` (data on the TCP control
//! connection) and `Transport::Mmsu` (data as UDP datagrams to a port we open, with resend
//! requests for lost packets).
//!
//! `connect` runs the whole exchange of [MS-MMSP] 4.3 (Connect, FunnelInfo, ConnectFunnel,
//! OpenFile, ReadBlock + header, StreamSwitch, StartPlaying) and returns once the first data
//! packet is in; `next_event` then yields the header, packets, gaps and the end of stream,
//! answering Pings on the way.

mod reorder;

use crate::redirect::RedirectChain;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use mmsplay_asf::padding::pad;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use crate::Transport;
use crate::error::{NetError, Result};
use crate::mmsp::client::{HEADER_INCARNATION, Handshake, PLAY_INCARNATION, Step, unexpected};
use crate::mmsp::data::{DataHeader, SequenceExtender, parse_datagram};
use crate::mmsp::resend::MAX_RESEND_PACKETS;
use crate::mmsp::{
    CodecError, DataKind, FromClient, FromServer, Funnel, HeaderAssembly, OpenFileReport,
    ResendRequest, STREAM_CHANGE_INCARNATION, StreamSwitchEntry, TcpDecoder, TcpItem, hresult,
};
use crate::stream::{AsfEvent, ConnectOptions, TransportStats};
use crate::url::StreamUrl;
use reorder::{Out, Reorder};

/// How long MMS over UDP waits for the first datagram (a header piece, then the first data
/// packet) after the server accepted the request. It is a rollover step: a firewall that eats
/// UDP must cost about a second, not the whole connect timeout.
pub const UDP_FIRST_DATA_TIMEOUT: Duration = Duration::from_secs(1);
/// Largest ASF file header we accept (Header Object + Data Object prefix).
pub const MAX_HEADER_LEN: u32 = 4 * 1024 * 1024;
/// Largest ASF packet size we accept (ASF limit).
const MAX_PACKET_SIZE: u32 = mmsplay_asf::limits::MAX_PACKET_SIZE;
/// Writes on the control connection that take longer mean the server stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How much earlier than the connect timeout a handshake wait gives up with its own reason.
const REPLY_MARGIN: Duration = Duration::from_millis(150);

/// An open MMS session. Boxed state keeps `Session` small whichever transport it holds.
pub struct MmsSession(Box<Conn>);

impl MmsSession {
    /// Connects, following the server's redirects ([MS-MMSP] 3.1.5.7: to another MMS URL,
    /// on a new connection; bounded, a loop stopped at once, each hop in the log).
    pub async fn connect(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Self> {
        let mut url = url.clone();
        let mut chain = RedirectChain::new(url.for_transport(t, &opts.ports), MAX_REDIRECTS);
        loop {
            let to = match Conn::connect(&url, t, opts).await? {
                Opened::Session(c) => return Ok(MmsSession(c)),
                Opened::Redirect(to) => to,
            };
            let here = url.for_transport(t, &opts.ports);
            let next = crate::url::resolve(&here, &to);
            let parsed = StreamUrl::parse(&next)
                .ok()
                .filter(|u| matches!(u.scheme.as_str(), "mms" | "mmst" | "mmsu"));
            let Some(mut parsed) = parsed else {
                return Err(NetError::unsupported(format!(
                    "the server redirects to {}, not an MMS URL",
                    crate::url::redact(&next)
                )));
            };
            let next = parsed.for_transport(t, &opts.ports);
            opts.notes.note(format!("{t}: {here} redirects to {next}"));
            chain.follow(next)?;
            // The URL's own credentials stay with its host.
            if parsed.host == url.host {
                parsed.credentials = parsed.credentials.or(url.credentials.take());
            }
            url = parsed;
        }
    }

    pub async fn next_event(&mut self) -> Result<AsfEvent> {
        self.0.next_event().await
    }

    pub fn transport(&self) -> Transport {
        self.0.transport
    }

    /// Asks the server for `audio` (and the command streams) from now on.
    pub async fn select(&mut self, audio: &[u16]) -> Result<()> {
        self.0.select(audio).await
    }

    pub async fn close(self) {
        self.0.close().await
    }
}

/// Redirects followed in one connect.
const MAX_REDIRECTS: usize = 5;

/// What a connection's handshake came to.
enum Opened {
    Session(Box<Conn>),
    Redirect(String),
}

struct Conn {
    transport: Transport,
    ctl: TcpStream,
    decoder: TcpDecoder,
    tcp_buf: Vec<u8>,
    out_seq: u32,
    /// Boxed: keeps `Session` small whichever transport it holds.
    udp: Option<Box<Udp>>,
    packet_size: u32,
    packet_count: u64,
    live: bool,
    open_file_id: u32,
    client_id: Option<u32>,
    pending: VecDeque<AsfEvent>,
    stats: std::sync::Arc<TransportStats>,
    idle_timeout: Duration,
    last_data: Instant,
    first_location: Option<u32>,
    /// The server sent ReportEndOfStream; `Some(deadline)` while the tail still drains.
    eos: Option<Instant>,
    done: bool,
    /// Replies to a repeated ReadBlock still to come: they may trail the header itself.
    read_block_replies: u32,
    /// Fast start asked for, again at each playlist entry.
    accelerate: Option<crate::stream::Acceleration>,
    /// The stream's header, once read: its streams are what StreamSwitch selects among.
    header: Option<Box<mmsplay_asf::Header>>,
    /// Handshake replies must come before this, a little inside the caller's connect timeout,
    /// so that the error says which way the server failed.
    reply_deadline: Option<Instant>,
}

/// The UDP half of an MMSU session.
struct Udp {
    sock: UdpSocket,
    buf: Vec<u8>,
    server_ip: IpAddr,
    /// Where RequestPacketListResend goes: the URL's port, on UDP.
    resend_to: SocketAddr,
    seq: SequenceExtender,
    reorder: Reorder,
    /// The server does not number its packets (AFFlags constant, as some servers do:
    /// protocols.md 2.3): deliver in arrival order, no loss detection.
    unsequenced: bool,
    last: Option<(u8, u32)>,
    /// The last packet's extended sequence and LocationId.
    last_numbers: Option<(u32, u32)>,
    /// LocationIds ran ahead of the sequence: the server skips packets of streams we did not
    /// select, so the file's packet count says nothing about a missing tail.
    thinned: bool,
    /// Next slot in the reorder buffer when unsequenced.
    queue_seq: u32,
}

/// A complete stream selection ([MS-MMSP] 2.2.4.28): `wanted` on (thinning 0), every other
/// stream of the header off (2); `wanted` empty: every stream on.
fn switch_entries(header: &mmsplay_asf::Header, wanted: &[u16]) -> Vec<StreamSwitchEntry> {
    let on = |n: u16| wanted.is_empty() || wanted.contains(&n);
    header
        .streams
        .iter()
        .map(|st| StreamSwitchEntry {
            src: 0xFFFF,
            dst: u16::from(st.number),
            thinning: if on(u16::from(st.number)) { 0 } else { 2 },
        })
        .collect()
}

/// One thing read from the network.
enum Input {
    Item(TcpItem),
    Datagram(usize),
    Tick,
}

fn codec(e: CodecError) -> NetError {
    match e {
        CodecError::TooLong { .. } => NetError::limit(format!("MMS: {e}")).with_cause(e),
        CodecError::BadSignature => {
            NetError::protocol("the server does not speak MMS").with_cause(e)
        }
        _ => NetError::protocol(format!("MMS: {e}")).with_cause(e),
    }
}

impl Conn {
    async fn connect(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Opened> {
        let port = url.port_for(t, &opts.ports);
        let addr = url.authority(port);
        let ctl = TcpStream::connect(&addr)
            .await
            .map_err(|e| NetError::io("connecting", e).with_peer(&addr))?;
        let _ = ctl.set_nodelay(true);
        let local = ctl
            .local_addr()
            .map_err(|e| NetError::io("local address", e))?;
        let server = ctl
            .peer_addr()
            .map_err(|e| NetError::io("peer address", e))?;
        let mut s = Conn {
            transport: t,
            ctl,
            decoder: TcpDecoder::new(false),
            tcp_buf: vec![0u8; 16 * 1024],
            out_seq: 0,
            udp: None,
            packet_size: 0,
            packet_count: 0,
            live: false,
            open_file_id: 0,
            client_id: None,
            pending: VecDeque::new(),
            stats: opts.stats.clone(),
            idle_timeout: opts.idle_timeout,
            last_data: Instant::now(),
            first_location: None,
            eos: None,
            done: false,
            read_block_replies: 0,
            accelerate: None,
            header: None,
            reply_deadline: opts
                .connect_timeout
                .checked_sub(REPLY_MARGIN)
                .map(|d| Instant::now() + d),
        };
        let funnel = if t == Transport::Mmsu {
            // Bound on the address the control connection uses, like VLC, so the server's
            // datagrams come back the same way.
            let sock = UdpSocket::bind(SocketAddr::new(local.ip(), 0))
                .await
                .map_err(|e| NetError::io("cannot open a UDP port", e))?;
            let udp_port = sock
                .local_addr()
                .map_err(|e| NetError::io("UDP port", e))?
                .port();
            s.udp = Some(Box::new(Udp {
                sock,
                buf: vec![0u8; 65_536],
                server_ip: server.ip(),
                resend_to: SocketAddr::new(server.ip(), port),
                seq: SequenceExtender::expecting(0),
                reorder: Reorder::new(0),
                unsequenced: false,
                last: None,
                last_numbers: None,
                thinned: false,
                queue_seq: 0,
            }));
            Funnel {
                ip: local.ip().to_string(),
                udp: true,
                port: udp_port,
            }
        } else {
            Funnel {
                ip: local.ip().to_string(),
                udp: false,
                port: local.port(),
            }
        };
        Ok(match s.handshake(url, port, &funnel, opts).await? {
            Some(to) => Opened::Redirect(to),
            None => Opened::Session(Box::new(s)),
        })
    }

    async fn handshake(
        &mut self,
        url: &StreamUrl,
        port: u16,
        funnel: &Funnel,
        opts: &ConnectOptions,
    ) -> Result<Option<String>> {
        // [MS-MMSP] 2.2.4.17 subscriberName with the host-param.
        let host = if port == 1755 {
            url.host.clone()
        } else {
            url.authority(port)
        };
        // [MS-MMSP] 2.2.4.21: the URL path without percent-encoding.
        let file_name = percent_decode(url.path.trim_start_matches('/'));
        let (mut hs, connect) = Handshake::new(&host, funnel.clone(), file_name);
        hs.accelerate(opts.accelerate);
        self.accelerate = opts.accelerate;
        self.send(connect).await?;
        let mut header = Vec::new();
        loop {
            let reply = self.command().await?;
            match hs.on_reply(reply)? {
                Step::Send(m) => self.send(m).await?,
                Step::Opened { report, read_block } => {
                    self.check_open(&report)?;
                    // The header comes as Data packets: over UDP for MMSU, though some servers
                    // send them on TCP (both are accepted).
                    self.decoder.accept_data = true;
                    self.send(read_block).await?;
                }
                Step::ReadHeader { header_size } => {
                    header = self
                        .read_header(header_size, HEADER_INCARNATION, false)
                        .await?;
                    let parsed = mmsplay_asf::parse_header(&header)?;
                    if parsed.packet_size() != 0 && parsed.packet_size() != self.packet_size {
                        // The ASF header is the authority for padding.
                        self.packet_size = parsed.packet_size();
                    }
                    if self.packet_size == 0 || self.packet_size > MAX_PACKET_SIZE {
                        return Err(NetError::protocol("the stream has no usable packet size"));
                    }
                    self.live = self.live || parsed.file.broadcast;
                    let entries = switch_entries(&parsed, &opts.wanted(&parsed));
                    self.header = Some(Box::new(parsed));
                    let position = if self.live {
                        0.0
                    } else {
                        opts.start_ms as f64 / 1000.0
                    };
                    let switch = hs.on_header(entries, position)?;
                    self.send(switch).await?;
                }
                Step::Playing => break,
                // The connection closes with `self` ([MS-MMSP] 3.1.5.7).
                Step::Redirect(to) => return Ok(Some(to)),
            }
        }
        self.client_id = hs.client_id();
        self.pending
            .push_back(AsfEvent::Header(Bytes::from(header)));

        // Media flows when the first data packet is in.
        let first_wait = if self.udp.is_some() {
            Some(Instant::now() + UDP_FIRST_DATA_TIMEOUT)
        } else {
            None
        };
        self.last_data = Instant::now();
        loop {
            let ev = self.next_media(first_wait).await?;
            let is_packet = matches!(ev, AsfEvent::Packet(_));
            let is_end = matches!(ev, AsfEvent::End);
            self.pending.push_back(ev);
            if is_packet || is_end {
                return Ok(None);
            }
        }
    }

    fn check_open(&mut self, r: &OpenFileReport) -> Result<()> {
        if r.packet_size == 0 || r.packet_size > MAX_PACKET_SIZE {
            return Err(NetError::limit(format!(
                "the server announced packets of {} bytes",
                r.packet_size
            )));
        }
        if r.header_size > MAX_HEADER_LEN {
            return Err(NetError::limit(format!(
                "the server announced a header of {} bytes",
                r.header_size
            )));
        }
        self.packet_size = r.packet_size;
        self.packet_count = r.packet_count;
        self.open_file_id = r.open_file_id;
        self.live = r.attributes & crate::mmsp::ATTR_BROADCAST != 0 || r.packet_count == 0;
        Ok(())
    }

    /// Collects the header pieces up to the last one ([MS-MMSP] 3.1.5.12). Over UDP a lost
    /// piece is asked for again once, halfway through the wait, with CancelReadBlock and a new
    /// ReadBlock ([MS-MMSP] 3.1.6.1, within our one-second budget instead of the spec's four
    /// header timer rounds).
    ///
    /// `incarnation` marks the header's Data packets (HEADER_INCARNATION for our ReadBlock,
    /// 0xFF for the header a server sends unasked after ReportStreamChange on TCP). Mid-stream,
    /// data packets of the entry that ended may still trail in, and are dropped.
    async fn read_header(
        &mut self,
        announced: u32,
        incarnation: u32,
        mid_stream: bool,
    ) -> Result<Vec<u8>> {
        let mut assembly = HeaderAssembly::new(MAX_HEADER_LEN as usize);
        let start = Instant::now();
        let deadline = self.udp.as_ref().map(|_| start + UDP_FIRST_DATA_TIMEOUT);
        let mut retry_at = self
            .udp
            .as_ref()
            .map(|_| start + UDP_FIRST_DATA_TIMEOUT / 2);
        let first_incarnation = incarnation;
        let mut incarnation = incarnation;
        loop {
            let wake = match (retry_at, deadline) {
                (Some(r), Some(d)) => Some(r.min(d)),
                (r, d) => r.or(d),
            };
            let (h, payload) = match self.input(wake, true).await? {
                Input::Item(TcpItem::Data { header, payload }) => (header, payload),
                Input::Item(TcpItem::Command { mid, body }) => {
                    match FromServer::decode(mid, &body).map_err(codec)? {
                        FromServer::Ping => self.send(FromClient::Pong).await?,
                        // The reply to our second ReadBlock.
                        FromServer::ReportReadBlock { hr: 0, .. }
                            if self.read_block_replies > 0 =>
                        {
                            self.read_block_replies -= 1;
                        }
                        other => return Err(unexpected("the header", &other)),
                    }
                    continue;
                }
                Input::Datagram(n) => {
                    let Some(udp) = &self.udp else { continue };
                    match parse_datagram(&udp.buf[..n]) {
                        Ok((h, p)) => (h, p.to_vec()),
                        Err(_) => continue,
                    }
                }
                Input::Tick => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(NetError::timeout(format!(
                            "no UDP data arrived within {:.1} s (UDP may be blocked)",
                            UDP_FIRST_DATA_TIMEOUT.as_secs_f64()
                        )));
                    }
                    if retry_at.take().is_some() {
                        self.send(FromClient::CancelReadBlock {
                            play_incarnation: incarnation,
                        })
                        .await?;
                        incarnation += 1;
                        self.send(FromClient::ReadBlock {
                            open_file_id: self.open_file_id,
                            play_incarnation: incarnation,
                        })
                        .await?;
                        self.read_block_replies += 1;
                    }
                    continue;
                }
            };
            // Pieces of the first or the repeated request are the same bytes.
            let kind = match h.kind(incarnation as u8, PLAY_INCARNATION as u8) {
                DataKind::Unexpected => h.kind(first_incarnation as u8, PLAY_INCARNATION as u8),
                k => k,
            };
            match kind {
                DataKind::HeaderPiece { last } => {
                    assembly
                        .push(h.location_id, last, &payload)
                        .map_err(codec)?;
                    if assembly.is_complete() {
                        break;
                    }
                }
                DataKind::PacketPair => {}
                DataKind::AsfPacket if mid_stream => {}
                _ => return Err(NetError::protocol("data arrived before the ASF header")),
            }
        }
        let header = assembly.into_bytes();
        if announced != 0 && header.len() != announced as usize {
            tracing::debug!(
                "mms: header is {} bytes, the server announced {announced}",
                header.len()
            );
        }
        let hlen = mmsplay_asf::header_object_len(&header)?;
        if header.len() < hlen + mmsplay_asf::header::DATA_OBJECT_FIXED_LEN {
            return Err(NetError::protocol("the ASF header arrived incomplete"));
        }
        Ok(header)
    }

    /// Asks the server mid-stream for `audio` (with the command streams) instead of what it
    /// sends now: LinkViewerToMacStreamSwitch while playing ([MS-MMSP] 3.1.4.x); the server
    /// applies it from its next packet and acknowledges with ReportStreamSwitch, which the
    /// event loop takes in passing.
    async fn select(&mut self, audio: &[u16]) -> Result<()> {
        let Some(h) = self.header.as_deref() else {
            return Ok(());
        };
        let entries = switch_entries(h, &crate::stream::with_commands(h, audio));
        self.send(FromClient::StreamSwitch { entries }).await
    }

    async fn send(&mut self, m: FromClient) -> Result<()> {
        let b = m.encode(self.out_seq);
        self.out_seq = self.out_seq.wrapping_add(1);
        match timeout(WRITE_TIMEOUT, self.ctl.write_all(&b)).await {
            Ok(r) => r.map_err(|e| NetError::io("MMS connection", e)),
            Err(_) => Err(NetError::timeout("the server stopped reading")),
        }
    }

    /// The next command during the handshake, answering Pings. Data here is a protocol error.
    /// UDP is not read here: datagrams wait in the socket until the header or media is read,
    /// so a header piece that races its ReportReadBlock is not lost.
    async fn command(&mut self) -> Result<FromServer> {
        loop {
            match self.input(self.reply_deadline, false).await? {
                Input::Item(TcpItem::Command { mid, body }) => {
                    let m = FromServer::decode(mid, &body).map_err(codec)?;
                    if m == FromServer::Ping {
                        self.send(FromClient::Pong).await?;
                        continue;
                    }
                    if matches!(m, FromServer::ReportReadBlock { hr: 0, .. })
                        && self.read_block_replies > 0
                    {
                        self.read_block_replies -= 1;
                        continue;
                    }
                    return Ok(m);
                }
                Input::Item(TcpItem::Data { .. }) => {
                    return Err(NetError::protocol("the server sent data out of turn"));
                }
                Input::Tick => {
                    return Err(NetError::timeout(if self.decoder.buffered() > 0 {
                        "the server stopped in the middle of a message"
                    } else {
                        "the server did not answer"
                    }));
                }
                Input::Datagram(_) => {}
            }
        }
    }

    /// Waits for the next TCP item or UDP datagram, or `deadline`. TCP reads are bounded by
    /// the decoder (one frame at most), so a hostile length cannot grow memory.
    async fn input(&mut self, deadline: Option<Instant>, poll_udp: bool) -> Result<Input> {
        loop {
            if let Some(item) = self.decoder.next_item().map_err(codec)? {
                return Ok(Input::Item(item));
            }
            let far = Instant::now() + Duration::from_secs(24 * 3600);
            let until = deadline.unwrap_or(far);
            let Conn {
                ctl,
                tcp_buf,
                udp,
                decoder,
                ..
            } = self;
            tokio::select! {
                r = ctl.read(tcp_buf) => {
                    let n = r.map_err(|e| NetError::io("MMS connection", e))?;
                    if n == 0 {
                        return Err(if decoder.buffered() > 0 {
                            NetError::closed("the server closed the connection in the middle of a message")
                        } else {
                            NetError::closed("the server closed the connection")
                        });
                    }
                    decoder.push(&tcp_buf[..n]);
                }
                r = recv_udp(udp), if poll_udp => {
                    if let Some(n) = r? {
                        return Ok(Input::Datagram(n));
                    }
                }
                _ = sleep_until(until) => return Ok(Input::Tick),
            }
        }
    }

    /// The next media event: packets (in order, UDP holes resolved), gaps, or the end.
    /// `first_wait` bounds the wait for the first packet (MMSU's quick failure); otherwise the
    /// idle timeout runs from the last data packet. Pings neither count as data nor reset it.
    async fn next_media(&mut self, first_wait: Option<Instant>) -> Result<AsfEvent> {
        loop {
            if let Some(out) = self.udp.as_mut().and_then(|u| u.reorder.pop()) {
                return Ok(match out {
                    Out::Packet(p) => AsfEvent::Packet(p),
                    Out::Gap(n) => AsfEvent::Gap { lost: n },
                });
            }
            if let Some(eos) = self.eos {
                let idle = self.udp.as_ref().is_none_or(|u| u.reorder.is_idle());
                if idle || Instant::now() >= eos {
                    if let Some(u) = self.udp.as_mut() {
                        u.reorder.flush_all();
                        self.sync_counts();
                        if let Some(out) = self.udp.as_mut().and_then(|u| u.reorder.pop()) {
                            return Ok(match out {
                                Out::Packet(p) => AsfEvent::Packet(p),
                                Out::Gap(n) => AsfEvent::Gap { lost: n },
                            });
                        }
                    }
                    self.done = true;
                    return Ok(AsfEvent::End);
                }
            }
            let data_deadline = first_wait.unwrap_or(self.last_data + self.idle_timeout);
            let hole_deadline = self
                .udp
                .as_ref()
                .and_then(|u| u.reorder.next_deadline())
                .map(Instant::from_std);
            let wake = [Some(data_deadline), hole_deadline, self.eos]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(data_deadline);
            match self.input(Some(wake), true).await? {
                Input::Item(TcpItem::Data { header, payload }) => {
                    if let Some(ev) = self.tcp_data(header, payload) {
                        return Ok(ev);
                    }
                }
                Input::Item(TcpItem::Command { mid, body }) => {
                    match FromServer::decode(mid, &body).map_err(codec)? {
                        FromServer::Ping => self.send(FromClient::Pong).await?,
                        // hr 1: a playlist entry ended and ReportStreamChange follows.
                        FromServer::ReportEndOfStream { hr: 1, .. } => {}
                        FromServer::ReportEndOfStream { hr: 0, .. } => self.end_of_stream(),
                        FromServer::ReportEndOfStream { hr, .. } => {
                            return Err(NetError::closed(format!(
                                "the server ended the stream: {}",
                                hresult::describe(hr)
                            )));
                        }
                        FromServer::ReportStreamChange {
                            packet_size,
                            header_size,
                            ..
                        } => {
                            self.next_entry(packet_size, header_size).await?;
                            if let Some(ev) = self.pending.pop_front() {
                                return Ok(ev);
                            }
                        }
                        // Late replies (StreamSwitch) and anything unknown: nothing to do.
                        _ => {}
                    }
                }
                Input::Datagram(n) => self.datagram(n),
                Input::Tick => {
                    let now = Instant::now();
                    if let Some(u) = self.udp.as_mut() {
                        u.reorder.tick(now.into_std());
                        self.sync_counts();
                    }
                    if now >= data_deadline && self.eos.is_none() {
                        return Err(if first_wait.is_some() {
                            NetError::timeout(format!(
                                "no UDP data arrived within {:.1} s of the play request (UDP may be blocked)",
                                UDP_FIRST_DATA_TIMEOUT.as_secs_f64()
                            ))
                        } else {
                            NetError::timeout(format!(
                                "no data from the server for {:.0} s",
                                self.idle_timeout.as_secs_f64()
                            ))
                        });
                    }
                }
            }
        }
    }

    /// A server-side playlist's next entry ([MS-MMSP] 3.1.5.19): what is still held of the
    /// entry that ended goes out first, then the new header. Over TCP the server sends the
    /// header unasked (incarnation 0xFF); over UDP it is asked for with ReadBlock, and the
    /// entry played with StartPlaying from its start, its packets numbered afresh.
    async fn next_entry(&mut self, packet_size: u32, header_size: u32) -> Result<()> {
        if packet_size == 0 || packet_size > MAX_PACKET_SIZE || header_size > MAX_HEADER_LEN {
            return Err(NetError::limit(format!(
                "the server's next playlist entry has packets of {packet_size} bytes and a \
                 header of {header_size}"
            )));
        }
        if let Some(u) = self.udp.as_mut() {
            u.reorder.flush_all();
            while let Some(out) = u.reorder.pop() {
                self.pending.push_back(match out {
                    Out::Packet(p) => AsfEvent::Packet(p),
                    Out::Gap(n) => AsfEvent::Gap { lost: n },
                });
            }
        }
        self.sync_counts();
        let header = if self.udp.is_some() {
            self.send(FromClient::ReadBlock {
                open_file_id: self.open_file_id,
                play_incarnation: HEADER_INCARNATION,
            })
            .await?;
            self.read_block_replies += 1;
            self.read_header(header_size, HEADER_INCARNATION, true)
                .await?
        } else {
            self.read_header(header_size, STREAM_CHANGE_INCARNATION, true)
                .await?
        };
        let parsed = mmsplay_asf::parse_header(&header)?;
        self.packet_size = match parsed.packet_size() {
            0 => packet_size,
            n if n > MAX_PACKET_SIZE => {
                return Err(NetError::protocol(
                    "the next entry has no usable packet size",
                ));
            }
            n => n,
        };
        // Its packet count is not announced: no end-of-entry resend check.
        self.packet_count = 0;
        self.first_location = None;
        self.last_data = Instant::now();
        self.pending
            .push_back(AsfEvent::Header(Bytes::from(header)));
        if let Some(u) = self.udp.as_mut() {
            // The new play numbers its packets from 0 again.
            u.seq = SequenceExtender::expecting(0);
            u.reorder = Reorder::new(0);
            u.last = None;
            u.unsequenced = false;
            u.queue_seq = 0;
            self.send(FromClient::StartPlaying {
                open_file_id: self.open_file_id,
                position: 0.0,
                asf_offset: u32::MAX,
                location_id: u32::MAX,
                play_incarnation: PLAY_INCARNATION,
                accelerate: self.accelerate,
            })
            .await?;
        }
        Ok(())
    }

    /// A Data packet on the TCP connection.
    fn tcp_data(&mut self, h: DataHeader, payload: Vec<u8>) -> Option<AsfEvent> {
        match h.kind(HEADER_INCARNATION as u8, PLAY_INCARNATION as u8) {
            DataKind::AsfPacket => {}
            // A repeated header piece or packet-pair filler: nothing to play.
            _ => return None,
        }
        if payload.len() > self.packet_size as usize || payload.is_empty() {
            tracing::debug!("mms: skipping a data packet of {} bytes", payload.len());
            return None;
        }
        self.last_data = Instant::now();
        self.stats.packet(payload.len());
        self.first_location.get_or_insert(h.location_id);
        Some(AsfEvent::Packet(pad(payload, self.packet_size).into()))
    }

    /// A UDP datagram (in `udp.buf[..n]`): checked, then through the reorder buffer.
    fn datagram(&mut self, n: usize) {
        let packet_size = self.packet_size;
        let Some(u) = self.udp.as_mut() else { return };
        let Ok((h, payload)) = parse_datagram(&u.buf[..n]) else {
            tracing::debug!("mms: skipping a malformed datagram");
            return;
        };
        if h.kind(HEADER_INCARNATION as u8, PLAY_INCARNATION as u8) != DataKind::AsfPacket {
            return;
        }
        if payload.is_empty() || payload.len() > packet_size as usize {
            tracing::debug!("mms: skipping a data packet of {} bytes", payload.len());
            return;
        }
        self.last_data = Instant::now();
        self.stats.packet(payload.len());
        self.first_location.get_or_insert(h.location_id);
        let packet = Bytes::from(pad(payload.to_vec(), packet_size));
        // Servers that leave AFFlags constant do not number packets: switch loss detection
        // off rather than call every packet a duplicate.
        if let Some((af, loc)) = u.last
            && af == h.af_flags
            && loc != h.location_id
            && !u.unsequenced
        {
            u.unsequenced = true;
            u.reorder.flush_all();
            u.queue_seq = u.reorder.next_seq();
        }
        u.last = Some((h.af_flags, h.location_id));
        let now = Instant::now();
        let seq = u.seq.extend(h.af_flags);
        if let Some((last_seq, last_loc)) = u.last_numbers
            && seq > last_seq
        {
            u.thinned |= h.location_id.wrapping_sub(last_loc) > seq - last_seq;
        }
        u.last_numbers = Some((seq, h.location_id));
        let holes = if u.unsequenced {
            // Keep the reorder buffer as a plain queue.
            let next = u.reorder_next();
            u.reorder.push(next, packet, now.into_std())
        } else {
            u.reorder.push(seq, packet, now.into_std())
        };
        if !holes.is_empty() {
            self.request_resend(&holes);
        }
        self.sync_counts();
    }

    /// The server says the entry ended. Over UDP, packets may still be in flight or withheld:
    /// ask for the tail we know is missing and let the holes wait out their resend time.
    fn end_of_stream(&mut self) {
        let now = Instant::now();
        self.eos = Some(now + reorder::RESEND_WAIT + Duration::from_millis(50));
        let Some(u) = self.udp.as_mut() else { return };
        if u.unsequenced || u.thinned || self.live || self.packet_count == 0 {
            return;
        }
        // On demand, LocationId = packet number in the file, so the last one is known.
        let (Some(first), Some(last_seq)) = (self.first_location, u.seq.last()) else {
            return;
        };
        let total = self.packet_count.saturating_sub(u64::from(first));
        if total == 0 || total > u64::from(u32::MAX) {
            return;
        }
        let last_wanted = (total - 1) as u32;
        // A withheld tail is a few packets; a longer "tail" means the server skipped packets
        // (filtered streams), and those must not be counted as lost.
        if last_wanted > last_seq && last_wanted - last_seq <= MAX_RESEND_PACKETS as u32 {
            let holes = u.reorder.expect_tail(last_wanted, now.into_std());
            if !holes.is_empty() {
                self.request_resend(&holes);
            }
        }
    }

    fn request_resend(&mut self, holes: &[u32]) {
        let (Some(client_id), Some(u)) = (self.client_id, self.udp.as_ref()) else {
            return;
        };
        for chunk in holes.chunks(MAX_RESEND_PACKETS) {
            let req = ResendRequest {
                client_id,
                source_id: self.open_file_id as u16,
                sequences: chunk.to_vec(),
            };
            // Best effort: a lost request only means the hole becomes a gap.
            let _ = u.sock.try_send_to(&req.encode(), u.resend_to);
        }
    }

    /// Mirrors the reorder buffer's counts into the shared stats.
    fn sync_counts(&mut self) {
        let Some(u) = self.udp.as_mut() else { return };
        let c = std::mem::take(&mut u.reorder.counts);
        TransportStats::add(&self.stats.packets_lost, c.lost);
        TransportStats::add(&self.stats.packets_recovered, c.recovered);
        TransportStats::add(&self.stats.packets_late, c.late);
    }

    async fn next_event(&mut self) -> Result<AsfEvent> {
        if let Some(ev) = self.pending.pop_front() {
            return Ok(ev);
        }
        if self.done {
            return Ok(AsfEvent::End);
        }
        let ev = self.next_media(None).await;
        self.sync_counts();
        ev
    }

    /// CloseFile, then close ([MS-MMSP] 3.1.4.8).
    async fn close(mut self) {
        let id = self.open_file_id;
        let _ = self.send(FromClient::CloseFile { open_file_id: id }).await;
        let _ = timeout_at(
            Instant::now() + Duration::from_millis(200),
            self.ctl.shutdown(),
        )
        .await;
    }
}

impl Udp {
    /// For unsequenced servers: the reorder buffer's next slot, so packets pass straight on.
    fn reorder_next(&mut self) -> u32 {
        let n = self.queue_seq;
        self.queue_seq = self.queue_seq.wrapping_add(1);
        n
    }
}

/// Receives one datagram from the server into `udp.buf`; pends forever without UDP.
/// Datagrams from other hosts are dropped (`Ok(None)`).
async fn recv_udp(udp: &mut Option<Box<Udp>>) -> Result<Option<usize>> {
    let Some(u) = udp.as_mut() else {
        return std::future::pending().await;
    };
    match u.sock.recv_from(&mut u.buf).await {
        Ok((n, from)) if from.ip() == u.server_ip => Ok(Some(n)),
        Ok(_) => Ok(None),
        // ICMP errors from our own resend requests surface here; not fatal.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(None),
        Err(e) => Err(NetError::io("UDP receive", e)),
    }
}

/// Undoes URL percent-encoding (OpenFile carries the plain path); malformed escapes stay.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn open_file_names_are_not_percent_encoded() {
        assert_eq!(percent_decode("my%20song.asf"), "my song.asf");
        assert_eq!(percent_decode("a%zzb%4"), "a%zzb%4");
        assert_eq!(percent_decode("d/%C3%A9t%C3%A9.wma"), "d/été.wma");
    }
}
