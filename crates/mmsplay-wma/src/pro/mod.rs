//! The WMA Pro engine (format tag 0x0162: Windows Media Audio 9 and 10 Professional).
//!
//! Module map: `config` (extradata and everything derived from it) → the shared packet layer
//! (`crate::packets`) → `frame` (frame header, subframe loop, output and trims) with `tiling`
//! (tile header), `transform` (channel groups), `quant` (quantiser step, scale factors),
//! `coeffs` (spectral coefficients) and `synth` (dequantisation, IMDCT, windowed overlap).
//! Code books: `codes`, built from the numbers in `tables`.
//!
//! The behaviour follows FFmpeg's `wmapro` decoder, the de-facto reference: its output
//! length, alignment and error decisions are reproduced, so the first decoded frame is dropped
//! inside the engine (codec delay 0) and there is no end-of-stream drain. WMA 10 Pro's
//! low-bit-rate extension data is skipped; the baseband decodes as WMA 9 Pro (what FFmpeg
//! does too).

mod codes;
mod coeffs;
pub(crate) mod config;
mod frame;
mod quant;
mod synth;
pub(crate) mod tables;
mod tiling;
mod transform;

use symphonia_core::errors::{Result as SymResult, unsupported_error};

use crate::engine::{DecodeError, Engine, Format};
use crate::packets::{PacketConfig, PacketLayer, Variant};
use config::Config;
pub use frame::ProStats;
use frame::{MAX_SAMPLES_PER_PACKET, ProFrames};

pub(crate) struct ProEngine {
    packets: PacketLayer,
    frames: ProFrames,
}

impl ProEngine {
    pub(crate) fn new(w: &Format) -> SymResult<ProEngine> {
        let cfg = match Config::new(w) {
            Ok(c) => c,
            Err(e) => return unsupported_error(e),
        };
        let pc = match PacketConfig::new(Variant::Pro, cfg.block_align, cfg.len_prefix) {
            Ok(p) => p,
            Err(e) => return unsupported_error(e.0),
        };
        Ok(ProEngine {
            frames: ProFrames::new(cfg, pc.log2_frame_size),
            packets: PacketLayer::new(pc),
        })
    }

    pub(crate) fn stats(&self) -> &ProStats {
        &self.frames.stats
    }
}

impl Engine for ProEngine {
    /// Decodes every WMA packet of a demuxer packet. A damaged packet or frame ends the
    /// demuxer packet (as in the reference); the frames decoded before it are kept, and only
    /// when there are none is the packet an error.
    fn decode(&mut self, data: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        self.frames.frames_in_packet = 0;
        self.frames.samples_in_packet = 0;
        let marks: Vec<usize> = planes.iter().map(Vec::len).collect();
        match self.packets.decode(data, &mut self.frames, planes) {
            Ok(()) => Ok(()),
            Err(_) if planes.first().map(Vec::len) != marks.first().copied() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Like FFmpeg's flush: the next packet resynchronises, the next frame is dropped.
    fn reset(&mut self) {
        self.packets.reset();
        self.frames.reset();
    }

    /// Nothing is held back at the end: the last frame's trim gives the true end.
    fn flush(&mut self, _planes: &mut [Vec<f32>]) {}

    fn codec_delay(&self) -> usize {
        0
    }

    fn max_frames_per_packet(&self) -> usize {
        // Typical packets hold a few frames; the hard limit is enforced while decoding.
        (self.frames.cfg.spf * 16).min(MAX_SAMPLES_PER_PACKET)
    }

    fn pro(&self) -> Option<&ProEngine> {
        Some(self)
    }
}
