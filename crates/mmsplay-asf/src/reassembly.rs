//! Media-object reassembly across packets (ASF spec 5.2.2), with gaps, and Audio Spread
//! descrambling.

use std::collections::VecDeque;

use crate::header::{AudioSpread, Header};
use crate::limits::MAX_OBJECT_SIZE;
use crate::packet::{Payload, PayloadData, parse_packet};

/// A whole media object of one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaObject {
    pub stream: u8,
    /// Presentation time in milliseconds with the preroll already subtracted (may be negative
    /// for streams that start before their preroll).
    pub pts_ms: i64,
    pub key_frame: bool,
    pub data: Vec<u8>,
}

/// Counters kept by the demuxer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemuxStats {
    pub packets: u64,
    /// Packets that could not be parsed and were skipped.
    pub bad_packets: u64,
    pub objects: u64,
    /// Objects dropped because fragments of them never arrived.
    pub incomplete_objects: u64,
}

struct Pending {
    object_number: u32,
    pts_ms: u32,
    key_frame: bool,
    data: Vec<u8>,
    filled: usize,
    /// Whether a fragment was missing (bytes were zero-filled).
    holes: bool,
}

/// Turns data packets into the media objects of one chosen stream.
pub struct Demuxer {
    stream: u8,
    packet_size: u32,
    preroll_ms: i64,
    spread: Option<AudioSpread>,
    pending: Option<Pending>,
    ready: VecDeque<MediaObject>,
    stats: DemuxStats,
    /// Bit n set: a payload of stream n arrived (every stream, not only the chosen one).
    seen: u128,
}

impl Demuxer {
    /// A demuxer for stream `stream` of the stream described by `header`.
    pub fn new(header: &Header, stream: u8) -> Demuxer {
        let spread = header
            .stream(stream)
            .and_then(|s| s.spread.clone())
            .filter(|s| s.is_active());
        Demuxer {
            stream,
            packet_size: header.packet_size(),
            preroll_ms: i64::try_from(header.file.preroll_ms).unwrap_or(0),
            spread,
            pending: None,
            ready: VecDeque::new(),
            stats: DemuxStats::default(),
            seen: 0,
        }
    }

    pub fn stats(&self) -> &DemuxStats {
        &self.stats
    }

    /// The stream whose objects this demuxer reassembles.
    pub fn stream(&self) -> u8 {
        self.stream
    }

    /// Whether payloads of `stream` have arrived: a server that honours stream selection sends
    /// only what was asked for, so an alternative can only be switched to once it is seen.
    pub fn has_seen(&self, stream: u8) -> bool {
        self.seen & (1u128 << (stream & 0x7F)) != 0
    }

    /// Feeds one data packet (padded or with its padding stripped). A packet that cannot be
    /// parsed is counted and skipped; it is returned as an error only for the caller's log.
    pub fn push_packet(&mut self, packet: &[u8]) -> crate::Result<()> {
        self.stats.packets += 1;
        let mut payloads = Vec::new();
        let result = parse_packet(packet, self.packet_size, &mut payloads);
        let info = match result {
            Ok(info) => info,
            Err(e) => {
                self.stats.bad_packets += 1;
                return Err(e);
            }
        };
        for p in &payloads {
            self.seen |= 1u128 << (p.stream & 0x7F);
            if p.stream != self.stream {
                continue;
            }
            self.push_payload(p, info.send_time_ms);
        }
        Ok(())
    }

    /// Says that packets were lost here: a half-built object cannot be completed.
    pub fn note_gap(&mut self) {
        if let Some(p) = self.pending.take() {
            self.finish(p, true);
        }
    }

    /// Ends the stream: a pending object with holes is dropped, a whole one is emitted.
    pub fn flush(&mut self) {
        self.note_gap();
    }

    /// The next whole media object, if any.
    pub fn pop(&mut self) -> Option<MediaObject> {
        self.ready.pop_front()
    }

