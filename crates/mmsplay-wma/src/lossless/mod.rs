//! The WMA Lossless engine (format tag 0x0163, "Windows Media Audio 9 Lossless").
//!
//! A time-domain lossless coder. Packets of `nBlockAlign` bytes carry frames of 2^N samples
//! per channel through a bit reservoir (`reservoir`); each frame is cut into tiles
//! (`tiling`); each tile's residual (`residual`) is run back through cascaded sign-LMS
//! filters per channel (`cdlms`), a multi-channel sign-LMS (`mclms`), a stereo lifting step
//! and a short fixed predictor (`filters`), then multiplied by a quantiser step (`frame`).
//! Everything is integer arithmetic and reproduces the reference decoder (FFmpeg's) sample
//! for sample; its wrapping and clamping rules are spelled out where they happen.
//!
//! Packets and frames (the order of work mirrors the reference exactly, because it decides
//! which frames survive damage):
//! * Packet header: sequence number (4 bits), a seekable flag and a splice flag (1 bit each,
//!   unused), then the number of bits at the start of the payload that finish the frame begun
//!   in earlier packets.
//! * Frames carry no length (unless the stream sets the length-prefix flag), so a frame's end
//!   is known only by decoding it. Frames that start in a packet are therefore decoded when
//!   the next packet has supplied the rest of the last one: one packet of latency, with the
//!   final frames coming out of [`Engine::flush`].
//! * A sequence gap, a damaged frame or a seek drops the reservoir; decoding resumes with the
//!   frames that start in the next packet, and the filters wait for a seekable tile.

mod cdlms;
mod filters;
mod frame;
mod mclms;
mod params;
mod reservoir;
mod residual;
mod tiling;

use symphonia_core::errors::{Result as SymResult, unsupported_error};

use crate::bitreader::BitReader;
use crate::engine::{DecodeError, Engine, Format};
use frame::FrameDecoder;
use params::Params;
use reservoir::Reservoir;

/// The most bytes the reservoir may hold per channel (the reference's limit).
const MAX_RESERVOIR_PER_CHANNEL: usize = 32768;

/// Most samples per channel one packet may decode to. Real packets hold a few frames; a
/// packet of many near-empty frames (digital silence can be coded in a few bits per frame)
/// could otherwise expand without bound.
const MAX_SAMPLES_PER_PACKET: usize = 1 << 21;

pub(crate) struct LosslessEngine {
    frames: FrameDecoder,
    reservoir: Reservoir,
    /// Set at the start, after a seek and after damage: the reservoir holds no usable frame
    /// start, and the next packet's sequence number is not checked.
    loss: bool,
    last_seq: u32,
    eof_done: bool,
}

impl LosslessEngine {
    pub(crate) fn new(w: &Format) -> SymResult<Self> {
        match Params::new(w) {
            Ok(p) => Ok(LosslessEngine {
                frames: FrameDecoder::new(p),
                reservoir: Reservoir::default(),
                loss: true,
                last_seq: 0,
                eof_done: false,
            }),
            Err(e) => unsupported_error(e),
        }
    }

    fn reservoir_limit(&self) -> usize {
        MAX_RESERVOIR_PER_CHANNEL * self.frames.p.channels * 8
    }

