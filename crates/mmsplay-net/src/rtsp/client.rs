//! The RTSP client's connect sequence as a sans-IO state machine ([MS-RTSP] 3.1.5): OPTIONS,
//! DESCRIBE (the SDP with the ASF header, or a redirect), over UDP a SETUP of the
//! retransmission stream, one SETUP per chosen ASF stream (the Session id from the first one
//! on every later request), then PLAY from the start position.
//!
//! The machine only decides: it hands out [`Step`]s (a request to send with its reply
//! deadline, a port pair to open, or the [`Outcome`]) and takes the replies and opened ports.
//! The async transport (`transport::rtsp`) sends, awaits and applies. Every request of the
//! connection, during connect and after, is stamped by the one [`Requester`] (CSeq,
//! User-Agent, Session, and the caller's extra headers such as `Authorization`).

use std::time::Duration;

use crate::auth::{AuthError, ClientAuth, Credentials};
use crate::error::{ErrorKind, NetError};
use crate::rtsp::RtspError;
use crate::rtsp::headers::{self, LowerTransport, TransportSpec};
use crate::rtsp::message::{Message, StartLine};
use crate::rtsp::sdp::{self, SdpMedia, WmsDescription};
use crate::url::StreamUrl;

/// How long to wait for the answer to one request.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest DESCRIBE body (the SDP with the base64 ASF header) we accept.
pub const MAX_SDP_LEN: usize = 4 * 1024 * 1024;
/// Body limit for the other replies.
pub const MAX_BODY: usize = 64 * 1024;
/// How long `rtspu` waits for the first RTP packet after PLAY succeeded before it gives up,
/// so that the rollover moves on to `rtspt` quickly when a firewall eats UDP.
pub const UDP_FIRST_MEDIA_TIMEOUT: Duration = Duration::from_secs(1);
/// Session timeout when the server does not give one (RFC 2326 12.37).
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest session id we keep (ids are opaque; a longer one is a broken server).
const MAX_SESSION_ID: usize = 64;
/// Longest session timeout we believe.
const MAX_SESSION_TIMEOUT_S: u64 = 3600;

/// Why the connect failed: typed, so callers (and the rollover) can tell kinds apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A reply that is not 2xx (and not a redirect or 401 the caller handles).
    #[error("the server answered {method} with {}", status_text(*.status, .reason, .location.as_deref()))]
    Status {
        method: &'static str,
        status: u16,
        reason: String,
        /// The `Location` of a 3xx where no redirect is expected.
        location: Option<String>,
    },
    /// 461 to a SETUP: this lower transport is not allowed (the next rollover step may use
    /// the other one).
    #[error("the server does not allow RTP over {} (461 Unsupported Transport)", lower_name(*.0))]
    UnsupportedTransport(LowerTransport),
    /// A DESCRIBE redirect to something that is not an `rtsp` URL.
    #[error("the server redirects to {0:?}, not RTSP")]
    RedirectNotRtsp(String),
    /// The server wants credentials we lack, or refused ours.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the server sent a bad Session header")]
    BadSession,
    #[error("the server gave no Session to SETUP")]
    NoSession,
    /// The first SETUP's answer names the other lower transport.
    #[error("the server answered a {} SETUP with a {} transport", lower_name(*.asked), lower_name(*.answered))]
    TransportMismatch {
        asked: LowerTransport,
        answered: LowerTransport,
    },
    #[error("the SDP has no ASF (x-asf-pf) stream")]
    NoAsfStream,
    #[error("the stream has no audio")]
    NoAudio,
    #[error("the stream has none of the requested streams")]
    NoRequestedStream,
    /// A malformed reply part (the SDP, a `Transport` header) or one over our limits.
    #[error(transparent)]
    Rtsp(#[from] RtspError),
    /// A step was fed out of order (a transport bug, not a server one).
    #[error("the RTSP connect was driven out of order ({0})")]
    OutOfOrder(&'static str),
}

fn lower_name(l: LowerTransport) -> &'static str {
    match l {
        LowerTransport::Udp => "UDP",
        LowerTransport::Tcp => "TCP",
    }
}

