//! ASF data packets (ASF spec 5.2): error correction, payload parsing information, and single,
//! multiple and compressed payloads.
//!
//! Transports (MMS, MMSH, RTSP) strip a packet's padding and send it shorter than the header's
//! packet size. The parser accepts that: bytes missing at the end are taken as stripped padding.

use crate::error::{AsfError, Result};
use crate::reader::Reader;

/// The packet-level fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketInfo {
    /// The packet length the packet declares (or the header's packet size).
    pub packet_len: usize,
    pub padding_len: usize,
    pub send_time_ms: u32,
    pub duration_ms: u16,
}

/// Payload data: a fragment of one media object, or a run of whole small objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadData<'a> {
    /// A fragment at `offset` of the object `object_number`, which is `object_size` bytes long.
    Fragment {
        offset: u32,
        object_size: u32,
        pts_ms: u32,
        data: &'a [u8],
    },
    /// A compressed payload: sub-payloads each a whole object, timed `pts_ms + i * delta`.
    Compressed {
        pts_ms: u32,
        delta_ms: u8,
        data: &'a [u8],
    },
    /// No replicated data: a fragment whose object size is not known (the object is the
    /// fragment); timed by the packet's send time.
    Bare { offset: u32, data: &'a [u8] },
}

/// One payload of a data packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload<'a> {
    pub stream: u8,
    pub key_frame: bool,
    pub object_number: u32,
    pub data: PayloadData<'a>,
}

impl Payload<'_> {
    /// Iterates over the sub-payloads of a compressed payload: `(pts_ms, bytes)`. Stops at the
    /// first sub-payload that runs past the data.
    pub fn sub_payloads(data: &[u8], pts_ms: u32, delta_ms: u8) -> SubPayloads<'_> {
        SubPayloads {
            data,
            pos: 0,
            pts: pts_ms,
            delta: u32::from(delta_ms),
        }
    }
}

pub struct SubPayloads<'a> {
    data: &'a [u8],
    pos: usize,
    pts: u32,
    delta: u32,
}

impl<'a> Iterator for SubPayloads<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while self.pos < self.data.len() {
            let n = usize::from(self.data[self.pos]);
            let start = self.pos + 1;
            let end = start.checked_add(n)?;
            if end > self.data.len() {
                self.pos = self.data.len();
                return None;
            }
            self.pos = end;
            let pts = self.pts;
            self.pts = self.pts.wrapping_add(self.delta);
            if n > 0 {
                return Some((pts, &self.data[start..end]));
            }
        }
        None
    }
}

/// Fewest bytes of packet header a packet can have; less is taken as padding (FFmpeg's
/// `FRAME_HEADER_SIZE`).
const MIN_PAYLOAD_HEADER: usize = 6;

/// The width in bytes of a field whose size a 2-bit ASF length type gives: 0 absent, 1 BYTE,
/// 2 WORD, 3 DWORD.
pub fn field_width(length_type: u8) -> usize {
    [0, 1, 2, 4][usize::from(length_type & 3)]
}

/// The packet-level header of a data packet: its error correction data and payload parsing
/// information (ASF spec 5.2.1 and 5.2.2), with where each field sits. The one walk of these
/// bytes: the payload parser, the time mover ([`crate::timing`]) and the padding rewriter
/// ([`crate::padding`]) all start from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketHeader {
    /// Bytes of error correction data, including its flags byte (0 when absent).
    pub ec_len: usize,
    pub length_flags: u8,
    pub property_flags: u8,
    /// The Packet Length field's value (0 when the field is absent: the header's packet
    /// size holds).
    pub declared_len: usize,
    pub sequence: u32,
    pub padding_len: usize,
    pub send_time_ms: u32,
    pub duration_ms: u16,
}

