//! Sends a file's data packets as `x-asf-pf` RTP, paced by their send times, then signals the
//! end of the stream the way ffmpeg and GStreamer need (protocols.md 6A.4 steps 5-8).
//!
//! Over TCP each packet is queued in the connection's [`Wire`] with its interleaved framing,
//! RTP header and payload-format header in front and the file's prepared packet shared behind
//! them; what is due in one pacing tick goes out in one write.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use mmsplay_asf::padding;
use mmsplay_net::rtsp::asfpf;
use mmsplay_net::rtsp::message::Message;
use mmsplay_net::rtsp::rtp::{RtpHeader, encode_rtp_header, sender_report_bye, write_rtp_header};
use tokio::net::UdpSocket;

use super::prepared::{self, RtpPacket};
use super::wire::Wire;
use crate::Media;
use crate::faults::Loss;
use crate::pacing::Pacer;
use crate::thinning::{Kept, StreamFilter};

/// RTP payload type of the ASF stream (as in the SDP).
pub const PAYLOAD_TYPE: u8 = 96;
/// Largest RTP payload on UDP. Larger ASF packets are fragmented. WMS cut at the path MTU;
/// we keep usual packet sizes (3200 bytes and the like) whole, leaving fragmentation to IP,
/// so that every lost datagram is exactly one lost ASF packet and clients can count it. The
/// bound is ffmpeg's RTP receive buffer (8192 bytes with the RTP header).
const UDP_MAX_PAYLOAD: usize = 8192 - 12;
/// Largest RTP payload in a `$` frame (16-bit length, less the RTP header).
const TCP_MAX_PAYLOAD: usize = 65_535 - 12;
/// RTP packets remembered for resends (a few seconds of audio).
const HISTORY: usize = 512;
/// Pause between the last packet and the EndOfStream notice, and between it and the BYEs.
const EOS_GAP: Duration = Duration::from_millis(100);
/// Without pacing (`--fast`), packets queued over TCP are written in batches of this many.
const FAST_BATCH: usize = 32;

/// The connection's writing side, shared by replies and interleaved media.
pub type Writer = Arc<tokio::sync::Mutex<Wire>>;

/// Where a session's RTP goes.
#[derive(Clone, Debug)]
pub enum Target {
    Udp {
        rtp: Arc<UdpSocket>,
        rtcp: Arc<UdpSocket>,
        rtp_to: SocketAddr,
        rtcp_to: SocketAddr,
    },
    Tcp {
        channel: u8,
        rtcp_channel: u8,
    },
}

impl Target {
    pub fn is_udp(&self) -> bool {
        matches!(self, Target::Udp { .. })
    }
}

/// Counters and position a session keeps across PLAYs.
pub struct Shared {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub octets: AtomicU64,
    /// The media position the latest PLAY started from, ms.
    pub start_ms: AtomicU64,
    pub next_seq: AtomicU32,
    pub next_index: AtomicUsize,
    /// The server-side playlist entry the session plays (0: the media itself).
    pub entry: AtomicUsize,
    pub loss: Mutex<Loss>,
    pub ssrc: u32,
    /// The last RTP packets sent on UDP (withheld ones too), for resends after a NACK.
    pub history: Mutex<VecDeque<(u16, Vec<u8>)>>,
    /// Where resends go: the client's retransmission (rtx) RTP port, once SET UP.
    pub rtx_to: Mutex<Option<SocketAddr>>,
    /// Notified when the streamer dropped the client (gone, or a whole queue behind): the
    /// connection ends.
    pub gone: tokio::sync::Notify,
    /// The streams the client selected: those it SETUP, changed by SelectStream requests
    /// while streaming.
    pub filter: Mutex<StreamFilter>,
}

impl Shared {
    pub fn new(loss: Loss) -> Shared {
        Shared {
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            octets: AtomicU64::new(0),
            start_ms: AtomicU64::new(0),
            next_seq: AtomicU32::new(u32::from(rand::random::<u16>())),
            next_index: AtomicUsize::new(0),
            entry: AtomicUsize::new(0),
            loss: Mutex::new(loss),
            ssrc: rand::random(),
            history: Mutex::new(VecDeque::new()),
            rtx_to: Mutex::new(None),
            gone: tokio::sync::Notify::new(),
            filter: Mutex::new(StreamFilter::default()),
        }
    }