fn status_text(status: u16, reason: &str, location: Option<&str>) -> String {
    let text = format!("{status} {reason}");
    let text = text.trim_end();
    match location {
        Some(loc) => format!("{text} (to {loc})"),
        None => text.to_string(),
    }
}

impl From<ClientError> for NetError {
    fn from(e: ClientError) -> Self {
        let kind = match &e {
            ClientError::Rtsp(inner) => return NetError::from(inner.clone()),
            ClientError::Auth(a) => return NetError::from(a.clone()),
            ClientError::Status { status: 404, .. } => ErrorKind::NotFound,
            ClientError::Status { status: 401, .. } => ErrorKind::Unauthorized,
            ClientError::Status { .. } | ClientError::UnsupportedTransport(_) => ErrorKind::Refused,
            ClientError::NoAsfStream | ClientError::NoAudio | ClientError::NoRequestedStream => {
                ErrorKind::Unsupported
            }
            ClientError::RedirectNotRtsp(_)
            | ClientError::BadSession
            | ClientError::NoSession
            | ClientError::TransportMismatch { .. }
            | ClientError::OutOfOrder(_) => ErrorKind::Protocol,
        };
        NetError::caused_by(kind, e)
    }
}

/// Stamps every request of one RTSP connection: CSeq (counting up), User-Agent, the Session
/// once known, and the caller's extra headers.
#[derive(Clone, Debug, Default)]
pub struct Requester {
    cseq: u32,
    user_agent: String,
    pub session: Option<String>,
    /// Added to every request, e.g. `Authorization` (set by whoever answers a 401).
    pub extra_headers: Vec<(String, String)>,
    /// Signs every request once a 401 was answered ([`Connect::answer_challenge`]): Digest
    /// covers each request's method and URL, so one fixed header would not do.
    pub auth: Option<ClientAuth>,
}

impl Requester {
    pub fn new(user_agent: String, extra_headers: Vec<(String, String)>) -> Requester {
        Requester {
            cseq: 0,
            user_agent,
            session: None,
            extra_headers,
            auth: None,
        }
    }

    /// The User-Agent [MS-RTSP] 2.2.6.15 asks for: `WMPlayer/<version> guid/<client GUID>`.
    pub fn wmplayer_user_agent(client_guid: &str) -> String {
        format!(
            "WMPlayer/12.0.7601.17514 guid/{client_guid} mmsplay/{}",
            env!("CARGO_PKG_VERSION")
        )
    }

    /// Numbers and completes `msg`; returns its CSeq, which its reply carries.
    pub fn stamp(&mut self, msg: Message) -> (u32, Message) {
        self.cseq += 1;
        let mut m = msg
            .with("CSeq", self.cseq.to_string())
            .with("User-Agent", self.user_agent.clone());
        if let Some(s) = &self.session {
            m = m.with("Session", s.clone());
        }
        for (k, v) in &self.extra_headers {
            m = m.with(k, v.clone());
        }
        let signature = match (&mut self.auth, &m.start) {
            (Some(a), StartLine::Request { method, uri }) => a.authorization(method, uri),
            _ => None,
        };
        if let Some(v) = signature {
            m = m.with("Authorization", v);
        }
        (self.cseq, m)
    }
}

/// What a connect is asked to do.
#[derive(Clone, Debug)]
pub struct ConnectConfig {
    /// The URL the requests name (`rtsp://host:port/path`).
    pub url: String,
    /// How RTP travels: UDP (`rtspu`) or interleaved in the connection (`rtspt`).
    pub lower: LowerTransport,
    /// Our RTP/RTCP port pair when `lower` is UDP.
    pub client_ports: Option<(u16, u16)>,
    /// Stream numbers to SETUP; empty: the one `choose` picks, else the audio streams.
    pub streams: Vec<u16>,
    /// Picks the audio stream to SETUP from the described header.
    pub choose: Option<crate::StreamChooser>,
    /// Where PLAY starts (`Range: npt=`).
    pub start_ms: u64,
    /// How long an `rtspt` connect waits for the first RTP packet after PLAY.
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// Headers added to every request (Authorization, …).
    pub extra_headers: Vec<(String, String)>,
    /// Fast start asked for on PLAY (`X-Accelerate-Streaming`).
    pub accelerate: Option<crate::stream::Acceleration>,
}

