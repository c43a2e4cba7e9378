//! One MMS control connection, from Connect to close ([MS-MMSP] 3.2.5).
//!
//! The connection task owns everything: it reads commands, sends replies, and while playing
//! sends the Data packets as they come due (over TCP, or as UDP datagrams for MMSU). Faults:
//! `--refuse` answers with an error `hr`, `--blackhole mmst` goes silent once a TCP data path is
//! asked for, `--blackhole mmsu` plays normally except that no datagram is ever sent, and
//! `--udp-loss` withholds data datagrams (a resend request still delivers them).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mmsplay_net::Transport;
use mmsplay_net::mmsp::data::{
    AF_HEADER_LAST, AF_HEADER_MORE, DATA_HEADER_LEN, DataHeader, encode_data,
};
use mmsplay_net::mmsp::hresult::{E_ACCESSDENIED, NS_E_FILE_NOT_FOUND};
use mmsplay_net::mmsp::{
    ATTR_BROADCAST, ATTR_CANSEEK, ATTR_CANSTRIDE, ATTR_LIVE, DISABLE_PACKET_PAIR, FromClient,
    FromServer, Funnel, OpenFileReport, ResendRequest, STREAM_CHANGE_INCARNATION, TcpDecoder,
    TcpItem,
};
use std::io::IoSlice;

use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use super::live;
use super::resend::Resends;
use crate::clients::Arrival;
use crate::faults::Loss;
use crate::outbox::Outbox;
use crate::pacing::Pacer;
use crate::record::SessionRecord;
use crate::relay::{Feed, Next};
use crate::thinning::StreamFilter;
use crate::{Media, ServerContext};

/// With no command from the client for this long (and not playing), the session ends
/// ([MS-MMSP] 3.2.6.2 idle-timeout).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// While playing, a Ping goes out when the client has been silent this long ([MS-MMSP] 3.2.6.1).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// A write that cannot finish in this time means the client stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// ReportEndOfStream follows the last UDP datagram after this delay, so the client drains its
/// UDP socket (and asks for resends) first: VLC drops the tail otherwise (protocols.md 6.2).
const UDP_EOS_DELAY: Duration = Duration::from_secs(1);
/// Sent packets kept for resend requests: enough for the seconds a client takes to ask
/// (1024 packets is 100 s of 128 kb/s audio in 1600-byte packets, 2 s of a --fast burst).
/// The packets are shared, not copied, so a ring costs a listener little.
const RESEND_RING: usize = 1024;
/// The openFileId we hand out: ffmpeg hard-codes 1, VLC accepts only 1 or 2 (protocols.md 6.1).
const OPEN_FILE_ID: u32 = 1;
/// "The server session limit was exceeded" ([MS-ERREF] NS_E_TOO_MANY_SESS): the busy answer.
pub const NS_E_TOO_MANY_SESS: u32 = 0xC00D_000F;
/// Largest UDP payload on IPv4.
const MAX_DATAGRAM: usize = 65_507;
/// Most data packets sent in one go: without pacing (`--fast`) they are then written out
/// before the session looks at its client again.
const BATCH: usize = 32;

/// Where the session's data goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataPath {
    Tcp,
    Udp(SocketAddr),
}

/// Where a StartPlaying asks to start ([MS-MMSP] 2.2.4.25).
struct StartAt {
    position: f64,
    asf_offset: u32,
    location_id: u32,
}

/// An active StartPlaying.
struct Play {
    media: Arc<Media>,
    /// Next packet index into the file.
    index: usize,
    /// LocationId of the next packet (the virtual file position; keeps counting when live loops).
    location: u32,
    /// 32-bit sequence of the next packet; AFFlags is its low byte.
    seq: u32,
    incarnation: u8,
    pacer: Pacer,
    live: bool,
    /// Live: completed loops, and one loop's length, so that send times continue on one
    /// timeline across loops and pacing never drifts ahead.
    loops: u64,
    loop_ms: u64,
}

/// A data packet as sent: the packet itself is shared (with the file, or the relay), the
/// datagram is encoded again for a resend rather than kept per listener.
struct Sent {
    location: u32,
    incarnation: u8,
    af_flags: u8,
    packet: Bytes,
}

impl Sent {
    fn datagram(&self) -> Vec<u8> {
        encode_data(self.location, self.incarnation, self.af_flags, &self.packet)
    }

