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

/// Turns data packets into the media objects of the chosen streams (the audio, and the
/// script-command stream when there is one), parsing each packet once.
pub struct Demuxer {
    packet_size: u32,
    preroll_ms: i64,
    streams: Vec<Assembler>,
    stats: DemuxStats,
}

/// Reassembly state of one stream.
struct Assembler {
    stream: u8,
    spread: Option<AudioSpread>,
    pending: Option<Pending>,
    ready: VecDeque<MediaObject>,
}

impl Demuxer {
    /// A demuxer for stream `stream` of the stream described by `header`.
    pub fn new(header: &Header, stream: u8) -> Demuxer {
        Self::for_streams(header, &[stream])
    }

    /// A demuxer for several streams of the stream described by `header`; each stream's
    /// objects are taken with [`Demuxer::pop_stream`].
    pub fn for_streams(header: &Header, streams: &[u8]) -> Demuxer {
        let mut assemblers: Vec<Assembler> = Vec::new();
        for &stream in streams {
            if assemblers.iter().any(|a| a.stream == stream) {
                continue;
            }
            let spread = header
                .stream(stream)
                .and_then(|s| s.spread.clone())
                .filter(|s| s.is_active());
            assemblers.push(Assembler {
                stream,
                spread,
                pending: None,
                ready: VecDeque::new(),
            });
        }
        Demuxer {
            packet_size: header.packet_size(),
            preroll_ms: i64::try_from(header.file.preroll_ms).unwrap_or(0),
            streams: assemblers,
            stats: DemuxStats::default(),
        }
    }

    pub fn stats(&self) -> &DemuxStats {
        &self.stats
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
        let preroll_ms = self.preroll_ms;
        for p in &payloads {
            if let Some(a) = self.streams.iter_mut().find(|a| a.stream == p.stream) {
                a.push_payload(p, info.send_time_ms, preroll_ms, &mut self.stats);
            }
        }
        Ok(())
    }

    /// Says that packets were lost here: a half-built object cannot be completed.
    pub fn note_gap(&mut self) {
        for a in &mut self.streams {
            if let Some(p) = a.pending.take() {
                a.finish(p, true, self.preroll_ms, &mut self.stats);
            }
        }
    }

    /// Ends the stream: a pending object with holes is dropped, a whole one is emitted.
    pub fn flush(&mut self) {
        self.note_gap();
    }

    /// The next whole media object of the first stream that has one.
    pub fn pop(&mut self) -> Option<MediaObject> {
        self.streams.iter_mut().find_map(|a| a.ready.pop_front())
    }

    /// The next whole media object of stream `stream`.
    pub fn pop_stream(&mut self, stream: u8) -> Option<MediaObject> {
        self.streams
            .iter_mut()
            .find(|a| a.stream == stream)
            .and_then(|a| a.ready.pop_front())
    }
}

impl Assembler {
    fn push_payload(
        &mut self,
        p: &Payload<'_>,
        send_time_ms: u32,
        preroll_ms: i64,
        stats: &mut DemuxStats,
    ) {
        match &p.data {
            PayloadData::Compressed {
                pts_ms,
                delta_ms,
                data,
            } => {
                for (pts, sub) in Payload::sub_payloads(data, *pts_ms, *delta_ms) {
                    self.emit(pts, p.key_frame, sub.to_vec(), preroll_ms, stats);
                }
            }
            PayloadData::Bare { data, .. } => {
                self.emit(send_time_ms, p.key_frame, data.to_vec(), preroll_ms, stats);
            }
            PayloadData::Fragment {
                offset,
                object_size,
                pts_ms,
                data,
            } => {
                let frag = Fragment {
                    offset: *offset,
                    size: *object_size,
                    pts: *pts_ms,
                    data,
                };
                self.push_fragment(p, frag, preroll_ms, stats);
            }
        }
    }

    fn push_fragment(
        &mut self,
        p: &Payload<'_>,
        f: Fragment<'_>,
        preroll_ms: i64,
        stats: &mut DemuxStats,
    ) {
        let Fragment {
            offset,
            size,
            pts,
            data,
        } = f;
        if size == 0 || size > MAX_OBJECT_SIZE {
            return;
        }
        let starts_new = match &self.pending {
            Some(pend) => pend.object_number != p.object_number || pend.data.len() != size as usize,
            None => true,
        };
        if starts_new {
            if let Some(old) = self.pending.take() {
                self.finish(old, true, preroll_ms, stats);
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
            self.finish(done, false, preroll_ms, stats);
        }
    }

    /// Emits a pending object. One that lost fragments is dropped: a decoder given half a WMA
    /// superframe produces noise, and the gap is already counted by the transport.
    fn finish(&mut self, p: Pending, cut_short: bool, preroll_ms: i64, stats: &mut DemuxStats) {
        if cut_short || p.holes || p.filled != p.data.len() {
            stats.incomplete_objects += 1;
            return;
        }
        self.emit(p.pts_ms, p.key_frame, p.data, preroll_ms, stats);
    }

    fn emit(
        &mut self,
        pts: u32,
        key_frame: bool,
        mut data: Vec<u8>,
        preroll_ms: i64,
        stats: &mut DemuxStats,
    ) {
        if let Some(s) = &self.spread {
            data = descramble(s, data);
        }
        stats.objects += 1;
        self.ready.push_back(MediaObject {
            stream: self.stream,
            pts_ms: i64::from(pts) - preroll_ms,
            key_frame,
            data,
        });
    }
}

/// One fragment of a media object, as a payload carries it.
struct Fragment<'a> {
    offset: u32,
    size: u32,
    pts: u32,
    data: &'a [u8],
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