/// A request to send; its reply goes to [`Connect::on_reply`].
#[derive(Clone, Debug)]
pub struct Request {
    pub cseq: u32,
    pub message: Message,
    /// Largest reply body to accept.
    pub body_limit: usize,
    /// No reply within this fails the connect.
    pub timeout: Duration,
}

/// What the transport does next.
#[derive(Debug)]
pub enum Step {
    Send(Request),
    /// Open the retransmission stream's UDP port pair and call [`Connect::rtx_opened`].
    OpenRtx,
    Done(Outcome),
}

/// How a connect ended, other than with an error.
#[derive(Debug)]
pub enum Outcome {
    /// PLAY succeeded: the media should flow.
    Playing(Box<Established>),
    /// DESCRIBE answered 3xx: the stream is at this `rtsp` URL (follow it on a new
    /// connection, through one [`crate::redirect::RedirectChain`]).
    Redirect(StreamUrl),
    /// The server wants credentials (401). Answer with [`Connect::retry_with`], or give up
    /// with [`Unauthorized::into_error`].
    Unauthorized(Unauthorized),
}

/// A 401 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unauthorized {
    pub method: &'static str,
    pub reason: String,
    /// The `WWW-Authenticate` challenges, in order.
    pub challenges: Vec<String>,
}

impl Unauthorized {
    /// The refusal as an error, for a caller without credentials.
    pub fn into_error(self) -> ClientError {
        ClientError::Status {
            method: self.method,
            status: 401,
            reason: self.reason,
            location: None,
        }
    }
}

/// What the server agreed to: everything the playing session needs.
#[derive(Debug)]
pub struct Established {
    /// Keeps stamping the session's later requests (keep-alives, PLAY, PAUSE, TEARDOWN).
    pub requester: Requester,
    /// The aggregate control URL (PLAY, keep-alive, TEARDOWN).
    pub aggregate: String,
    pub desc: Box<WmsDescription>,
    /// GET_PARAMETER (what WMS lists in `Public`), else OPTIONS.
    pub keepalive_method: &'static str,
    pub session_timeout: Duration,
    /// The last path segment of the first SETUP URL (`/audio`), to pick our `RTP-Info`
    /// entry.
    pub setup_tail: Option<String>,
    /// The server's `Transport` answer to the first media SETUP.
    pub media_answer: Option<TransportSpec>,
    /// The retransmission stream: `None` when not set up (not offered, not UDP, or refused),
    /// else the server's `Transport` answer.
    pub rtx: Option<Option<TransportSpec>>,
    /// The first RTP sequence number (PLAY's `RTP-Info`).
    pub first_seq: Option<u16>,
    /// How long to wait for the first RTP packet.
    pub first_media_timeout: Duration,
}

/// Where the sequence stands.
#[derive(Debug)]
enum State {
    Start,
    Options,
    Describe,
    /// Waiting for the retransmission ports.
    OpeningRtx,
    SetupRtx,
    Setup(usize),
    Play,
    Done,
}

/// What DESCRIBE gave.
#[derive(Debug)]
struct Described {
    desc: Box<WmsDescription>,
    aggregate: String,
    chosen: Vec<SdpMedia>,
}

/// The connect sequence of one RTSP connection.
#[derive(Debug)]
pub struct Connect {
    cfg: ConnectConfig,
    req: Requester,
    state: State,
    keepalive_method: &'static str,
    described: Option<Described>,
    rtx_ports: Option<(u16, u16)>,
    rtx: Option<Option<TransportSpec>>,
    session_timeout: Duration,
    media_answer: Option<TransportSpec>,
    first_setup_url: Option<String>,
    /// The last request, unstamped, for [`Connect::retry_with`].
    last: Option<(Message, usize)>,
}

impl Connect {
    pub fn new(cfg: ConnectConfig) -> Connect {
        let req = Requester::new(cfg.user_agent.clone(), cfg.extra_headers.clone());
        Connect {
            cfg,
            req,
            state: State::Start,
            keepalive_method: "GET_PARAMETER",
            described: None,
            rtx_ports: None,
            rtx: None,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            media_answer: None,
            first_setup_url: None,
            last: None,
        }
    }

