//! The client's reading of a Describe or Play body ([MS-WMSP] 3.1.5): `$H` pieces assembled
//! into the ASF header, `$D` packets checked against the header's packet size with their
//! LocationId sequence, `$E`/`$C` stream ends and changes, `$M` metadata. Sans-IO: push body
//! bytes, pull [`BodyEvent`]s.

use bytes::Bytes;
use mmsplay_asf::header::DATA_OBJECT_FIXED_LEN;

use super::chunk::{AF_FIRST, AF_LAST, ChunkDecoder, ChunkKind, FRAMING_LEN};
use super::{ChunkError, MmshError};

/// Largest ASF header (Header Object + Data Object prefix) we assemble from `$H` pieces.
/// Real headers are a few KiB; album art can make them a few hundred.
pub const MAX_HEADER_LEN: usize = 4 * 1024 * 1024;

/// `$E` reasons ([MS-WMSP] 2.2.3.4).
pub const EOS_OK: u32 = 0;
pub const EOS_ENTRY_DONE: u32 = 1;
pub const EOS_RECEDING: u32 = 0x000D_2F09;

/// What a body yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyEvent {
    /// A complete ASF header, new or changed (an identical repeat is not reported).
    Header(Bytes),
    /// A data packet as received (possibly shorter than the packet size: padding stripped).
    Packet(Bytes),
    /// `n` packets missing before the next one (LocationId jumped), or one bad packet skipped.
    Gap(u64),
    /// `$M` metadata text.
    Meta(String),
    /// `$E`: the stream (or the last playlist entry) ended.
    End,
    /// `$P`: one packet-pair probe of `wire_len` bytes (framing included) arrived.
    PacketPair { wire_len: usize },
}

/// The body reader of one response.
#[derive(Debug, Default)]
pub struct BodyReader {
    chunks: ChunkDecoder,
    /// `$H` pieces being assembled.
    partial: Vec<u8>,
    assembling: bool,
    header: Option<Bytes>,
    packet_size: u32,
    last_location: Option<u32>,
    ended: bool,
    /// A packet held back while its preceding gap is reported.
    pending_packet: Option<Bytes>,
}

impl BodyReader {
    pub fn new() -> BodyReader {
        BodyReader::default()
    }

    pub fn push(&mut self, data: &[u8]) {
        self.chunks.push(data);
    }

    /// Bytes held (undecoded chunk bytes plus a partial header).
    pub fn buffered(&self) -> usize {
        self.chunks.buffered() + self.partial.len()
    }

    /// Starts with a header already known (from the Describe), so that the Play's repeat of it
    /// is not reported as a change and data may come without it.
    pub fn seed_header(&mut self, header: Bytes) -> Result<(), MmshError> {
        let parsed = mmsplay_asf::parse_header(&header).map_err(ChunkError::BadHeader)?;
        let size = parsed.packet_size();
        if size == 0 || size > mmsplay_asf::limits::MAX_PACKET_SIZE {
            return Err(ChunkError::BadPacketSize(size).into());
        }
        self.packet_size = size;
        self.header = Some(header);
        Ok(())
    }

    /// The current ASF header, once one arrived.
    pub fn header(&self) -> Option<&Bytes> {
        self.header.as_ref()
    }

    pub fn packet_size(&self) -> u32 {
        self.packet_size
    }

    /// The LocationId of the last `$D` (the ASF packet number), if any since the last header.
    pub fn last_location(&self) -> Option<u32> {
        self.last_location
    }

    /// Whether `$E` has ended the stream.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether a header is partly assembled (a body ending now would be truncated).
    pub fn mid_header(&self) -> bool {
        self.assembling
    }