    fn remember(&self, seq: u16, rtp: &[u8]) {
        if let Ok(mut h) = self.history.lock() {
            if h.len() >= HISTORY {
                h.pop_front();
            }
            h.push_back((seq, rtp.to_vec()));
        }
    }

    /// The packet sent with `seq`, if still remembered.
    pub fn recall(&self, seq: u16) -> Option<Vec<u8>> {
        let h = self.history.lock().ok()?;
        h.iter().find(|(s, _)| *s == seq).map(|(_, p)| p.clone())
    }

    pub fn seq(&self) -> u16 {
        self.next_seq.load(Ordering::Relaxed) as u16
    }

    fn take_seq(&self) -> u16 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) as u16
    }

    fn drop_next(&self) -> bool {
        match self.loss.lock() {
            Ok(mut l) => l.drop_next(),
            Err(_) => false,
        }
    }
}

/// One PLAY's worth of streaming.
pub struct Job {
    pub media: Arc<Media>,
    /// A server-side playlist's entry after this one: announced when this one ends.
    pub next: Option<Arc<Media>>,
    /// For the next entry's SDP: `IP6` addresses.
    pub ipv6: bool,
    /// The PLAY's fast-start request (`X-Accelerate-Streaming`).
    pub accelerate: Option<mmsplay_net::Acceleration>,
    pub target: Target,
    pub writer: Writer,
    pub shared: Arc<Shared>,
    pub live: bool,
    pub fast: bool,
    pub session_id: String,
    pub aggregate_url: String,
    pub setup_url: String,
    /// CSeq counter of server-to-client requests.
    pub cseq: Arc<AtomicU32>,
    /// How many SR+BYE compounds to send at the end: one per `m=` line (ffmpeg counts them).
    pub byes: usize,
    /// Turns `true` when the server shuts down: the stream ends early, the usual way.
    pub stop: tokio::sync::watch::Receiver<bool>,
}

/// The span one loop of a live broadcast takes, in ms.
pub fn loop_span_ms(media: &Media) -> u64 {
    let first = u64::from(media.send_times_ms.first().copied().unwrap_or(0));
    let last = u64::from(media.send_times_ms.last().copied().unwrap_or(0));
    media.duration_ms.max(last.saturating_sub(first) + 100)
}

impl Job {
    /// Streams until the end (or a stop); a client that is gone or a whole queue behind is
    /// dropped: [`Shared::gone`] tells its connection to end.
    pub async fn run(self) {
        let shared = self.shared.clone();
        let dropped = match self.media.relay() {
            Some(relay) => self.run_relay(&relay).await.is_err(),
            None => self.run_file().await.is_err(),
        };
        if dropped {
            shared.gone.notify_one();
        }
    }

    async fn run_file(self) -> std::io::Result<()> {
        let media = self.media.clone();
        let m = &*media;
        if m.packets.is_empty() {
            return Ok(());
        }
        let start = self
            .shared
            .next_index
            .load(Ordering::Relaxed)
            .min(m.packets.len() - 1);
        let first_send = u64::from(m.send_times_ms[start]);
        let pacer = if self.live {
            Pacer::new(false, first_send, m.header.file.preroll_ms)
        } else {
            Pacer::new(self.fast, first_send, 0)
                .accelerated(self.accelerate, m.header.file.max_bitrate)
        };
        // Over UDP each packet is a datagram of its own: it keeps its own time, as over MMS.
        let pacer = if self.target.is_udp() {
            pacer.precise()
        } else {
            pacer.batched(m)
        };
        let span = loop_span_ms(m);
        let mut stop = self.stop.clone();
        let mut loop_offset = 0u64;
        let mut last_ts = 0u32;
        loop {
            let mut idx = self.shared.next_index.load(Ordering::Relaxed);
            if idx >= m.packets.len() {
                if !self.live {
                    break;
                }
                idx = 0;
                loop_offset += span;
            }
            let send_ms = u64::from(m.send_times_ms[idx]) + loop_offset;
            tokio::select! {
                biased;
                _ = crate::stopping(&mut stop) => break,
                r = self.until_due(&pacer, send_ms) => r?,
            }
            last_ts = send_ms as u32;
            if loop_offset == 0 {
                let whole = || {
                    prepared::packet(m, idx)
                        .unwrap_or_else(|| RtpPacket::new(&m.packets[idx], m.packet_size))
                };
                self.send_selected(&m.packets[idx], whole, last_ts).await?;
            } else {
                // A later loop keeps its timeline going forward.
                let mut moved = m.packets[idx].to_vec();
                mmsplay_asf::timing::shift_times(
                    &mut moved,
                    loop_offset.min(u64::from(u32::MAX)) as i64,
                );
                let whole = || RtpPacket::new(&moved, m.packet_size);
                self.send_selected(&moved, whole, last_ts).await?;
            }
            if pacer.is_precise() && !self.target.is_udp() {
                // Packet by packet: it goes out now, not with the next.
                self.writer.lock().await.write_ready()?;
            }
            self.shared.next_index.store(idx + 1, Ordering::Relaxed);
        }
        if let Some(next) = self.next.clone()
            && !*self.stop.borrow()
        {
            // The last packets go out before the announcement's gap, as before a goodbye.
            if !self.target.is_udp() {
                self.writer.lock().await.drain().await?;
            }
            let _ = self.announce(&next).await;
            return Ok(());
        }
        self.say_goodbye(last_ts).await;
        Ok(())
    }