    /// The Session id once a SETUP gave one (server requests are answered with it).
    /// The streams to SETUP: those configured, else the chooser's pick from the described
    /// header (with the command streams), else none named (the audio streams).
    fn wanted(&self, describe_reply: &Message) -> Vec<u16> {
        match (&self.cfg.choose, self.cfg.streams.is_empty()) {
            (Some(c), true) => sdp::parse(&describe_reply.body)
                .map(|d| crate::stream::wanted(&[], Some(c), &d.header))
                .unwrap_or_default(),
            _ => self.cfg.streams.clone(),
        }
    }

    pub fn session(&self) -> Option<&str> {
        self.req.session.as_deref()
    }

    /// The first step: OPTIONS.
    pub fn start(&mut self) -> Step {
        self.state = State::Options;
        let url = self.cfg.url.clone();
        self.send(Message::request("OPTIONS", &url), MAX_BODY)
    }

    /// After an [`Outcome::Unauthorized`]: adds `header` (e.g. `Authorization`) to this and
    /// every later request, and sends the refused request again.
    pub fn retry_with(&mut self, name: &str, value: String) -> Result<Step, ClientError> {
        let (msg, limit) = self
            .last
            .clone()
            .ok_or(ClientError::OutOfOrder("retry before any request"))?;
        self.req
            .extra_headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.req.extra_headers.push((name.to_string(), value));
        Ok(self.send(msg, limit))
    }

    /// After an [`Outcome::Unauthorized`]: answers the challenge with `credentials` (Basic or
    /// Digest, [`crate::auth`]), signs this and every later request, and sends the refused
    /// request again. An error when there are no credentials, when they were refused already
    /// (a second 401 that is not a stale nonce), or when no offered scheme is supported.
    pub fn answer_challenge(
        &mut self,
        refused: &Unauthorized,
        credentials: Option<Credentials>,
    ) -> Result<Step, ClientError> {
        let auth = self
            .req
            .auth
            .get_or_insert_with(|| ClientAuth::new(credentials));
        auth.on_challenge(refused.challenges.iter().map(String::as_str))?;
        let (msg, limit) = self
            .last
            .clone()
            .ok_or(ClientError::OutOfOrder("a challenge before any request"))?;
        Ok(self.send(msg, limit))
    }

    fn send(&mut self, msg: Message, body_limit: usize) -> Step {
        self.last = Some((msg.clone(), body_limit));
        let (cseq, message) = self.req.stamp(msg);
        Step::Send(Request {
            cseq,
            message,
            body_limit,
            timeout: REPLY_TIMEOUT,
        })
    }

    /// Takes the reply to the last request.
    pub fn on_reply(&mut self, reply: &Message) -> Result<Step, ClientError> {
        if reply.status() == Some(401) {
            let method = self.method();
            return Ok(Step::Done(Outcome::Unauthorized(Unauthorized {
                method,
                reason: reason(reply),
                challenges: reply
                    .headers
                    .all("WWW-Authenticate")
                    .map(str::to_string)
                    .collect(),
            })));
        }
        match self.state {
            State::Options => {
                self.keepalive_method = on_options(reply)?;
                self.state = State::Describe;
                let url = self.cfg.url.clone();
                Ok(self.send(describe_request(&url), MAX_SDP_LEN))
            }
            State::Describe => match on_describe(reply, &self.cfg.url, &self.wanted(reply))? {
                DescribeReply::Redirect(to) => {
                    self.state = State::Done;
                    Ok(Step::Done(Outcome::Redirect(to)))
                }
                DescribeReply::Stream(d) => {
                    let has_rtx = d.desc.media.iter().any(|m| m.encoding == sdp::ENCODING_RTX);
                    self.described = Some(d);
                    // Over UDP, the retransmission stream first (as Windows Media Player
                    // does), so that lost packets can be asked for again.
                    if self.cfg.lower == LowerTransport::Udp && has_rtx {
                        self.state = State::OpeningRtx;
                        Ok(Step::OpenRtx)
                    } else {
                        self.setup(0)
                    }
                }
            },
            State::SetupRtx => {
                self.on_rtx_setup(reply);
                self.setup(0)
            }
            State::Setup(i) => {
                self.on_media_setup(reply, i)?;
                self.setup(i + 1)
            }
            State::Play => {
                expect_success(reply, "PLAY")?;
                self.state = State::Done;
                Ok(Step::Done(Outcome::Playing(Box::new(
                    self.established(reply)?,
                ))))
            }
            State::Start | State::OpeningRtx | State::Done => {
                Err(ClientError::OutOfOrder("a reply with no request pending"))
            }
        }
    }

