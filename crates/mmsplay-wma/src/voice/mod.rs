//! WMA 9 Voice (format tag 0x000A): a CELP speech codec at 8 to 22.05 kHz, mono.
//!
//! Each `block_align`-byte packet holds a short header and a run of bit-aligned superframes
//! (3 frames × 160 samples); the last superframe that starts in a packet usually ends in the
//! next one. As in the reference decoder (FFmpeg 5.1.9), that split superframe is cached and
//! decoded when the next packet supplies its remaining ("spill-over") bits, so each packet
//! outputs the superframe left over from the previous one and all but the last of its own; the
//! stream's final superframe comes out at end of stream (`flush`).
//!
//! Modules: `params` (extradata, pitch ranges), `frame_types`, `lsp` (LSF coding and LPCs),
//! `excitation` (pitch and pulse codebooks, gains), `synth` (LPC filters), `postfilter` with
//! `transforms`, `decoder` (superframes and frames) and `tables` (generated; see TABLES.md).

mod decoder;
mod excitation;
mod frame_types;
mod lsp;
mod params;
mod postfilter;
mod synth;
#[cfg(test)]
mod synthetic_tests;
mod tables;
#[cfg(test)]
mod tests;
mod transforms;

use crate::bitreader::BitReader;
use crate::engine::{DecodeError, Engine, Format};
use decoder::{SUPERFRAME, VoiceDecoder};

/// The cache for a superframe split over two packets holds at most 256 bytes, as in the
/// reference decoder; a longer remainder is not a valid stream.
const CACHE_BITS: usize = 256 * 8;

/// The WMA Voice engine: the packet layer around [`VoiceDecoder`].
pub(crate) struct VoiceEngine {
    dec: VoiceDecoder,
    /// The unfinished superframe at the end of the previous packet, MSB first.
    cache: Vec<u8>,
    cache_bits: usize,
    /// `cache_bits` counts a remainder that did not fit; `cache` still holds older bits.
    stale: bool,
    /// The LSP mode of the last packet, which the superframe completed at end of stream uses.
    last_resid: bool,
}

/// Appends bits [from, from + n) of `src` to the bit string `dst` of `len` bits.
fn append_bits(dst: &mut Vec<u8>, len: &mut usize, src: &[u8], from: usize, n: usize) {
    let mut br = BitReader::new(src);
    br.seek(from);
    let mut left = n;
    while left > 0 {
        let k = left.min(24);
        let v = br.read(k as u32);
        for i in (0..k).rev() {
            let bit = (v >> i) & 1;
            if (*len).is_multiple_of(8) {
                dst.push(0);
            }
            if bit != 0 {
                let last = dst.len() - 1;
                dst[last] |= 0x80 >> (*len % 8);
            }
            *len += 1;
        }
        left -= k;
    }
}

impl VoiceEngine {
    pub(crate) fn new(w: &Format) -> Result<VoiceEngine, DecodeError> {
        let p = params::Params::new(w)?;
        Ok(VoiceEngine {
            dec: VoiceDecoder::new(p),
            cache: Vec::with_capacity(CACHE_BITS / 8 + 8),
            cache_bits: 0,
            stale: false,
            last_resid: false,
        })
    }

    /// Drops the pending superframe (its bytes stay for the stale-cache case, see `packet`).
    fn clear_cache(&mut self) {
        self.cache_bits = 0;
        self.stale = false;
    }

