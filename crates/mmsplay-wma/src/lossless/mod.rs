//! The WMA Lossless engine (format tag 0x0163, "Windows Media Audio 9 Lossless").
//!
//! A time-domain lossless coder. Packets of `nBlockAlign` bytes carry frames of 2^N samples
//! per channel through a bit reservoir (the packet layer shared with WMA Pro,
//! [`crate::packets`]); each frame is cut into tiles
//! (`tiling`); each tile's residual (`residual`) is run back through cascaded sign-LMS
//! filters per channel (`cdlms`), a multi-channel sign-LMS (`mclms`), a stereo lifting step
//! and a short fixed predictor (`filters`), then multiplied by a quantiser step (`frame`).
//! Everything is integer arithmetic and reproduces the reference decoder (FFmpeg's) sample
//! for sample; its wrapping and clamping rules are spelled out where they happen.
//!
//! Frames carry no length (unless the stream sets the length-prefix flag), so a frame's end
//! is known only by decoding it: frames that start in a packet are decoded when the next
//! packet arrives, and the last ones come out of [`Engine::flush`]. A sequence gap, a damaged
//! frame or a seek drops the reservoir; decoding resumes with the frames that start in the
//! next packet, and the filters wait for the next seekable tile.

mod cdlms;
mod filters;
mod frame;
mod mclms;
mod params;
mod residual;
mod tiling;

use symphonia_core::errors::{Result as SymResult, unsupported_error};

use crate::engine::{DecodeError, Engine, Format};
use crate::packets::{MAX_FRAME_BYTES, PacketConfig, PacketLayer, Variant};
use frame::Decoder;
use params::Params;

/// Most samples per channel one demuxer packet (or the end-of-stream drain) may decode to.
/// Real packets hold a few frames, but digital silence can be coded in about 20 bits per
/// frame, so a damaged or hostile packet could otherwise expand to hundreds of megabytes.
const MAX_SAMPLES_PER_PACKET: usize = 1 << 21;

pub(crate) struct LosslessEngine {
    frames: Decoder,
    packets: PacketLayer,
    eof_done: bool,
}

impl LosslessEngine {
    pub(crate) fn new(w: &Format) -> SymResult<Self> {
        let p = match Params::new(w) {
            Ok(p) => p,
            Err(e) => return unsupported_error(e),
        };
        let cfg = match PacketConfig::new(Variant::Lossless, p.block_align, p.len_prefix) {
            Ok(c) => c.with_max_reservoir_bytes(MAX_FRAME_BYTES * p.channels),
            Err(e) => return unsupported_error(e.0),
        };
        Ok(LosslessEngine {
            frames: Decoder::new(p),
            packets: PacketLayer::new(cfg),
            eof_done: false,
        })
    }
}

impl Engine for LosslessEngine {
    fn decode(&mut self, data: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        let marks: Vec<usize> = planes.iter().map(Vec::len).collect();
        self.frames.budget = MAX_SAMPLES_PER_PACKET;
        let res = self.packets.decode(data, &mut self.frames, planes);
        if res.is_err() {
            // A damaged packet yields nothing (the layer has dropped the rest of it, as the
            // reference does, and resynchronises on the next).
            for (p, m) in planes.iter_mut().zip(&marks) {
                p.truncate(*m);
            }
        }
        res
    }

    /// Like the reference's flush: drop the reservoir and wait for a seekable tile; the
    /// filters' other state is kept.
    fn reset(&mut self) {
        self.packets.reset();
        self.frames.wait_for_seekable();
        self.eof_done = false;
    }

    /// End of stream: the frames that started in the last packet.
    fn flush(&mut self, planes: &mut [Vec<f32>]) {
        if self.eof_done {
            return;
        }
        self.eof_done = true;
        self.frames.budget = MAX_SAMPLES_PER_PACKET;
        self.packets.drain(&mut self.frames, planes);
    }

    fn codec_delay(&self) -> usize {
        0
    }

    fn bits_per_sample(&self) -> Option<u32> {
        Some(self.frames.p.bits)
    }

    /// A typical packet holds a few frames; the dispatcher's buffer grows beyond this when
    /// a packet of near-empty frames needs it.
    fn max_frames_per_packet(&self) -> usize {
        16 * self.frames.p.frame_len
    }
}
