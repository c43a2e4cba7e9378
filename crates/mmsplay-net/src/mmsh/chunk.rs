//! The `$` framing of MMSH bodies ([MS-WMSP] 2.2.3): a 4-byte Framing Header, then for `$H`,
//! `$D` and `$M` an 8-byte MMS data packet header and the payload, for `$E` and `$C` a 4-byte
//! Reason. Decoding is incremental: push whatever bytes arrived, pop whole chunks.

use bytes::{Buf, Bytes, BytesMut};

use super::{ChunkError, MmshError};

/// Size of the Framing Header: B/Frame byte, PacketID, PacketLength (LE16).
pub const FRAMING_LEN: usize = 4;
/// Size of the MMS data packet header inside `$H`/`$D`/`$M`: LocationId u32, Incarnation u8,
/// AFFlags u8, PacketSize u16 ([MS-WMSP] 2.2.3.1.2).
pub const MMS_HEADER_LEN: usize = 8;
/// The largest MMS data packet ([MS-WMSP] 2.2.3.1.2), so the largest payload is 65535 - 8.
pub const MAX_MMS_PACKET: usize = 65_535;

/// `$H`/`$M` AFFlags: first piece of a split object.
pub const AF_FIRST: u8 = 0x04;
/// `$H`/`$M` AFFlags: last piece of a split object.
pub const AF_LAST: u8 = 0x08;

/// The packet types of [MS-WMSP] 2.2.3.2 to 2.2.3.8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// `$C` stream change (server-side playlist moved on).
    Change,
    /// `$D` one ASF data packet.
    Data,
    /// `$E` end of stream.
    End,
    /// `$H` (a piece of) the ASF header.
    Header,
    /// `$M` playlist entry metadata.
    Meta,
    /// `$P` packet-pair bandwidth probe.
    PacketPair,
    /// `$T` pipeline test.
    Test,
    /// Any other PacketID: skipped by its length.
    Other(u8),
}

impl ChunkKind {
    pub fn from_id(id: u8) -> ChunkKind {
        match id {
            b'C' => ChunkKind::Change,
            b'D' => ChunkKind::Data,
            b'E' => ChunkKind::End,
            b'H' => ChunkKind::Header,
            b'M' => ChunkKind::Meta,
            b'P' => ChunkKind::PacketPair,
            b'T' => ChunkKind::Test,
            other => ChunkKind::Other(other),
        }
    }

    pub fn id(self) -> u8 {
        match self {
            ChunkKind::Change => b'C',
            ChunkKind::Data => b'D',
            ChunkKind::End => b'E',
            ChunkKind::Header => b'H',
            ChunkKind::Meta => b'M',
            ChunkKind::PacketPair => b'P',
            ChunkKind::Test => b'T',
            ChunkKind::Other(id) => id,
        }
    }

    /// Whether the body is an MMS data packet (LocationId, Incarnation, AFFlags, PacketSize).
    pub fn carries_mms_packet(self) -> bool {
        matches!(self, ChunkKind::Data | ChunkKind::Header | ChunkKind::Meta)
    }
}

/// One framed chunk: its type, the B flag and the PacketLength bytes that followed the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub kind: ChunkKind,
    /// B: "the next packet follows immediately" (first byte 0xA4 instead of 0x24).
    pub burst: bool,
    pub body: Bytes,
}

/// The MMS data packet inside a `$H`, `$D` or `$M` chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmsPacket {
    pub location_id: u32,
    pub incarnation: u8,
    pub af_flags: u8,
    pub payload: Bytes,
}

impl Chunk {
    /// Splits the MMS data packet header from the payload. PacketSize should equal the chunk's
    /// PacketLength; some clients trust one, some the other ([MS-WMSP] 2.2.3.1.2), so we read
    /// the payload by PacketLength (it framed the chunk) and reject a PacketSize that claims
    /// more than that.
    pub fn mms_packet(&self) -> Result<MmsPacket, MmshError> {
        let b = &self.body;
        if b.len() < MMS_HEADER_LEN {
            return Err(ChunkError::ShorterThanPacketHeader {
                kind: self.kind.id() as char,
                len: b.len(),
            }
            .into());
        }
        let location_id = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let packet_size = usize::from(u16::from_le_bytes([b[6], b[7]]));
        if packet_size > b.len() {
            return Err(ChunkError::PacketSizeBeyondChunk {
                kind: self.kind.id() as char,
                packet_size,
                len: b.len(),
            }
            .into());
        }
        Ok(MmsPacket {
            location_id,
            incarnation: b[4],
            af_flags: b[5],
            payload: self.body.slice(MMS_HEADER_LEN..),
        })
    }

    /// The Reason of a `$E` or `$C` chunk (an HRESULT; 0 when absent).
    pub fn reason(&self) -> u32 {
        match self.body.get(..4) {
            Some(r) => u32::from_le_bytes([r[0], r[1], r[2], r[3]]),
            None => 0,
        }
    }
}