impl PacketHeader {
    /// Reads the packet-level header at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<PacketHeader> {
        let mut r = Reader::new(buf, 0, "data packet");
        let mut first = r.u8()?;
        let mut ec_len = 0;
        if first & 0x80 != 0 {
            // Error correction data present. Only the standard form is defined: length in the
            // low nibble, no opaque data, length type 00.
            if first & 0x60 != 0 {
                return Err(AsfError::Invalid {
                    what: "error correction length type",
                    offset: 0,
                });
            }
            ec_len = 1 + usize::from(first & 0x0F);
            r.skip(ec_len - 1)?;
            first = r.u8()?;
        }
        let length_flags = first;
        let property_flags = r.u8()?;
        let declared_len = r.var(length_flags >> 5)? as usize;
        let sequence = r.var(length_flags >> 1)?;
        let padding_len = r.var(length_flags >> 3)? as usize;
        let send_time_ms = r.u32()?;
        let duration_ms = r.u16()?;
        Ok(PacketHeader {
            ec_len,
            length_flags,
            property_flags,
            declared_len,
            sequence,
            padding_len,
            send_time_ms,
            duration_ms,
        })
    }

    /// Whether the packet carries several payloads (each with its own length).
    pub fn multiple_payloads(&self) -> bool {
        self.length_flags & 1 != 0
    }

    pub fn length_width(&self) -> usize {
        field_width(self.length_flags >> 5)
    }

    pub fn sequence_width(&self) -> usize {
        field_width(self.length_flags >> 1)
    }

    pub fn padding_width(&self) -> usize {
        field_width(self.length_flags >> 3)
    }

    /// Byte offset of the Sequence field.
    pub fn sequence_at(&self) -> usize {
        self.ec_len + 2 + self.length_width()
    }

    /// Byte offset of the Send Time field (4 bytes, then the 2-byte Duration).
    pub fn send_time_at(&self) -> usize {
        self.sequence_at() + self.sequence_width() + self.padding_width()
    }

    /// The header's length: the first byte after Duration, where the payloads start.
    pub fn header_len(&self) -> usize {
        self.send_time_at() + 6
    }

    /// The packet's length: the declared one, else the header's packet size.
    pub fn packet_len(&self, packet_size: u32) -> usize {
        if self.declared_len == 0 {
            packet_size as usize
        } else {
            self.declared_len
        }
    }

    /// Length types of the payload header fields: replicated data, offset, object number.
    fn payload_types(&self) -> (u8, u8, u8) {
        let p = self.property_flags;
        (p, p >> 2, p >> 4)
    }
}

/// Where a payload's fields sit in the packet, for code that rewrites them in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadPosition {
    /// Byte offset and width of the Offset Into Media Object field (a compressed payload's
    /// presentation time).
    pub offset_field: (usize, usize),
    /// Byte offset of the replicated data.
    pub replicated_at: usize,
    /// The payload's bytes in the packet, header and data: `start..end`.
    pub span: (usize, usize),
}

/// Walks the payloads of a packet whose header is `h`, ending at `payload_end`: calls `each`
/// with each payload and where its fields are. The one walk of payload headers.
fn walk_payloads<'a>(
    buf: &'a [u8],
    h: &PacketHeader,
    payload_end: usize,
    mut each: impl FnMut(Payload<'a>, PayloadPosition),
) -> Result<()> {
    let mut r = Reader::new(buf, 0, "data packet");
    r.skip(h.header_len())?;
    let (rep_type, offset_type, object_type) = h.payload_types();
    if h.multiple_payloads() {
        let payload_flags = r.u8()?;
        let count = payload_flags & 0x3F;
        let len_type = payload_flags >> 6;
        for _ in 0..count {
            if r.pos() >= payload_end {
                break;
            }
            let start = r.pos();
            let (head, mut pos) = payload_header(&mut r, rep_type, offset_type, object_type)?;
            let len = r.var(len_type)? as usize;
            if r.pos() + len > payload_end {
                return Err(AsfError::Invalid {
                    what: "payload length",
                    offset: r.pos(),
                });
            }
            let data = r.bytes(len)?;
            pos.span = (start, r.pos());
            each(make_payload(head, data, r.pos())?, pos);
        }
    } else if payload_end.saturating_sub(r.pos()) >= MIN_PAYLOAD_HEADER.min(payload_end) {
        let start = r.pos();
        let (head, mut pos) = payload_header(&mut r, rep_type, offset_type, object_type)?;
        if r.pos() > payload_end {
            return Err(AsfError::Invalid {
                what: "payload header",
                offset: r.pos(),
            });
        }
        let data = r.bytes(payload_end - r.pos())?;
        pos.span = (start, r.pos());
        each(make_payload(head, data, r.pos())?, pos);
    }
    Ok(())
}

/// Parses one data packet. `packet_size` is the header's packet size; `buf` may be shorter
/// (padding stripped by a transport) but not longer than the declared packet length.
/// Payloads go to `out`, which is cleared first.
pub fn parse_packet<'a>(
    buf: &'a [u8],
    packet_size: u32,
    out: &mut Vec<Payload<'a>>,
) -> Result<PacketInfo> {
    out.clear();
    let h = PacketHeader::parse(buf)?;
    let packet_len = h.packet_len(packet_size);
    if packet_len > packet_size as usize && packet_size != 0 {
        return Err(AsfError::Invalid {
            what: "packet length",
            offset: 0,
        });
    }
    if buf.len() > packet_len {
        return Err(AsfError::Invalid {
            what: "packet longer than its declared length",
            offset: 0,
        });
    }
    // The bytes that carry payloads: up to the declared length less padding, and never past
    // what actually arrived (a short buffer lost only its padding).
    let payload_end = packet_len.saturating_sub(h.padding_len).min(buf.len());
    if h.header_len() > payload_end {
        return Err(AsfError::Invalid {
            what: "padding length",
            offset: h.header_len(),
        });
    }
    walk_payloads(buf, &h, payload_end, |p, _| out.push(p))?;
    Ok(PacketInfo {
        packet_len,
        padding_len: h.padding_len,
        send_time_ms: h.send_time_ms,
        duration_ms: h.duration_ms,
    })
}

