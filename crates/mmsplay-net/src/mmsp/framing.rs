//! TcpMessageHeader framing of commands ([MS-MMSP] 2.2.3) and the little-endian field helpers
//! the message codec uses.

use std::fmt;

/// Bytes 4..8 of every TcpMessageHeader: sessionId 0xB00BFACE, little-endian ([MS-MMSP] 2.2.3).
pub const SESSION_ID: [u8; 4] = [0xCE, 0xFA, 0x0B, 0xB0];
/// seal = "MMS " ([MS-MMSP] 2.2.3).
pub const SEAL: [u8; 4] = *b"MMS ";
/// Bytes before the MMS message: rep..timeSent.
pub const TCP_HEADER_LEN: usize = 32;
/// TcpMessageHeader plus chunkLen and MID: the smallest possible command.
pub const MIN_COMMAND_LEN: usize = 40;
/// Largest command packet we accept or build. The largest real message is Logging (about
/// 1.5 KiB); ReportConnectedEX with long strings stays far below this.
pub const MAX_COMMAND_LEN: usize = 64 * 1024;

/// What can be wrong with bytes handed to the codec. The transport turns these into
/// `NetError`s with user-facing sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// A length field is larger than we allow.
    TooLong {
        what: &'static str,
        len: u64,
        max: u64,
    },
    /// A length field is smaller than the structure it frames.
    TooShort { what: &'static str, len: u64 },
    /// The bytes are not an MMS command (wrong signature).
    BadSignature,
    /// A message body ended before one of its fields.
    Truncated { what: &'static str },
    /// A field holds a value the protocol forbids.
    Invalid { what: &'static str },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::TooLong { what, len, max } => {
                write!(f, "{what} of {len} bytes is over the limit of {max}")
            }
            CodecError::TooShort { what, len } => write!(f, "{what} of {len} bytes is too short"),
            CodecError::BadSignature => write!(f, "the server does not speak MMS (bad signature)"),
            CodecError::Truncated { what } => write!(f, "{what} is cut short"),
            CodecError::Invalid { what } => write!(f, "invalid {what}"),
        }
    }
}

impl std::error::Error for CodecError {}

/// Builds one command packet: TcpMessageHeader, chunkLen, MID, `body` zero-padded to a
/// multiple of 8 ([MS-MMSP] 2.2.3, 2.2.4).
///
/// chunkCount is written as messageLength / 8. The spec's prose says "total size in 8-byte
/// units", but ffmpeg, VLC, libmms and captures of Windows Media Services all use
/// messageLength / 8 (protocols.md 2.1), and we interoperate with them.
pub fn encode_command(seq: u32, mid: u32, body: &[u8]) -> Vec<u8> {
    let body_len = body.len().div_ceil(8) * 8;
    let total = MIN_COMMAND_LEN + body_len;
    let message_len = (total - 16) as u32;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0x00]);
    out.extend_from_slice(&SESSION_ID);
    out.extend_from_slice(&message_len.to_le_bytes());
    out.extend_from_slice(&SEAL);
    out.extend_from_slice(&(message_len / 8).to_le_bytes());
    // seq is a 16-bit field followed by 16 zero bits (MBZ): one LE32 write does both.
    out.extend_from_slice(&(seq & 0xFFFF).to_le_bytes());
    out.extend_from_slice(&[0u8; 8]); // timeSent: receivers ignore it
    out.extend_from_slice(&(((total - TCP_HEADER_LEN) / 8) as u32).to_le_bytes());
    out.extend_from_slice(&mid.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(total, 0);
    out
}

/// The total length of the command whose first 12 bytes are `head`, checked against
/// [`MAX_COMMAND_LEN`]. `head` must start with a TcpMessageHeader (sessionId at 4..8).
pub fn command_len(head: &[u8; 12]) -> Result<usize, CodecError> {
    if head[4..8] != SESSION_ID {
        return Err(CodecError::BadSignature);
    }
    let message_len = u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]]));
    let total = message_len + 16;
    if total > MAX_COMMAND_LEN as u64 {
        return Err(CodecError::TooLong {
            what: "a command",
            len: total,
            max: MAX_COMMAND_LEN as u64,
        });
    }
    if total < MIN_COMMAND_LEN as u64 {
        return Err(CodecError::TooShort {
            what: "a command",
            len: total,
        });
    }
    Ok(total as usize)
}

/// A whole command packet split into its MID and body (bytes after the MID).
pub fn split_command(packet: &[u8]) -> Result<(u32, &[u8]), CodecError> {
    if packet.len() < MIN_COMMAND_LEN {
        return Err(CodecError::TooShort {
            what: "a command",
            len: packet.len() as u64,
        });
    }
    if packet[4..8] != SESSION_ID || packet[12..16] != SEAL {
        return Err(CodecError::BadSignature);
    }
    let mid = u32::from_le_bytes([packet[36], packet[37], packet[38], packet[39]]);
    Ok((mid, &packet[MIN_COMMAND_LEN..]))
}

/// Reads little-endian fields from a message body, failing (not panicking) when it runs out.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { buf, pos: 0, what }
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(CodecError::Truncated { what: self.what })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), CodecError> {
        self.bytes(n).map(|_| ())
    }

    pub fn u16(&mut self) -> Result<u16, CodecError> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, CodecError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A u32 that some peers leave out at the end of a message: 0 when absent.
    pub fn u32_or_zero(&mut self) -> u32 {
        self.u32().unwrap_or(0)
    }

    pub fn u64(&mut self) -> Result<u64, CodecError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub fn f64(&mut self) -> Result<f64, CodecError> {
        self.u64().map(f64::from_bits)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos.min(self.buf.len())..];
        self.pos = self.buf.len();
        s
    }
}

/// Writes little-endian fields.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.buf.resize(self.buf.len() + n, 0);
        self
    }
    /// UTF-16LE text followed by a NUL character.
    pub fn utf16z(&mut self, s: &str) -> &mut Self {
        for u in s.encode_utf16() {
            self.u16(u);
        }
        self.u16(0)
    }
}

/// Decodes UTF-16LE up to the first NUL (or the end), replacing bad code units.
pub fn utf16_until_nul(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Number of UTF-16 code units of `s` plus the terminating NUL.
pub fn utf16z_units(s: &str) -> u32 {
    s.encode_utf16().count() as u32 + 1
}