    /// The data header, and the part of the packet that goes after it.
    fn head(&self) -> ([u8; DATA_HEADER_LEN], &[u8]) {
        let size = (DATA_HEADER_LEN + self.packet.len()).min(usize::from(u16::MAX));
        let head = DataHeader {
            location_id: self.location,
            incarnation: self.incarnation,
            af_flags: self.af_flags,
            size: size as u16,
        };
        (head.encode(), &self.packet[..size - DATA_HEADER_LEN])
    }
}

/// One data packet as a datagram: its header and the shared packet in one `sendmsg`, not
/// copied together (copied only when the socket is momentarily full and the send must wait).
/// A failed datagram is loss the client will see; not a reason to stop.
async fn send_datagram(udp: &UdpSocket, sent: &Sent, to: SocketAddr) {
    let (head, payload) = sent.head();
    let bufs = [IoSlice::new(&head), IoSlice::new(payload)];
    let addr = socket2::SockAddr::from(to);
    let sent_now = udp.try_io(Interest::WRITABLE, || {
        socket2::SockRef::from(udp).send_to_vectored(&bufs, &addr)
    });
    let r = match sent_now {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            udp.send_to(&sent.datagram(), to).await.map(|_| 0)
        }
        r => r,
    };
    if let Err(e) = r {
        tracing::debug!("mms: UDP send to {to}: {e}");
    }
}

/// An active StartPlaying of a relay.
struct RelayPlay {
    feed: Feed,
    location: u32,
    seq: u32,
    incarnation: u8,
}

struct Session {
    ctx: Arc<ServerContext>,
    wr: OwnedWriteHalf,
    /// Data packets for the TCP data path not written yet (MMST).
    out: Outbox,
    out_seq: u32,
    peer: SocketAddr,
    path: Option<DataPath>,
    /// The file opened, or the playlist entry playing.
    media: Option<Arc<Media>>,
    /// The media OpenFile named (a server-side playlist's first entry) and the index of the
    /// entry playing among [`crate::playlist::entries`] of it.
    opened: Option<(Arc<Media>, usize)>,
    header: Bytes,
    client_id: u32,
    udp: Arc<UdpSocket>,
    loss: Loss,
    play: Option<Play>,
    relay: Option<RelayPlay>,
    /// (sequence, datagram) of recent data packets, oldest first.
    ring: VecDeque<(u32, Sent)>,
    /// The streams the client selected (StreamSwitch).
    filter: StreamFilter,
    record: SessionRecord,
    /// This connection's place among the server's clients.
    arrival: Arrival,
    silent: bool,
    eos_at: Option<(Instant, u32)>,
    last_command: Instant,
}

pub async fn run(
    sock: TcpStream,
    peer: SocketAddr,
    arrival: Arrival,
    ctx: Arc<ServerContext>,
    udp: Arc<UdpSocket>,
    resends: Arc<Resends>,
) {
    let _ = sock.set_nodelay(true);
    let n = ctx.next_session();
    let client_id = (n as u32).wrapping_mul(0x9E37_79B9) | 1;
    let (mut rd, wr) = sock.into_split();
    let mut s = Session {
        loss: ctx.faults.loss(n),
        out: Outbox::new(ctx.queue),
        ctx: ctx.clone(),
        wr,
        out_seq: 0,
        peer,
        path: None,
        media: None,
        opened: None,
        header: Bytes::new(),
        client_id,
        udp,
        play: None,
        relay: None,
        ring: VecDeque::new(),
        filter: StreamFilter::default(),
        record: SessionRecord::new(Transport::Mmst, Some(peer)),
        arrival,
        silent: false,
        eos_at: None,
        last_command: Instant::now(),
    };
    let mut resend_rx = resends.register(client_id);
    let r = s.serve(&mut rd, &mut resend_rx).await;
    resends.unregister(client_id);
    if let Err(e) = r {
        tracing::debug!("mms session {n} from {peer}: {e}");
    }
    if let Some(m) = &s.media {
        s.record.streams = s.filter.sent(&m.header);
    }
    ctx.session_end(&s.record);
}

/// Why a session ended early (logged only).
type End = String;

