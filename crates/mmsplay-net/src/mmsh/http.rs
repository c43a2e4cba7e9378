//! Just enough HTTP/1.x for MS-WMSP ([MS-WMSP] 2.1): request and response heads, and the
//! chunked transfer coding that pipelined mode uses. Bounded: a head larger than
//! [`MAX_HEAD_LEN`] is an error, never a bigger buffer.

use super::{HttpError, MmshError};

/// Largest request or response head we accept (real ones are well under 2 KiB).
pub const MAX_HEAD_LEN: usize = 16 * 1024;
/// Most header lines in one head.
pub const MAX_HEADERS: usize = 100;

pub use crate::text_head::Headers;

/// A parsed status line and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

impl ResponseHead {
    pub fn content_length(&self) -> Option<u64> {
        self.headers.get("content-length")?.trim().parse().ok()
    }

    pub fn is_chunked(&self) -> bool {
        self.headers
            .get("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type")
    }
}

/// A parsed request line and headers (the server side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub minor: u8,
    pub headers: Headers,
}

/// Splits a complete head into its first line and header lines.
fn split_head(
    buf: &[u8],
    what: &'static str,
) -> Result<Option<(String, Headers, usize)>, MmshError> {
    let Some(end) = crate::text_head::head_end(buf, MAX_HEAD_LEN + 4) else {
        if buf.len() > MAX_HEAD_LEN {
            return Err(HttpError::HeadTooLong {
                what,
                limit: MAX_HEAD_LEN,
            }
            .into());
        }
        return Ok(None);
    };
    if end > MAX_HEAD_LEN {
        return Err(HttpError::HeadTooLong {
            what,
            limit: MAX_HEAD_LEN,
        }
        .into());
    }
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        if headers.len() >= MAX_HEADERS {
            return Err(HttpError::TooManyHeaders { what }.into());
        }
        // A line without a colon is ignored rather than fatal: be liberal with old servers.
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some((first, Headers(headers), end)))
}

fn parse_version(v: &str) -> Option<u8> {
    match v.trim() {
        "HTTP/1.0" => Some(0),
        "HTTP/1.1" => Some(1),
        _ => None,
    }
}

/// Parses a response head from the start of `buf`. `Ok(None)`: need more bytes. On success,
/// also returns the head's length (the body starts there).
pub fn parse_response_head(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>, MmshError> {
    // Fail fast on something that is not HTTP at all, instead of waiting for a blank line.
    let probe = &buf[..buf.len().min(5)];
    if !b"HTTP/"[..probe.len()].eq_ignore_ascii_case(probe) {
        return Err(HttpError::NotHttp.into());
    }
    let Some((first, headers, end)) = split_head(buf, "response")? else {
        return Ok(None);
    };
    let mut parts = first.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let minor = parse_version(version).ok_or_else(|| HttpError::Version(version.to_string()))?;
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or_else(|| HttpError::StatusLine(first.clone()))?;
    let reason = parts.next().unwrap_or("").to_string();
    Ok(Some((
        ResponseHead {
            minor,
            status,
            reason,
            headers,
        },
        end,
    )))
}

/// Parses a request head from the start of `buf` (see [`parse_response_head`]).
pub fn parse_request_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, MmshError> {
    let Some((first, headers, end)) = split_head(buf, "request")? else {
        return Ok(None);
    };
    let mut parts = first.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::RequestLine(first).into());
    };
    let minor = parse_version(version).ok_or_else(|| HttpError::Version(version.to_string()))?;
    Ok(Some((
        RequestHead {
            method: method.to_string(),
            target: target.to_string(),
            minor,
            headers,
        },
        end,
    )))
}