    /// The retransmission port pair is open (its RTP and RTCP ports).
    pub fn rtx_opened(&mut self, ports: (u16, u16)) -> Result<Step, ClientError> {
        if !matches!(self.state, State::OpeningRtx) {
            return Err(ClientError::OutOfOrder(
                "retransmission ports not asked for",
            ));
        }
        self.rtx_ports = Some(ports);
        self.state = State::SetupRtx;
        let url = {
            let d = self.described()?;
            let rtx = d
                .desc
                .media
                .iter()
                .find(|m| m.encoding == sdp::ENCODING_RTX);
            sdp::resolve_control(&d.aggregate, rtx.and_then(|m| m.control.as_deref()))
        };
        let spec = format!(
            "RTP/AVP/UDP;unicast;client_port={}-{};mode=PLAY",
            ports.0, ports.1
        );
        Ok(self.send(
            Message::request("SETUP", &url).with("Transport", spec),
            MAX_BODY,
        ))
    }

    fn described(&self) -> Result<&Described, ClientError> {
        self.described
            .as_ref()
            .ok_or(ClientError::OutOfOrder("SETUP before DESCRIBE"))
    }

    fn method(&self) -> &'static str {
        match self.state {
            State::Options => "OPTIONS",
            State::Describe => "DESCRIBE",
            State::SetupRtx | State::Setup(_) | State::OpeningRtx => "SETUP",
            State::Play => "PLAY",
            State::Start | State::Done => "request",
        }
    }

    /// A server that refuses the retransmission stream just gets no NACKs.
    fn on_rtx_setup(&mut self, reply: &Message) {
        self.rtx = None;
        if let (Some(200..=299), Some(session)) = (reply.status(), reply.header("Session"))
            && self.take_session(session).is_ok()
        {
            let answer = reply
                .header("Transport")
                .and_then(|t| TransportSpec::parse(t).ok());
            self.rtx = Some(answer);
        }
    }

    fn take_session(&mut self, value: &str) -> Result<(), ClientError> {
        let (id, timeout) = headers::parse_session(value);
        if id.is_empty() || id.len() > MAX_SESSION_ID {
            return Err(ClientError::BadSession);
        }
        self.req.session = Some(id);
        if let Some(t) = timeout.filter(|t| *t > 0) {
            self.session_timeout = Duration::from_secs(t.min(MAX_SESSION_TIMEOUT_S));
        }
        Ok(())
    }

    fn on_media_setup(&mut self, reply: &Message, i: usize) -> Result<(), ClientError> {
        on_setup(reply, self.cfg.lower)?;
        if let Some(v) = reply.header("Session") {
            self.take_session(v)?;
        }
        let answer = reply
            .header("Transport")
            .map(TransportSpec::parse)
            .transpose()?;
        if i == 0 {
            check_answer(self.cfg.lower, answer.as_ref())?;
            self.media_answer = answer;
        }
        Ok(())
    }

    /// SETUP of the `i`-th chosen stream, or PLAY once all are set up. All data streams share
    /// one RTP flow ([MS-RTSP] 2.2.6.13): the client port (UDP) or channel pair (TCP) of the
    /// first.
    fn setup(&mut self, i: usize) -> Result<Step, ClientError> {
        let d = self.described()?;
        if i >= d.chosen.len() {
            return Ok(self.play());
        }
        let url = sdp::resolve_control(&d.aggregate, d.chosen[i].control.as_deref());
        if i == 0 {
            self.first_setup_url = Some(url.clone());
        }
        let spec = self.transport_request(i);
        self.state = State::Setup(i);
        Ok(self.send(
            Message::request("SETUP", &url).with("Transport", spec),
            MAX_BODY,
        ))
    }

    fn play(&mut self) -> Step {
        self.state = State::Play;
        let aggregate = self
            .described
            .as_ref()
            .map(|d| d.aggregate.clone())
            .unwrap_or_default();
        let mut msg = play_request(&aggregate, Some(self.cfg.start_ms));
        if let Some(a) = &self.cfg.accelerate {
            msg = msg.with("X-Accelerate-Streaming", headers::accelerate_value(a));
        }
        self.send(msg, MAX_BODY)
    }

    /// The `Transport` of the `i`-th SETUP.
    fn transport_request(&self, i: usize) -> String {
        match (self.cfg.lower, self.cfg.client_ports) {
            (LowerTransport::Udp, Some((rtp, rtcp))) if i == 0 => {
                format!("RTP/AVP/UDP;unicast;client_port={rtp}-{rtcp};mode=PLAY")
            }
            (LowerTransport::Udp, ports) => {
                let rtp = ports.map_or(0, |p| p.0);
                format!("RTP/AVP/UDP;unicast;client_port={rtp};mode=PLAY")
            }
            (LowerTransport::Tcp, _) => {
                let ch = (i * 2).min(254);
                format!(
                    "RTP/AVP/TCP;unicast;interleaved={}-{};mode=PLAY",
                    ch,
                    ch + 1
                )
            }
        }
    }

    fn established(&mut self, play_reply: &Message) -> Result<Established, ClientError> {
        if self.req.session.is_none() {
            return Err(ClientError::NoSession);
        }
        let d = self
            .described
            .take()
            .ok_or(ClientError::OutOfOrder("PLAY before DESCRIBE"))?;
        let setup_tail = self
            .first_setup_url
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .map(|t| format!("/{t}"));
        let first_seq = play_reply
            .header("RTP-Info")
            .and_then(|v| headers::rtp_info_seq(v, setup_tail.as_deref()));
        Ok(Established {
            requester: self.req.clone(),
            aggregate: d.aggregate,
            desc: d.desc,
            keepalive_method: self.keepalive_method,
            session_timeout: self.session_timeout,
            setup_tail,
            media_answer: self.media_answer.take(),
            rtx: self.rtx.take(),
            first_seq,
            first_media_timeout: match self.cfg.lower {
                LowerTransport::Udp => UDP_FIRST_MEDIA_TIMEOUT,
                LowerTransport::Tcp => self.cfg.connect_timeout,
            },
        })
    }
}

