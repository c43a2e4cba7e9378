//! The tile header: how one frame of every channel is cut into tiles ("subframes").
//!
//! Tiles are sized in multiples of the shortest tile. The header is read as a walk over the
//! frame: at each step the channels that have been given the fewest samples so far say (one
//! bit each, unless the answer is forced) whether they take the next tile, whose length
//! follows. In an "aligned" header every channel takes every tile.

use super::params::{MAX_CHANNELS, MAX_TILES, Params};
use crate::bitreader::BitReader;

/// The tile lengths of every channel in one frame.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tiling {
    pub(crate) lens: [[u16; MAX_TILES]; MAX_CHANNELS],
    pub(crate) count: [usize; MAX_CHANNELS],
}

impl Tiling {
    pub(crate) fn read(r: &mut BitReader<'_>, p: &Params) -> Result<Tiling, &'static str> {
        let nch = p.channels;
        let mut t = Tiling::default();
        let mut assigned = [0usize; MAX_CHANNELS];
        let mut contains = [false; MAX_CHANNELS];
        let fixed = r.read_bit() || p.max_tiles == 1;
        let last_start = p.frame_len - p.min_tile;
        let mut min_len = 0usize;
        let mut at_min = nch;
        // Every step assigns at least one shortest tile to a channel, so the walk ends after at
        // most channels × max_tiles steps; the bound only guards against a logic slip.
        for _ in 0..=MAX_CHANNELS * MAX_TILES {
            if min_len >= p.frame_len {
                return Ok(t);
            }
            let mut any = false;
            for ch in 0..nch {
                contains[ch] = assigned[ch] == min_len
                    && (fixed || at_min == 1 || min_len == last_start || r.read_bit());
                any |= contains[ch];
            }
            if !any {
                return Err("wmalossless: a tile with no channel");
            }
            let len = if min_len == last_start {
                p.min_tile
            } else {
                // floor(log2(max_tiles - 1)) + 1 bits, with log2(0) taken as 0.
                let bits = (p.max_tiles - 1).checked_ilog2().unwrap_or(0) + 1;
                p.min_tile * (r.read(bits) as usize + 1)
            };
            if len > p.frame_len {
                return Err("wmalossless: tile longer than the frame");
            }
            min_len += len;
            for ch in 0..nch {
                if contains[ch] {
                    if t.count[ch] >= MAX_TILES {
                        return Err("wmalossless: more than 32 tiles in a channel");
                    }
                    t.lens[ch][t.count[ch]] = len as u16;
                    t.count[ch] += 1;
                    assigned[ch] += len;
                    if assigned[ch] > p.frame_len {
                        return Err("wmalossless: tiles overrun the frame");
                    }
                } else if assigned[ch] <= min_len {
                    if assigned[ch] < min_len {
                        at_min = 0;
                        min_len = assigned[ch];
                    }
                    at_min += 1;
                }
            }
        }
        Err("wmalossless: tile header does not end")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lossless::params::tests::format;

    fn params(channels: u16, flags: u16) -> Params {
        Params::new(&format(channels, 44100, 13375, 16, flags)).unwrap()
    }

    #[test]
    fn aligned_single_tile() {
        // aligned = 1, then the length field (4 bits for 16 tiles) = 15 → 16 × 128 = 2048.
        let data = [0b1111_1000];
        let t = Tiling::read(&mut BitReader::new(&data), &params(2, 0x1A1)).unwrap();
        assert_eq!(t.count[..2], [1, 1]);
        assert_eq!((t.lens[0][0], t.lens[1][0]), (2048, 2048));
    }

    #[test]
    fn unaligned_tiles_per_channel() {
        // Stereo, 16 tiles max: channel 0 takes 1024 then 1024; channel 1 takes 2048.
        // aligned 0; step 1 (both at 0): ch0 1, ch1 0, len 0111 → 1024;
        // step 2 (ch1 at 0 alone, forced): len 1111 → 2048; step 3 (ch0 at 1024 alone): 0111.
        let bits = "0 1 0 0111 1111 0111";
        let data = pack(bits);
        let t = Tiling::read(&mut BitReader::new(&data), &params(2, 0x1A1)).unwrap();
        assert_eq!(t.count[..2], [2, 1]);
        assert_eq!(&t.lens[0][..2], &[1024, 1024]);
        assert_eq!(t.lens[1][0], 2048);
    }

    #[test]
    fn refuses_empty_tile_and_overrun() {
        // Unaligned, no channel takes the tile.
        let data = pack("0 0 0");
        assert!(Tiling::read(&mut BitReader::new(&data), &params(2, 0x1A1)).is_err());
    }

    pub(crate) fn pack(bits: &str) -> Vec<u8> {
        let bits: Vec<u8> = bits.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let mut out = vec![0u8; bits.len().div_ceil(8) + 1];
        for (i, b) in bits.iter().enumerate() {
            if *b == b'1' {
                out[i / 8] |= 0x80 >> (i % 8);
            }
        }
        out
    }
}