/// Incremental decoder of the `$` stream. It never holds more than one chunk plus what the
/// caller pushed (a chunk is at most 4 + 65535 bytes: the length field is 16 bits).
#[derive(Debug, Default)]
pub struct ChunkDecoder {
    buf: BytesMut,
    /// Bytes consumed so far, for error messages.
    offset: u64,
}

impl ChunkDecoder {
    pub fn new() -> ChunkDecoder {
        ChunkDecoder::default()
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes pushed but not yet returned as chunks.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole chunk, `None` if more bytes are needed. A first byte other than 0x24 or
    /// 0xA4 is fatal: the stream has lost its framing and nothing after it can be trusted.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, MmshError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let first = self.buf[0];
        if first & 0x7F != 0x24 {
            return Err(ChunkError::NotAChunk {
                offset: self.offset,
                byte: first,
            }
            .into());
        }
        if self.buf.len() < FRAMING_LEN {
            return Ok(None);
        }
        let kind = ChunkKind::from_id(self.buf[1]);
        let len = usize::from(u16::from_le_bytes([self.buf[2], self.buf[3]]));
        if self.buf.len() < FRAMING_LEN + len {
            return Ok(None);
        }
        self.buf.advance(FRAMING_LEN);
        let body = self.buf.split_to(len).freeze();
        self.offset += (FRAMING_LEN + len) as u64;
        Ok(Some(Chunk {
            kind,
            burst: first & 0x80 != 0,
            body,
        }))
    }
}

/// Encodes a `$H`, `$D` or `$M` chunk. PacketLength and PacketSize are both 8 + payload, as
/// every client expects; the caller keeps the payload within 65535 - 8 bytes.
pub fn encode_mms_chunk(
    kind: ChunkKind,
    location_id: u32,
    incarnation: u8,
    af_flags: u8,
    payload: &[u8],
) -> Result<Vec<u8>, MmshError> {
    let head = encode_mms_chunk_head(kind, location_id, incarnation, af_flags, payload.len())?;
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
    Ok(out)
}

/// The framing and MMS data header that go before a payload of `payload_len` bytes in a
/// `$H`, `$D` or `$M` chunk, for a server that sends the payload from where it already is.
pub fn encode_mms_chunk_head(
    kind: ChunkKind,
    location_id: u32,
    incarnation: u8,
    af_flags: u8,
    payload_len: usize,
) -> Result<[u8; FRAMING_LEN + MMS_HEADER_LEN], MmshError> {
    let size = MMS_HEADER_LEN + payload_len;
    let size16 = u16::try_from(size).map_err(|_| ChunkError::PayloadTooLarge(payload_len))?;
    let [s0, s1] = size16.to_le_bytes();
    let [l0, l1, l2, l3] = location_id.to_le_bytes();
    Ok([
        0x24,
        kind.id(),
        s0,
        s1,
        l0,
        l1,
        l2,
        l3,
        incarnation,
        af_flags,
        s0,
        s1,
    ])
}

/// Encodes a `$E` or `$C` chunk with its Reason ([MS-WMSP] 2.2.3.2, 2.2.3.4).
pub fn encode_reason_chunk(kind: ChunkKind, reason: u32) -> [u8; 8] {
    let r = reason.to_le_bytes();
    [0x24, kind.id(), 4, 0, r[0], r[1], r[2], r[3]]
}

/// Encodes an ASF header (Header Object + Data Object prefix) as one or more `$H` chunks,
/// splitting at 65535 - 8 bytes with AFFlags 0x04 / 0x00 / 0x08, or 0x0C for a single piece
/// ([MS-WMSP] 2.2.3.1.2, 2.2.3.5).
pub fn encode_header_chunks(header: &[u8]) -> Vec<u8> {
    let piece = MAX_MMS_PACKET - MMS_HEADER_LEN;
    let pieces: Vec<&[u8]> = if header.is_empty() {
        vec![header]
    } else {
        header.chunks(piece).collect()
    };
    let n = pieces.len();
    let mut out = Vec::with_capacity(header.len() + n * (FRAMING_LEN + MMS_HEADER_LEN));
    for (i, p) in pieces.into_iter().enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= AF_FIRST;
        }
        if i + 1 == n {
            flags |= AF_LAST;
        }
        // Each piece is within `piece` bytes, so encoding cannot fail.
        if let Ok(c) = encode_mms_chunk(ChunkKind::Header, i as u32, 0, flags, p) {
            out.extend_from_slice(&c);
        }
    }
    out
}

/// The nominal `$P` sizes of [MS-WMSP] 2.2.3.7: the pair's packets, then the third one.
pub const PAIR_LEN: usize = 504;
pub const PAIR_THIRD_LEN: usize = 1048;

