//! Table-driven Huffman (VLC) decoding and the WMA code books.
//!
//! The numbers live in `codebook_data.rs` (provenance recorded there). This module turns
//! (code, length) lists into multi-level lookup tables: a first level indexed by the next
//! `ROOT_BITS` bits, and sub-tables for longer codes, so one symbol costs one or two lookups.

use std::sync::LazyLock;

use crate::bitreader::BitReader;
use crate::codebook_data::*;

/// Width of the first lookup level.
const ROOT_BITS: u32 = 9;
/// Maximum width of a sub-table level.
const SUB_BITS: u32 = 7;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// Symbol for a leaf, first index of the sub-table otherwise.
    value: u32,
    /// Total code length for a leaf (0 = no code starts with these bits).
    len: u8,
    /// Index width of the sub-table (0 for a leaf).
    sub_bits: u8,
}

/// A prefix code ready for decoding.
pub(crate) struct Vlc {
    table: Vec<Entry>,
}

impl Vlc {
    /// Builds a decoder for `codes[i]` (MSB-first, `lens[i]` bits) ↦ symbol `i`.
    pub(crate) fn new(codes: &[u32], lens: &[u8]) -> Vlc {
        let entries: Vec<(u32, u32, u32)> = codes
            .iter()
            .zip(lens)
            .enumerate()
            .filter(|(_, (_, l))| **l > 0)
            .map(|(sym, (&c, &l))| (c, u32::from(l), sym as u32))
            .collect();
        let mut table = Vec::new();
        build_level(&entries, 0, ROOT_BITS, &mut table);
        Vlc { table }
    }

    /// Decodes one symbol; `None` if the bits match no code (never for complete codes).
    #[inline]
    pub(crate) fn read(&self, r: &mut BitReader<'_>) -> Option<u32> {
        let (sym, len) = self.decode(r.peek32())?;
        r.skip(len as usize);
        Some(sym)
    }

    /// Decodes the symbol at the top of `bits`: (symbol, code length).
    #[inline]
    pub(crate) fn decode(&self, bits: u32) -> Option<(u32, u32)> {
        let mut e = *self.table.get((bits >> (32 - ROOT_BITS)) as usize)?;
        let mut used = ROOT_BITS;
        while e.sub_bits != 0 {
            let sb = u32::from(e.sub_bits);
            let idx = (bits << used) >> (32 - sb);
            e = *self.table.get(e.value as usize + idx as usize)?;
            used += sb;
        }
        if e.len == 0 {
            None
        } else {
            Some((e.value, u32::from(e.len)))
        }
    }
}

/// Fills one lookup level of `1 << nbits` entries for the codes whose first `prefix_len` bits
/// were consumed by the levels above; returns the level's first index.
fn build_level(entries: &[(u32, u32, u32)], prefix_len: u32, nbits: u32, table: &mut Vec<Entry>) {
    let base = table.len();
    table.resize(base + (1 << nbits), Entry::default());
    let mut long: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); 1 << nbits];
    for &(code, len, sym) in entries {
        let rel = len - prefix_len;
        let rest = code & ((1u64 << rel) - 1) as u32;
        if rel <= nbits {
            let start = (rest << (nbits - rel)) as usize;
            for e in &mut table[base + start..base + start + (1 << (nbits - rel))] {
                *e = Entry {
                    value: sym,
                    len: len as u8,
                    sub_bits: 0,
                };
            }
        } else {
            long[(rest >> (rel - nbits)) as usize].push((code, len, sym));
        }
    }
    for (idx, group) in long.iter().enumerate() {
        if group.is_empty() {
            continue;
        }
        let max_len = group.iter().map(|e| e.1).max().unwrap_or(0);
        let sub = (max_len - prefix_len - nbits).min(SUB_BITS);
        let child = table.len();
        table[base + idx] = Entry {
            value: child as u32,
            len: 0,
            sub_bits: sub as u8,
        };
        build_level(group, prefix_len + nbits, sub, table);
    }
}

/// One of the six run/level coefficient code books with its symbol meanings.
pub(crate) struct CoefCodebook {
    pub(crate) vlc: Vlc,
    /// Per symbol: run (zeros skipped before the value) and level (absolute value, as f32
    /// as the reference uses it); (0, 0) for escape and end of block.
    pub(crate) run_level: Vec<(u32, f32)>,
}

fn coef_codebook(codes: &[u32], lens: &[u8], levels: &[u16]) -> CoefCodebook {
    // Symbols 0 (escape) and 1 (end of block), then level 1 with runs 0..levels[0]-1,
    // level 2 with runs 0..levels[1]-1, ... (FFmpeg `init_coef_vlc`).
    let mut run_level = vec![(0, 0.0); 2];
    for (l, &count) in levels.iter().enumerate() {
        for r in 0..count {
            run_level.push((u32::from(r), (l + 1) as f32));
        }
    }
    CoefCodebook {
        vlc: Vlc::new(codes, lens),
        run_level,
    }
}

