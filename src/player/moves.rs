//! Moving in a stream during playback: seeks (the TUI's arrow keys, `--start`) and the resume
//! after a long pause, for files (the reader moves) and network streams (the feed opens a new
//! session at the position). The decode thread asks; what comes before the new header is
//! dropped, and the pipeline trims the new place's audio to the sample.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::SeekRequests;
use super::feed::FeedControl;
use super::pipeline::Pipeline;
use super::source::SEEK_LEAD_MS;
use crate::audio::AudioControl;

/// How an opened target moves during playback.
#[derive(Clone, Debug)]
pub(super) enum Mover {
    /// The file reader's seek slot (absolute positions in ms).
    File(Arc<SeekRequests>),
    /// The network feed: a new session at the position.
    Net(Arc<FeedControl>),
}

/// Where playback lands once the new place's header arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Landing {
    /// A seek: at this position (ms), announced with a `seek` event.
    Ms(u64),
    /// A resume: at exactly this stream position (frames), unannounced.
    Frame(u64),
    /// A live stream rejoined: wherever it is now.
    Live,
}

impl Landing {
    /// Sets up `pipe`, fresh from the new header, to start there.
    pub(super) fn apply(self, pipe: &mut Pipeline) {
        match self {
            Landing::Ms(ms) => pipe.seek_to(ms),
            Landing::Frame(f) => pipe.seek_to_frame(f),
            Landing::Live => {}
        }
    }
}

impl Mover {
    /// Asks for the stream from `to_ms` (presentation time, preroll excluded) on. A server is
    /// asked for a little before it: the decoder needs the frames before the target, and the
    /// pipeline drops what they decode to.
    pub(super) fn seek(&self, to_ms: u64) -> Landing {
        match self {
            Mover::File(slot) => slot.set(i64::try_from(to_ms).unwrap_or(i64::MAX)),
            Mover::Net(net) => net.seek(to_ms.saturating_sub(SEEK_LEAD_MS)),
        }
        Landing::Ms(to_ms)
    }

    /// Whether `to_ms` lies past the end of a network stream with this header: a server has
    /// nothing to send from there, so playback ends instead. (A file's reader finds its end by
    /// itself, to the packet.)
    pub(super) fn past_end(&self, header: Option<&mmsplay_asf::Header>, to_ms: u64) -> bool {
        matches!(self, Mover::Net(_))
            && header
                .and_then(|h| h.file.duration_ms())
                .is_some_and(|d| d > 0 && to_ms >= d)
    }

    /// After a long pause let the server go, the stream from where the written audio ends (a
    /// live stream: from now); `None` when the server was not let go.
    pub(super) fn resume(&self, pipe: &Pipeline, live: bool) -> Option<Landing> {
        let Mover::Net(net) = self else { return None };
        if !net.take_released() {
            return None;
        }
        if live {
            net.seek(0);
            return Some(Landing::Live);
        }
        net.seek(pipe.position_ms().saturating_sub(SEEK_LEAD_MS));
        Some(Landing::Frame(pipe.position_frames()))
    }
}

/// Holds the decode thread while the output is paused (a file or WAV output would otherwise
/// run on; a sound device's queue simply stops being played), until resumed or stopped.
pub(super) fn hold_while_paused(control: &AudioControl, stop: &AtomicBool) {
    while control.paused() && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
}
