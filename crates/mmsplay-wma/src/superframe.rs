//! Superframes and the bit reservoir (wma-decoder.md §3).
//!
//! A superframe is exactly `block_align` bytes. Without the reservoir it holds one frame.
//! With it, frames run across superframe boundaries: a header tells how many frames end in
//! this superframe and how many bits finish the frame begun in the previous one; the tail of
//! each superframe is kept to be joined with the next.

use crate::bitreader::BitReader;
use crate::frame::FrameDecoder;

/// Largest reservoir the reference accepts.
const MAX_CODED_SUPERFRAME_SIZE: usize = 32768;

pub(crate) struct SuperframeDecoder {
    pub(crate) frames: FrameDecoder,
    /// Saved tail of the previous superframe (its first byte may be partly consumed).
    resv: Vec<u8>,
    /// Bits of `resv[0]` already consumed.
    resv_skip: usize,
}

impl SuperframeDecoder {
    pub(crate) fn new(frames: FrameDecoder) -> Self {
        SuperframeDecoder {
            frames,
            resv: Vec::new(),
            resv_skip: 0,
        }
    }

    /// Forgets the reservoir (after a seek or an error).
    pub(crate) fn clear_reservoir(&mut self) {
        self.resv.clear();
        self.resv_skip = 0;
    }

    /// Decodes one superframe, appending its frames to `out`. On error nothing is appended
    /// (frames already decoded from this superframe are taken back).
    pub(crate) fn decode(&mut self, sf: &[u8], out: &mut [Vec<f32>]) -> Result<(), &'static str> {
        let marks: Vec<usize> = out.iter().map(Vec::len).collect();
        let res = if self.frames.s.flags.use_bit_reservoir {
            self.decode_with_reservoir(sf, out)
        } else {
            let mut r = BitReader::new(sf);
            self.frames
                .decode_frame(&mut r, out)
                .map_err(|e| e.message())
        };
        if res.is_err() {
            for (o, m) in out.iter_mut().zip(marks) {
                o.truncate(m);
            }
        }
        res
    }

    fn decode_with_reservoir(
        &mut self,
        sf: &[u8],
        out: &mut [Vec<f32>],
    ) -> Result<(), &'static str> {
        let bob = self.frames.s.byte_offset_bits;
        let mut r = BitReader::new(sf);
        r.skip(4); // superframe index
        let count = r.read(4) as i32;
        // The count includes the frame continued from the previous superframe; with an empty
        // reservoir (stream start, after a seek or an error) that frame is lost.
        let mut nb_frames = count - i32::from(self.resv.is_empty());
        if nb_frames < 0 {
            return Err("wma: invalid superframe frame count");
        }
        if nb_frames == 0 && !self.resv.is_empty() {
            // A frame longer than a superframe: all of this superframe continues it. The
            // layout is not documented; keep the bytes and wait for the frame's end.
            let rest = sf.get(1..).unwrap_or(&[]);
            if self.resv.len() + rest.len() > MAX_CODED_SUPERFRAME_SIZE {
                self.clear_reservoir();
                return Err("wma: bit reservoir overflow");
            }
            self.resv.extend_from_slice(rest);
            return Ok(());
        }

        let bit_offset = r.read(bob + 3) as usize;
        if bit_offset as isize > r.bits_left() {
            self.clear_reservoir();
            return Err("wma: invalid last frame bit offset");
        }

        if !self.resv.is_empty() {
            let resv_len = self.resv.len();
            if resv_len + bit_offset.div_ceil(8) > MAX_CODED_SUPERFRAME_SIZE {
                self.clear_reservoir();
                return Err("wma: bit reservoir overflow");
            }
            // Append the first bit_offset bits: whole bytes, then the last bits left-aligned.
            let mut left = bit_offset;
            while left > 7 {
                self.resv.push(r.read(8) as u8);
                left -= 8;
            }
            if left > 0 {
                self.resv.push((r.read(left as u32) << (8 - left)) as u8);
            }
            let resv = std::mem::take(&mut self.resv);
            let mut rr = BitReader::with_bit_len(&resv, resv_len * 8 + bit_offset);
            rr.skip(self.resv_skip);
            // The continued frame keeps the block-length state of the previous superframe.
            let res = self.frames.decode_frame(&mut rr, out);
            self.resv = resv; // keep the allocation
            if let Err(e) = res {
                self.clear_reservoir();
                return Err(e.message());
            }
            self.frames.stats.reservoir_frames += 1;
            nb_frames -= 1;
        }

        let start = 8 + bob as usize + 3 + bit_offset;
        if start >= MAX_CODED_SUPERFRAME_SIZE * 8 || start > sf.len() * 8 {
            self.clear_reservoir();
            return Err("wma: frame start past the end of the superframe");
        }
        r.seek(start);
        self.frames.reset_block_lengths = true;
        for _ in 0..nb_frames {
            if let Err(e) = self.frames.decode_frame(&mut r, out) {
                self.clear_reservoir();
                return Err(e.message());
            }
        }

        // Keep the unfinished frame for the next superframe.
        let end = r.pos();
        let first = end / 8;
        match sf.get(first..) {
            Some(tail) if tail.len() <= MAX_CODED_SUPERFRAME_SIZE => {
                self.resv.clear();
                self.resv.extend_from_slice(tail);
                self.resv_skip = end % 8;
                Ok(())
            }
            _ => {
                self.clear_reservoir();
                Err("wma: frame data overruns the superframe")
            }
        }
    }
}
