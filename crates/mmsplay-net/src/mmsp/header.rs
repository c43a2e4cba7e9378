//! Reassembly of the ASF file header from its Data packet pieces ([MS-MMSP] 3.1.5.12): pieces
//! are numbered by LocationId from 0, the last one has AFFlags 0x08/0x0C. Over UDP pieces can
//! repeat (a second ReadBlock) or arrive out of order, so they are kept by number.

use std::collections::BTreeMap;

use super::framing::CodecError;

/// Most pieces a header may have (a 4 MiB header in 1 KiB pieces).
pub const MAX_HEADER_PIECES: u32 = 4096;

#[derive(Debug, Default)]
pub struct HeaderAssembly {
    pieces: BTreeMap<u32, Vec<u8>>,
    last: Option<u32>,
    bytes: usize,
    max_len: usize,
}

impl HeaderAssembly {
    /// An assembly that refuses headers longer than `max_len` bytes.
    pub fn new(max_len: usize) -> HeaderAssembly {
        HeaderAssembly {
            max_len,
            ..HeaderAssembly::default()
        }
    }

    /// Adds piece `location`; a repeated piece replaces the earlier copy.
    pub fn push(&mut self, location: u32, last: bool, payload: &[u8]) -> Result<(), CodecError> {
        if location >= MAX_HEADER_PIECES {
            return Err(CodecError::TooLong {
                what: "an ASF header (pieces)",
                len: u64::from(location) + 1,
                max: u64::from(MAX_HEADER_PIECES),
            });
        }
        let old = self.pieces.get(&location).map_or(0, Vec::len);
        let bytes = self.bytes - old + payload.len();
        if bytes > self.max_len {
            return Err(CodecError::TooLong {
                what: "an ASF header",
                len: bytes as u64,
                max: self.max_len as u64,
            });
        }
        self.bytes = bytes;
        self.pieces.insert(location, payload.to_vec());
        if last {
            self.last = Some(location);
        }
        Ok(())
    }

    /// Whether every piece up to the last has arrived.
    pub fn is_complete(&self) -> bool {
        self.last
            .is_some_and(|l| (0..=l).all(|i| self.pieces.contains_key(&i)))
    }

    /// The header bytes, pieces in order (up to the last piece).
    pub fn into_bytes(self) -> Vec<u8> {
        let last = self.last.unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(self.bytes);
        for (_, p) in self.pieces.into_iter().take_while(|(k, _)| *k <= last) {
            out.extend_from_slice(&p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_and_repeated_pieces() {
        let mut h = HeaderAssembly::new(100);
        h.push(2, true, b"cc").unwrap();
        assert!(!h.is_complete());
        h.push(0, false, b"aa").unwrap();
        h.push(0, false, b"aa").unwrap();
        assert!(!h.is_complete());
        h.push(1, false, b"bb").unwrap();
        assert!(h.is_complete());
        assert_eq!(h.into_bytes(), b"aabbcc");
    }

    #[test]
    fn limits() {
        let mut h = HeaderAssembly::new(4);
        assert!(h.push(0, false, b"abc").is_ok());
        assert!(h.push(1, false, b"de").is_err());
        assert!(h.push(MAX_HEADER_PIECES, true, b"").is_err());
    }
}
