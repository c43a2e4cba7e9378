//! The Data packet ([MS-MMSP] 2.2.2): an 8-byte header and one payload (an ASF header piece,
//! one ASF data packet, or packet-pair filler). The same framing travels raw on the TCP
//! connection and as one UDP datagram each.

use super::framing::CodecError;

pub const DATA_HEADER_LEN: usize = 8;

/// AFFlags of a header piece that is not the last ([MS-MMSP] 2.2.2).
pub const AF_HEADER_MORE: u8 = 0x04;
/// AFFlags of the last header piece; clients also accept 0x08 (protocols.md 2.3).
pub const AF_HEADER_LAST: u8 = 0x0C;
/// AFFlags of a packet-pair packet.
pub const AF_PACKET_PAIR: u8 = 0x10;
/// playIncarnation of a packet-pair packet.
pub const PACKET_PAIR_INCARNATION: u8 = 0xFF;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataHeader {
    /// Header piece index, or the ASF data packet number in the (virtual) file.
    pub location_id: u32,
    /// Low 8 bits of the playIncarnation of the command that caused this packet.
    pub incarnation: u8,
    /// Header: 0x04 / 0x0C flags; data: the 8-bit sequence number.
    pub af_flags: u8,
    /// Total size including these 8 bytes.
    pub size: u16,
}

/// What a Data packet carries, from the incarnations the client used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    PacketPair,
    HeaderPiece {
        last: bool,
    },
    AsfPacket,
    /// An incarnation we never asked for: a stale or foreign packet.
    Unexpected,
}

impl DataHeader {
    pub fn encode(&self) -> [u8; DATA_HEADER_LEN] {
        let l = self.location_id.to_le_bytes();
        let s = self.size.to_le_bytes();
        [
            l[0],
            l[1],
            l[2],
            l[3],
            self.incarnation,
            self.af_flags,
            s[0],
            s[1],
        ]
    }

    /// Reads the 8-byte header; checks only that PacketSize covers the header itself.
    pub fn parse(b: &[u8]) -> Result<DataHeader, CodecError> {
        if b.len() < DATA_HEADER_LEN {
            return Err(CodecError::Truncated {
                what: "a data packet header",
            });
        }
        let h = DataHeader {
            location_id: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            incarnation: b[4],
            af_flags: b[5],
            size: u16::from_le_bytes([b[6], b[7]]),
        };
        if usize::from(h.size) < DATA_HEADER_LEN {
            return Err(CodecError::TooShort {
                what: "a data packet",
                len: u64::from(h.size),
            });
        }
        Ok(h)
    }

    /// Classifies by the incarnations of the client's ReadBlock and StartPlaying. A header
    /// incarnation of 0xFF (the header a server sends after ReportStreamChange on TCP,
    /// [MS-MMSP] 3.2.4.2) takes precedence over packet-pair, which only comes at connect time.
    pub fn kind(&self, header_incarnation: u8, play_incarnation: u8) -> DataKind {
        // Only the incarnation marks packet-pair: AFFlags 0x10 is also data sequence 16.
        if self.incarnation == PACKET_PAIR_INCARNATION && header_incarnation != self.incarnation {
            DataKind::PacketPair
        } else if self.incarnation == header_incarnation {
            // ffmpeg's test for "more pieces" is AFFlags == 0x04 exactly; any other value ends
            // the header, and we do the same.
            DataKind::HeaderPiece {
                last: self.af_flags != AF_HEADER_MORE,
            }
        } else if self.incarnation == play_incarnation {
            DataKind::AsfPacket
        } else {
            DataKind::Unexpected
        }
    }
}

/// One whole Data packet: header plus payload.
pub fn encode_data(location_id: u32, incarnation: u8, af_flags: u8, payload: &[u8]) -> Vec<u8> {
    let size = (DATA_HEADER_LEN + payload.len()).min(usize::from(u16::MAX)) as u16;
    let h = DataHeader {
        location_id,
        incarnation,
        af_flags,
        size,
    };
    let mut out = Vec::with_capacity(usize::from(size));
    out.extend_from_slice(&h.encode());
    out.extend_from_slice(&payload[..usize::from(size) - DATA_HEADER_LEN]);
    out
}

/// A UDP datagram holding one Data packet: the header, and the payload as far as PacketSize
/// says (extra datagram bytes are ignored; a PacketSize past the datagram is an error).
pub fn parse_datagram(d: &[u8]) -> Result<(DataHeader, &[u8]), CodecError> {
    let h = DataHeader::parse(d)?;
    let end = usize::from(h.size);
    if end > d.len() {
        return Err(CodecError::Truncated {
            what: "a data datagram",
        });
    }
    Ok((h, &d[DATA_HEADER_LEN..end]))
}

/// Extends 8-bit AFFlags sequence numbers to 32 bits across wraps ([MS-MMSP] 3.1.4.7: "the
/// client MUST keep track of when the 8-bit AFFlags field wraps around").
#[derive(Clone, Debug, Default)]
pub struct SequenceExtender {
    last: Option<u32>,
}

impl SequenceExtender {
    /// The 32-bit sequence number for `af`: the candidate closest to the last one seen, so
    /// both forward jumps (loss) and late resends up to 127 back map correctly.
    pub fn extend(&mut self, af: u8) -> u32 {
        let Some(last) = self.last else {
            self.last = Some(u32::from(af));
            return u32::from(af);
        };
        let delta = af.wrapping_sub(last as u8) as i8;
        let seq = last.wrapping_add_signed(i32::from(delta));
        if delta > 0 {
            self.last = Some(seq);
        }
        seq
    }

    pub fn last(&self) -> Option<u32> {
        self.last
    }
}

impl SequenceExtender {
    /// An extender that expects `first` next ([MS-MMSP] 2.2.2: the first sequence number after
    /// StartPlaying is 0), so that a loss of the very first packets is seen too.
    pub fn expecting(first: u32) -> SequenceExtender {
        SequenceExtender {
            last: Some(first.wrapping_sub(1)),
        }
    }
}
