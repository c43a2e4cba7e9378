//! Moving playback to another stream of the same header (a bitrate variant, a language) at a
//! media-object boundary, without a gap: the new stream's demuxer runs beside the current one,
//! and the move happens when the current stream reaches a time the new one has an object for.

use std::collections::VecDeque;

use mmsplay_asf::{Demuxer, MediaObject};

use super::codec::ChosenStream;

/// Most objects of the new stream held while waiting (a few seconds of any real stream).
const MAX_QUEUED: usize = 512;
/// When the current stream stops arriving (a server that switched streams for us), move once
/// the new one has this much queued.
const ALONE_MS: i64 = 1500;

/// Where the new stream starts: its objects from the one that covers the switch time, and how
/// far (ms) that first object starts before the switch time.
pub struct Start {
    pub objects: VecDeque<MediaObject>,
    pub skip_ms: i64,
}

/// A move asked for and not yet made.
pub struct PendingSwitch {
    pub to: ChosenStream,
    pub reason: String,
    pub demuxer: Demuxer,
    queue: VecDeque<MediaObject>,
    /// How far before the switch time the new stream must start: the old decoder's output
    /// ends short of the switch time by what its delay holds back, which the new stream fills.
    lead_ms: i64,
}

impl PendingSwitch {
    pub fn new(to: ChosenStream, reason: String, demuxer: Demuxer, lead_ms: i64) -> PendingSwitch {
        PendingSwitch {
            to,
            reason,
            demuxer,
            queue: VecDeque::new(),
            lead_ms: lead_ms.max(0),
        }
    }

    /// Feeds a data packet to the new stream's demuxer.
    pub fn push_packet(&mut self, packet: &[u8]) {
        // A damaged packet is already reported by the current stream's demuxer.
        let _ = self.demuxer.push_packet(packet);
        while let Some(o) = self.demuxer.pop() {
            self.queue.push_back(o);
            if self.queue.len() > MAX_QUEUED {
                self.queue.pop_front();
            }
        }
    }

    /// The current stream's next object starts at `pts_ms`: switch here if the new stream has
    /// an object starting at least the lead before it. Objects before that one are dropped.
    pub fn start_at(&mut self, pts_ms: i64) -> Option<Start> {
        let cue = pts_ms - self.lead_ms;
        while self.queue.get(1).is_some_and(|o| o.pts_ms <= cue) {
            self.queue.pop_front();
        }
        let first = self.queue.front()?.pts_ms;
        (first <= cue).then(|| Start {
            objects: std::mem::take(&mut self.queue),
            skip_ms: pts_ms - first,
        })
    }

    /// Switch without the current stream's cue when it no longer arrives but the new one does.
    pub fn start_alone(&mut self) -> Option<Start> {
        let (first, last) = (self.queue.front()?.pts_ms, self.queue.back()?.pts_ms);
        (last - first >= ALONE_MS).then(|| Start {
            objects: std::mem::take(&mut self.queue),
            skip_ms: 0,
        })
    }
}