/// The six coefficient code books, indexed 2·pair (normal) and 2·pair + 1 (M/S side channel).
pub(crate) static COEF_CODEBOOKS: LazyLock<[CoefCodebook; 6]> = LazyLock::new(|| {
    [
        coef_codebook(&COEF0_CODES, &COEF0_LENS, &LEVELS0),
        coef_codebook(&COEF1_CODES, &COEF1_LENS, &LEVELS1),
        coef_codebook(&COEF2_CODES, &COEF2_LENS, &LEVELS2),
        coef_codebook(&COEF3_CODES, &COEF3_LENS, &LEVELS3),
        coef_codebook(&COEF4_CODES, &COEF4_LENS, &LEVELS4),
        coef_codebook(&COEF5_CODES, &COEF5_LENS, &LEVELS5),
    ]
});

/// Exponent delta code (AAC scale-factor code): symbol − 60 is the delta.
pub(crate) static EXPONENT_VLC: LazyLock<Vlc> =
    LazyLock::new(|| Vlc::new(&SCALEFACTOR_CODES, &SCALEFACTOR_LENS));

/// Noise-band gain delta code: symbol − 18 is the delta.
pub(crate) static HGAIN_VLC: LazyLock<Vlc> = LazyLock::new(|| {
    let (codes, lens) = codes_from_lengths(&HGAIN_SYMS_LENS);
    Vlc::new(&codes, &lens)
});

/// Assigns canonical codes to a (symbol, length) list given in code order, as FFmpeg's
/// "VLC from lengths" builder does: each code is the running sum of 2^(32 − len) so far.
fn codes_from_lengths(list: &[(u8, u8)]) -> (Vec<u32>, Vec<u8>) {
    let n = list.iter().map(|e| usize::from(e.0) + 1).max().unwrap_or(0);
    let mut codes = vec![0u32; n];
    let mut lens = vec![0u8; n];
    let mut acc: u64 = 0;
    for &(sym, len) in list {
        codes[usize::from(sym)] = (acc >> (32 - u32::from(len))) as u32;
        lens[usize::from(sym)] = len;
        acc += 1u64 << (32 - u32::from(len));
    }
    (codes, lens)
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn checksums(codes: &[u32], lens: &[u8]) -> (usize, u64, u64, u8) {
        let sl: u64 = lens.iter().map(|&l| u64::from(l)).sum();
        let sc: u64 = codes.iter().map(|&c| u64::from(c)).sum();
        (codes.len(), sl, sc, lens.iter().copied().max().unwrap_or(0))
    }

    #[test]
    fn table_checksums_match_the_reference_arrays() {
        // Checksums from wma-decoder.md §7.1 / §7.2.
        assert_eq!(
            checksums(&COEF0_CODES, &COEF0_LENS),
            (666, 9439, 21235841, 20)
        );
        assert_eq!(
            checksums(&COEF1_CODES, &COEF1_LENS),
            (555, 6932, 4715825, 19)
        );
        assert_eq!(
            checksums(&COEF2_CODES, &COEF2_LENS),
            (1336, 22643, 296502222, 22)
        );
        assert_eq!(
            checksums(&COEF3_CODES, &COEF3_LENS),
            (1072, 16333, 75296166, 20)
        );
        assert_eq!(
            checksums(&COEF4_CODES, &COEF4_LENS),
            (476, 6619, 20200327, 21)
        );
        assert_eq!(
            checksums(&COEF5_CODES, &COEF5_LENS),
            (435, 5514, 4107854, 18)
        );
        assert_eq!(
            checksums(&SCALEFACTOR_CODES, &SCALEFACTOR_LENS),
            (121, 1745, 27152514, 19)
        );
        for (n, levels) in [
            (666, &LEVELS0[..]),
            (555, &LEVELS1[..]),
            (1336, &LEVELS2[..]),
            (1072, &LEVELS3[..]),
            (476, &LEVELS4[..]),
            (435, &LEVELS5[..]),
        ] {
            assert_eq!(levels.iter().map(|&l| usize::from(l)).sum::<usize>(), n - 2);
        }
    }

    #[test]
    fn hgain_codes_match_spot_checks() {
        let (codes, lens) = codes_from_lengths(&HGAIN_SYMS_LENS);
        assert_eq!((codes[13], lens[13]), (0b110, 3));
        assert_eq!((codes[14], lens[14]), (0b100, 3));
        assert_eq!((codes[18], lens[18]), (0b0011, 4));
        assert_eq!((codes[0], lens[0]), (0b0000000011, 10));
        assert_eq!((codes[3], lens[3]), (0b0010111001101, 13));
    }

    /// Every code of every book decodes to its own symbol.
    #[test]
    fn every_code_round_trips() {
        let books: [(&[u32], &[u8]); 7] = [
            (&COEF0_CODES, &COEF0_LENS),
            (&COEF1_CODES, &COEF1_LENS),
            (&COEF2_CODES, &COEF2_LENS),
            (&COEF3_CODES, &COEF3_LENS),
            (&COEF4_CODES, &COEF4_LENS),
            (&COEF5_CODES, &COEF5_LENS),
            (&SCALEFACTOR_CODES, &SCALEFACTOR_LENS),
        ];
        for (codes, lens) in books {
            let vlc = Vlc::new(codes, lens);
            for (sym, (&c, &l)) in codes.iter().zip(lens).enumerate() {
                let word = (u64::from(c) << (64 - u32::from(l))) | (1u64 << (63 - u32::from(l)));
                let bytes = word.to_be_bytes();
                let mut r = BitReader::new(&bytes);
                assert_eq!(vlc.read(&mut r), Some(sym as u32));
                assert_eq!(r.pos(), usize::from(l));
            }
        }
    }
}
