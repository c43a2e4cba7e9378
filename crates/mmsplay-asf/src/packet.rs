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

/// Parses one data packet. `packet_size` is the header's packet size; `buf` may be shorter
/// (padding stripped by a transport) but not longer than the declared packet length.
/// Payloads go to `out`, which is cleared first.
pub fn parse_packet<'a>(
    buf: &'a [u8],
    packet_size: u32,
    out: &mut Vec<Payload<'a>>,
) -> Result<PacketInfo> {
    out.clear();
    let mut r = Reader::new(buf, 0, "data packet");
    let mut first = r.u8()?;
    if first & 0x80 != 0 {
        // Error correction data present. Only the standard form is defined: length in the low
        // nibble, no opaque data, length type 00.
        if first & 0x60 != 0 {
            return Err(AsfError::Invalid {
                what: "error correction length type",
                offset: 0,
            });
        }
        r.skip(usize::from(first & 0x0F))?;
        first = r.u8()?;
    }
    let length_flags = first;
    let property_flags = r.u8()?;
    let multiple = length_flags & 1 != 0;
    let declared_len = r.var(length_flags >> 5)? as usize;
    let _sequence = r.var(length_flags >> 1)?;
    let padding_len = r.var(length_flags >> 3)? as usize;
    let send_time_ms = r.u32()?;
    let duration_ms = r.u16()?;
    let packet_len = if declared_len == 0 {
        packet_size as usize
    } else {
        declared_len
    };
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
    let info = PacketInfo {
        packet_len,
        padding_len,
        send_time_ms,
        duration_ms,
    };
    // The bytes that carry payloads: up to the declared length less padding, and never past
    // what actually arrived (a short buffer lost only its padding).
    let payload_end = packet_len.saturating_sub(padding_len).min(buf.len());
    if r.pos() > payload_end {
        return Err(AsfError::Invalid {
            what: "padding length",
            offset: r.pos(),
        });
    }
    let rep_type = property_flags;
    let offset_type = property_flags >> 2;
    let object_type = property_flags >> 4;
    if multiple {
        let payload_flags = r.u8()?;
        let count = payload_flags & 0x3F;
        let len_type = payload_flags >> 6;
        for _ in 0..count {
            if r.pos() >= payload_end {
                break;
            }
            let (stream, key, object_number, offset, rep) =
                payload_header(&mut r, rep_type, offset_type, object_type)?;
            let len = r.var(len_type)? as usize;
            if r.pos() + len > payload_end {
                return Err(AsfError::Invalid {
                    what: "payload length",
                    offset: r.pos(),
                });
            }
            let data = r.bytes(len)?;
            out.push(make_payload(
                stream,
                key,
                object_number,
                offset,
                rep,
                data,
                r.pos(),
            )?);
        }
    } else if payload_end.saturating_sub(r.pos()) >= MIN_PAYLOAD_HEADER.min(payload_end) {
        let (stream, key, object_number, offset, rep) =
            payload_header(&mut r, rep_type, offset_type, object_type)?;
        if r.pos() > payload_end {
            return Err(AsfError::Invalid {
                what: "payload header",
                offset: r.pos(),
            });
        }
        let data = r.bytes(payload_end - r.pos())?;
        out.push(make_payload(
            stream,
            key,
            object_number,
            offset,
            rep,
            data,
            r.pos(),
        )?);
    }
    Ok(info)
}

type PayloadHeader<'a> = (u8, bool, u32, u32, &'a [u8]);

fn payload_header<'a>(
    r: &mut Reader<'a>,
    rep_type: u8,
    offset_type: u8,
    object_type: u8,
) -> Result<PayloadHeader<'a>> {
    let sn = r.u8()?;
    let object_number = r.var(object_type)?;
    let offset = r.var(offset_type)?;
    let rep_len = r.var(rep_type)? as usize;
    let rep = r.bytes(rep_len)?;
    Ok((sn & 0x7F, sn & 0x80 != 0, object_number, offset, rep))
}

fn make_payload<'a>(
    stream: u8,
    key_frame: bool,
    object_number: u32,
    offset: u32,
    rep: &'a [u8],
    data: &'a [u8],
    at: usize,
) -> Result<Payload<'a>> {
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