/// Decoder of the HTTP/1.1 chunked transfer coding (RFC 9112 7.1), incremental. Chunk
/// extensions and trailers are skipped.
#[derive(Debug, Default)]
pub struct Dechunker {
    state: DechunkState,
    /// Partial size line.
    line: Vec<u8>,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum DechunkState {
    #[default]
    Size,
    Data(u64),
    /// The CRLF after a chunk's data: bytes left to skip.
    DataEnd(u8),
    /// After the last chunk: trailers, up to the blank line.
    Trailer,
    Done,
}

/// Longest chunk-size line (hex digits plus extensions) we accept.
const MAX_SIZE_LINE: usize = 1024;

impl Dechunker {
    /// Decodes `input`, appending data to `out`. Returns whether the last chunk was seen.
    pub fn decode(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<bool, MmshError> {
        while !input.is_empty() {
            match self.state {
                DechunkState::Size | DechunkState::Trailer => {
                    let Some(nl) = input.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(input);
                        if self.line.len() > MAX_SIZE_LINE {
                            return Err(HttpError::ChunkSizeLineTooLong.into());
                        }
                        return Ok(false);
                    };
                    self.line.extend_from_slice(&input[..nl]);
                    input = &input[nl + 1..];
                    if self.line.len() > MAX_SIZE_LINE {
                        return Err(HttpError::ChunkSizeLineTooLong.into());
                    }
                    let line = String::from_utf8_lossy(&self.line).trim().to_string();
                    self.line.clear();
                    if self.state == DechunkState::Trailer {
                        if line.is_empty() {
                            self.state = DechunkState::Done;
                        }
                        continue;
                    }
                    let hex = line.split(';').next().unwrap_or("").trim();
                    if hex.is_empty() {
                        // Tolerate a stray blank line between chunks.
                        continue;
                    }
                    let size = u64::from_str_radix(hex, 16)
                        .map_err(|_| HttpError::ChunkSize(hex.to_string()))?;
                    self.state = if size == 0 {
                        DechunkState::Trailer
                    } else {
                        DechunkState::Data(size)
                    };
                }
                DechunkState::Data(left) => {
                    let n = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        DechunkState::DataEnd(2)
                    } else {
                        DechunkState::Data(left)
                    };
                }
                DechunkState::DataEnd(left) => {
                    // Skip CR LF (or a bare LF).
                    let b = input[0];
                    input = &input[1..];
                    if b == b'\n' || left == 1 {
                        self.state = DechunkState::Size;
                    } else {
                        self.state = DechunkState::DataEnd(left - 1);
                    }
                }
                DechunkState::Done => return Ok(true),
            }
        }
        Ok(self.state == DechunkState::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_response_head() {
        let raw = b"HTTP/1.0 200 OK\r\nServer: Cougar 4.1.0.3921\r\nPragma: no-cache\r\nPragma: client-id=5\r\n\r\n$H";
        let (h, end) = parse_response_head(raw).unwrap().unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.minor, 0);
        assert_eq!(h.headers.all("pragma").count(), 2);
        assert_eq!(&raw[end..], b"$H");
        assert!(
            parse_response_head(b"HTTP/1.0 200 OK\r\nServ")
                .unwrap()
                .is_none()
        );
        assert!(parse_response_head(b"$H\x10\x00").is_err());
        let long = [b"HTTP/1.0 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD_LEN]].concat();
        assert!(parse_response_head(&long).is_err());
    }

    #[test]
    fn verify_ffmpeg_glued_request() {
        let raw = b"GET /a.asf HTTP/1.1\r\nPragma: xPlayStrm=1\r\nPragma: no-cache,rate=1.000000,stream-time=0Connection: Close\r\n\r\n";
        let (r, _) = parse_request_head(raw).unwrap().unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/a.asf");
        assert_eq!(r.headers.all("pragma").count(), 2);
    }

    #[test]
    fn verify_dechunk_split_anywhere() {
        let wire = b"4\r\n$T\0\0\r\n6;x=y\r\nabcdef\r\n0\r\n\r\n";
        for split in 0..wire.len() {
            let mut d = Dechunker::default();
            let mut out = Vec::new();
            let a = d.decode(&wire[..split], &mut out).unwrap();
            let b = d.decode(&wire[split..], &mut out).unwrap();
            assert!(a || b, "split {split}");
            assert_eq!(out, b"$T\0\0abcdef");
        }
    }
}
