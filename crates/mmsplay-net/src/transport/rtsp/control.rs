//! The client's RTSP connection: requests and their replies, requests from the server (the
//! EndOfStream notice), and `$` frames when RTP is interleaved.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use crate::error::{NetError, Result};
use crate::rtsp::client::{MAX_BODY, REPLY_TIMEOUT, Request, Requester};
use crate::rtsp::headers;
use crate::rtsp::message::{Frame, Framer, Message};
/// Bytes of frames held while waiting for a reply (RTP may start before the PLAY reply is
/// read); past it the oldest are dropped.
const MAX_BACKLOG_BYTES: usize = 4 * 1024 * 1024;
/// How long TEARDOWN waits for its reply.
const TEARDOWN_WAIT: Duration = Duration::from_millis(300);

impl Event {
    fn size(&self) -> usize {
        match self {
            Event::Interleaved { data, .. } => data.len() + 4,
            Event::EndOfStream { .. } => 4,
            Event::Announce { sdp } => sdp.len(),
        }
    }
}

/// What the connection yields besides replies.
pub(super) enum Event {
    Interleaved {
        channel: u8,
        data: Bytes,
    },
    /// [MS-RTSP] 2.2.7.3 EndOfStream: `next_seq` is the sequence number after the last RTP
    /// packet (its `RTP-Info` seq); `entry_end` when only a playlist entry ended
    /// (`End-Of-Playlist-Entry: true`) and an Announce with the next entry follows.
    EndOfStream {
        next_seq: Option<u16>,
        entry_end: bool,
    },
    /// [MS-RTSP] 2.2.7.1 Announce: the SDP of the next playlist entry.
    Announce {
        sdp: Bytes,
    },
}

pub(super) struct Control {
    stream: TcpStream,
    framer: Framer,
    /// Stamps our requests; during connect the sans-IO machine stamps them and only the
    /// Session is mirrored here (server requests are answered with it).
    pub req: Requester,
    /// The aggregate control URL (PLAY, keep-alive, TEARDOWN).
    pub aggregate: String,
    pub keepalive_method: &'static str,
    /// The last path segment of the first SETUP URL (`/audio`), to pick our `RTP-Info` entry.
    pub setup_tail: Option<String>,
    buf: Vec<u8>,
    backlog: VecDeque<Event>,
    backlog_bytes: usize,
}

impl Control {
    pub fn new(stream: TcpStream, url: String) -> Control {
        Control {
            stream,
            framer: Framer::new(MAX_BODY),
            req: Requester::default(),
            aggregate: url,
            keepalive_method: "GET_PARAMETER",
            setup_tail: None,
            buf: vec![0u8; 64 * 1024],
            backlog: VecDeque::new(),
            backlog_bytes: 0,
        }
    }

    pub fn local_ip(&self) -> Result<IpAddr> {
        self.stream
            .local_addr()
            .map(|a| a.ip())
            .map_err(|e| NetError::io("RTSP connection", e))
    }

    pub fn peer_ip(&self) -> Result<IpAddr> {
        self.stream
            .peer_addr()
            .map(|a| a.ip())
            .map_err(|e| NetError::io("RTSP connection", e))
    }

    /// Takes over what the connect agreed to: the request stamp (CSeq, Session, headers)
    /// and the session's URLs.
    pub fn adopt(
        &mut self,
        req: Requester,
        aggregate: String,
        keepalive_method: &'static str,
        setup_tail: Option<String>,
    ) {
        self.req = req;
        self.aggregate = aggregate;
        self.keepalive_method = keepalive_method;
        self.setup_tail = setup_tail;
    }

    fn stamp(&mut self, msg: Message) -> (u32, Message) {
        self.req.stamp(msg)
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match timeout(REPLY_TIMEOUT, self.stream.write_all(bytes)).await {
            Ok(r) => r.map_err(|e| NetError::io("cannot write to the RTSP connection", e)),
            Err(_) => Err(NetError::timeout(
                "the server stopped reading the RTSP connection",
            )),
        }
    }

    /// Sends a stamped request and waits for its reply, handling whatever else arrives
    /// meanwhile.
    pub async fn call(&mut self, req: &Request) -> Result<Message> {
        let method = req.message.method().unwrap_or("request").to_string();
        self.write(&req.message.to_bytes()).await?;
        self.framer.set_max_body(req.body_limit);
        let r = self.wait_reply(req.cseq, &method, req.timeout).await;
        self.framer.set_max_body(MAX_BODY);
        r
    }

