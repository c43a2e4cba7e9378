//! MSB-first bit reader with the reference decoder's end-of-buffer behaviour.
//!
//! WMA streams are read most-significant bit first. Reading past the end of the buffer yields
//! zero bits, and the position saturates 8 bits past the end (so `bits_left()` never drops
//! below -8). Damaged or truncated frames therefore decode exactly as in FFmpeg, which pads
//! every buffer with zero bytes and clamps its reader the same way (wma-decoder.md §4.6).

pub(crate) struct BitReader<'a> {
    buf: &'a [u8],
    /// Current position in bits from the start of `buf`.
    pos: usize,
    /// Logical size in bits; at most `buf.len() * 8`.
    size: usize,
}

impl<'a> BitReader<'a> {
    /// A reader over all of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        BitReader {
            buf,
            pos: 0,
            size: buf.len() * 8,
        }
    }

    /// A reader over the first `bits` bits of `buf`; bits beyond read as zero.
    pub(crate) fn with_bit_len(buf: &'a [u8], bits: usize) -> Self {
        let size = bits.min(buf.len() * 8);
        BitReader {
            buf: &buf[..size.div_ceil(8)],
            pos: 0,
            size,
        }
    }

    /// Absolute position in bits.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bits left before the logical end; negative after over-reading (down to -8).
    #[inline]
    pub(crate) fn bits_left(&self) -> isize {
        self.size as isize - self.pos as isize
    }

    /// The next 32 bits without consuming them (zeros past the end).
    #[inline]
    pub(crate) fn peek32(&self) -> u32 {
        let byte = self.pos >> 3;
        let shift = (self.pos & 7) as u32;
        // Fast path: 8 whole bytes available. `buf` ends at the byte holding bit `size`
        // (see `with_bit_len`), so then at least 50 valid bits follow `pos`.
        if let Some(b) = self.buf.get(byte..byte + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            return ((u64::from_be_bytes(a) << shift) >> 32) as u32;
        }
        self.peek32_near_end()
    }

    #[cold]
    fn peek32_near_end(&self) -> u32 {
        let byte = self.pos >> 3;
        let shift = (self.pos & 7) as u32;
        let mut a = [0u8; 8];
        for (i, d) in a.iter_mut().enumerate() {
            *d = self.buf.get(byte + i).copied().unwrap_or(0);
        }
        let v = ((u64::from_be_bytes(a) << shift) >> 32) as u32;
        // Bits past `size` (the unused low bits of the last byte) read as zero.
        let left = self.bits_left();
        if left >= 32 {
            v
        } else if left <= 0 {
            0
        } else {
            v & !(u32::MAX >> left)
        }
    }

    /// Consumes `n` bits (the position saturates 8 bits past the end).
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.size + 8);
    }

    /// Reads `n <= 32` bits as an unsigned integer.
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek32() >> (32 - n);
        self.skip(n as usize);
        v
    }

    /// Reads one bit.
    #[inline]
    pub(crate) fn read_bit(&mut self) -> bool {
        self.read(1) != 0
    }

    /// Moves to the next byte boundary.
    pub(crate) fn align(&mut self) {
        let r = self.pos & 7;
        if r != 0 {
            self.skip(8 - r);
        }
    }

    /// Moves to an absolute bit position (clamped like any other move).
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.size + 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_msb_first_and_zeros_past_end() {
        let data = [0b1010_0000u8, 0xFF];
        let mut r = BitReader::new(&data);
        assert_eq!(r.read(3), 0b101);
        assert_eq!(r.read(5), 0);
        assert_eq!(r.read(8), 0xFF);
        assert_eq!(r.bits_left(), 0);
        assert_eq!(r.read(32), 0);
        assert_eq!(r.bits_left(), -8);
        r.skip(100);
        assert_eq!(r.bits_left(), -8);
    }

    #[test]
    fn bit_length_limit_masks_trailing_bits() {
        let data = [0xFF, 0xFF];
        let mut r = BitReader::with_bit_len(&data, 12);
        assert_eq!(r.read(8), 0xFF);
        assert_eq!(r.read(8), 0xF0);
        let mut r = BitReader::new(&data);
        r.seek(5);
        r.align();
        assert_eq!(r.pos(), 8);
    }
}