/// Encodes the three `$P` chunks a Describe answer starts with when the client asked for a
/// packet-pair experiment ([MS-WMSP] 2.2.3.7). `head_len` is the length of the HTTP head
/// before them: the Reason field is the smaller of it and 504, and the first payload is
/// 504 - Reason bytes so the head and the first `$P` fill a nominal 512-byte segment; the
/// second carries 504 bytes and the third 1048 + Reason. The spec's PacketLength values
/// (504, 1048) disagree with those payload sizes, and every client frames a chunk by its
/// PacketLength, so ours states the bytes that really follow (Reason + payload). Payloads are
/// high-entropy bytes from `seed` so no link compression can shrink them.
pub fn encode_packet_pair_chunks(head_len: usize, seed: u64) -> Vec<u8> {
    let reason = head_len.min(PAIR_LEN);
    let payloads = [PAIR_LEN - reason, PAIR_LEN, PAIR_THIRD_LEN + reason];
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(3 * (FRAMING_LEN + 4) + payloads.iter().sum::<usize>());
    for n in payloads {
        // n + 4 <= 1048 + 504 + 4, far within u16.
        let len = (n + 4) as u16;
        out.extend_from_slice(&[0x24, ChunkKind::PacketPair.id()]);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(reason as u32).to_le_bytes());
        for _ in 0..n {
            // xorshift64: cheap, and entropic enough to defeat compression.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.push(state as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_pair_chunks_follow_the_sizes_of_the_spec() {
        let wire = encode_packet_pair_chunks(300, 7);
        let mut d = ChunkDecoder::new();
        d.push(&wire);
        let mut bodies = Vec::new();
        while let Some(c) = d.next_chunk().unwrap() {
            assert_eq!(c.kind, ChunkKind::PacketPair);
            assert_eq!(c.reason(), 300);
            bodies.push(c.body);
        }
        let lens: Vec<usize> = bodies.iter().map(|b| b.len()).collect();
        assert_eq!(lens, [4 + 204, 4 + 504, 4 + 1048 + 300]);
        // The head and the first `$P` fill 512 bytes; the pair's second packet is 512 too.
        assert_eq!(300 + FRAMING_LEN + lens[0], 512);
        assert_eq!(FRAMING_LEN + lens[1], 512);
        assert_ne!(bodies[1][4..], bodies[2][4..508], "payloads must differ");
        // A head longer than 504 bytes caps Reason and leaves the first payload empty.
        let long = encode_packet_pair_chunks(9000, 1);
        assert_eq!(long.len(), 3 * 8 + 504 + 1048 + 504);
        assert_eq!(&long[4..8], &504u32.to_le_bytes());
    }

    #[test]
    fn verify_round_trip_byte_by_byte() {
        let mut wire = encode_mms_chunk(ChunkKind::Data, 7, 1, 3, b"hello").unwrap();
        wire.extend_from_slice(&encode_reason_chunk(ChunkKind::End, 0));
        let mut d = ChunkDecoder::new();
        let mut got = Vec::new();
        for b in &wire {
            d.push(&[*b]);
            while let Some(c) = d.next_chunk().unwrap() {
                got.push(c);
            }
        }
        assert_eq!(got.len(), 2);
        let p = got[0].mms_packet().unwrap();
        assert_eq!((p.location_id, p.incarnation, p.af_flags), (7, 1, 3));
        assert_eq!(&p.payload[..], b"hello");
        assert_eq!(got[1].kind, ChunkKind::End);
        assert_eq!(got[1].reason(), 0);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn verify_b_flag_and_garbage() {
        let mut d = ChunkDecoder::new();
        d.push(&[0xA4, b'E', 4, 0, 1, 0, 0, 0]);
        let c = d.next_chunk().unwrap().unwrap();
        assert!(c.burst);
        assert_eq!(c.reason(), 1);
        d.push(b"HTTP/1.0 200 OK");
        assert!(d.next_chunk().is_err());
    }

    #[test]
    fn verify_vlc_describe_header_chunk() {
        // The first bytes of VLC's `$H` (protocols.md 6A.3): 24 48 len 0 0 0 0 0 0C len.
        let c = encode_mms_chunk(ChunkKind::Header, 0, 0, 0x0C, &[0u8; 544]).unwrap();
        assert_eq!(
            &c[..12],
            &[0x24, 0x48, 0x28, 0x02, 0, 0, 0, 0, 0, 0x0C, 0x28, 0x02]
        );
    }

    #[test]
    fn verify_split_header() {
        let h: Vec<u8> = (0..150_000u32).map(|i| i as u8).collect();
        let wire = encode_header_chunks(&h);
        let mut d = ChunkDecoder::new();
        d.push(&wire);
        let mut flags = Vec::new();
        let mut joined = Vec::new();
        while let Some(c) = d.next_chunk().unwrap() {
            let p = c.mms_packet().unwrap();
            flags.push(p.af_flags);
            joined.extend_from_slice(&p.payload);
        }
        assert_eq!(flags, vec![AF_FIRST, 0, AF_LAST]);
        assert_eq!(joined, h);
    }

    #[test]
    fn verify_packet_size_beyond_chunk_is_rejected() {
        let mut c = encode_mms_chunk(ChunkKind::Data, 0, 0, 0, &[1, 2, 3]).unwrap();
        c[10] = 0xFF; // PacketSize claims more than the chunk holds
        let mut d = ChunkDecoder::new();
        d.push(&c);
        assert!(d.next_chunk().unwrap().unwrap().mms_packet().is_err());
    }
}