    async fn wait_reply(&mut self, cseq: u32, method: &str, wait: Duration) -> Result<Message> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(frame) = self.framer.next_frame()? {
                match frame {
                    Frame::Message(m) if m.status().is_some() => {
                        if m.cseq().is_none_or(|c| c == cseq) {
                            return Ok(m);
                        }
                        // A late reply to an earlier request (a keep-alive): not ours.
                    }
                    Frame::Message(req) => {
                        if let Some(ev) = self.answer(req).await? {
                            self.queue(ev);
                        }
                    }
                    Frame::Interleaved { channel, data } => {
                        self.queue(Event::Interleaved { channel, data })
                    }
                }
            }
            let n = match timeout_at(deadline, self.stream.read(&mut self.buf)).await {
                Ok(r) => r.map_err(|e| NetError::io("RTSP connection", e))?,
                Err(_) => {
                    return Err(NetError::timeout(format!(
                        "no answer to {method} within {:.0} s",
                        wait.as_secs_f64()
                    )));
                }
            };
            if n == 0 {
                return Err(NetError::closed(format!(
                    "the server closed the connection before answering {method}"
                )));
            }
            self.framer.push(&self.buf[..n]);
        }
    }

    fn queue(&mut self, ev: Event) {
        self.backlog_bytes += ev.size();
        self.backlog.push_back(ev);
        while self.backlog_bytes > MAX_BACKLOG_BYTES {
            match self.backlog.pop_front() {
                Some(old) => self.backlog_bytes -= old.size(),
                None => break,
            }
        }
    }

    fn unqueue(&mut self) -> Option<Event> {
        let ev = self.backlog.pop_front()?;
        self.backlog_bytes -= ev.size();
        Some(ev)
    }

    /// Reads what is available into the framer. `Ok(false)` at end of stream. Cancel-safe.
    pub async fn read_some(&mut self) -> Result<bool> {
        if !self.backlog.is_empty() {
            return Ok(true);
        }
        let n = self
            .stream
            .read(&mut self.buf)
            .await
            .map_err(|e| NetError::io("RTSP connection", e))?;
        self.framer.push(&self.buf[..n]);
        Ok(n > 0)
    }

    /// The next frame or notice already received, answering server requests on the way.
    pub async fn next_event(&mut self) -> Result<Option<Event>> {
        if let Some(ev) = self.unqueue() {
            return Ok(Some(ev));
        }
        while let Some(frame) = self.framer.next_frame()? {
            match frame {
                Frame::Interleaved { channel, data } => {
                    return Ok(Some(Event::Interleaved { channel, data }));
                }
                // Replies to keep-alives; nothing to do with them.
                Frame::Message(m) if m.status().is_some() => {}
                Frame::Message(req) => {
                    if let Some(ev) = self.answer(req).await? {
                        return Ok(Some(ev));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Answers a request from the server.
    async fn answer(&mut self, req: Message) -> Result<Option<Event>> {
        let method = req.method().unwrap_or("").to_ascii_uppercase();
        let body = String::from_utf8_lossy(&req.body);
        let body_says = |line: &str| body.lines().any(|l| l.trim().eq_ignore_ascii_case(line));
        let eos = method == "SET_PARAMETER"
            && (req
                .header("X-Notice")
                .is_some_and(|n| n.trim_start().starts_with("2101"))
                || body_says("EOF: true"));
        let entry_end = body_says("End-Of-Playlist-Entry: true");
        let announce = method == "ANNOUNCE"
            && req
                .header("Content-Type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"));
        let status = match method.as_str() {
            "SET_PARAMETER" | "GET_PARAMETER" | "OPTIONS" | "ANNOUNCE" => (200, "OK"),
            _ => (501, "Not Implemented"),
        };
        let mut reply = Message::response(status.0, status.1)
            .with("CSeq", req.header("CSeq").unwrap_or("0").trim().to_string());
        if let Some(s) = &self.req.session {
            reply = reply.with("Session", s.clone());
        }
        self.write(&reply.to_bytes()).await?;
        if eos {
            let next_seq = req
                .header("RTP-Info")
                .and_then(|v| headers::rtp_info_seq(v, self.setup_tail.as_deref()));
            return Ok(Some(Event::EndOfStream {
                next_seq,
                entry_end,
            }));
        }
        if announce {
            return Ok(Some(Event::Announce { sdp: req.body }));
        }
        Ok(None)
    }

    /// A request whose reply is read and dropped later (the PLAY after a playlist change).
    pub async fn send(&mut self, msg: Message) -> Result<()> {
        let (_, m) = self.stamp(msg);
        self.write(&m.to_bytes()).await
    }

    /// A keep-alive; its reply is read and dropped later.
    pub async fn send_keepalive(&mut self) -> Result<()> {
        let (_, m) = self.stamp(Message::request(
            self.keepalive_method,
            &self.aggregate.clone(),
        ));
        self.write(&m.to_bytes()).await
    }

    pub async fn send_interleaved(&mut self, channel: u8, data: &[u8]) -> Result<()> {
        let len =
            u16::try_from(data.len()).map_err(|_| NetError::limit("RTCP packet too large"))?;
        let mut frame = Vec::with_capacity(4 + data.len());
        frame.push(b'$');
        frame.push(channel);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(data);
        self.write(&frame).await
    }

    /// TEARDOWN, waiting briefly for the reply.
    pub async fn teardown(&mut self) {
        if self.req.session.is_none() {
            return;
        }
        let (cseq, m) = self.stamp(Message::request("TEARDOWN", &self.aggregate.clone()));
        if self.write(&m.to_bytes()).await.is_err() {
            return;
        }
        let _ = self.wait_reply(cseq, "TEARDOWN", TEARDOWN_WAIT).await;
        let _ = self.stream.shutdown().await;
    }
}
