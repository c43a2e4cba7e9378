//! RTSP/1.0 messages (RFC 2326 section 4-7) and the framer that splits an RTSP TCP byte stream
//! into messages and `$` interleaved binary frames (RFC 2326 10.12).
//!
//! Both directions carry requests and responses: a Windows Media server sends its own
//! SET_PARAMETER (end of stream, [MS-RTSP] 2.2.7.1.1) to the client, and GStreamer echoes that
//! request back to the server. Every length is checked before anything is buffered for it.

use bytes::{Buf, Bytes, BytesMut};

use super::{Result, RtspError};

/// Largest start line plus header section we accept.
pub const MAX_HEAD_LEN: usize = 64 * 1024;
/// Most header lines in one message.
pub const MAX_HEADERS: usize = 128;

/// The first line of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { status: u16, reason: String },
}

pub use crate::text_head::Headers;

/// One RTSP request or response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Headers,
    pub body: Bytes,
}

impl Message {
    pub fn request(method: &str, uri: &str) -> Message {
        Message {
            start: StartLine::Request {
                method: method.to_string(),
                uri: uri.to_string(),
            },
            headers: Headers::default(),
            body: Bytes::new(),
        }
    }

    pub fn response(status: u16, reason: &str) -> Message {
        Message {
            start: StartLine::Response {
                status,
                reason: reason.to_string(),
            },
            headers: Headers::default(),
            body: Bytes::new(),
        }
    }