    fn push_payload(&mut self, p: &Payload<'_>, send_time_ms: u32) {
        match &p.data {
            PayloadData::Compressed {
                pts_ms,
                delta_ms,
                data,
            } => {
                for (pts, sub) in Payload::sub_payloads(data, *pts_ms, *delta_ms) {
                    self.emit(pts, p.key_frame, sub.to_vec());
                }
            }
            PayloadData::Bare { data, .. } => {
                self.emit(send_time_ms, p.key_frame, data.to_vec());
            }
            PayloadData::Fragment {
                offset,
                object_size,
                pts_ms,
                data,
            } => {
                self.push_fragment(p, *offset, *object_size, *pts_ms, data);
            }
        }
    }

    fn push_fragment(&mut self, p: &Payload<'_>, offset: u32, size: u32, pts: u32, data: &[u8]) {
        if size == 0 || size > MAX_OBJECT_SIZE {
            return;
        }
        let starts_new = match &self.pending {
            Some(pend) => pend.object_number != p.object_number || pend.data.len() != size as usize,
            None => true,
        };
        if starts_new {
            if let Some(old) = self.pending.take() {
                self.finish(old, true);
            }
            if offset != 0 {
                // Joined mid-object (live stream) or lost the start: drop until a new object.
                return;
            }
            self.pending = Some(Pending {
                object_number: p.object_number,
                pts_ms: pts,
                key_frame: p.key_frame,
                data: vec![0; size as usize],
                filled: 0,
                holes: false,
            });
        }
        let Some(pend) = self.pending.as_mut() else {
            return;
        };
        let start = offset as usize;
        let Some(end) = start.checked_add(data.len()) else {
            return;
        };
        if end > pend.data.len() {
            return;
        }
        if start != pend.filled {
            pend.holes = true;
        }
        pend.data[start..end].copy_from_slice(data);
        pend.filled = end;
        if end == pend.data.len()
            && let Some(done) = self.pending.take()
        {
            self.finish(done, false);
        }
    }

    /// Emits a pending object. One that lost fragments is dropped: a decoder given half a WMA
    /// superframe produces noise, and the gap is already counted by the transport.
    fn finish(&mut self, p: Pending, cut_short: bool) {
        if cut_short || p.holes || p.filled != p.data.len() {
            self.stats.incomplete_objects += 1;
            return;
        }
        self.emit(p.pts_ms, p.key_frame, p.data);
    }

    fn emit(&mut self, pts: u32, key_frame: bool, mut data: Vec<u8>) {
        if let Some(s) = &self.spread {
            data = descramble(s, data);
        }
        self.stats.objects += 1;
        self.ready.push_back(MediaObject {
            stream: self.stream,
            pts_ms: i64::from(pts) - self.preroll_ms,
            key_frame,
            data,
        });
    }
}

/// Undoes Audio Spread. The object holds S virtual packets of K chunks of C bytes written
/// column-wise; output chunk `o` comes from input chunk `(o / S) + (o % S) * K` (FFmpeg
/// asfdec_f's loop, in our own formulation). Objects of any other size pass through.
pub fn descramble(s: &AudioSpread, data: Vec<u8>) -> Vec<u8> {
    permute(s, data, true)
}

/// The inverse of [`descramble`], for writers and tests.
pub fn scramble(s: &AudioSpread, data: Vec<u8>) -> Vec<u8> {
    permute(s, data, false)
}

fn permute(s: &AudioSpread, data: Vec<u8>, undo: bool) -> Vec<u8> {
    let span = usize::from(s.span);
    let c = usize::from(s.virtual_chunk_len);
    let p = usize::from(s.virtual_packet_len);
    if !s.is_active() || data.len() != span * p {
        return data;
    }
    let k = p / c;
    let mut out = vec![0u8; data.len()];
    for o in 0..span * k {
        let i = o / span + (o % span) * k;
        let (to, from) = if undo { (o, i) } else { (i, o) };
        out[to * c..(to + 1) * c].copy_from_slice(&data[from * c..(from + 1) * c]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_round_trips_and_permutes() {
        let s = AudioSpread {
            span: 2,
            virtual_packet_len: 6,
            virtual_chunk_len: 2,
            silence: vec![0],
        };
        let data: Vec<u8> = (0..12).collect();
        let sc = scramble(&s, data.clone());
        assert_ne!(sc, data);
        assert_eq!(descramble(&s, sc), data);
        // A wrongly sized object passes through untouched.
        assert_eq!(descramble(&s, vec![1, 2, 3]), vec![1, 2, 3]);
    }
}