    /// One WMA packet (at most `block_align` bytes). Returns the first error met; the state
    /// afterwards is the reference's in every case.
    fn decode_packet(&mut self, pkt: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        let log2_fs = self.frames.p.log2_frame_size;
        let header_bits = 6 + log2_fs as usize;
        let total = pkt.len() * 8;
        if total < header_bits {
            self.loss = true;
            self.reservoir.clear();
            return Err(DecodeError("wmalossless: packet shorter than its header"));
        }
        let mut r = BitReader::new(pkt);
        let seq = r.read(4);
        r.skip(2); // seekable-frame and splice flags: informative only
        let prev_bits = r.read(log2_fs) as usize;
        let mut error = None;
        if !self.loss && seq != (self.last_seq + 1) & 15 {
            self.loss = true;
            error = Some("wmalossless: packet lost (sequence gap)");
        }
        self.last_seq = seq;
        let avail = total - header_bits;
        let mut consumed = header_bits;
        if prev_bits > 0 {
            let n = prev_bits.min(avail);
            if self.reservoir.len() + n > self.reservoir_limit() {
                self.loss = true;
                error = error.or(Some("wmalossless: frame larger than the reservoir"));
            } else {
                self.reservoir.append(pkt, header_bits, n);
            }
            consumed += n;
            if prev_bits >= avail {
                // The packet only continues a frame.
                if self.loss {
                    self.reservoir.clear();
                    self.loss = false;
                }
                return error.map_or(Ok(()), |e| Err(DecodeError(e)));
            }
            if !self.loss {
                // The frame that this packet completes (its trailer bit is not used).
                let end = self.decode_frame(planes);
                if let Some(e) = end.error {
                    self.loss = true;
                    error = error.or(Some(e));
                }
            }
        }
        if self.loss {
            self.reservoir.clear();
            self.loss = false;
        }
        // The other frames that started in the previous packet.
        let start_len = planes.first().map_or(0, Vec::len);
        while self.reservoir.unread() > 0 {
            let end = self.decode_frame(planes);
            if let Some(e) = end.error {
                // The reference drops the rest of the packet and resynchronises on the next.
                self.loss = true;
                self.reservoir.clear();
                return Err(DecodeError(e));
            }
            if planes.first().map_or(0, Vec::len) - start_len > MAX_SAMPLES_PER_PACKET {
                self.loss = true;
                self.reservoir.clear();
                return Err(DecodeError(
                    "wmalossless: packet expands to too many samples",
                ));
            }
            if !end.more {
                break;
            }
        }
        // Keep the frames that start in this packet for the next one.
        self.reservoir.clear();
        let rest = total - consumed;
        if rest > 0 {
            if rest + 8 > self.reservoir_limit() {
                self.loss = true;
                error = error.or(Some("wmalossless: packet larger than the reservoir"));
            } else {
                self.reservoir.append(pkt, consumed, rest);
            }
        }
        error.map_or(Ok(()), |e| Err(DecodeError(e)))
    }

    fn decode_frame(&mut self, planes: &mut [Vec<f32>]) -> frame::FrameEnd {
        let mut r = self.reservoir.reader();
        let end = self.frames.decode_frame(&mut r, planes);
        self.reservoir.pos = r.pos();
        end
    }
}

impl Engine for LosslessEngine {
    fn decode(&mut self, data: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        let marks: Vec<usize> = planes.iter().map(Vec::len).collect();
        let block_align = self.frames.p.block_align;
        for pkt in data.chunks(block_align) {
            if let Err(e) = self.decode_packet(pkt, planes) {
                // A damaged packet yields nothing; the rest of the demuxer packet is dropped,
                // as in the reference.
                for (p, m) in planes.iter_mut().zip(&marks) {
                    p.truncate(*m);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Like the reference's flush: drop the reservoir and wait for a seekable tile; the
    /// filters' other state is kept.
    fn reset(&mut self) {
        self.loss = true;
        self.reservoir.clear();
        self.frames.wait_for_seekable();
        self.eof_done = false;
    }

    /// End of stream: the frames that started in the last packet.
    fn flush(&mut self, planes: &mut [Vec<f32>]) {
        if self.eof_done {
            return;
        }
        self.eof_done = true;
        let marks: Vec<usize> = planes.iter().map(Vec::len).collect();
        while !self.loss && self.reservoir.unread() > 0 {
            let end = self.decode_frame(planes);
            if end.error.is_some() {
                self.loss = true;
            }
            if end.error.is_some() || !end.more {
                break;
            }
            if planes.first().map_or(0, Vec::len) - marks.first().unwrap_or(&0)
                > MAX_SAMPLES_PER_PACKET
            {
                break;
            }
        }
        self.reservoir.clear();
    }

    fn codec_delay(&self) -> usize {
        0
    }

    /// A typical packet holds a few frames; the dispatcher's buffer grows beyond this when
    /// a packet of near-empty frames needs it.
    fn max_frames_per_packet(&self) -> usize {
        16 * self.frames.p.frame_len
    }
}
