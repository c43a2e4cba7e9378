//! The MMSH client's connect as a sans-IO state machine ([MS-WMSP] 3.1.5): a Describe GET
//! (redirects followed through one [`crate::redirect::RedirectChain`]) whose body brings the
//! ASF header, then the Play GET with the pragmas for the start position (on demand) and the
//! chosen streams, on a new connection or, in pipelined mode, on the Describe's kept one.
//!
//! The machine hands out [`Step`]s (a request to send, "read more body", or the
//! [`Outcome`]) and takes response heads and body bytes; the transport (`transport::mmsh`)
//! moves the bytes and keeps the deadline. After Play the body is read by
//! [`super::BodyReader`].

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::auth::{AuthError, ClientAuth, Credentials};
use crate::error::{ErrorKind, NetError};
use crate::mmsh::redirect::{AnswerError, Followed, Redirects, Target, status_error};
use crate::mmsh::request::select_streams;
use crate::mmsh::{
    BodyEvent, BodyReader, ClientRequest, HttpContent, HttpMode, MmshError, Pragmas, ResponseHead,
    classify_http,
};
use crate::packet_pair::PairTimer;

/// Body bytes looked at before deciding whether a Describe answer is MS-WMSP.
const PROBE_LEN: usize = 16;

/// Why the connect failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A status, a redirect that cannot be followed, or too many of them.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// The URL serves a metafile (the metafile code handles ASX and `[Reference]` files).
    #[error("the URL is a metafile (ASX), not an MS-WMSP stream")]
    Metafile,
    #[error("the URL is a plain ASF file, not an MS-WMSP stream")]
    PlainAsf,
    #[error("the URL is not an MS-WMSP stream (Content-Type {})", .content_type.as_deref().unwrap_or("none"))]
    NotWmsp { content_type: Option<String> },
    #[error("the server closed the connection before sending the ASF header")]
    ClosedBeforeHeader,
    #[error("the stream ended before its header")]
    EndedBeforeHeader,
    /// The body's framing or the header in it is malformed.
    #[error(transparent)]
    Body(#[from] MmshError),
    #[error(transparent)]
    Header(#[from] mmsplay_asf::AsfError),
    /// The server wants credentials we lack, or refused ours.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A step was fed out of order (a transport bug, not a server one).
    #[error("the MMSH connect was driven out of order ({0})")]
    OutOfOrder(&'static str),
}

impl From<ClientError> for NetError {
    fn from(e: ClientError) -> Self {
        let kind = match e {
            ClientError::Answer(a) => return a.into(),
            ClientError::Body(b) => return b.into(),
            ClientError::Header(h) => return h.into(),
            ClientError::Auth(a) => return a.into(),
            ClientError::Metafile | ClientError::PlainAsf | ClientError::NotWmsp { .. } => {
                ErrorKind::Unsupported
            }
            ClientError::ClosedBeforeHeader => ErrorKind::Closed,
            ClientError::EndedBeforeHeader | ClientError::OutOfOrder(_) => ErrorKind::Protocol,
        };
        NetError::caused_by(kind, e)
    }
}

/// What a connect is asked to do.
#[derive(Clone, Debug)]
pub struct ConnectConfig {
    pub target: Target,
    /// `{8-4-4-4-12}`, the same on every request ([MS-WMSP] 2.2.1.4.33).
    pub client_guid: String,
    pub mode: HttpMode,
    /// Where an on-demand Play starts (ignored for a broadcast).
    pub start_ms: u64,
    /// Stream numbers to play; empty: the one `choose` picks, else the audio (and script)
    /// streams.
    pub streams: Vec<u16>,
    /// Picks the audio stream to play from the described header.
    pub choose: Option<crate::StreamChooser>,
    /// Header lines added to every request (Authorization, X-Accelerate-Streaming, …).
    pub extra_headers: Vec<(String, String)>,
    /// Name the absolute URI in the request line (for an HTTP proxy).
    pub absolute_uri: bool,
    /// Fast start asked for on Play (`AccelBW`/`AccelDuration` pragmas).
    pub accelerate: Option<crate::stream::Acceleration>,
    /// Where the Describe's packet-pair measurement goes as soon as it is made, before the
    /// header's streams are chosen (the chooser may read it).
    pub stats: Arc<crate::TransportStats>,
}

/// What the transport does next.
#[derive(Debug)]
pub enum Step {
    /// Send `request` and give the response head to [`Connect::on_head`]. `reuse`: send it on
    /// the previous response's connection if the server keeps it open (pipelined mode), else
    /// on a new connection to `to`.
    Send {
        to: Target,
        request: String,
        reuse: bool,
    },
    /// Read more of the current body and give it to [`Connect::on_body`].
    ReadBody,
    Done(Outcome),
}

/// How a connect ended, other than with an error.
#[derive(Debug)]
pub enum Outcome {
    /// Play answered 200: its body is the stream.
    Playing(Box<Ready>),
    /// 401 or 407: the server wants credentials. A caller with credentials answers with
    /// [`Connect::answer_challenge`]; otherwise [`Unauthorized::into_error`] ends the connect.
    Unauthorized(Unauthorized),
}

/// A 401/407 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unauthorized {
    pub status: u16,
    pub reason: String,
    /// `WWW-Authenticate` (401) or `Proxy-Authenticate` (407) challenges, in order.
    pub challenges: Vec<String>,
}

impl Unauthorized {
    pub fn into_error(self) -> ClientError {
        ClientError::Answer(AnswerError::Status {
            status: self.status,
            reason: self.reason,
        })
    }
}

/// What the Describe learned, for playing the Play's body.
#[derive(Debug)]
pub struct Ready {
    /// Where the stream is, after redirects.
    pub target: Target,
    pub header: Bytes,
    pub live: bool,
    /// Metadata (`$M`) texts that came before the header.
    pub scripts: Vec<String>,
    pub packet_size: u32,
    /// On demand: the packet count the header declares (0: unknown or live).
    pub expected_packets: u64,
    /// The link's bandwidth in bits per second from the Describe's `$P` pair, if the server
    /// answered the packet-pair experiment.
    pub link_bps: Option<u64>,
}

#[derive(Debug)]
enum Phase {
    Start,
    /// Waiting for the Describe's head (possibly a redirect).
    Describe,
    /// Reading the Describe's body up to the ASF header.
    DescribeBody,
    /// Waiting for the Play's head.
    Play,
    Done,
}

/// One MMSH connect.
#[derive(Debug)]
pub struct Connect {
    cfg: ConnectConfig,
    phase: Phase,
    redirects: Redirects,
    content_type: Option<String>,
    features: Vec<String>,
    reader: BodyReader,
    /// The first body bytes, held until there are enough to tell what the body is.
    probe: Option<Vec<u8>>,
    scripts: Vec<String>,
    /// Times the `$P` pair the Describe asked for.
    pair: PairTimer,
    ready: Option<Ready>,
    /// Signs every request once a 401 was answered (Digest covers each request's URL).
    auth: Option<ClientAuth>,
    /// The last request, unsigned, to send again after a challenge: where, what, reuse.
    last: Option<(Target, String, bool)>,
}

impl Connect {
    pub fn new(cfg: ConnectConfig) -> Connect {
        Connect {
            redirects: Redirects::new(cfg.target.clone()),
            cfg,
            phase: Phase::Start,
            content_type: None,
            features: Vec::new(),
            reader: BodyReader::new(),
            probe: Some(Vec::new()),
            scripts: Vec::new(),
            pair: PairTimer::new(),
            ready: None,
            auth: None,
            last: None,
        }
    }

    /// Where requests go now (after the redirects so far).
    pub fn target(&self) -> &Target {
        self.redirects.target()
    }

    /// The first step: the Describe.
    pub fn start(&mut self) -> Step {
        self.phase = Phase::Describe;
        self.describe()
    }

    fn describe(&mut self) -> Step {
        let to = self.redirects.target().clone();
        let request = self.build(&to, 1, |r| r.describe());
        self.send(to, request, false)
    }

    /// A request to send, signed when a challenge was answered; kept for a resend.
    fn send(&mut self, to: Target, request: String, reuse: bool) -> Step {
        self.last = Some((to.clone(), request.clone(), reuse));
        let request = self.sign("GET", &to, request);
        Step::Send { to, request, reuse }
    }

    /// `request` with an Authorization header once a challenge was answered.
    fn sign(&mut self, method: &str, to: &Target, request: String) -> String {
        let signature = self
            .auth
            .as_mut()
            .and_then(|a| a.authorization(method, &to.path));
        match signature {
            Some(v) => decorate(request, &[("Authorization".to_string(), v)]),
            None => request,
        }
    }

    /// After an [`Outcome::Unauthorized`] (401): answers the challenge with `credentials`
    /// (Basic or Digest, [`crate::auth`]), signs this and every later request, and sends the
    /// refused one again. An error when there are no credentials, when they were refused
    /// already (a second 401 that is not a stale nonce), when no offered scheme is supported,
    /// or for a proxy's 407.
    pub fn answer_challenge(
        &mut self,
        refused: &Unauthorized,
        credentials: Option<Credentials>,
    ) -> Result<Step, ClientError> {
        if refused.status != 401 {
            return Err(refused.clone().into_error());
        }
        let auth = self
            .auth
            .get_or_insert_with(|| ClientAuth::new(credentials));
        auth.on_challenge(refused.challenges.iter().map(String::as_str))?;
        // The server closes after its 401: the request goes on a new connection.
        let (to, request, _) = self
            .last
            .take()
            .ok_or(ClientError::OutOfOrder("a challenge before any request"))?;
        Ok(self.send(to, request, false))
    }

    /// Once playing, a SelectStream ([MS-WMSP] 2.2.2.8, non-pipelined mode): the empty POST
    /// naming the Play by the `client_id` its response gave, with the streams that change
    /// (stream, thinning), signed like every request after an answered challenge. It goes on
    /// a new connection to the returned target; its answer is the caller's.
    pub fn select_stream(&mut self, client_id: u64, changes: &[(u16, u8)]) -> (Target, String) {
        let to = self.redirects.target().clone();
        let request = self.build(&to, 3, |r| r.select_stream(client_id, changes));
        let request = self.sign("POST", &to, request);
        (to, request)
    }

    /// Builds one request for `to` with the session's GUID and mode, plus the extra headers.
    fn build(&self, to: &Target, context: u32, f: impl FnOnce(&ClientRequest) -> String) -> String {
        let path = if self.cfg.absolute_uri {
            to.url()
        } else {
            to.path.clone()
        };
        let req = ClientRequest {
            path: &path,
            host: &to.authority(),
            client_guid: &self.cfg.client_guid,
            request_context: context,
            mode: self.cfg.mode,
        };
        decorate(f(&req), &self.cfg.extra_headers)
    }

    /// Takes a response head.
    pub fn on_head(&mut self, head: &ResponseHead) -> Result<Step, ClientError> {
        if matches!(head.status, 401 | 407) {
            // The phase stays: an answered challenge sends the same request again.
            let challenge = if head.status == 401 {
                "www-authenticate"
            } else {
                "proxy-authenticate"
            };
            return Ok(Step::Done(Outcome::Unauthorized(Unauthorized {
                status: head.status,
                reason: head.reason.trim().to_string(),
                challenges: head.headers.all(challenge).map(str::to_string).collect(),
            })));
        }
        match self.phase {
            Phase::Describe => match self.redirects.on_response(head)? {
                Followed::Redirected => Ok(self.describe()),
                Followed::Answered => {
                    self.content_type = head.content_type().map(str::to_string);
                    self.features = Pragmas::from_headers(&head.headers).features();
                    self.phase = Phase::DescribeBody;
                    Ok(Step::ReadBody)
                }
            },
            Phase::Play => {
                if head.status != 200 {
                    return Err(status_error(head).into());
                }
                self.phase = Phase::Done;
                let ready = self
                    .ready
                    .take()
                    .ok_or(ClientError::OutOfOrder("Play before the header"))?;
                Ok(Step::Done(Outcome::Playing(Box::new(ready))))
            }
            Phase::Start | Phase::DescribeBody | Phase::Done => Err(ClientError::OutOfOrder(
                "a response head with no request pending",
            )),
        }
    }

    /// Takes Describe body bytes; `more` is false once the body ended.
    pub fn on_body(&mut self, data: &[u8], more: bool) -> Result<Step, ClientError> {
        self.on_body_at(data, more, Instant::now())
    }

    /// [`Connect::on_body`] with the time the bytes arrived, which times `$P` packets.
    pub fn on_body_at(
        &mut self,
        data: &[u8],
        more: bool,
        at: Instant,
    ) -> Result<Step, ClientError> {
        if !matches!(self.phase, Phase::DescribeBody) {
            return Err(ClientError::OutOfOrder("body bytes with no body pending"));
        }
        if let Some(p) = self.probe.as_mut() {
            p.extend_from_slice(data);
            if p.len() < PROBE_LEN && more {
                return Ok(Step::ReadBody);
            }
            let p = self.probe.take().unwrap_or_default();
            check_content(self.content_type.as_deref(), &p)?;
            self.reader.push(&p);
        } else {
            self.reader.push(data);
        }
        while let Some(ev) = self.reader.next_event()? {
            match ev {
                BodyEvent::Header(h) => return self.described(h),
                BodyEvent::Meta(text) => self.scripts.push(text),
                BodyEvent::PacketPair { wire_len } => {
                    self.pair.arrival(wire_len, at);
                    if let Some(bps) = self.pair.estimate() {
                        self.cfg.stats.set_link_bps(bps);
                    }
                }
                BodyEvent::Packet(_) | BodyEvent::Gap(_) => {}
                BodyEvent::End => return Err(ClientError::EndedBeforeHeader),
            }
        }
        if !more {
            return Err(ClientError::ClosedBeforeHeader);
        }
        Ok(Step::ReadBody)
    }

    /// The header is in: the Play request.
    fn described(&mut self, header: Bytes) -> Result<Step, ClientError> {
        let parsed = mmsplay_asf::parse_header(&header)?;
        let live = parsed.file.broadcast || self.features.iter().any(|f| f == "broadcast");
        let wanted = crate::stream::wanted(&self.cfg.streams, self.cfg.choose.as_ref(), &parsed);
        let streams = select_streams(&parsed, &wanted);
        let start = if live { None } else { Some(self.cfg.start_ms) };
        let to = self.redirects.target().clone();
        let accelerate = self.cfg.accelerate;
        let request = self.build(&to, 2, |r| r.play(start, &streams, accelerate));
        self.ready = Some(Ready {
            target: to.clone(),
            header,
            live,
            scripts: std::mem::take(&mut self.scripts),
            packet_size: parsed.packet_size(),
            expected_packets: if live { 0 } else { parsed.file.data_packets },
            link_bps: self.pair.estimate(),
        });
        self.phase = Phase::Play;
        let reuse = self.cfg.mode == HttpMode::Pipelined;
        Ok(self.send(to, request, reuse))
    }
}

/// Adds `extra` header lines before the blank line that ends `request`.
fn decorate(mut request: String, extra: &[(String, String)]) -> String {
    if extra.is_empty() {
        return request;
    }
    request.truncate(request.len().saturating_sub(2));
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request
}

/// Rejects an answer that is not an MS-WMSP body, naming what it is instead.
fn check_content(content_type: Option<&str>, probe: &[u8]) -> Result<(), ClientError> {
    match classify_http(content_type, probe) {
        HttpContent::Wmsp => Ok(()),
        HttpContent::Metafile => Err(ClientError::Metafile),
        HttpContent::PlainAsf => Err(ClientError::PlainAsf),
        HttpContent::Other if probe.is_empty() => Err(ClientError::ClosedBeforeHeader),
        HttpContent::Other => Err(ClientError::NotWmsp {
            content_type: content_type.map(str::to_string),
        }),
    }
}

#[cfg(test)]
mod tests;