    /// Unless the packet with send time `send_ms` is due now, writes what is queued (as much
    /// as the client takes) and waits for the tick at which it is. An error: the client is a
    /// whole queue behind, or gone.
    async fn until_due(&self, pacer: &Pacer, send_ms: u64) -> std::io::Result<()> {
        let tcp = !self.target.is_udp();
        if pacer.is_fast() {
            if tcp {
                let mut w = self.writer.lock().await;
                if w.queued() >= FAST_BATCH {
                    w.drain().await?;
                }
            }
            return Ok(());
        }
        if pacer.is_due(send_ms) {
            return Ok(());
        }
        if tcp {
            self.writer.lock().await.write_ready()?;
        }
        pacer.wait(send_ms).await;
        if tcp {
            // Still a whole queue behind after the wait: dropped.
            let mut w = self.writer.lock().await;
            w.write_ready()?;
            w.check()?;
        }
        Ok(())
    }

    /// What the client selected of `packet` (see [`StreamFilter`]) as RTP: `whole` (the
    /// packet ready for RTP, made once for every listener where it can be) when it takes all
    /// of it, a rebuilt packet when it takes some streams, nothing when it takes none.
    async fn send_selected(
        &self,
        packet: &[u8],
        whole: impl FnOnce() -> RtpPacket,
        timestamp: u32,
    ) -> std::io::Result<()> {
        let size = self.media.packet_size;
        let decision = match self.shared.filter.lock() {
            Ok(mut f) => f.decide(packet, size),
            Err(_) => Some(Kept::Whole),
        };
        let ready = match decision {
            // Nothing the client SETUP: no RTP packet at all.
            None => return Ok(()),
            Some(Kept::Whole) => whole(),
            Some(Kept::Rebuilt(p)) => RtpPacket::new(&padding::pad(p, size), size),
        };
        self.send_packet(&ready, timestamp).await
    }

    /// A server-side playlist moves on ([MS-RTSP] 3.2.4.2): the EndOfStream request with
    /// `End-Of-Playlist-Entry: true`, then an Announce with the next entry's SDP. The client's
    /// PLAY then streams it from its start.
    async fn announce(&self, next: &Media) -> std::io::Result<()> {
        tokio::time::sleep(EOS_GAP).await;
        self.shared.entry.fetch_add(1, Ordering::Relaxed);
        self.shared.next_index.store(0, Ordering::Relaxed);
        self.send_end_of_stream().await?;
        let control = format!("{}/", self.aggregate_url);
        let body = mmsplay_net::rtsp::sdp::build(&mmsplay_net::rtsp::sdp::DescribeSpec {
            control: &control,
            header_bytes: &next.header_bytes,
            header: &next.header,
            duration_ms: next.header.file.duration_ms(),
            live: false,
            ipv6: self.ipv6,
            session_id: rand::random::<u64>() >> 1,
        });
        let cseq = self.cseq.fetch_add(1, Ordering::Relaxed);
        let req = Message::request("ANNOUNCE", &self.aggregate_url)
            .with("CSeq", cseq.to_string())
            .with("Session", self.session_id.clone())
            .with("X-Playlist-Gen-Id", self.playlist_gen_id().to_string())
            .with("Server", mmsplay_net::rtsp::WMS_SERVER)
            .with_body("application/sdp", body);
        self.writer.lock().await.write_all(&req.to_bytes()).await
    }