/// PLAY of the aggregate URL; `start_ms` sets a `Range` (none: resume where the server is,
/// as after a playlist entry's Announce).
pub fn play_request(aggregate: &str, start_ms: Option<u64>) -> Message {
    let m = Message::request("PLAY", aggregate);
    match start_ms {
        Some(ms) => m.with("Range", headers::npt_from(ms)),
        None => m,
    }
}

/// PAUSE of the aggregate URL.
pub fn pause_request(aggregate: &str) -> Message {
    Message::request("PAUSE", aggregate)
}

/// The first SETUP's answer must keep the lower transport asked for.
fn check_answer(lower: LowerTransport, answer: Option<&TransportSpec>) -> Result<(), ClientError> {
    let Some(a) = answer else { return Ok(()) };
    let mismatch = match lower {
        LowerTransport::Udp => a.lower == Some(LowerTransport::Tcp),
        LowerTransport::Tcp => a.lower == Some(LowerTransport::Udp) && a.client_port.is_some(),
    };
    if mismatch {
        let answered = match lower {
            LowerTransport::Udp => LowerTransport::Tcp,
            LowerTransport::Tcp => LowerTransport::Udp,
        };
        return Err(ClientError::TransportMismatch {
            asked: lower,
            answered,
        });
    }
    Ok(())
}

fn reason(reply: &Message) -> String {
    match &reply.start {
        StartLine::Response { reason, .. } => reason.clone(),
        _ => String::new(),
    }
}

/// What DESCRIBE answered.
#[derive(Debug)]
enum DescribeReply {
    Redirect(StreamUrl),
    Stream(Described),
}