impl Session {
    async fn serve(
        &mut self,
        rd: &mut tokio::net::tcp::OwnedReadHalf,
        resend_rx: &mut mpsc::Receiver<ResendRequest>,
    ) -> Result<(), End> {
        let mut decoder = TcpDecoder::new(false);
        let mut buf = vec![0u8; 16 * 1024];
        let mut stop = self.ctx.shutdown.subscribe();
        // The first command must come within the handshake timeout.
        let handshake_at = Instant::now() + self.ctx.handshake_timeout;
        let mut greeted = false;
        loop {
            let next_packet = self.next_due();
            let eos = self.eos_at.map(|(t, _)| t);
            let streaming = self.play.is_some() || self.relay.is_some();
            // Over UDP, or for media a client may move within, each packet keeps its own time.
            let precise = matches!(self.path, Some(DataPath::Udp(_)))
                || self.play.as_ref().is_some_and(|p| p.pacer.is_precise());
            // While streaming, a silent client gets a Ping ([MS-MMSP] 3.2.6.1); otherwise a
            // silent client is dropped ([MS-MMSP] 3.2.6.2).
            let ping_at = self.last_command + KEEPALIVE_INTERVAL;
            let idle_at = self.last_command + IDLE_TIMEOUT;
            tokio::select! {
                r = rd.read(&mut buf) => {
                    let n = r.map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Ok(());
                    }
                    decoder.push(&buf[..n]);
                    loop {
                        match decoder.next_item() {
                            Ok(Some(TcpItem::Command { mid, body })) => {
                                self.last_command = Instant::now();
                                greeted = true;
                                let msg = FromClient::decode(mid, &body)
                                    .map_err(|e| format!("bad command 0x{mid:08X}: {e}"))?;
                                // Everything but Connect (which answers "busy" itself)
                                // needs a place among the clients.
                                if !matches!(msg, FromClient::Connect { .. })
                                    && self.arrival.admit().is_err()
                                {
                                    return Err("over the client limits".into());
                                }
                                if !self.handle(msg).await? {
                                    return Ok(());
                                }
                            }
                            Ok(Some(TcpItem::Data { .. })) => return Err("client sent data".into()),
                            Ok(None) => break,
                            Err(e) => return Err(format!("bad bytes from client: {e}")),
                        }
                    }
                }
                Some(req) = resend_rx.recv() => self.resend(req).await,
                // What the socket did not take goes out as it drains.
                w = self.wr.writable(), if !self.out.is_empty() => {
                    w.map_err(|e| format!("write: {e}"))?;
                }
                // A relay: once a tick, what it sent since.
                _ = crate::tick::next(), if self.relay.is_some() => {
                    self.check_queue()?;
                    while let Some(next) = self.relay.as_mut().and_then(|r| r.feed.try_next()) {
                        self.send_relayed(next).await?;
                    }
                }
                // A file over TCP: on the tick it is due, the next packet and all others due by
                // then, in one write.
                _ = crate::tick::until(next_packet.unwrap_or(idle_at)), if next_packet.is_some() && !precise => {
                    self.send_due_packets().await?;
                }
                // Over UDP each datagram is a send of its own: a shared tick would save only
                // wakeups, and would send datagrams in bunches a client's socket buffer and a
                // stream move (which applies from the next packet sent) both feel. Each keeps
                // its own time.
                _ = sleep_until(next_packet.unwrap_or(idle_at)), if next_packet.is_some() && precise => {
                    self.send_due_packets().await?;
                }
                _ = sleep_until(eos.unwrap_or(idle_at)), if eos.is_some() => {
                    if let Some((_, pi)) = self.eos_at.take() {
                        self.end_of_entry(pi).await?;
                    }
                }
                _ = sleep_until(ping_at), if streaming => {
                    self.last_command = Instant::now();
                    self.reply(FromServer::Ping).await?;
                }
                _ = sleep_until(idle_at), if !streaming && eos.is_none() => {
                    return Err("idle timeout".into());
                }
                _ = sleep_until(handshake_at), if !greeted => {
                    return Err("no command within the handshake timeout".into());
                }
                _ = crate::stopping(&mut stop) => {
                    // Shutting down: a playing client is told the stream ended.
                    if let Some(r) = self.relay.take() {
                        let play_incarnation = u32::from(r.incarnation);
                        self.reply(FromServer::ReportEndOfStream { hr: 0, play_incarnation }).await?;
                    } else if let Some(p) = self.play.take() {
                        let play_incarnation = u32::from(p.incarnation);
                        self.reply(FromServer::ReportEndOfStream { hr: 0, play_incarnation }).await?;
                    } else if let Some((_, play_incarnation)) = self.eos_at.take() {
                        self.reply(FromServer::ReportEndOfStream { hr: 0, play_incarnation }).await?;
                    }
                    let _ = self.wr.flush().await;
                    return Ok(());
                }
            }
            self.write_queued().await?;
        }
    }

    /// Writes the data queued for the TCP data path: while a paced stream plays, as much as
    /// the client takes now; otherwise all of it.
    async fn write_queued(&mut self) -> Result<(), End> {
        if self.out.is_empty() {
            return Ok(());
        }
        let paced = self.relay.is_some() || self.play.as_ref().is_some_and(|p| !p.pacer.is_fast());
        if !paced {
            return self.drain().await;
        }
        self.out
            .write_ready(&self.wr)
            .map_err(|e| format!("write: {e}"))
    }

    /// An error if the client is still a whole queue behind when the next packets fall due
    /// (not when a burst was just queued: a client that reads takes it in the meantime).
    fn check_queue(&self) -> Result<(), End> {
        self.out
            .check()
            .map_err(|_| "client a whole queue behind, dropped".to_string())
    }

    /// Writes everything queued, waiting (bounded) for the client.
    async fn drain(&mut self) -> Result<(), End> {
        match self.out.write_all(&self.wr, WRITE_TIMEOUT).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err("client stopped reading".into())
            }
            Err(e) => Err(format!("write: {e}")),
        }
    }

    /// The packets that are due (at most [`BATCH`]), after checking that the client is not a
    /// whole queue behind.
    async fn send_due_packets(&mut self) -> Result<(), End> {
        self.check_queue()?;
        for _ in 0..BATCH {
            if !self.next_is_due() {
                break;
            }
            self.send_next_packet().await?;
        }
        Ok(())
    }

    /// Whether the next data packet goes out now (see [`Pacer::is_due`]).
    fn next_is_due(&self) -> bool {
        let Some(p) = self.play.as_ref() else {
            return false;
        };
        let send_ms = p.media.send_times_ms.get(p.index).copied().unwrap_or(0);
        p.pacer.is_due(u64::from(send_ms) + p.loops * p.loop_ms)
    }

    /// When the next data packet is due, if playing.
    fn next_due(&self) -> Option<Instant> {
        let p = self.play.as_ref()?;
        let send_ms = p.media.send_times_ms.get(p.index).copied().unwrap_or(0);
        Some(p.pacer.due(u64::from(send_ms) + p.loops * p.loop_ms))
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.drain().await?;
        match timeout(WRITE_TIMEOUT, self.wr.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write: {e}")),
            Err(_) => Err("client stopped reading".into()),
        }
    }

    async fn reply(&mut self, m: FromServer) -> Result<(), End> {
        if self.silent {
            return Ok(());
        }
        let b = m.encode(self.out_seq);
        self.out_seq = self.out_seq.wrapping_add(1);
        self.write(&b).await
    }

    /// Handles one command; `false` ends the session.
    async fn handle(&mut self, msg: FromClient) -> Result<bool, End> {
        match msg {
            FromClient::Connect { subscriber, .. } => {
                self.record
                    .set_user_agent(crate::record::mms_user_agent(&subscriber));
                if self.arrival.admit().is_err() {
                    // The server-busy answer: the session limit in the Connect reply's hr.
                    self.reply(FromServer::ReportConnectedEx {
                        hr: NS_E_TOO_MANY_SESS,
                        play_incarnation: DISABLE_PACKET_PAIR,
                        server_version: "9.01.01.3814".into(),
                        auth_package: String::new(),
                    })
                    .await?;
                    return Ok(false);
                }
                // Refusing both MMS transports is known at once; otherwise the refusal waits
                // for ConnectFunnel, which says TCP or UDP.
                let f = &self.ctx.faults;
                // `--auth` asks for HTTP authentication, which MMS cannot carry: refuse, as a
                // Windows Media server with only HTTP authentication enabled did.
                let hr = if (f.refuses(Transport::Mmst) && f.refuses(Transport::Mmsu))
                    || self.ctx.access.refuses_mms()
                {
                    E_ACCESSDENIED
                } else {
                    0
                };
                self.reply(FromServer::ReportConnectedEx {
                    hr,
                    play_incarnation: DISABLE_PACKET_PAIR,
                    server_version: "9.01.01.3814".into(),
                    auth_package: String::new(),
                })
                .await?;
            }
            FromClient::FunnelInfo { .. } => {
                // Answered even for junk playIncarnations: ffmpeg insists on it (protocols.md 6.1).
                self.reply(FromServer::ReportFunnelInfo {
                    hr: 0,
                    play_incarnation: DISABLE_PACKET_PAIR,
                    client_id: self.client_id,
                })
                .await?;
            }
            FromClient::ConnectFunnel { funnel, .. } => {
                let f = Funnel::parse(&funnel);
                let udp = f.as_ref().is_some_and(|f| f.udp);
                self.record.transport = if udp {
                    Transport::Mmsu
                } else {
                    Transport::Mmst
                };
                if self.ctx.faults.refuses(self.record.transport) {
                    self.reply(FromServer::ReportDisconnectedFunnel { hr: E_ACCESSDENIED })
                        .await?;
                    return Ok(true);
                }
                if self.record.transport == Transport::Mmst
                    && self.ctx.faults.blackholes(Transport::Mmst)
                {
                    // Like a firewall that lets the connection through and then eats everything.
                    self.silent = true;
                }
                self.path = Some(match f {
                    // [MS-MMSP] 6.2: send to the source IP of the control connection; the IP in
                    // the funnel name may be private or fake.
                    Some(f) if f.udp => DataPath::Udp(SocketAddr::new(self.peer.ip(), f.port)),
                    _ => DataPath::Tcp,
                });
                self.reply(FromServer::ReportConnectedFunnel { hr: 0 })
                    .await?;
            }
            FromClient::OpenFile {
                play_incarnation,
                file_name,
            } => {
                self.record.path = file_name.chars().take(1024).collect();
                if let Some(to) = self.ctx.access.redirect_for(&file_name) {
                    // [MS-MMSP] 3.2.5.5: the redirect report, then the connection closes.
                    self.reply(FromServer::ReportRedirect {
                        hr: 0,
                        location: to.to_string(),
                    })
                    .await?;
                    return Ok(false);
                }
                let Some(media) = self.ctx.library.find(&file_name) else {
                    self.reply(FromServer::ReportOpenFile(OpenFileReport {
                        hr: NS_E_FILE_NOT_FOUND,
                        play_incarnation,
                        open_file_id: 0,
                        attributes: 0,
                        duration_s: 0.0,
                        packet_size: 0,
                        packet_count: 0,
                        bit_rate: 0,
                        header_size: 0,
                    }))
                    .await?;
                    return Ok(true);
                };
                let live = self.ctx.is_live(&media);
                self.header = if live {
                    Bytes::from(live::broadcast_header(&media.header_bytes))
                } else {
                    media.header_bytes.clone()
                };
                let file = &media.header.file;
                let report = OpenFileReport {
                    hr: 0,
                    play_incarnation,
                    open_file_id: OPEN_FILE_ID,
                    attributes: if live {
                        ATTR_BROADCAST | ATTR_LIVE
                    } else {
                        ATTR_CANSEEK | ATTR_CANSTRIDE
                    },
                    duration_s: if live {
                        0.0
                    } else {
                        media.duration_ms as f64 / 1000.0
                    },
                    packet_size: media.packet_size,
                    packet_count: if live { 0 } else { media.packets.len() as u64 },
                    bit_rate: file.max_bitrate,
                    header_size: self.header.len() as u32,
                };
                self.opened = Some((media.clone(), 0));
                self.media = Some(media);
                self.reply(FromServer::ReportOpenFile(report)).await?;
            }
            FromClient::ReadBlock {
                play_incarnation, ..
            } => {
                if self.media.is_none() {
                    self.reply(FromServer::ReportReadBlock {
                        hr: NS_E_FILE_NOT_FOUND,
                        play_incarnation,
                    })
                    .await?;
                    return Ok(true);
                }
                // ReportReadBlock first, then the header pieces: ffmpeg requires this order.
                self.reply(FromServer::ReportReadBlock {
                    hr: 0,
                    play_incarnation,
                })
                .await?;
                self.send_header(play_incarnation as u8).await?;
            }
            FromClient::StreamSwitch { entries } => {
                // Before StartPlaying it is the initial selection; while playing it applies
                // from the next packet on ([MS-MMSP] 3.2.5.12): a client moving to another
                // stream asks for both until its move is made, so nothing is cut short.
                if let Some(m) = &self.media {
                    let entries = entries.iter().map(|e| (e.dst, e.thinning));
                    self.filter.switch(&m.header, entries);
                }
                self.reply(FromServer::ReportStreamSwitch { hr: 0 }).await?;
            }
            FromClient::StartPlaying {
                position,
                asf_offset,
                location_id,
                play_incarnation,
                accelerate,
                ..
            } => {
                let Some(media) = self.media.clone() else {
                    self.reply(FromServer::ReportStartedPlaying {
                        hr: NS_E_FILE_NOT_FOUND,
                        play_incarnation,
                        tiger_file_id: 0,
                    })
                    .await?;
                    return Ok(true);
                };
                let at = StartAt {
                    position,
                    asf_offset,
                    location_id,
                };
                self.start_play(media, at, play_incarnation, accelerate)
                    .await?;
            }
            FromClient::StopPlaying {
                play_incarnation, ..
            } => {
                self.play = None;
                self.relay = None;
                self.eos_at = None;
                self.reply(FromServer::ReportEndOfStream {
                    hr: 0,
                    play_incarnation,
                })
                .await?;
            }
            FromClient::CloseFile { .. } => return Ok(false),
            FromClient::Pong
            | FromClient::Logging
            | FromClient::CancelReadBlock { .. }
            | FromClient::Other { .. } => {}
        }
        Ok(true)
    }

    /// Sends the ASF file header as Data packets: pieces no larger than the file's packet
    /// size, AFFlags 0x04 on all but the last, 0x0C on the last ([MS-MMSP] 3.2.5.8.1).
    async fn send_header(&mut self, incarnation: u8) -> Result<(), End> {
        let Some(media) = self.media.clone() else {
            return Ok(());
        };
        let piece = (media.packet_size as usize).clamp(512, MAX_DATAGRAM - 8);
        let header = self.header.clone();
        let pieces: Vec<&[u8]> = header.chunks(piece).collect();
        for (i, p) in pieces.iter().enumerate() {
            let last = i + 1 == pieces.len();
            let flags = if last { AF_HEADER_LAST } else { AF_HEADER_MORE };
            let d = encode_data(i as u32, incarnation, flags, p);
            self.send_data(&d).await?;
        }
        Ok(())
    }

    async fn start_play(
        &mut self,
        media: Arc<Media>,
        StartAt {
            position,
            asf_offset,
            location_id,
        }: StartAt,
        incarnation: u32,
        accelerate: Option<mmsplay_net::Acceleration>,
    ) -> Result<(), End> {
        if let Some(relay) = media.relay() {
            // A relay: join at its next packet.
            self.reply(FromServer::ReportStartedPlaying {
                hr: 0,
                play_incarnation: incarnation,
                tiger_file_id: OPEN_FILE_ID,
            })
            .await?;
            self.record.playing(&media, 0);
            self.play = None;
            self.ring.clear();
            self.eos_at = None;
            self.relay = relay.subscribe().map(|feed| RelayPlay {
                feed,
                location: 0,
                seq: 0,
                incarnation: incarnation as u8,
            });
            return Ok(());
        }
        let live = self.ctx.live;
        let n = media.packets.len();
        // Start point precedence: locationId, then asfOffset, then position (protocols.md 2.5).
        let index = if live {
            live::current_packet(&media)
        } else if location_id != 0 && location_id != u32::MAX {
            location_id as usize
        } else if asf_offset != 0 && asf_offset != u32::MAX {
            let data_start = media.header_bytes.len();
            (asf_offset as usize).saturating_sub(data_start) / (media.packet_size.max(1) as usize)
        } else if position.is_finite() && position > 0.0 {
            packet_at_position(&media, (position * 1000.0).min(1e15) as u64)
        } else {
            0
        }
        .min(n);
        self.reply(FromServer::ReportStartedPlaying {
            hr: 0,
            play_incarnation: incarnation,
            tiger_file_id: OPEN_FILE_ID,
        })
        .await?;
        self.begin(media, index, incarnation as u8, accelerate);
        Ok(())
    }

    /// Plays `media` from packet `index` (live: loops it after a burst of its preroll; on
    /// demand: real time, its start faster when the client asked for fast start).
    fn begin(
        &mut self,
        media: Arc<Media>,
        index: usize,
        incarnation: u8,
        accelerate: Option<mmsplay_net::Acceleration>,
    ) {
        let live = self.ctx.live;
        let n = media.packets.len();
        self.record.playing(&media, index);
        let first_ms = media.send_times_ms.get(index).copied().unwrap_or(0);
        let fast = self.ctx.fast && !live;
        let base = if live {
            Pacer::new(fast, u64::from(first_ms), media.header.file.preroll_ms)
        } else {
            Pacer::new(fast, u64::from(first_ms), 0)
                .accelerated(accelerate, media.header.file.max_bitrate)
        };
        self.ring.clear();
        self.eos_at = None;
        self.play = Some(Play {
            pacer: if matches!(self.path, Some(DataPath::Udp(_))) {
                base.precise()
            } else {
                base.batched(&media)
            },
            location: index as u32,
            index,
            seq: 0,
            incarnation,
            live,
            loops: 0,
            loop_ms: live::loop_ms(&media),
            media,
        });
        if index >= n {
            // A start past the end: nothing to send, so no datagrams to wait for either.
            self.play = None;
            self.eos_at = Some((Instant::now(), u32::from(incarnation)));
        }
    }

    /// The entry that played has been sent (and, over UDP, given time to drain). Without a
    /// next playlist entry: ReportEndOfStream. With one ([MS-MMSP] 3.2.4.2): ReportEndOfStream
    /// hr 1 and ReportStreamChange; over TCP the new header follows at once as Data packets of
    /// incarnation 0xFF, then the entry's packets (under the play's incarnation); over UDP the
    /// client asks for the header (ReadBlock) and plays the entry (StartPlaying).
    async fn end_of_entry(&mut self, play_incarnation: u32) -> Result<(), End> {
        let next = self.opened.as_mut().and_then(|(head, i)| {
            let next = crate::playlist::entry(head, *i + 1)?;
            *i += 1;
            Some(next)
        });
        let Some(next) = next else {
            return self
                .reply(FromServer::ReportEndOfStream {
                    hr: 0,
                    play_incarnation,
                })
                .await;
        };
        self.reply(FromServer::ReportEndOfStream {
            hr: 1,
            play_incarnation,
        })
        .await?;
        self.header = next.header_bytes.clone();
        self.reply(FromServer::ReportStreamChange {
            hr: 0,
            packet_size: next.packet_size,
            header_size: self.header.len() as u32,
            bit_rate: next.header.file.max_bitrate,
        })
        .await?;
        self.media = Some(next.clone());
        if self.path == Some(DataPath::Tcp) {
            self.send_header(STREAM_CHANGE_INCARNATION as u8).await?;
            // The client's buffer is already ahead: later entries go in real time.
            self.begin(next, 0, play_incarnation as u8, None);
        }
        Ok(())
    }

    /// Sends the packet that is due and advances; at the end, schedules ReportEndOfStream
    /// (or loops, live).
    async fn send_next_packet(&mut self) -> Result<(), End> {
        let Some(p) = self.play.as_mut() else {
            return Ok(());
        };
        let Some(packet) = p.media.packets.get(p.index).cloned() else {
            self.finish_play();
            return Ok(());
        };
        let packet = if p.loops > 0 {
            // Later loops of a broadcast continue the timeline instead of jumping back.
            let mut moved = packet.to_vec();
            let shift = p.loops.saturating_mul(p.loop_ms).min(u64::from(u32::MAX));
            mmsplay_asf::timing::shift_times(&mut moved, shift as i64);
            Bytes::from(moved)
        } else {
            packet
        };
        // A packet with nothing selected is skipped: LocationId still counts the file's
        // packets, the sequence (AFFlags) only those sent, so a client sees no loss.
        let thinned = self.filter.apply(&packet, p.media.packet_size);
        let Some(packet) = thinned else {
            p.index += 1;
            p.location = p.location.wrapping_add(1);
            if p.index >= p.media.packets.len() {
                if p.live {
                    p.index = 0;
                    p.loops += 1;
                } else {
                    self.finish_play();
                }
            }
            return Ok(());
        };
        let sent = Sent {
            location: p.location,
            incarnation: p.incarnation,
            af_flags: p.seq as u8,
            packet,
        };
        let seq = p.seq;
        p.index += 1;
        p.location = p.location.wrapping_add(1);
        p.seq = p.seq.wrapping_add(1);
        let at_end = p.index >= p.media.packets.len();
        if at_end && p.live {
            // Loop the broadcast: LocationId keeps counting the virtual file.
            p.index = 0;
            p.loops += 1;
        }
        let fast_udp = self.ctx.fast && matches!(self.path, Some(DataPath::Udp(_)));
        self.deliver(seq, sent).await?;
        if fast_udp && seq % 16 == 15 {
            // Even --fast gives a UDP receiver a moment: a burst overruns socket buffers and
            // that loss would be ours, not the --udp-loss the test asked for.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if at_end && !self.play.as_ref().is_some_and(|p| p.live) {
            self.finish_play();
        }
        Ok(())
    }

    /// Sends one data packet's datagram (`--udp-loss` may withhold it) and keeps it for
    /// resends on UDP.
    async fn deliver(&mut self, seq: u32, sent: Sent) -> Result<(), End> {
        let media_len = sent.packet.len();
        if !matches!(self.path, Some(DataPath::Udp(_))) {
            // TCP: queued with its data header in front, the packet shared, not copied.
            self.record.sent(media_len);
            if !self.silent {
                let (head, payload) = sent.head();
                self.out.framing(&head);
                self.out.packet(sent.packet.slice(..payload.len()));
            }
            return Ok(());
        }
        let Some(DataPath::Udp(to)) = self.path else {
            return Ok(());
        };
        self.ring.push_back((seq, sent));
        if self.ring.len() > RESEND_RING {
            self.ring.pop_front();
        }
        if self.loss.drop_next() {
            self.record.packets_dropped += 1;
            return Ok(());
        }
        self.record.sent(media_len);
        if self.silent || self.ctx.faults.blackholes(Transport::Mmsu) {
            return Ok(());
        }
        if let Some((_, sent)) = self.ring.back() {
            send_datagram(&self.udp, sent, to).await;
        }
        Ok(())
    }

    /// Sends a relayed packet; ends the play when the relay ends, the session when the client
    /// fell a whole queue behind.
    async fn send_relayed(&mut self, next: Next) -> Result<(), End> {
        let packet = match next {
            Next::Packet(p) => p,
            Next::TooSlow => return Err("client too slow for the relay, dropped".into()),
            Next::End => {
                if let Some(r) = self.relay.take() {
                    let play_incarnation = u32::from(r.incarnation);
                    self.reply(FromServer::ReportEndOfStream {
                        hr: 0,
                        play_incarnation,
                    })
                    .await?;
                }
                return Ok(());
            }
        };
        let Some(mut r) = self.relay.take() else {
            return Ok(());
        };
        let size = self.media.as_ref().map_or(0, |m| m.packet_size);
        let Some(packet) = self.filter.apply(&packet, size) else {
            self.relay = Some(r);
            return Ok(());
        };
        let sent = Sent {
            location: r.location,
            incarnation: r.incarnation,
            af_flags: r.seq as u8,
            packet,
        };
        let seq = r.seq;
        r.location = r.location.wrapping_add(1);
        r.seq = r.seq.wrapping_add(1);
        self.relay = Some(r);
        self.deliver(seq, sent).await
    }

    fn finish_play(&mut self) {
        if let Some(p) = self.play.take() {
            let delay = match self.path {
                Some(DataPath::Udp(_)) => UDP_EOS_DELAY,
                _ => Duration::ZERO,
            };
            self.eos_at = Some((Instant::now() + delay, u32::from(p.incarnation)));
        }
    }

    /// One Data packet on the session's data path.
    async fn send_data(&mut self, d: &[u8]) -> Result<(), End> {
        if self.silent {
            return Ok(());
        }
        match self.path {
            Some(DataPath::Udp(to)) => {
                if self.ctx.faults.blackholes(Transport::Mmsu) {
                    return Ok(());
                }
                // A failed datagram is loss the client will see; not a reason to stop.
                if let Err(e) = self.udp.send_to(d, to).await {
                    tracing::debug!("mms: UDP send to {to}: {e}");
                }
                Ok(())
            }
            _ => self.write(d).await,
        }
    }

    /// Resends the requested datagrams unchanged ([MS-MMSP] 3.2.5.13).
    async fn resend(&mut self, req: ResendRequest) {
        if req.source_id != OPEN_FILE_ID as u16 {
            return;
        }
        let Some(DataPath::Udp(to)) = self.path else {
            return;
        };
        if self.ctx.faults.blackholes(Transport::Mmsu) {
            return;
        }
        for s in req.sequences {
            let found = self
                .ring
                .iter()
                .find(|(q, _)| *q == s)
                .map(|(_, sent)| sent.datagram());
            if let Some(d) = found {
                let _ = self.udp.send_to(&d, to).await;
            }
        }
    }
}

/// The first packet whose send time is at or after `ms` of content time. Send times run on
/// the content clock without the preroll (ffmpeg's first packet is sent at 0 while its first
/// payload is presented at the preroll), so no preroll is added here.
fn packet_at_position(media: &Media, ms: u64) -> usize {
    media.send_times_ms.partition_point(|t| u64::from(*t) < ms)
}