    /// Adds a header (builder style).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Message {
        self.headers.push(name, value);
        self
    }

    pub fn with_body(mut self, content_type: &str, body: impl Into<Bytes>) -> Message {
        self.headers.push("Content-Type", content_type);
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The CSeq, when present and numeric.
    pub fn cseq(&self) -> Option<u32> {
        self.header("CSeq").and_then(|v| v.trim().parse().ok())
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The session id of a `Session` header, without its `;timeout=` parameter.
    pub fn session_id(&self) -> Option<&str> {
        self.header("Session")
            .map(|v| v.split(';').next().unwrap_or("").trim())
            .filter(|s| !s.is_empty())
    }

    /// Serializes the message. `Content-Length` is written from the body; a caller's own
    /// `Content-Length` header is not expected.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        match &self.start {
            StartLine::Request { method, uri } => {
                out.extend_from_slice(format!("{method} {uri} RTSP/1.0\r\n").as_bytes());
            }
            StartLine::Response { status, reason } => {
                out.extend_from_slice(format!("RTSP/1.0 {status} {reason}\r\n").as_bytes());
            }
        }
        for (n, v) in &self.headers.0 {
            // Header values never carry line breaks: strip them so nothing can be injected.
            let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        if !self.body.is_empty() {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// What the framer yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Message),
    /// A `$` frame: channel and the RTP or RTCP packet it carries.
    Interleaved {
        channel: u8,
        data: Bytes,
    },
}

/// Splits a byte stream into [`Frame`]s. Feed it with [`Framer::push`] and drain it with
/// [`Framer::next_frame`]; it never holds more than the head limit plus the body limit plus
/// one pushed chunk.
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    max_body: usize,
}

impl Framer {
    /// `max_body` bounds a message body (an SDP on the client, a parameter body on the server).
    pub fn new(max_body: usize) -> Framer {
        Framer {
            buf: BytesMut::new(),
            max_body,
        }
    }

    pub fn set_max_body(&mut self, max_body: usize) {
        self.max_body = max_body;
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        // Stray line ends between messages are allowed (RFC 2326 keeps HTTP's leniency), and
        // so is a NUL: GStreamer sends C-string bodies with their terminator.
        while matches!(self.buf.first(), Some(b'\r' | b'\n' | 0)) {
            self.buf.advance(1);
        }
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        if first == b'$' {
            if self.buf.len() < 4 {
                return Ok(None);
            }
            let channel = self.buf[1];
            let len = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
            if self.buf.len() < 4 + len {
                return Ok(None);
            }
            self.buf.advance(4);
            let data = self.buf.split_to(len).freeze();
            return Ok(Some(Frame::Interleaved { channel, data }));
        }
        if !first.is_ascii_alphabetic() {
            return Err(RtspError::protocol(format!(
                "expected an RTSP message or a $ frame, got byte 0x{first:02x}"
            )));
        }
        let Some(head_len) = crate::text_head::head_end(&self.buf, MAX_HEAD_LEN + 4) else {
            if self.buf.len() > MAX_HEAD_LEN {
                return Err(RtspError::Limit {
                    what: "RTSP header section",
                    value: self.buf.len() as u64,
                    limit: MAX_HEAD_LEN as u64,
                });
            }
            // A first line that cannot become a start line fails now rather than at the limit.
            if let Some(eol) = self.buf.iter().position(|b| *b == b'\n') {
                parse_start_line(&self.buf[..eol])?;
            }
            return Ok(None);
        };
        if head_len > MAX_HEAD_LEN {
            return Err(RtspError::Limit {
                what: "RTSP header section",
                value: head_len as u64,
                limit: MAX_HEAD_LEN as u64,
            });
        }
        let (start, headers) = parse_head(&self.buf[..head_len])?;
        // With two Content-Length headers (GStreamer's echo of our EndOfStream request copies
        // ours and adds its own), the last one, the sender's own, is the true length.
        let body_len = match headers.get_last("Content-Length") {
            None => 0,
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                RtspError::protocol(format!("bad Content-Length {:?}", truncate(v)))
            })?,
        };
        if body_len > self.max_body as u64 {
            return Err(RtspError::Limit {
                what: "RTSP Content-Length",
                value: body_len,
                limit: self.max_body as u64,
            });
        }
        let body_len = body_len as usize;
        if self.buf.len() < head_len + body_len {
            return Ok(None);
        }
        self.buf.advance(head_len);
        let body = self.buf.split_to(body_len).freeze();
        Ok(Some(Frame::Message(Message {
            start,
            headers,
            body,
        })))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn parse_start_line(line: &[u8]) -> Result<StartLine> {
    let line = std::str::from_utf8(line)
        .map_err(|_| RtspError::protocol("start line is not text"))?
        .trim_end_matches(['\r', '\n']);
    let bad = || RtspError::protocol(format!("bad RTSP start line {:?}", truncate(line)));
    let mut parts = line.splitn(3, ' ');
    let a = parts.next().unwrap_or("");
    let b = parts.next().ok_or_else(bad)?;
    let c = parts.next().unwrap_or("");
    if a.starts_with("RTSP/") {
        // Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase
        if b.len() != 3 || !b.bytes().all(|d| d.is_ascii_digit()) {
            return Err(bad());
        }
        let status = b.parse::<u16>().map_err(|_| bad())?;
        if !(100..=599).contains(&status) {
            return Err(bad());
        }
        Ok(StartLine::Response {
            status,
            reason: c.to_string(),
        })
    } else {
        // Request-Line = Method SP Request-URI SP RTSP-Version
        let method_ok = !a.is_empty()
            && a.len() <= 32
            && a.bytes().all(|x| x.is_ascii_alphabetic() || x == b'_');
        if !method_ok || !c.starts_with("RTSP/") || b.is_empty() {
            return Err(bad());
        }
        Ok(StartLine::Request {
            method: a.to_string(),
            uri: b.to_string(),
        })
    }
}

fn parse_head(head: &[u8]) -> Result<(StartLine, Headers)> {
    let text = std::str::from_utf8(head)
        .map_err(|_| RtspError::protocol("RTSP header section is not UTF-8 text"))?;
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let start = parse_start_line(lines.next().unwrap_or("").as_bytes())?;
    let mut headers = Headers::default();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // Folded continuation of the previous header.
            if let Some(last) = headers.0.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            // ffmpeg and others occasionally glue lines; a line without a colon is ignored.
            continue;
        };
        if headers.0.len() >= MAX_HEADERS {
            return Err(RtspError::Limit {
                what: "RTSP header count",
                value: headers.0.len() as u64 + 1,
                limit: MAX_HEADERS as u64,
            });
        }
        headers.push(name.trim(), value.trim());
    }
    Ok((start, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max_body: usize) -> Result<Vec<Frame>> {
        let mut f = Framer::new(max_body);
        f.push(input);
        let mut out = Vec::new();
        while let Some(fr) = f.next_frame()? {
            out.push(fr);
        }
        Ok(out)
    }

    #[test]
    fn parses_response_then_interleaved_then_request() {
        let mut input = b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 123;timeout=60\r\nContent-Length: 4\r\n\r\nabcd".to_vec();
        input.extend_from_slice(&[b'$', 1, 0, 3, 9, 8, 7]);
        input.extend_from_slice(b"SET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 5\r\nCSeq: 1\r\n\r\n");
        let f = frames(&input, 100).unwrap();
        assert_eq!(f.len(), 3);
        let Frame::Message(m) = &f[0] else { panic!() };
        assert_eq!(m.status(), Some(200));
        assert_eq!(m.cseq(), Some(3));
        assert_eq!(m.session_id(), Some("123"));
        assert_eq!(&m.body[..], b"abcd");
        assert_eq!(
            f[1],
            Frame::Interleaved {
                channel: 1,
                data: Bytes::from_static(&[9, 8, 7])
            }
        );
        let Frame::Message(m) = &f[2] else { panic!() };
        assert_eq!(m.method(), Some("SET_PARAMETER"));
        assert_eq!(m.cseq(), Some(5));
    }

    #[test]
    fn waits_for_partial_input() {
        let mut f = Framer::new(100);
        f.push(b"RTSP/1.0 200 OK\r\nContent-Len");
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(b"gth: 2\r\n\r\nx");
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(b"y");
        assert!(f.next_frame().unwrap().is_some());
        f.push(&[b'$', 0, 0x10]);
        assert_eq!(f.next_frame().unwrap(), None);
    }

    #[test]
    fn rejects_hostile_input() {
        assert!(matches!(
            frames(
                b"RTSP/1.0 200 OK\r\nContent-Length: 4000000000\r\n\r\n",
                1 << 20
            ),
            Err(RtspError::Limit { .. })
        ));
        assert!(frames(b"HTTP/1.1 200 OK\r\n\r\n", 10).is_err());
        assert!(frames(b"RTSP/1.0 2x0 OK\r\n\r\n", 10).is_err());
        assert!(frames(b"\x00\x01garbage", 10).is_err());
        assert!(frames(b"RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n", 10).is_err());
        let mut f = Framer::new(10);
        f.push(b"RTSP/1.0 200 OK\r\n");
        f.push(&vec![b'a'; MAX_HEAD_LEN + 10]);
        assert!(matches!(f.next_frame(), Err(RtspError::Limit { .. })));
    }

    #[test]
    fn round_trips_a_request() {
        let m = Message::request("SETUP", "rtsp://h/a.asf/audio")
            .with("CSeq", "2")
            .with("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")
            .with_body("text/parameters", "x: 1\r\n");
        let f = frames(&m.to_bytes(), 100).unwrap();
        let expected = m.clone().with("Content-Length", "6");
        assert_eq!(f, vec![Frame::Message(expected)]);
    }
}
