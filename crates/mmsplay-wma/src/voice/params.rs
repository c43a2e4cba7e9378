//! The stream's fixed parameters: the 46 extradata bytes (postfilter flags, LSP layout and the
//! frame-type tree) and the pitch ranges that follow from the sample rate.

use crate::engine::{DecodeError, Format};

/// Longest excitation history any supported rate needs (22.05 kHz: 408 + 8).
pub(crate) const MAX_HISTORY: usize = 416;

/// Everything about a stream that does not change from packet to packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) block_align: usize,
    /// Bits of the spill-over count in each packet header: 3 + ceil(log2(block_align)).
    pub(crate) spill_bits: u32,
    /// The "averaged projection" postfilter is on.
    pub(crate) do_apf: bool,
    /// Row of the denoiser's power table (0..=11).
    pub(crate) denoise_strength: usize,
    pub(crate) denoise_tilt_corr: bool,
    /// The DC-removal filter runs when this exceeds 8.
    pub(crate) dc_level: u32,
    /// LSPs per frame: 10 or 16.
    pub(crate) lsps: usize,
    /// Which residual-LSP interpolation table (`_b` when set).
    pub(crate) lsp_q_mode: bool,
    /// Which row of the mean-LSF table.
    pub(crate) lsp_def_mode: usize,
    /// Frame-type code symbol → frame type (0..=16), or -1 where the stream maps nothing.
    pub(crate) vbm_tree: [i8; 25],
    pub(crate) min_pitch: i32,
    pub(crate) max_pitch: i32,
    pub(crate) pitch_nbits: u32,
    /// Samples of past excitation the pitch predictor can reach: max_pitch + 8.
    pub(crate) history: usize,
    /// Boundaries of the semi-logarithmic block-pitch scale.
    pub(crate) conv: [i32; 4],
    pub(crate) block_pitch_nbits: u32,
    pub(crate) block_pitch_range: i32,
    pub(crate) delta_hrange: i32,
    pub(crate) delta_nbits: u32,
}

/// ceil(log2(v)) for v >= 1 (0 for 1).
pub(crate) fn ceil_log2(v: u32) -> u32 {
    if v <= 1 {
        0
    } else {
        32 - (v - 1).leading_zeros()
    }
}

/// Reads the frame-type tree: 17 three-bit group numbers, MSB first. Each frame type takes the
/// next free slot of its group; a group's fourth entry runs on into the next group's first slot
/// (the reference decoder allows it, so streams may rely on it), a fifth is an error.
fn read_vbm_tree(bytes: &[u8]) -> Result<[i8; 25], DecodeError> {
    let mut tree = [-1i8; 25];
    let mut count = [0usize; 8];
    for t in 0..17 {
        let bit = 3 * t;
        let mut g = 0usize;
        for k in 0..3 {
            let b = bit + k;
            g = (g << 1) | usize::from((bytes[b / 8] >> (7 - b % 8)) & 1);
        }
        if count[g] > 3 {
            return Err(DecodeError("wmavoice: invalid frame-type tree"));
        }
        tree[g * 3 + count[g]] = t as i8;
        count[g] += 1;
    }
    Ok(tree)
}