/// The payloads of a packet with where their fields sit, for rewriting them in place. Unlike
/// [`parse_packet`] it needs no packet size: a packet without a declared length is as long as
/// `buf`, and one shorter than its padding lost that padding in transit.
pub fn payload_positions(
    buf: &[u8],
) -> Result<(PacketHeader, Vec<(Payload<'_>, PayloadPosition)>)> {
    let h = PacketHeader::parse(buf)?;
    let total = if h.declared_len == 0 {
        buf.len()
    } else {
        h.declared_len.min(buf.len())
    };
    let end = total
        .checked_sub(h.padding_len)
        .filter(|e| *e >= h.header_len())
        .unwrap_or(total);
    let mut out = Vec::new();
    walk_payloads(buf, &h, end, |p, pos| out.push((p, pos)))?;
    Ok((h, out))
}

/// A payload's header fields: stream byte, object number, offset, replicated data.
struct PayloadHead<'a> {
    stream: u8,
    key_frame: bool,
    object_number: u32,
    offset: u32,
    rep: &'a [u8],
}

fn payload_header<'a>(
    r: &mut Reader<'a>,
    rep_type: u8,
    offset_type: u8,
    object_type: u8,
) -> Result<(PayloadHead<'a>, PayloadPosition)> {
    let sn = r.u8()?;
    let object_number = r.var(object_type)?;
    let offset_at = r.pos();
    let offset = r.var(offset_type)?;
    let rep_len = r.var(rep_type)? as usize;
    let replicated_at = r.pos();
    let rep = r.bytes(rep_len)?;
    let head = PayloadHead {
        stream: sn & 0x7F,
        key_frame: sn & 0x80 != 0,
        object_number,
        offset,
        rep,
    };
    let pos = PayloadPosition {
        offset_field: (offset_at, field_width(offset_type)),
        replicated_at,
        span: (0, 0),
    };
    Ok((head, pos))
}

fn make_payload<'a>(head: PayloadHead<'a>, data: &'a [u8], at: usize) -> Result<Payload<'a>> {
    let PayloadHead {
        stream,
        key_frame,
        object_number,
        offset,
        rep,
    } = head;
    let data = match rep.len() {
        0 => PayloadData::Bare { offset, data },
        1 => PayloadData::Compressed {
            pts_ms: offset,
            delta_ms: rep[0],
            data,
        },
        2..=7 => {
            return Err(AsfError::Invalid {
                what: "replicated data length",
                offset: at,
            });
        }
        _ => PayloadData::Fragment {
            offset,
            object_size: u32::from_le_bytes([rep[0], rep[1], rep[2], rep[3]]),
            pts_ms: u32::from_le_bytes([rep[4], rep[5], rep[6], rep[7]]),
            data,
        },
    };
    Ok(Payload {
        stream,
        key_frame,
        object_number,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first packet of an ffmpeg-written WMA v2 file (asf-wma.md 1.7 worked example),
    /// cut after the first payload's data and given a packet size that fits.
    #[test]
    fn parses_the_worked_example() {
        let mut p = vec![
            0x82, 0x00, 0x00, 0x09, 0x5d, 0x93, 0x00, 0x00, 0x00, 0x00, 0x8b, 0x00, 0x81, 0x01,
            0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0xe7, 0x02, 0x00, 0x00, 0x1c, 0x0c, 0x00, 0x00,
            0xe7, 0x02,
        ];
        p.extend(std::iter::repeat_n(0xAB, 743));
        let size = p.len() as u32 + 0x93;
        let mut out = Vec::new();
        let info = parse_packet(&p, size, &mut out).unwrap();
        assert_eq!(info.padding_len, 0x93);
        assert_eq!(info.duration_ms, 139);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].stream, 1);
        assert_eq!(out[0].object_number, 1);
        match &out[0].data {
            PayloadData::Fragment {
                offset,
                object_size,
                pts_ms,
                data,
            } => {
                assert_eq!((*offset, *object_size, *pts_ms), (0, 743, 3100));
                assert_eq!(data.len(), 743);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn compressed_sub_payloads_skip_empty_and_stop_at_overrun() {
        let data = [2, 1, 2, 0, 1, 9, 5, 1];
        let v: Vec<_> = Payload::sub_payloads(&data, 100, 10).collect();
        assert_eq!(v, vec![(100, &[1u8, 2][..]), (120, &[9u8][..])]);
    }

    #[test]
    fn absurd_lengths_are_errors_not_panics() {
        let mut out = Vec::new();
        // Multiple payloads, payload length WORD 0xFFFF.
        let p = [
            0x82, 0, 0, 0x01, 0x5d, 0, 0, 0, 0, 0, 0, 0x81, 0x01, 0x01, 0, 0, 0, 0, 0x08, 1, 0, 0,
            0, 0, 0, 0, 0, 0xFF, 0xFF,
        ];
        assert!(parse_packet(&p, 100, &mut out).is_err());
        assert!(parse_packet(&[], 100, &mut out).is_err());
        assert!(parse_packet(&[0x82], 100, &mut out).is_err());
    }
}
