//! Moving playback to another stream of the same header (a bitrate variant, a language) at a
//! media-object boundary, without a gap: the new stream's demuxer runs beside the current one,
//! and the move happens when the current stream reaches a time the new one has an object for.

use std::collections::VecDeque;

use mmsplay_asf::{Demuxer, MediaObject};

use super::codec::ChosenStream;

/// Most objects, and bytes, of the new stream held while waiting (seconds of any real audio
/// stream; the bytes bound holds whatever sizes a hostile stream declares).
const MAX_QUEUED: usize = 512;
const MAX_QUEUED_BYTES: usize = 4 << 20;
/// How far before the switch time the new stream starts decoding: a fresh decoder's output
/// begins a little after its first object's time (see `Decoder::start_lag_frames`), at most a
/// frame of WMA Pro (8192 samples, 186 ms at 44.1 kHz); what is early is skipped.
const LEAD_MS: i64 = 250;
/// When the current stream stops arriving (a server that switched streams for us), move once
/// the new one has this much queued.
const ALONE_MS: i64 = 1500;

/// Where the new stream starts: its objects from one a little before the switch time, and
/// the switch time (ms), from which its audio is wanted; `None` to play it all.
pub struct Start {
    pub objects: VecDeque<MediaObject>,
    pub at_ms: Option<i64>,
}

/// A move asked for and not yet made.
pub struct PendingSwitch {
    pub to: ChosenStream,
    pub reason: String,
    pub demuxer: Demuxer,
    queue: VecDeque<MediaObject>,
    queued_bytes: usize,
}

impl PendingSwitch {
    pub fn new(to: ChosenStream, reason: String, demuxer: Demuxer) -> PendingSwitch {
        PendingSwitch {
            to,
            reason,
            demuxer,
            queue: VecDeque::new(),
            queued_bytes: 0,
        }
    }

    /// Feeds a data packet to the new stream's demuxer.
    pub fn push_packet(&mut self, packet: &[u8]) {
        // A damaged packet is already reported by the current stream's demuxer.
        let _ = self.demuxer.push_packet(packet);
        while let Some(o) = self.demuxer.pop_stream(self.to.number) {
            self.queued_bytes += o.data.len();
            self.queue.push_back(o);
            while self.queue.len() > MAX_QUEUED || self.queued_bytes > MAX_QUEUED_BYTES {
                let Some(old) = self.queue.pop_front() else {
                    break;
                };
                self.queued_bytes -= old.data.len();
            }
        }
        // Other streams' objects (the command stream) are the current demuxer's to report
        // until the switch.
        while self.demuxer.pop().is_some() {}
    }

    /// The current stream's next object starts at `pts_ms`: switch here if the new stream has
    /// an object starting at least the lead before it. Objects before that one are dropped.
    pub fn start_at(&mut self, pts_ms: i64) -> Option<Start> {
        let cue = pts_ms - LEAD_MS;
        while self.queue.get(1).is_some_and(|o| o.pts_ms <= cue) {
            if let Some(old) = self.queue.pop_front() {
                self.queued_bytes -= old.data.len();
            }
        }
        let first = self.queue.front()?.pts_ms;
        (first <= cue).then(|| Start {
            objects: self.take(),
            at_ms: Some(pts_ms),
        })
    }

    /// Switch without the current stream's cue when it no longer arrives but the new one does.
    pub fn start_alone(&mut self) -> Option<Start> {
        let (first, last) = (self.queue.front()?.pts_ms, self.queue.back()?.pts_ms);
        (last - first >= ALONE_MS).then(|| Start {
            objects: self.take(),
            at_ms: None,
        })
    }

    fn take(&mut self) -> VecDeque<MediaObject> {
        self.queued_bytes = 0;
        std::mem::take(&mut self.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmsplay_asf::parse_header;
    use mmsplay_asf::writer::pcm_streams_header;

    fn pending() -> PendingSwitch {
        let h = parse_header(&pcm_streams_header(1000, &[1, 2], 128_000)).unwrap();
        let to = super::super::codec::chosen(&h, 2).unwrap();
        PendingSwitch::new(to, "loss".into(), Demuxer::new(&h, 2))
    }

    fn queue(p: &mut PendingSwitch, pts: &[i64], bytes: usize) {
        for t in pts {
            p.queued_bytes += bytes;
            p.queue.push_back(MediaObject {
                stream: 2,
                pts_ms: *t,
                key_frame: true,
                data: vec![0; bytes],
            });
        }
    }

    #[test]
    fn the_new_stream_starts_at_the_last_object_a_lead_before_the_cue() {
        let mut p = pending();
        queue(&mut p, &[0, 100, 200, 300, 400], 10);
        assert!(p.start_at(200).is_none(), "nothing 250 ms before 200");
        let s = p.start_at(420).unwrap();
        let first: Vec<i64> = s.objects.iter().map(|o| o.pts_ms).collect();
        assert_eq!(first, vec![100, 200, 300, 400]);
        assert_eq!(s.at_ms, Some(420));
        assert_eq!(p.queued_bytes, 0);
    }

    #[test]
    fn alone_it_starts_once_enough_is_queued() {
        let mut p = pending();
        queue(&mut p, &[0, 1000], 10);
        assert!(p.start_alone().is_none());
        queue(&mut p, &[1600], 10);
        assert_eq!(p.start_alone().unwrap().at_ms, None);
    }

    #[test]
    fn the_queue_is_bounded_in_bytes() {
        let mut p = pending();
        let mut packets = mmsplay_asf::Packetizer::new(1000);
        for i in 0..3 {
            packets.push_object(2, 100 + i * 100, true, &vec![7; 2 << 20]);
        }
        packets.flush();
        for pk in packets.take_packets() {
            p.push_packet(&pk);
        }
        assert!(p.queued_bytes <= MAX_QUEUED_BYTES);
        let kept: Vec<i64> = p.queue.iter().map(|o| o.pts_ms).collect();
        assert_eq!(kept, vec![200, 300], "the oldest went");
    }
}
