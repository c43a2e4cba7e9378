//! The WMA v1/v2 engine (format tags 0x0160 and 0x0161): superframes of `nBlockAlign` bytes,
//! each decoded by `superframe` → `frame`.

use symphonia_core::errors::{Result as SymResult, unsupported_error};

use crate::engine::{DecodeError, Engine, Format};
use crate::extradata::{Flags, TAG_WMAV1, TAG_WMAV2};
use crate::frame::{DecodeStats, FrameDecoder};
use crate::setup::Setup;
use crate::superframe::SuperframeDecoder;

/// A superframe of a few bytes can legally yield up to 15 silent frames.
const MAX_FRAMES_PER_SUPERFRAME: usize = 15;

/// Most samples per channel one packet may decode to (about 24 s at 44.1 kHz): a packet of
/// many tiny superframes is refused rather than expanded without bound.
const MAX_FRAMES_PER_PACKET: usize = 1 << 20;

pub(crate) struct ClassicEngine {
    inner: SuperframeDecoder,
    block_align: usize,
    eof_done: bool,
}

impl ClassicEngine {
    pub(crate) fn new(w: &Format) -> SymResult<Self> {
        let version = match w.format_tag {
            TAG_WMAV1 => 1,
            TAG_WMAV2 => 2,
            _ => return unsupported_error("wma: not a WMA v1/v2 format tag"),
        };
        if w.block_align == 0 {
            return unsupported_error("wma: block align must not be zero");
        }
        let flags = Flags::from_extra(version, &w.extra);
        let setup = Setup::new(
            version,
            usize::from(w.channels),
            w.sample_rate,
            u64::from(w.avg_bytes_per_sec) * 8,
            flags,
        )?;
        Ok(ClassicEngine {
            inner: SuperframeDecoder::new(FrameDecoder::new(setup)),
            block_align: usize::from(w.block_align),
            eof_done: false,
        })
    }

    /// Samples per channel in one frame (512, 1024 or 2048).
    pub(crate) fn frame_len(&self) -> usize {
        self.inner.frames.s.frame_len
    }

    pub(crate) fn stats(&self) -> &DecodeStats {
        &self.inner.frames.stats
    }

    pub(crate) fn flags2(&self) -> u16 {
        self.inner.frames.s.flags.flags2
    }
}

impl Engine for ClassicEngine {
    fn decode(&mut self, data: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        if !data.len().is_multiple_of(self.block_align) {
            return Err(DecodeError(
                "wma: packet is not a whole number of superframes",
            ));
        }
        // Every channel grows by the same number of samples, so one length marks them all
        // (and nothing is allocated per packet).
        let mark = planes.first().map_or(0, Vec::len);
        for sf in data.chunks_exact(self.block_align) {
            let res = self.inner.decode(sf, planes).map_err(DecodeError);
            let res = res.and_then(|()| {
                let grown = planes.first().map_or(0, Vec::len) - mark;
                if grown > MAX_FRAMES_PER_PACKET {
                    Err(DecodeError("wma: packet expands to too many samples"))
                } else {
                    Ok(())
                }
            });
            if let Err(e) = res {
                for p in planes.iter_mut() {
                    p.truncate(mark);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Like FFmpeg's flush: forget the bit reservoir; the overlap buffers and the noise
    /// generator position are kept.
    fn reset(&mut self) {
        self.inner.clear_reservoir();
        self.eof_done = false;
    }

    fn flush(&mut self, planes: &mut [Vec<f32>]) {
        if self.eof_done {
            return;
        }
        self.eof_done = true;
        self.inner.clear_reservoir();
        for (plane, tail) in planes.iter_mut().zip(self.inner.frames.tail()) {
            plane.extend_from_slice(tail);
        }
    }

    /// 2·frame_len: the first frame is only a half-overlapped window.
    fn codec_delay(&self) -> usize {
        2 * self.frame_len()
    }

    fn max_frames_per_packet(&self) -> usize {
        MAX_FRAMES_PER_SUPERFRAME * self.frame_len()
    }

    fn classic(&self) -> Option<&ClassicEngine> {
        Some(self)
    }
}
