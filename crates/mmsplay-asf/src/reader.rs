//! A bounds-checked little-endian cursor over a byte slice. Every read can fail; none panics.

use crate::error::{AsfError, Result};
use crate::guid::Guid;

#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the whole input, for error messages.
    base: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize, what: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            base,
            what,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn truncated(&self) -> AsfError {
        AsfError::Truncated {
            what: self.what,
            offset: self.offset(),
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn guid(&mut self) -> Result<Guid> {
        Ok(Guid(self.array()?))
    }

    /// A field whose width is given by a 2-bit ASF length type: 0 absent, 1 byte, 2 word,
    /// 3 dword.
    pub(crate) fn var(&mut self, length_type: u8) -> Result<u32> {
        match length_type & 3 {
            0 => Ok(0),
            1 => self.u8().map(u32::from),
            2 => self.u16().map(u32::from),
            _ => self.u32(),
        }
    }
}

/// Decodes UTF-16LE text, dropping a trailing NUL and replacing invalid units.
pub(crate) fn utf16le(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let s: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    s.trim_end_matches('\0').to_string()
}

/// Encodes text as NUL-terminated UTF-16LE.
pub(crate) fn to_utf16le_nul(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2 + 2);
    for u in s.encode_utf16().chain(std::iter::once(0)) {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fail_cleanly_past_the_end() {
        let mut r = Reader::new(&[1, 2, 3], 10, "test");
        assert_eq!(r.u16().unwrap(), 0x0201);
        assert_eq!(
            r.u16(),
            Err(AsfError::Truncated {
                what: "test",
                offset: 12
            })
        );
        assert_eq!(r.u8().unwrap(), 3);
        assert!(r.bytes(1).is_err());
    }

    #[test]
    fn utf16_round_trip() {
        let b = to_utf16le_nul("Radio é");
        assert_eq!(utf16le(&b), "Radio é");
    }
}
