//! The 17 frame types and the fixed prefix code that selects one (through the stream's tree).

use crate::bitreader::BitReader;

/// The adaptive (pitch) codebook of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acb {
    /// No pitch: the excitation is a stretch of the fixed noise codebook.
    None,
    /// One pitch per frame, interpolated per sample from the previous frame's.
    Asymmetric,
    /// One pitch per block, in quarter samples.
    Hamming,
}

/// The fixed (innovation) codebook of a frame. The order matters: the postfilter's pitch
/// smoothing runs for `AwPulses` and `Pulses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fcb {
    /// Comfort noise with one gain per frame.
    Silence,
    /// The noise codebook with a gain per block.
    Hardcoded,
    /// Pitch-adaptive window pulses (low rates).
    AwPulses,
    /// Five tracks of single or paired pulses.
    Pulses,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameType {
    pub(crate) blocks: usize,
    pub(crate) log_blocks: u32,
    pub(crate) acb: Acb,
    pub(crate) fcb: Fcb,
    /// Tracks (of 5) that carry a pulse pair rather than a single pulse.
    pub(crate) dbl_pulses: usize,
}

const fn ft(blocks: usize, log_blocks: u32, acb: Acb, fcb: Fcb, dbl_pulses: usize) -> FrameType {
    FrameType {
        blocks,
        log_blocks,
        acb,
        fcb,
        dbl_pulses,
    }
}

/// The frame types by number (the values the stream's tree maps code symbols to).
pub(crate) const FRAME_TYPES: [FrameType; 17] = [
    ft(1, 0, Acb::None, Fcb::Silence, 0),
    ft(2, 1, Acb::None, Fcb::Hardcoded, 0),
    ft(2, 1, Acb::Asymmetric, Fcb::AwPulses, 0),
    ft(2, 1, Acb::Asymmetric, Fcb::Pulses, 2),
    ft(2, 1, Acb::Asymmetric, Fcb::Pulses, 5),
    ft(4, 2, Acb::Asymmetric, Fcb::Pulses, 0),
    ft(4, 2, Acb::Asymmetric, Fcb::Pulses, 2),
    ft(4, 2, Acb::Asymmetric, Fcb::Pulses, 5),
    ft(2, 1, Acb::Hamming, Fcb::Pulses, 0),
    ft(2, 1, Acb::Hamming, Fcb::Pulses, 2),
    ft(2, 1, Acb::Hamming, Fcb::Pulses, 5),
    ft(4, 2, Acb::Hamming, Fcb::Pulses, 0),
    ft(4, 2, Acb::Hamming, Fcb::Pulses, 2),
    ft(4, 2, Acb::Hamming, Fcb::Pulses, 5),
    ft(8, 3, Acb::Hamming, Fcb::Pulses, 0),
    ft(8, 3, Acb::Hamming, Fcb::Pulses, 2),
    ft(8, 3, Acb::Hamming, Fcb::Pulses, 5),
];

/// Reads a frame-type code symbol (0..=21): up to six `11` pairs, each adding 3, end with
/// `00`/`01`/`10`; after twelve ones any two bits give 18..=21.
pub(crate) fn read_symbol(br: &mut BitReader) -> usize {
    for g in 0..6 {
        let v = br.read(2) as usize;
        if v < 3 {
            return 3 * g + v;
        }
    }
    18 + br.read(2) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_symbols() {
        // 10 | 11 01 | 1111 1111 1111 11
        let data = [0b1011_0111, 0b1111_1111, 0b1111_1000];
        let mut br = BitReader::new(&data);
        assert_eq!(read_symbol(&mut br), 2);
        assert_eq!(read_symbol(&mut br), 4);
        assert_eq!(read_symbol(&mut br), 21);
        assert_eq!(br.pos(), 20);
    }

    #[test]
    fn block_counts_are_powers_of_two() {
        for t in FRAME_TYPES {
            assert_eq!(t.blocks, 1 << t.log_blocks);
            assert!(t.dbl_pulses <= 5);
            assert_eq!(t.acb == Acb::None, t.fcb <= Fcb::Hardcoded);
        }
    }
}
