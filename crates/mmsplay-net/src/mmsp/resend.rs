//! RequestPacketListResend ([MS-MMSP] 2.2.5): sent by a UDP client to the server's UDP port
//! (the TCP port of the URL) to ask for lost Data packets by 32-bit sequence number.

use super::framing::{CodecError, Reader};

pub const RESEND_SIGNATURE: u32 = 0xBEEF_F00D;
/// wNumPackets MUST be 1..=32.
pub const MAX_RESEND_PACKETS: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResendRequest {
    /// nCubs from ReportFunnelInfo.
    pub client_id: u32,
    /// Low 16 bits of openFileId.
    pub source_id: u16,
    /// 32-bit sequence numbers (AFFlags extended across wraps).
    pub sequences: Vec<u32>,
}

impl ResendRequest {
    /// Encodes; at most [`MAX_RESEND_PACKETS`] sequence numbers are written (callers split).
    pub fn encode(&self) -> Vec<u8> {
        let n = self.sequences.len().min(MAX_RESEND_PACKETS);
        let mut out = Vec::with_capacity(12 + 4 * n);
        out.extend_from_slice(&RESEND_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&self.client_id.to_le_bytes());
        out.extend_from_slice(&self.source_id.to_le_bytes());
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for s in &self.sequences[..n] {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    pub fn parse(d: &[u8]) -> Result<ResendRequest, CodecError> {
        let mut r = Reader::new(d, "a resend request");
        if r.u32()? != RESEND_SIGNATURE {
            return Err(CodecError::BadSignature);
        }
        let client_id = r.u32()?;
        let source_id = r.u16()?;
        let n = usize::from(r.u16()?);
        if n == 0 || n > MAX_RESEND_PACKETS {
            return Err(CodecError::Invalid {
                what: "resend packet count",
            });
        }
        let mut sequences = Vec::with_capacity(n);
        for _ in 0..n {
            sequences.push(r.u32()?);
        }
        Ok(ResendRequest {
            client_id,
            source_id,
            sequences,
        })
    }
}
