//! The bit reservoir: frames are packed back to back across packet boundaries without byte
//! alignment, so the bits of frames not yet decoded are kept here, appended bit-exactly.

use crate::bitreader::BitReader;

#[derive(Default)]
pub(crate) struct Reservoir {
    bytes: Vec<u8>,
    /// Valid bits in `bytes`.
    len: usize,
    /// Read position in bits.
    pub(crate) pos: usize,
}

impl Reservoir {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
        self.pos = 0;
    }

    /// Bits held, read or not.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bits not yet read (negative after reading past the end).
    pub(crate) fn unread(&self) -> isize {
        self.len as isize - self.pos as isize
    }

    /// Appends `n` bits of `src` starting at bit `from`.
    pub(crate) fn append(&mut self, src: &[u8], from: usize, n: usize) {
        let mut r = BitReader::new(src);
        r.seek(from);
        let mut left = n;
        // Fill the partial last byte first, then whole bytes.
        while left > 0 && !self.len.is_multiple_of(8) {
            let bit = r.read(1) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.len % 8);
            self.len += 1;
            left -= 1;
        }
        while left >= 8 {
            self.bytes.push(r.read(8) as u8);
            self.len += 8;
            left -= 8;
        }
        if left > 0 {
            self.bytes.push((r.read(left as u32) << (8 - left)) as u8);
            self.len += left;
        }
    }

    /// A reader over the held bits, at the read position.
    pub(crate) fn reader(&self) -> BitReader<'_> {
        let mut r = BitReader::with_bit_len(&self.bytes, self.len);
        r.seek(self.pos);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_bit_exactly() {
        let src = [0b1011_0110, 0b1110_0001, 0xFF];
        let mut res = Reservoir::default();
        res.append(&src, 1, 3); // 011
        res.append(&src, 4, 10); // 0110 1110 00
        assert_eq!(res.len(), 13);
        let mut r = res.reader();
        assert_eq!(r.read(13), 0b0_1101_1011_1000);
        assert_eq!(r.read(8), 0, "nothing past the held bits");
        res.pos = 3;
        assert_eq!(res.reader().read(4), 0b0110);
        assert_eq!(res.unread(), 10);
    }
}
