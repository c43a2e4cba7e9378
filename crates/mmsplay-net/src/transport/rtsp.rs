//! RTSP with the Windows Media extensions over tokio: the first two steps of the rollover,
//! `rtspu` (RTP on UDP) and `rtspt` (RTP interleaved in the RTSP connection).
//!
//! The exchange ([MS-RTSP] 3.1, protocols.md 5.1): OPTIONS, DESCRIBE (the SDP carries the ASF
//! header; a 3xx redirect is followed), over UDP a SETUP of the retransmission stream, one
//! SETUP per chosen ASF stream, PLAY (from `start_ms`), then RTP carrying `x-asf-pf` payloads
//! until the server signals the end (its EndOfStream SET_PARAMETER, an RTCP BYE, or closing the
//! connection). Packets after a hole wait briefly for the missing one, which is asked for again
//! with a NACK when the retransmission stream is up. Keep-alives (GET_PARAMETER) and RTCP
//! receiver reports go out while playing; a server-side playlist's next entry (Announce) comes
//! through as a new header; TEARDOWN on close. The protocol pieces are the sans-IO ones in
//! [`crate::rtsp`].

mod control;
mod media;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::Transport;
use crate::error::{NetError, Result};
use crate::redirect::RedirectChain;
use crate::rtsp::asfpf::Depacketizer;
use crate::rtsp::client::{self, Outcome, Step};
use crate::rtsp::headers::LowerTransport;
use crate::rtsp::holdback::{Holdback, Pushed, Released};
use crate::rtsp::sdp;
use crate::rtsp::sequence::SeqTracker;
use crate::rtsp::streamswitch;
use crate::stream::{AsfEvent, ConnectOptions, TransportStats};
use crate::url::StreamUrl;

use control::Control;
use media::MediaPath;

pub use crate::rtsp::client::{MAX_SDP_LEN, REPLY_TIMEOUT, UDP_FIRST_MEDIA_TIMEOUT};
/// Redirects (3xx with Location to DESCRIBE, [MS-RTSP] 3.2.5.2) followed in one connect.
const MAX_REDIRECTS: usize = 3;
/// RTCP receiver reports while playing (more often when the session timeout is short: the
/// reports keep the session alive on servers that count RTCP as activity).
const REPORT_INTERVAL: Duration = Duration::from_secs(5);
/// After the EndOfStream notice, how long to wait for the RTP packets it announces.
const EOS_DRAIN: Duration = Duration::from_millis(500);
/// How long a packet after a hole waits for the missing one (reordered, or resent after a
/// NACK) before the hole is given up as lost.
const HOLD_TIME: Duration = Duration::from_millis(300);
/// After an RTCP BYE on UDP, how long to keep reading datagrams still in flight.
const BYE_DRAIN: Duration = Duration::from_millis(200);
/// Malformed RTP packets in a row, before any good one, that make the connect fail.
const MAX_BAD_BEFORE_MEDIA: u32 = 16;

/// The end-of-stream state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Eos {
    Playing,
    /// The server announced the end; finish once `until_seq` is the next expected sequence
    /// number or at `deadline`.
    Draining {
        until_seq: Option<u16>,
        deadline: Instant,
    },
    Ended,
}

/// An RTSP session; the state is boxed so that [`crate::Session`] stays small.
pub struct RtspSession(Box<Inner>);

