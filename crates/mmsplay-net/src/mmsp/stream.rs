//! Splitting the TCP byte stream into commands and Data packets ([MS-MMSP] 3.1.5.2, 3.2.5.1):
//! if bytes 4..8 are the TcpMessageHeader sessionId it is a command, otherwise a Data packet
//! whose total size is the u16 at offset 6.

use super::data::{DATA_HEADER_LEN, DataHeader};
use super::framing::{CodecError, MAX_COMMAND_LEN, SEAL, SESSION_ID, command_len, split_command};

/// One item from the TCP stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpItem {
    /// A command: its MID and body (bytes after the MID, padding included).
    Command { mid: u32, body: Vec<u8> },
    /// A Data packet: its header and payload.
    Data {
        header: DataHeader,
        payload: Vec<u8>,
    },
}

/// Incremental decoder. Push what the socket gave, then take items until `None`. Its buffer
/// never holds more than one frame plus one read, since a frame is at most
/// [`MAX_COMMAND_LEN`] (commands) or 65535 bytes (Data packets).
#[derive(Debug, Default)]
pub struct TcpDecoder {
    buf: Vec<u8>,
    /// Whether Data packets are legal now. Until a client has asked for the header, anything
    /// that is not a command means the peer is not an MMS server.
    pub accept_data: bool,
}

impl TcpDecoder {
    pub fn new(accept_data: bool) -> TcpDecoder {
        TcpDecoder {
            buf: Vec::new(),
            accept_data,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet returned as items.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole item, `Ok(None)` if more bytes are needed, or an error for bytes that
    /// cannot be MMS (the connection is then unusable).
    pub fn next_item(&mut self) -> Result<Option<TcpItem>, CodecError> {
        if self.buf.len() < DATA_HEADER_LEN {
            return Ok(None);
        }
        if self.buf[4..8] == SESSION_ID {
            if self.buf[0] != 0x01 {
                return Err(CodecError::BadSignature);
            }
            if self.buf.len() < 16 {
                return Ok(None);
            }
            if self.buf[12..16] != SEAL {
                return Err(CodecError::BadSignature);
            }
            let mut head = [0u8; 12];
            head.copy_from_slice(&self.buf[..12]);
            let total = command_len(&head)?;
            if self.buf.len() < total {
                return Ok(None);
            }
            let (mid, body) = split_command(&self.buf[..total])?;
            let item = TcpItem::Command {
                mid,
                body: body.to_vec(),
            };
            self.buf.drain(..total);
            return Ok(Some(item));
        }
        if !self.accept_data {
            return Err(CodecError::BadSignature);
        }
        let header = DataHeader::parse(&self.buf)?;
        let total = usize::from(header.size);
        if self.buf.len() < total {
            return Ok(None);
        }
        let payload = self.buf[DATA_HEADER_LEN..total].to_vec();
        self.buf.drain(..total);
        Ok(Some(TcpItem::Data { header, payload }))
    }
}

/// Upper bound of any single frame on the TCP stream, for read buffers.
pub const MAX_FRAME_LEN: usize = if MAX_COMMAND_LEN > 65_535 {
    MAX_COMMAND_LEN
} else {
    65_535
};