/// The keep-alive method the OPTIONS reply allows: GET_PARAMETER (what WMS lists), else
/// OPTIONS.
fn on_options(reply: &Message) -> Result<&'static str, ClientError> {
    expect_success(reply, "OPTIONS")?;
    Ok(match reply.header("Public") {
        Some(p) if !p.to_ascii_uppercase().contains("GET_PARAMETER") => "OPTIONS",
        _ => "GET_PARAMETER",
    })
}

/// DESCRIBE, asking for the SDP and saying which Windows Media features we take.
fn describe_request(url: &str) -> Message {
    Message::request("DESCRIBE", url)
        .with("Accept", "application/sdp")
        .with(
            "Supported",
            "com.microsoft.wm.sswitch, com.microsoft.wm.eosmsg",
        )
}

/// Reads the DESCRIBE reply for `request_url`; `wanted` are the stream numbers asked for
/// (empty: the audio streams).
fn on_describe(
    reply: &Message,
    request_url: &str,
    wanted: &[u16],
) -> Result<DescribeReply, ClientError> {
    if let (Some(300..=399), Some(loc)) = (reply.status(), reply.header("Location")) {
        let to = StreamUrl::parse(loc.trim())
            .ok()
            .filter(|u| u.scheme.starts_with("rtsp"))
            .ok_or_else(|| ClientError::RedirectNotRtsp(loc.to_string()))?;
        return Ok(DescribeReply::Redirect(to));
    }
    expect_success(reply, "DESCRIBE")?;
    let desc = sdp::parse(&reply.body)?;
    let base = reply
        .header("Content-Base")
        .or(reply.header("Content-Location"))
        .unwrap_or(request_url)
        .to_string();
    let aggregate = match desc.control.as_deref() {
        Some(c) if c.contains("://") => c.to_string(),
        Some(c) if c != "*" && !c.is_empty() => sdp::resolve_control(&base, Some(c)),
        _ => base,
    };
    let chosen = choose_streams(&desc, wanted)?;
    Ok(DescribeReply::Stream(Described {
        desc: Box::new(desc),
        aggregate,
        chosen,
    }))
}

/// Reads a SETUP reply: 461 means the server does not allow this lower transport (a
/// rollover matter: the next step may use the other one).
fn on_setup(reply: &Message, lower: LowerTransport) -> Result<(), ClientError> {
    if reply.status() == Some(461) {
        return Err(ClientError::UnsupportedTransport(lower));
    }
    expect_success(reply, "SETUP")
}

/// The error for a reply that is not 2xx, naming the request and the status.
fn expect_success(reply: &Message, method: &'static str) -> Result<(), ClientError> {
    let status = reply.status().unwrap_or(0);
    if (200..300).contains(&status) {
        return Ok(());
    }
    let location = match status {
        300..=399 => reply.header("Location").map(str::to_string),
        _ => None,
    };
    Err(ClientError::Status {
        method,
        status,
        reason: reason(reply),
        location,
    })
}

/// The x-asf-pf media to SETUP: the requested stream numbers, else the audio streams.
fn choose_streams(desc: &WmsDescription, wanted: &[u16]) -> Result<Vec<SdpMedia>, ClientError> {
    let asf: Vec<&SdpMedia> = desc.media.iter().filter(|m| m.is_asf()).collect();
    if asf.is_empty() {
        return Err(ClientError::NoAsfStream);
    }
    let is_audio = |m: &SdpMedia| {
        let by_header = m
            .stream
            .and_then(|n| u8::try_from(n).ok())
            .and_then(|n| desc.header.stream(n))
            .map(|s| s.kind == mmsplay_asf::StreamKind::Audio);
        by_header.unwrap_or(m.kind == "audio")
    };
    let chosen: Vec<SdpMedia> = asf
        .iter()
        .filter(|m| {
            if wanted.is_empty() {
                is_audio(m)
            } else {
                m.stream
                    .is_some_and(|n| wanted.iter().any(|w| u32::from(*w) == n))
            }
        })
        .map(|m| (*m).clone())
        .collect();
    if chosen.is_empty() {
        return Err(if wanted.is_empty() {
            ClientError::NoAudio
        } else {
            ClientError::NoRequestedStream
        });
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests;