    /// [MS-RTSP] 2.2.6.22: identifies the playlist entry; ours count from 1.
    fn playlist_gen_id(&self) -> usize {
        self.shared.entry.load(Ordering::Relaxed) + 1
    }

    /// One ASF packet as RTP (fragmented if large), counted; `--udp-loss` may withhold it.
    /// An error: the TCP connection failed.
    async fn send_packet(&self, packet: &RtpPacket, timestamp: u32) -> std::io::Result<()> {
        let RtpPacket { stripped, key } = packet;
        let max = if self.target.is_udp() {
            UDP_MAX_PAYLOAD
        } else {
            TCP_MAX_PAYLOAD
        };
        if let Target::Tcp { channel, .. } = self.target
            && stripped.len() + 4 <= max
        {
            self.queue_whole(channel, stripped, *key, timestamp).await;
            return Ok(());
        }
        let drop = self.target.is_udp() && self.shared.drop_next();
        for (payload, marker) in asfpf::packetize(stripped, *key, max) {
            let h = RtpHeader {
                marker,
                payload_type: PAYLOAD_TYPE,
                sequence: self.shared.take_seq(),
                timestamp,
                ssrc: self.shared.ssrc,
            };
            let mut rtp = Vec::with_capacity(12 + payload.len());
            write_rtp_header(&h, &mut rtp);
            rtp.extend_from_slice(&payload);
            if self.target.is_udp() {
                self.shared.remember(h.sequence, &rtp);
            }
            if drop {
                continue;
            }
            self.send(&rtp, false).await?;
        }
        if drop {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            self.shared.sent.fetch_add(1, Ordering::Relaxed);
            self.shared
                .octets
                .fetch_add(stripped.len() as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    /// A whole packet over TCP, queued: `$`, channel and length, the RTP header and the
    /// payload-format header in front of the shared packet.
    async fn queue_whole(&self, channel: u8, stripped: &Bytes, key: bool, timestamp: u32) {
        let h = RtpHeader {
            marker: true,
            payload_type: PAYLOAD_TYPE,
            sequence: self.shared.take_seq(),
            timestamp,
            ssrc: self.shared.ssrc,
        };
        let [l0, l1] = ((12 + 4 + stripped.len()) as u16).to_be_bytes();
        let mut framing = [0u8; 4 + 12 + 4];
        framing[..4].copy_from_slice(&[b'$', channel, l0, l1]);
        framing[4..16].copy_from_slice(&encode_rtp_header(&h));
        framing[16..].copy_from_slice(&asfpf::whole_packet_header(stripped.len(), key));
        self.writer.lock().await.queue(&framing, stripped.clone());
        self.shared.sent.fetch_add(1, Ordering::Relaxed);
        self.shared
            .octets
            .fetch_add(stripped.len() as u64, Ordering::Relaxed);
    }

    /// A relay: once a tick, the packets it sent since, until it ends, the client falls a
    /// whole queue behind (dropped without the goodbye) or the server shuts down.
    async fn run_relay(mut self, relay: &crate::relay::Relay) -> std::io::Result<()> {
        use crate::relay::Next;
        let Some(mut feed) = relay.subscribe() else {
            return Ok(());
        };
        let mut last_ts = 0u32;
        'ticks: loop {
            tokio::select! {
                biased;
                _ = crate::stopping(&mut self.stop) => break,
                _ = crate::tick::next() => {}
            }
            if !self.target.is_udp() {
                // Still a whole queue behind since the last tick: dropped.
                let mut w = self.writer.lock().await;
                w.write_ready()?;
                w.check()?;
            }
            while let Some(next) = feed.try_next() {
                match next {
                    Next::Packet(p) => {
                        if let Some(f) = mmsplay_asf::timing::time_fields(&p) {
                            last_ts = f.send_time_ms;
                        }
                        let whole = || RtpPacket::new(&p, self.media.packet_size);
                        self.send_selected(&p, whole, last_ts).await?;
                    }
                    Next::TooSlow => return Err(std::io::Error::other("too slow for the relay")),
                    Next::End => break 'ticks,
                }
            }
            if !self.target.is_udp() {
                self.writer.lock().await.write_ready()?;
            }
        }
        self.say_goodbye(last_ts).await;
        Ok(())
    }

    /// The end of a stream: the EndOfStream notice, then one SR+BYE per `m=` line.
    async fn say_goodbye(&self, last_ts: u32) {
        // The last packets go out before the gap, not with the notice: a client that takes
        // the notice as the end would lose them.
        if !self.target.is_udp() && self.writer.lock().await.drain().await.is_err() {
            return;
        }
        tokio::time::sleep(EOS_GAP).await;
        if self.send_end_of_stream().await.is_err() {
            return;
        }
        tokio::time::sleep(EOS_GAP).await;
        let ntp = ntp_now();
        let packets = self.shared.sent.load(Ordering::Relaxed) as u32;
        let octets = self.shared.octets.load(Ordering::Relaxed) as u32;
        let bye = sender_report_bye(self.shared.ssrc, ntp, last_ts, packets, octets);
        for _ in 0..self.byes {
            if self.send(&bye, true).await.is_err() {
                return;
            }
        }
    }

    async fn send(&self, data: &[u8], rtcp: bool) -> std::io::Result<()> {
        match &self.target {
            Target::Udp {
                rtp,
                rtcp: rtcp_sock,
                rtp_to,
                rtcp_to,
            } => {
                let r = if rtcp {
                    rtcp_sock.send_to(data, rtcp_to).await
                } else {
                    rtp.send_to(data, rtp_to).await
                };
                // A client that went away shows up as ICMP errors; the control connection
                // ends the session, not a failed datagram.
                if let Err(e) = r {
                    tracing::debug!("rtsp: udp send: {e}");
                }
                Ok(())
            }
            Target::Tcp {
                channel,
                rtcp_channel,
            } => {
                let ch = if rtcp { *rtcp_channel } else { *channel };
                let mut frame = Vec::with_capacity(4 + data.len());
                frame.push(b'$');
                frame.push(ch);
                frame.extend_from_slice(&(data.len() as u16).to_be_bytes());
                frame.extend_from_slice(data);
                self.writer.lock().await.write_all(&frame).await
            }
        }
    }

    /// [MS-RTSP] 2.2.7.1.1 EndOfStream: a SET_PARAMETER to the client; between two playlist
    /// entries, with `End-Of-Playlist-Entry: true`.
    async fn send_end_of_stream(&self) -> std::io::Result<()> {
        let cseq = self.cseq.fetch_add(1, Ordering::Relaxed);
        let mut body = format!("Session: {}\r\nEOF: true\r\n", self.session_id);
        if self.next.is_some() {
            body.push_str("End-Of-Playlist-Entry: true\r\n");
        }
        let req = Message::request("SET_PARAMETER", &self.aggregate_url)
            .with("CSeq", cseq.to_string())
            .with("Session", self.session_id.clone())
            .with("X-Notice", "2101 \"End-of-Stream Reached\"")
            .with(
                "RTP-Info",
                format!("url={};seq={}", self.setup_url, self.shared.seq()),
            )
            .with("Server", mmsplay_net::rtsp::WMS_SERVER)
            // [MS-RTSP] 2.2.7.3: the body repeats the session.
            .with_body("application/x-wms-extension-cmd", body);
        self.writer.lock().await.write_all(&req.to_bytes()).await
    }
}

/// Answers NACKs ([MS-RTSP] 2.2.3, RFC 4585 generic NACK) arriving on the session's RTCP
/// socket: each packet asked for is sent again, unchanged, to the client's rtx RTP port.
pub async fn answer_nacks(rtcp: Arc<UdpSocket>, rtp: Arc<UdpSocket>, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, _)) = rtcp.recv_from(&mut buf).await else {
            // ICMP errors surface here on some systems; keep listening.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let to = shared.rtx_to.lock().ok().and_then(|t| *t);
        let Some(to) = to else { continue };
        for seq in mmsplay_net::rtsp::rtp::parse_nacks(&buf[..n], 64) {
            if let Some(p) = shared.recall(seq) {
                let _ = rtp.send_to(&p, to).await;
            }
        }
    }
}

/// Now as a 64-bit NTP timestamp (RFC 3550 4).
fn ntp_now() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() + 2_208_988_800;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}