    /// One `block_align`-sized packet.
    fn packet(&mut self, data: &[u8], out: &mut Vec<f32>) -> Result<(), DecodeError> {
        let mut br = BitReader::new(data);
        br.skip(4); // sequence number
        let resid = br.read_bit();
        self.last_resid = resid;
        let spill_bits = self.dec.p.spill_bits;
        // Superframes starting here, in 6-bit pieces; 63 means "more follows".
        let mut count = 0usize;
        loop {
            if br.bits_left() < 6 + spill_bits as isize {
                self.clear_cache();
                return Err(DecodeError("wmavoice: packet header truncated"));
            }
            let v = br.read(6) as usize;
            count += v;
            if v != 63 {
                break;
            }
        }
        let spill = br.read(spill_bits) as usize;
        let start = br.pos();
        let mut result = Ok(());
        if self.cache_bits > 0 {
            // Complete and decode the superframe left over from the previous packet.
            let take = spill.min(data.len() * 8 - start);
            let ok = if !self.stale && self.cache_bits + take <= CACHE_BITS {
                append_bits(&mut self.cache, &mut self.cache_bits, data, start, take);
                self.cache.truncate(self.cache_bits.div_ceil(8));
                let mut cr = BitReader::with_bit_len(&self.cache, self.cache_bits);
                self.dec.superframe(&mut cr, resid, out)
            } else {
                Err(DecodeError("wmavoice: split superframe too long"))
            };
            if let Err(e) = ok {
                result = Err(e);
            }
            br.seek(start + take);
            self.clear_cache();
        } else {
            br.skip(spill);
        }
        if count == 0 {
            return result;
        }
        for _ in 0..count - 1 {
            if br.bits_left() <= 0 {
                return Err(DecodeError("wmavoice: packet ends before its superframes"));
            }
            self.dec.superframe(&mut br, resid, out)?;
        }
        // The last superframe continues in the next packet.
        let left = br.bits_left();
        if left > 0 {
            let left = left as usize;
            if left > CACHE_BITS {
                // Too long for the cache (in practice: a last packet's padding). The reference
                // decoder then keeps the previous cache contents under the new length and, at
                // end of stream, decodes that stale superframe once more; do the same so the
                // output has the same length.
                self.stale = true;
                self.cache_bits = left;
            } else {
                let pos = br.pos();
                self.cache.clear();
                append_bits(&mut self.cache, &mut self.cache_bits, data, pos, left);
            }
        }
        result
    }
}

impl Engine for VoiceEngine {
    fn decode(&mut self, packet: &[u8], planes: &mut [Vec<f32>]) -> Result<(), DecodeError> {
        let ba = self.dec.p.block_align;
        if !packet.len().is_multiple_of(ba) {
            self.clear_cache();
            return Err(DecodeError(
                "wmavoice: packet is not a whole number of blocks",
            ));
        }
        let mut out = Vec::with_capacity(packet.len() / ba * 4 * SUPERFRAME);
        let mut result = Ok(());
        for block in packet.chunks_exact(ba) {
            if let Err(e) = self.packet(block, &mut out) {
                result = Err(e);
            }
        }
        result?;
        if let Some(p) = planes.first_mut() {
            p.extend_from_slice(&out);
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.clear_cache();
        self.dec.flush();
    }

    fn flush(&mut self, planes: &mut [Vec<f32>]) {
        if self.cache_bits == 0 {
            return;
        }
        let mut cache = std::mem::take(&mut self.cache);
        // A stale cache is read over its nominal length; what was never written reads as 0.
        if cache.len() * 8 < self.cache_bits {
            cache.resize(self.cache_bits.div_ceil(8), 0);
        }
        let mut cr = BitReader::with_bit_len(&cache, self.cache_bits);
        let mut out = Vec::new();
        // The stream's last superframe, with the last packet's LSP mode. A damaged one is
        // dropped: there is nothing after it to resynchronise to.
        let resid = self.last_resid;
        if self.dec.superframe(&mut cr, resid, &mut out).is_ok()
            && let Some(p) = planes.first_mut()
        {
            p.extend_from_slice(&out);
        }
        self.cache = cache;
        self.clear_cache();
    }

    fn codec_delay(&self) -> usize {
        0
    }

    fn max_frames_per_packet(&self) -> usize {
        // A superframe takes at least 80 bits (two flag bits, 48 LSP bits, three 10-bit
        // silence frames), plus the one completed from the previous packet.
        SUPERFRAME * (self.dec.p.block_align * 8 / 80 + 2)
    }
}
