//! Moving playback to another stream of the same header (a bitrate variant, a language) at a
//! media-object boundary, without a gap: the new stream's demuxer runs beside the current one,
//! and the move happens when the current stream reaches a time the new one has an object for.

use std::collections::VecDeque;

use mmsplay_asf::{Demuxer, MediaObject};

use super::codec::ChosenStream;

/// Most objects of the new stream held while waiting (a few seconds of any real stream).
const MAX_QUEUED: usize = 512;
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
}

impl PendingSwitch {
    pub fn new(to: ChosenStream, reason: String, demuxer: Demuxer) -> PendingSwitch {
        PendingSwitch {
            to,
            reason,
            demuxer,
            queue: VecDeque::new(),
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
        let cue = pts_ms - LEAD_MS;
        while self.queue.get(1).is_some_and(|o| o.pts_ms <= cue) {
            self.queue.pop_front();
        }
        let first = self.queue.front()?.pts_ms;
        (first <= cue).then(|| Start {
            objects: std::mem::take(&mut self.queue),
            at_ms: Some(pts_ms),
        })
    }

    /// Switch without the current stream's cue when it no longer arrives but the new one does.
    pub fn start_alone(&mut self) -> Option<Start> {
        let (first, last) = (self.queue.front()?.pts_ms, self.queue.back()?.pts_ms);
        (last - first >= ALONE_MS).then(|| Start {
            objects: std::mem::take(&mut self.queue),
            at_ms: None,
        })
    }
}