impl Params {
    pub(crate) fn new(w: &Format) -> Result<Params, DecodeError> {
        if w.channels != 1 {
            return Err(DecodeError("wmavoice: only mono streams exist"));
        }
        let extra = &w.extra;
        if extra.len() != 46 {
            return Err(DecodeError("wmavoice: extradata must be 46 bytes"));
        }
        let block_align = usize::from(w.block_align);
        if block_align == 0 {
            return Err(DecodeError("wmavoice: block_align is 0"));
        }
        let flags = u32::from_le_bytes([extra[18], extra[19], extra[20], extra[21]]);
        let denoise_strength = ((flags >> 2) & 0xF) as usize;
        if denoise_strength >= 12 {
            return Err(DecodeError("wmavoice: denoise strength above 11"));
        }
        let vbm_tree = read_vbm_tree(&extra[22..])?;
        let rate = w.sample_rate;
        // Beyond these rates the pitch ranges below leave the history buffer (322..=22097 Hz).
        if !(322..=22097).contains(&rate) {
            return Err(DecodeError("wmavoice: unsupported sample rate"));
        }
        let rate = rate as i32;
        let min_pitch = ((rate << 8) / 400 + 50) >> 8;
        let max_pitch = ((rate << 8) * 37 / 2000 + 50) >> 8;
        let pitch_range = max_pitch - min_pitch;
        let history = (max_pitch + 8) as usize;
        if pitch_range <= 0 || min_pitch < 1 || history > MAX_HISTORY {
            return Err(DecodeError("wmavoice: unsupported sample rate"));
        }
        let conv = [
            min_pitch,
            (pitch_range * 25) >> 6,
            (pitch_range * 44) >> 6,
            max_pitch - 1,
        ];
        let delta_hrange = (pitch_range >> 3) & !0xF;
        if delta_hrange <= 0 {
            return Err(DecodeError(
                "wmavoice: sample rate too low for block pitches",
            ));
        }
        let block_pitch_range = conv[2] + conv[3] + 1 + 2 * (conv[1] - 2 * min_pitch);
        Ok(Params {
            block_align,
            spill_bits: 3 + ceil_log2(block_align as u32),
            do_apf: flags & 1 != 0,
            denoise_strength,
            denoise_tilt_corr: flags & 0x40 != 0,
            dc_level: (flags >> 7) & 0xF,
            lsps: if flags & 0x1000 != 0 { 16 } else { 10 },
            lsp_q_mode: flags & 0x2000 != 0,
            lsp_def_mode: usize::from(flags & 0x4000 != 0),
            vbm_tree,
            min_pitch,
            max_pitch,
            pitch_nbits: ceil_log2(pitch_range as u32),
            history,
            conv,
            block_pitch_nbits: ceil_log2(block_pitch_range.max(1) as u32),
            block_pitch_range,
            delta_hrange,
            delta_nbits: 1 + ceil_log2(delta_hrange as u32),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::extradata::{TAG_WMAVOICE, WaveFormatEx};

    /// A WAVEFORMATEX for a Voice stream with the given flags and frame-type groups.
    pub(crate) fn wfx(rate: u32, block_align: u16, flags: u32, groups: &[u8; 17]) -> WaveFormatEx {
        let mut extra = vec![0u8; 46];
        extra[18..22].copy_from_slice(&flags.to_le_bytes());
        for (t, &g) in groups.iter().enumerate() {
            for k in 0..3 {
                if (g >> (2 - k)) & 1 != 0 {
                    let b = 3 * t + k;
                    extra[22 + b / 8] |= 0x80 >> (b % 8);
                }
            }
        }
        WaveFormatEx {
            format_tag: TAG_WMAVOICE,
            channels: 1,
            sample_rate: rate,
            avg_bytes_per_sec: 2500,
            block_align,
            extra,
        }
    }

    /// The real file's tree, as group numbers per frame type.
    pub(crate) const REAL_GROUPS: [u8; 17] = [0, 1, 3, 4, 4, 4, 5, 5, 2, 2, 1, 0, 0, 1, 3, 2, 3];

    #[test]
    fn derived_pitch_ranges_per_rate() {
        // rate, min/max pitch, pitch bits, history, conv, hrange, delta bits, range, bits:
        // worked out by hand from the formulas in the module.
        let cases = [
            (8000, 20, 148, 7, 156, [20, 50, 88, 147], 16, 5, 256, 8),
            (11025, 27, 204, 8, 212, [27, 69, 121, 203], 16, 5, 355, 9),
            (16000, 40, 296, 8, 304, [40, 100, 176, 295], 32, 6, 512, 9),
            (22050, 55, 408, 9, 416, [55, 137, 242, 407], 32, 6, 704, 10),
        ];
        for (rate, mn, mx, pb, hist, conv, hr, db, bpr, bpb) in cases {
            let p = Params::new(&wfx(rate, 1088, 0x0F99F205, &REAL_GROUPS)).unwrap();
            assert_eq!(
                (p.min_pitch, p.max_pitch, p.pitch_nbits, p.history, p.conv),
                (mn, mx, pb, hist, conv),
                "{rate}"
            );
            assert_eq!(
                (
                    p.delta_hrange,
                    p.delta_nbits,
                    p.block_pitch_range,
                    p.block_pitch_nbits
                ),
                (hr, db, bpr, bpb),
                "{rate}"
            );
        }
    }

    #[test]
    fn flags_and_tree_of_the_real_file() {
        let p = Params::new(&wfx(22050, 1088, 0x0F99F205, &REAL_GROUPS)).unwrap();
        assert!(p.do_apf && !p.denoise_tilt_corr && p.lsp_q_mode);
        assert_eq!(
            (p.denoise_strength, p.dc_level, p.lsps, p.lsp_def_mode),
            (1, 4, 16, 1)
        );
        assert_eq!(p.spill_bits, 3 + 11);
        let mut expect = [-1i8; 25];
        let real = [0, 11, 12, 1, 10, 13, 8, 9, 15, 2, 14, 16, 3, 4, 5, 6, 7];
        expect[..17].copy_from_slice(&real);
        assert_eq!(p.vbm_tree, expect);
    }

    #[test]
    fn tree_overflow_spills_into_next_group_and_fifth_entry_fails() {
        let mut groups = [7u8; 17];
        groups[..4].copy_from_slice(&[0, 0, 0, 0]);
        // Group 7 would receive 13 entries: invalid.
        assert!(Params::new(&wfx(8000, 100, 0, &groups)).is_err());
        let groups = [0, 0, 0, 0, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6];
        let p = Params::new(&wfx(8000, 100, 0, &groups)).unwrap();
        assert_eq!(&p.vbm_tree[..4], &[0, 1, 2, 3]);
        assert_eq!(p.vbm_tree[6], 4);
        let mut groups = [1u8; 17];
        groups[..5].copy_from_slice(&[0; 5]);
        assert!(Params::new(&wfx(8000, 100, 0, &groups)).is_err());
    }

    #[test]
    fn rejects_bad_extradata() {
        let mut w = wfx(22050, 1088, 0, &REAL_GROUPS);
        w.extra.pop();
        assert!(Params::new(&w).is_err());
        assert!(Params::new(&wfx(22050, 1088, 12 << 2, &REAL_GROUPS)).is_err());
        assert!(Params::new(&wfx(44100, 1088, 0, &REAL_GROUPS)).is_err());
        assert!(Params::new(&wfx(22050, 0, 0, &REAL_GROUPS)).is_err());
    }
}