impl RtspSession {
    pub async fn connect(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Self> {
        let mut url = url.clone();
        let rtsp_url = |u: &StreamUrl| {
            format!(
                "rtsp://{}{}",
                u.authority(u.port_for(t, &opts.ports)),
                u.path
            )
        };
        let mut chain = RedirectChain::new(rtsp_url(&url), MAX_REDIRECTS);
        loop {
            match Inner::connect(&url, t, opts).await? {
                Connected::Session(s) => return Ok(RtspSession(s)),
                Connected::Redirect(to) => {
                    opts.notes.note(format!(
                        "{t}: {} redirects to {}",
                        rtsp_url(&url),
                        rtsp_url(&to)
                    ));
                    chain.follow(rtsp_url(&to))?;
                    // The URL's own credentials stay with its host; `--user`'s with theirs.
                    let mut to = to;
                    if to.host == url.host {
                        to.credentials = to.credentials.or(url.credentials.take());
                    }
                    url = to;
                }
            }
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
        self.0.close().await;
    }
}

struct Inner {
    transport: Transport,
    control: Control,
    media: MediaPath,
    packet_size: u32,
    depack: Depacketizer,
    seq: SeqTracker,
    server_ssrc: Option<u32>,
    our_ssrc: u32,
    cname: String,
    pending: VecDeque<AsfEvent>,
    stats: Arc<TransportStats>,
    idle_timeout: Duration,
    last_data: Instant,
    keepalive_every: Duration,
    next_keepalive: Instant,
    next_report: Instant,
    eos: Eos,
    media_seen: bool,
    bad_streak: u32,
    last_bad: Option<String>,
    scratch: Vec<Vec<u8>>,
    holdback: Holdback,
    /// Sequence numbers to ask for again.
    nacks: Vec<u16>,
    epoch: Instant,
    /// Each ASF stream's URL (from the SDP), for SelectStream.
    stream_urls: Vec<(u16, String)>,
    /// The streams the server sends now.
    streams_on: Vec<u16>,
    header: mmsplay_asf::Header,
}

impl Inner {
    /// One connect attempt: the sans-IO [`client::Connect`] decides, this sends its requests,
    /// opens the sockets it asks for and applies what the server agreed to.
    async fn connect(url: &StreamUrl, t: Transport, opts: &ConnectOptions) -> Result<Connected> {
        let lower = match t {
            Transport::Rtspu => LowerTransport::Udp,
            Transport::Rtspt => LowerTransport::Tcp,
            _ => return Err(NetError::unsupported("not an RTSP transport")),
        };
        let port = url.port_for(t, &opts.ports);
        let authority = url.authority(port);
        let stream = TcpStream::connect(&authority)
            .await
            .map_err(|e| NetError::io("connecting", e).with_peer(&authority))?;
        let _ = stream.set_nodelay(true);
        let request_url = format!("rtsp://{authority}{}", url.path);
        let mut control = Control::new(stream, request_url.clone());
        let mut media = match lower {
            LowerTransport::Udp => MediaPath::bind_udp(control.local_ip()?).await?,
            LowerTransport::Tcp => MediaPath::tcp(),
        };
        // The bytes are random, so the GUID's mixed-endian layout does not matter.
        let guid = mmsplay_asf::Guid(rand::random()).to_string();
        let mut machine = client::Connect::new(client::ConnectConfig {
            url: request_url,
            lower,
            client_ports: media.client_ports(),
            streams: opts.streams.clone(),
            choose: opts.choose.clone(),
            start_ms: opts.start_ms,
            connect_timeout: opts.connect_timeout,
            user_agent: client::Requester::wmplayer_user_agent(&guid),
            extra_headers: Vec::new(),
            accelerate: opts.accelerate,
        });
        let mut step = machine.start();
        let est = loop {
            step = match step {
                Step::Send(req) => {
                    let reply = control.call(&req).await?;
                    control.req.session = machine.session().map(str::to_string);
                    machine.on_reply(&reply)?
                }
                Step::OpenRtx => {
                    let ports = media.bind_rtx(control.local_ip()?).await?;
                    machine.rtx_opened(ports)?
                }
                Step::Done(Outcome::Redirect(to)) => return Ok(Connected::Redirect(to)),
                // Answered once with the credentials (again only on a stale nonce).
                Step::Done(Outcome::Unauthorized(u)) => {
                    machine.answer_challenge(&u, opts.credentials_for(&url.host, port, url))?
                }
                Step::Done(Outcome::Playing(est)) => break est,
            };
        };
        let client::Established {
            requester,
            aggregate,
            desc,
            keepalive_method,
            session_timeout,
            setup_tail,
            media_answer,
            rtx,
            first_seq,
            first_media_timeout,
        } = *est;
        let stream_urls: Vec<(u16, String)> = desc
            .media
            .iter()
            .filter(|m| m.is_asf())
            .filter_map(|m| {
                let n = u16::try_from(m.stream?).ok()?;
                Some((n, sdp::resolve_control(&aggregate, m.control.as_deref())))
            })
            .collect();
        // What the connect SETUP: the streams asked for, else the audio streams.
        let mut streams_on =
            crate::stream::wanted(&opts.streams, opts.choose.as_ref(), &desc.header);
        if streams_on.is_empty() {
            streams_on = desc
                .header
                .streams
                .iter()
                .filter(|s| s.kind == mmsplay_asf::StreamKind::Audio)
                .map(|s| u16::from(s.number))
                .collect();
        }
        streams_on.retain(|n| stream_urls.iter().any(|(s, _)| s == n));
        let peer = control.peer_ip()?;
        media.apply_reply(media_answer.as_ref(), peer);
        match rtx {
            Some(answer) => media.apply_rtx_reply(answer.as_ref(), peer),
            None => media.drop_rtx(),
        }
        control.adopt(requester, aggregate, keepalive_method, setup_tail);

        let mut seq = SeqTracker::default();
        let mut holdback = Holdback::new(HOLD_TIME.as_millis() as u64);
        if let Some(s) = first_seq {
            seq.expect(s);
            holdback.expect(s);
        }
        let now = Instant::now();
        let keepalive_every = (session_timeout / 2).max(Duration::from_secs(1));
        let mut s = Inner {
            transport: t,
            control,
            media,
            packet_size: desc.packet_size,
            depack: Depacketizer::new(desc.packet_size as usize),
            seq,
            server_ssrc: None,
            our_ssrc: rand::random(),
            cname: format!("{}@mmsplay", rand::random::<u32>()),
            pending: VecDeque::from([AsfEvent::Header(Bytes::from(desc.header_bytes))]),
            stats: opts.stats.clone(),
            idle_timeout: opts.idle_timeout,
            last_data: now,
            keepalive_every,
            next_keepalive: now + keepalive_every,
            next_report: now + REPORT_INTERVAL.min(keepalive_every),
            eos: Eos::Playing,
            media_seen: false,
            bad_streak: 0,
            last_bad: None,
            scratch: Vec::new(),
            holdback,
            nacks: Vec::new(),
            epoch: now,
            stream_urls,
            streams_on,
            header: desc.header,
        };
        s.wait_first_media(lower, first_media_timeout).await?;
        Ok(Connected::Session(Box::new(s)))
    }

    /// Returns once the first data packet is in `pending`.
    async fn wait_first_media(&mut self, lower: LowerTransport, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if self
                .pending
                .iter()
                .any(|e| matches!(e, AsfEvent::Packet(_)))
            {
                return Ok(());
            }
            if self.eos != Eos::Playing {
                return Err(NetError::protocol(
                    "the server ended the stream before sending any media",
                ));
            }
            if Instant::now() >= deadline {
                let why = match &self.last_bad {
                    Some(b) => format!(" (only malformed packets: {b})"),
                    None => String::new(),
                };
                let what = match lower {
                    LowerTransport::Udp => "no RTP arrived over UDP",
                    LowerTransport::Tcp => "no RTP arrived over the RTSP connection",
                };
                return Err(NetError::timeout(format!(
                    "{what} within {:.1} s of PLAY{why}",
                    limit.as_secs_f64()
                )));
            }
            self.poll(deadline).await?;
        }
    }

    async fn next_event(&mut self) -> Result<AsfEvent> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Ok(ev);
            }
            let now = Instant::now();
            match self.eos {
                Eos::Ended => return Ok(AsfEvent::End),
                Eos::Draining {
                    until_seq,
                    deadline,
                } => {
                    let caught_up =
                        until_seq.is_some() && self.holdback.next_expected() == until_seq;
                    if caught_up || now >= deadline {
                        let mut released = Vec::new();
                        self.holdback.flush(&mut released);
                        self.deliver(released)?;
                        self.count_missing_tail(until_seq);
                        self.finish();
                        continue;
                    }
                }
                Eos::Playing => {}
            }
            let idle_deadline = self.last_data + self.idle_timeout;
            if now >= idle_deadline {
                let why = match &self.last_bad {
                    Some(b) => format!(" (last malformed packet: {b})"),
                    None => String::new(),
                };
                return Err(NetError::timeout(format!(
                    "no media for {:.1} s{why}",
                    self.idle_timeout.as_secs_f64()
                )));
            }
            if now >= self.next_keepalive {
                self.next_keepalive = now + self.keepalive_every;
                self.control.send_keepalive().await?;
            }
            if now >= self.next_report {
                self.next_report = now + REPORT_INTERVAL.min(self.keepalive_every);
                self.send_report().await;
            }
            let mut wake = idle_deadline.min(self.next_keepalive).min(self.next_report);
            if let Eos::Draining { deadline, .. } = self.eos {
                wake = wake.min(deadline);
            }
            self.poll(wake).await?;
        }
    }

    /// Asks the server mid-stream for `audio` (with the command streams) instead of the
    /// audio it sends now: a SelectStream SET_PARAMETER ([MS-RTSP] 4.4.4.1), whose reply is
    /// read in passing. The RTP session stays: every ASF stream travels in it.
    async fn select(&mut self, audio: &[u16]) -> Result<()> {
        let want = crate::stream::with_commands(&self.header, audio);
        let Some(req) = streamswitch::select_request(&self.stream_urls, &self.streams_on, &want)
        else {
            return Ok(());
        };
        self.control.send(req).await?;
        self.streams_on = want;
        Ok(())
    }

    async fn close(mut self) {
        self.control.teardown().await;
    }

    /// Packets the EndOfStream notice announced that never came are lost too.
    fn count_missing_tail(&mut self, until_seq: Option<u16>) {
        let (Some(until), Some(next)) = (until_seq, self.holdback.next_expected()) else {
            return;
        };
        let missing = until.wrapping_sub(next);
        if missing > 0 && missing < crate::rtsp::sequence::MAX_DROPOUT {
            TransportStats::add(&self.stats.packets_lost, u64::from(missing));
            self.pending.push_back(AsfEvent::Gap {
                lost: u64::from(missing),
            });
        }
    }

    fn finish(&mut self) {
        let mut released = Vec::new();
        self.holdback.flush(&mut released);
        // Errors here are only malformed tails; the stream is ending either way.
        let _ = self.deliver(released);
        if self.eos != Eos::Ended {
            self.eos = Eos::Ended;
            self.pending.push_back(AsfEvent::End);
        }
    }

    /// Waits for input until `wake_at` and handles what came.
    async fn poll(&mut self, wake_at: Instant) -> Result<()> {
        self.poll_input(wake_at).await?;
        self.tick()?;
        self.send_nacks().await;
        Ok(())
    }

    async fn poll_input(&mut self, wake_at: Instant) -> Result<()> {
        let wake_at = match self.holdback.deadline_ms() {
            Some(ms) => wake_at.min(self.epoch + Duration::from_millis(ms)),
            None => wake_at,
        };
        let input = {
            let Self { control, media, .. } = self;
            tokio::select! {
                r = control.read_some() => Input::Control(r),
                r = media.recv_rtp() => Input::Rtp(r, false),
                r = media.recv_rtx() => Input::Rtp(r, true),
                r = media.recv_rtcp() => Input::Rtcp(r),
                _ = tokio::time::sleep_until(wake_at) => Input::Timer,
            }
        };
        match input {
            Input::Timer => Ok(()),
            Input::Rtp(r, resent) => {
                let data = r.map_err(|e| NetError::io("UDP receive failed", e))?;
                if let Some(d) = data {
                    self.on_rtp(&d, resent)?;
                }
                Ok(())
            }
            Input::Rtcp(r) => {
                let data = r.map_err(|e| NetError::io("UDP receive failed", e))?;
                if let Some(d) = data {
                    self.on_rtcp(&d);
                }
                Ok(())
            }
            Input::Control(r) => {
                let open = r?;
                self.drain_control().await?;
                if !open {
                    if self.eos != Eos::Playing {
                        self.finish();
                        return Ok(());
                    }
                    return Err(NetError::closed("the server closed the RTSP connection"));
                }
                Ok(())
            }
        }
    }

    /// Handles every complete frame the control connection holds.
    async fn drain_control(&mut self) -> Result<()> {
        while let Some(ev) = self.control.next_event().await? {
            match ev {
                control::Event::Interleaved { channel, data } => {
                    match self.media.classify(channel, &data) {
                        media::Kind::Rtp => self.on_rtp(&data, false)?,
                        media::Kind::Rtcp => self.on_rtcp(&data),
                        media::Kind::Ignore => {}
                    }
                }
                // A playlist entry ended; the next one's Announce follows.
                control::Event::EndOfStream {
                    entry_end: true, ..
                } => {}
                control::Event::EndOfStream { next_seq, .. } => {
                    // Packets the notice says were sent but never came: ask for them again.
                    if let Some(until) = next_seq {
                        let tail = self.holdback.missing_before(until);
                        self.nacks.extend(tail);
                    }
                    if self.eos == Eos::Playing {
                        self.eos = Eos::Draining {
                            until_seq: next_seq,
                            deadline: Instant::now() + EOS_DRAIN,
                        };
                    }
                }
                control::Event::Announce { sdp } => self.next_entry(&sdp).await?,
            }
        }
        Ok(())
    }

    /// A server-side playlist moved to its next entry ([MS-RTSP] 3.1.5.15): its ASF header
    /// goes to the player as a new `Header`, and PLAY resumes the stream (3.1.5.16, with the
    /// server's stream selection kept).
    async fn next_entry(&mut self, body: &[u8]) -> Result<()> {
        let desc = match sdp::parse(body) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("rtsp: ignoring an Announce: {e}");
                return Ok(());
            }
        };
        self.packet_size = desc.packet_size;
        self.depack = Depacketizer::new(desc.packet_size as usize);
        self.pending
            .push_back(AsfEvent::Header(Bytes::from(desc.header_bytes)));
        let aggregate = self.control.aggregate.clone();
        self.control
            .send(client::play_request(&aggregate, None))
            .await
    }

    fn on_rtcp(&mut self, data: &[u8]) {
        let summary = crate::rtsp::rtp::parse_rtcp(data);
        if let Some(mid) = summary.sender_report_ntp_mid {
            self.media.last_sr = Some((mid, Instant::now()));
        }
        if summary.bye {
            match (self.media.is_tcp(), self.eos) {
                // In-order delivery: nothing can follow the BYE.
                (true, _) => self.finish(),
                (_, Eos::Playing) => {
                    self.eos = Eos::Draining {
                        until_seq: None,
                        deadline: Instant::now() + BYE_DRAIN,
                    }
                }
                (
                    _,
                    Eos::Draining {
                        until_seq,
                        deadline,
                    },
                ) => {
                    self.eos = Eos::Draining {
                        until_seq,
                        deadline: deadline.min(Instant::now() + BYE_DRAIN),
                    }
                }
                _ => {}
            }
        }
    }

    fn on_rtp(&mut self, data: &[u8], resent: bool) -> Result<()> {
        if self.eos == Eos::Ended {
            return Ok(());
        }
        let (h, payload) = match crate::rtsp::rtp::parse_rtp(data) {
            Ok(x) => x,
            Err(e) => return self.bad_packet(e.to_string()),
        };
        self.server_ssrc.get_or_insert(h.ssrc);
        if !resent {
            // Reception-report figures count what came on the media stream itself.
            self.seq.on_packet(h.sequence);
        }
        self.last_data = Instant::now();
        let now = self.clock_ms();
        let mut released = Vec::new();
        match self.holdback.push(
            h.sequence,
            h.marker,
            payload.to_vec(),
            resent,
            now,
            &mut released,
        ) {
            Pushed::Late => TransportStats::add(&self.stats.packets_late, 1),
            Pushed::Taken { nack, filled_hole } => {
                if filled_hole && !resent {
                    // Reordered on the way: late, but still in time to be used.
                    TransportStats::add(&self.stats.packets_late, 1);
                }
                self.nacks.extend(nack);
            }
        }
        self.deliver(released)
    }

    /// Depacketizes what the holdback released, in order.
    fn deliver(&mut self, released: Vec<Released>) -> Result<()> {
        for r in released {
            match r {
                Released::Lost(n) => {
                    self.depack.reset();
                    TransportStats::add(&self.stats.packets_lost, u64::from(n));
                    self.pending.push_back(AsfEvent::Gap { lost: u64::from(n) });
                }
                Released::Packet {
                    marker,
                    payload,
                    recovered,
                    ..
                } => {
                    if recovered {
                        TransportStats::add(&self.stats.packets_recovered, 1);
                    }
                    self.depacketize(&payload, marker)?;
                }
            }
        }
        Ok(())
    }

    fn depacketize(&mut self, payload: &[u8], marker: bool) -> Result<()> {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let r = self.depack.push(payload, marker, &mut out);
        for packet in out.drain(..) {
            match mmsplay_asf::padding::restore(&packet, self.packet_size) {
                Ok(full) => {
                    self.stats.packet(packet.len());
                    self.pending.push_back(AsfEvent::Packet(full.into()));
                    self.media_seen = true;
                    self.bad_streak = 0;
                }
                Err(e) => self.bad_packet(e.to_string())?,
            }
        }
        self.scratch = out;
        match r {
            Ok(()) => Ok(()),
            Err(e) => self.bad_packet(e.to_string()),
        }
    }

    fn clock_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Gives up holes whose hold time ran out.
    fn tick(&mut self) -> Result<()> {
        let mut released = Vec::new();
        self.holdback.poll(self.clock_ms(), &mut released);
        self.deliver(released)
    }

    /// Asks for the packets that went missing again, on the retransmission stream.
    async fn send_nacks(&mut self) {
        if self.nacks.is_empty() {
            return;
        }
        let seqs = std::mem::take(&mut self.nacks);
        if let Some(ssrc) = self.server_ssrc {
            let n = crate::rtsp::rtp::nack(self.our_ssrc, ssrc, &seqs, &self.cname);
            let _ = self.media.send_nack(&n).await;
        }
    }

    /// A malformed packet is skipped and counted as lost; only a server that sends nothing but
    /// malformed packets from the start fails the connect.
    fn bad_packet(&mut self, why: String) -> Result<()> {
        TransportStats::add(&self.stats.packets_lost, 1);
        self.pending.push_back(AsfEvent::Gap { lost: 1 });
        self.bad_streak += 1;
        self.last_bad = Some(why);
        if !self.media_seen && self.bad_streak >= MAX_BAD_BEFORE_MEDIA {
            return Err(NetError::protocol(format!(
                "the server sends malformed RTP: {}",
                self.last_bad.as_deref().unwrap_or("")
            )));
        }
        Ok(())
    }

    async fn send_report(&mut self) {
        let block = self.server_ssrc.map(|ssrc| {
            let mut b = self.seq.report(ssrc);
            if let Some((mid, at)) = self.media.last_sr {
                b.last_sr = mid;
                // Units of 1/65536 s (RFC 3550 6.4.1).
                b.delay_since_last_sr = (at.elapsed().as_secs_f64() * 65536.0) as u32;
            }
            b
        });
        let rr = crate::rtsp::rtp::receiver_report(self.our_ssrc, block.as_ref(), &self.cname);
        // Reports are best effort: a failed send is not worth ending the stream for.
        match self.media.rtcp_channel() {
            None => {
                let _ = self.media.send_rtcp(&rr).await;
            }
            Some(channel) => {
                let _ = self.control.send_interleaved(channel, &rr).await;
            }
        }
    }
}

/// What one connect attempt gives.
enum Connected {
    Session(Box<Inner>),
    Redirect(StreamUrl),
}

enum Input {
    Control(Result<bool>),
    /// A datagram, and whether it came on the retransmission stream.
    Rtp(std::io::Result<Option<Vec<u8>>>, bool),
    Rtcp(std::io::Result<Option<Vec<u8>>>),
    Timer,
}

/// Maps a non-2xx reply to the error the rollover needs.
/// The server address datagrams must come from.
fn same_host(a: &SocketAddr, ip: std::net::IpAddr) -> bool {
    a.ip() == ip || a.ip().to_canonical() == ip.to_canonical()
}