    /// The next event, `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<BodyEvent>, MmshError> {
        if let Some(p) = self.pending_packet.take() {
            return Ok(Some(BodyEvent::Packet(p)));
        }
        while let Some(chunk) = self.chunks.next_chunk()? {
            if self.ended {
                // After `$E` only a new Play brings data; ignore trailing bytes.
                continue;
            }
            match chunk.kind {
                ChunkKind::Header => {
                    let p = chunk.mms_packet()?;
                    if let Some(h) = self.add_header_piece(p.af_flags, &p.payload)? {
                        return Ok(Some(BodyEvent::Header(h)));
                    }
                }
                ChunkKind::Data => {
                    let p = chunk.mms_packet()?;
                    if self.header.is_none() || self.assembling {
                        return Err(ChunkError::DataBeforeHeader.into());
                    }
                    let lost = self.note_location(p.location_id);
                    if p.payload.len() > self.packet_size as usize {
                        // A bad packet is skipped and counted, not fatal.
                        return Ok(Some(BodyEvent::Gap(lost + 1)));
                    }
                    if lost > 0 {
                        // Report the gap first; the packet comes on the next call.
                        self.pending_packet = Some(p.payload);
                        return Ok(Some(BodyEvent::Gap(lost)));
                    }
                    return Ok(Some(BodyEvent::Packet(p.payload)));
                }
                ChunkKind::End => match chunk.reason() {
                    EOS_ENTRY_DONE => {
                        // A `$C` and the next entry's header follow.
                    }
                    EOS_OK | EOS_RECEDING => {
                        self.ended = true;
                        return Ok(Some(BodyEvent::End));
                    }
                    r => {
                        return Err(MmshError::ServerEnded { hresult: r });
                    }
                },
                ChunkKind::Change => {
                    // The next entry's `$H` follows; its sequence starts afresh.
                    self.last_location = None;
                }
                ChunkKind::Meta => {
                    let p = chunk.mms_packet()?;
                    let text = p.payload.split(|b| *b == 0).next().unwrap_or(&[]);
                    return Ok(Some(BodyEvent::Meta(
                        String::from_utf8_lossy(text).into_owned(),
                    )));
                }
                ChunkKind::PacketPair => {
                    return Ok(Some(BodyEvent::PacketPair {
                        wire_len: FRAMING_LEN + chunk.body.len(),
                    }));
                }
                // We never ask for pipeline tests; skip them by their length.
                ChunkKind::Test | ChunkKind::Other(_) => {}
            }
        }
        Ok(None)
    }

    /// Adds one `$H` piece; returns the header once complete and different from the current
    /// one. The total length comes from the Header Object's size field, so a piece with the
    /// "last" flag is not needed (VLC marks every piece first+last) but is checked.
    fn add_header_piece(
        &mut self,
        af_flags: u8,
        payload: &[u8],
    ) -> Result<Option<Bytes>, MmshError> {
        if af_flags & AF_FIRST != 0 || !self.assembling {
            self.partial.clear();
            self.assembling = true;
        }
        if self.partial.len() + payload.len() > MAX_HEADER_LEN + DATA_OBJECT_FIXED_LEN {
            return Err(MmshError::HeaderTooLarge {
                limit_kib: MAX_HEADER_LEN / 1024,
            });
        }
        self.partial.extend_from_slice(payload);
        if self.partial.len() < 24 {
            if af_flags & AF_LAST != 0 {
                return Err(ChunkError::HeaderTruncated.into());
            }
            return Ok(None);
        }
        let object_len =
            mmsplay_asf::header_object_len(&self.partial).map_err(ChunkError::BadHeader)?;
        if object_len > MAX_HEADER_LEN {
            return Err(MmshError::HeaderTooLarge {
                limit_kib: MAX_HEADER_LEN / 1024,
            });
        }
        let need = object_len + DATA_OBJECT_FIXED_LEN;
        if self.partial.len() < need {
            if af_flags & AF_LAST != 0 {
                return Err(ChunkError::HeaderTruncatedAt {
                    got: self.partial.len(),
                    need,
                }
                .into());
            }
            return Ok(None);
        }
        self.partial.truncate(need);
        self.assembling = false;
        let bytes = Bytes::from(std::mem::take(&mut self.partial));
        // A repeated identical header (VLC re-sends it when looping) is not a change.
        if self.header.as_ref() == Some(&bytes) {
            self.last_location = None;
            return Ok(None);
        }
        let parsed = mmsplay_asf::parse_header(&bytes).map_err(ChunkError::BadHeader)?;
        let size = parsed.packet_size();
        if size == 0 || size > mmsplay_asf::limits::MAX_PACKET_SIZE {
            return Err(ChunkError::BadPacketSize(size).into());
        }
        self.packet_size = size;
        self.header = Some(bytes.clone());
        // LocationIds after a header start a new sequence (VLC shares one counter between `$H`
        // and `$D`; a spec server restarts packet numbers for a new entry).
        self.last_location = None;
        Ok(Some(bytes))
    }

    /// Records a `$D` LocationId; returns how many packets were skipped before it. A backwards
    /// step (rewind, live loop, a new Play) restarts the sequence.
    fn note_location(&mut self, loc: u32) -> u64 {
        let lost = match self.last_location {
            Some(last) if loc > last => u64::from(loc - last - 1),
            _ => 0,
        };
        self.last_location = Some(loc);
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::super::chunk::{
        encode_header_chunks, encode_mms_chunk, encode_packet_pair_chunks, encode_reason_chunk,
    };
    use super::*;

    /// A minimal valid header from the asf writer, packet size 100.
    pub(crate) fn test_header() -> Vec<u8> {
        let spec = mmsplay_asf::HeaderSpec {
            packet_size: 100,
            data_packets: 10,
            streams: vec![mmsplay_asf::AudioStreamSpec {
                number: 1,
                format: mmsplay_asf::WaveFormatEx::pcm(1, 8000, 16),
                spread: None,
                bitrate: 128_000,
            }],
            ..Default::default()
        };
        mmsplay_asf::write_header(&spec)
    }

    fn data(loc: u32, len: usize) -> Vec<u8> {
        encode_mms_chunk(ChunkKind::Data, loc, 0, loc as u8, &vec![0x82; len]).unwrap()
    }

    fn drain(r: &mut BodyReader) -> Vec<BodyEvent> {
        let mut v = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            v.push(e);
        }
        v
    }

    #[test]
    fn verify_play_body() {
        let h = test_header();
        // A Describe's packet-pair probe before the header: three `$P`, each reported.
        let mut wire = encode_packet_pair_chunks(200, 9);
        wire.extend(encode_header_chunks(&h));
        wire.extend(data(0, 100));
        wire.extend(data(1, 60)); // stripped padding
        wire.extend(data(4, 100)); // two lost
        wire.extend(data(5, 101)); // too long: skipped, counted
        wire.extend(encode_header_chunks(&h)); // identical repeat: silent
        wire.extend(data(9, 100)); // after a header: no gap
        wire.extend(encode_reason_chunk(ChunkKind::End, 0));
        let mut r = BodyReader::new();
        r.push(&wire);
        let ev = drain(&mut r);
        let kinds: Vec<String> = ev
            .iter()
            .map(|e| match e {
                BodyEvent::Header(_) => "H".into(),
                BodyEvent::Packet(p) => format!("P{}", p.len()),
                BodyEvent::Gap(n) => format!("G{n}"),
                BodyEvent::Meta(_) => "M".into(),
                BodyEvent::End => "E".into(),
                BodyEvent::PacketPair { wire_len } => format!("pp{wire_len}"),
            })
            .collect();
        assert_eq!(kinds[..3], ["pp312", "pp512", "pp1256"]);
        assert_eq!(
            kinds[3..],
            ["H", "P100", "P60", "G2", "P100", "G1", "P100", "E"]
        );
        assert!(r.ended());
    }

    #[test]
    fn verify_errors() {
        let mut r = BodyReader::new();
        r.push(&data(0, 10));
        assert!(r.next_event().is_err(), "data before header");
        let mut r = BodyReader::new();
        r.push(&encode_reason_chunk(ChunkKind::End, 0x8007_0005));
        assert!(r.next_event().is_err(), "error reason");
        // A header claiming 100 MB.
        let mut h = test_header();
        h[16..24].copy_from_slice(&100_000_000u64.to_le_bytes());
        let mut r = BodyReader::new();
        r.push(&encode_mms_chunk(ChunkKind::Header, 0, 0, AF_FIRST, &h[..]).unwrap());
        assert!(matches!(
            r.next_event(),
            Err(MmshError::HeaderTooLarge { .. }) | Err(MmshError::Chunk(_))
        ));
        // Truncated with the last flag.
        let h = test_header();
        let mut r = BodyReader::new();
        r.push(
            &encode_mms_chunk(
                ChunkKind::Header,
                0,
                0,
                AF_FIRST | AF_LAST,
                &h[..h.len() - 1],
            )
            .unwrap(),
        );
        assert!(r.next_event().is_err());
    }
}
