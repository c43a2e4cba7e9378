//! Stream set-up: everything derived once from the WAVEFORMATEX (wma-decoder.md §2).
//!
//! Several decisions compare single-precision intermediate values with double constants, and
//! the results (code-book pair, noise band edges) must be bit-exact with the reference, so the
//! f32/f64 rounding steps below are deliberate.

use symphonia_core::errors::{Result, unsupported_error};

use crate::bands::{high_bands, v1_bands, v2_bands};
use crate::extradata::Flags;

/// Smallest block is 2^7 = 128 samples.
const BLOCK_MIN_BITS: u32 = 7;

/// Derived, immutable parameters of one stream.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    pub(crate) version: u8,
    pub(crate) channels: usize,
    #[allow(dead_code)]
    pub(crate) sample_rate: u32,
    pub(crate) flags: Flags,
    pub(crate) frame_len_bits: u32,
    pub(crate) frame_len: usize,
    /// Number of block sizes; block size index k ↔ frame_len >> k.
    pub(crate) nb_block_sizes: usize,
    /// Width of the superframe bit offset field is `byte_offset_bits + 3`.
    pub(crate) byte_offset_bits: u32,
    pub(crate) use_noise_coding: bool,
    /// Index of the normal/side coefficient code-book pair (0, 1 or 2).
    pub(crate) coef_pair: usize,
    pub(crate) coefs_start: usize,
    pub(crate) coefs_end: Vec<usize>,
    /// Band widths used to decode VLC-coded exponents, per block size.
    pub(crate) exponent_bands: Vec<Vec<u16>>,
    pub(crate) high_band_start: Vec<usize>,
    /// Noise-coding band widths per block size.
    pub(crate) high_bands: Vec<Vec<u16>>,
    /// Noise amplitude factor (0.02 with VLC exponents, 0.04 with LSP).
    pub(crate) noise_mult: f32,
}

impl Setup {
    pub(crate) fn new(
        version: u8,
        channels: usize,
        sample_rate: u32,
        bit_rate: u64,
        flags: Flags,
    ) -> Result<Setup> {
        if !(1..=2).contains(&channels) {
            return unsupported_error("wma: only mono and stereo are supported");
        }
        if sample_rate == 0 || sample_rate > 50000 {
            return unsupported_error("wma: sample rate out of range");
        }
        if bit_rate == 0 {
            return unsupported_error("wma: bit rate must not be zero");
        }

        let frame_len_bits = if sample_rate <= 16000 {
            9
        } else if sample_rate <= 22050 || (version == 1 && sample_rate <= 32000) {
            10
        } else {
            11
        };
        let frame_len = 1usize << frame_len_bits;

        let nb_block_sizes = if flags.use_variable_block_len {
            let mut nb = u32::from((flags.flags2 >> 3) & 3) + 1;
            if bit_rate / channels as u64 >= 32000 {
                nb += 2;
            }
            nb.min(frame_len_bits - BLOCK_MIN_BITS) as usize + 1
        } else {
            1
        };

        // v2 normalises the rate for the noise-coding rules only.
        let mut sample_rate1 = sample_rate;
        if version == 2 {
            for r in [44100, 22050, 16000, 11025, 8000] {
                if sample_rate1 >= r {
                    sample_rate1 = r;
                    break;
                }
            }
        }

        let bps: f32 = bit_rate as f32 / (channels as u32 * sample_rate) as f32;
        let bytes = (f64::from(bps * frame_len as f32) / 8.0 + 0.5) as i64;
        let byte_offset_bits = if bytes > 0 { bytes.ilog2() } else { 0 } + 2;
        if byte_offset_bits + 3 > 25 {
            return unsupported_error("wma: bit rate too high for this sample rate");
        }

        let bps1: f32 = if channels == 2 {
            (f64::from(bps) * 1.6) as f32
        } else {
            bps
        };
        let (bps_d, bps1_d) = (f64::from(bps), f64::from(bps1));
        let mut high_freq: f32 = (f64::from(sample_rate) * 0.5) as f32;
        let scale = |hf: f32, x: f64| (f64::from(hf) * x) as f32;
        let mut use_noise_coding = true;
        match sample_rate1 {
            44100 => {
                if bps1_d >= 0.61 {
                    use_noise_coding = false;
                } else {
                    high_freq = scale(high_freq, 0.4);
                }
            }
            22050 => {
                if bps1_d >= 1.16 {
                    use_noise_coding = false;
                } else if bps1_d >= 0.72 {
                    high_freq = scale(high_freq, 0.7);
                } else {
                    high_freq = scale(high_freq, 0.6);
                }
            }
            16000 => high_freq = scale(high_freq, if bps_d > 0.5 { 0.5 } else { 0.3 }),
            11025 => high_freq = scale(high_freq, 0.7),
            8000 => {
                if bps_d <= 0.625 {
                    high_freq = scale(high_freq, 0.5);
                } else if bps_d > 0.75 {
                    use_noise_coding = false;
                } else {
                    high_freq = scale(high_freq, 0.65);
                }
            }
            _ => {
                let x = if bps_d >= 0.8 {
                    0.75
                } else if bps_d >= 0.6 {
                    0.6
                } else {
                    0.5
                };
                high_freq = scale(high_freq, x);
            }
        }

        let coefs_start = if version == 1 { 3 } else { 0 };
        let mut coefs_end = Vec::new();
        let mut exponent_bands = Vec::new();
        let mut high_band_start = Vec::new();
        let mut high_bands_v = Vec::new();
        for k in 0..nb_block_sizes {
            let block_len = frame_len >> k;
            let end = (frame_len - (frame_len * 9) / 100) >> k;
            let hbs = (f64::from((block_len as f32 * 2.0 * high_freq) / sample_rate as f32) + 0.5)
                as usize;
            let (bands, bands_for_high) = if version == 1 {
                // FFmpeg stores every v1 layout into row 0 and leaves the other rows empty,
                // so only the full-size block (k = 0, computed first) has high bands; with a
                // single block size this is the natural layout (wma-decoder.md §2.5, §2.8).
                let b = v1_bands(sample_rate, block_len as u32);
                let h = if k == 0 { b.clone() } else { Vec::new() };
                (b, h)
            } else {
                let b = v2_bands(sample_rate, block_len as u32, frame_len_bits - 7 - k as u32);
                (b.clone(), b)
            };
            high_bands_v.push(high_bands(&bands_for_high, hbs as u32, end as u32));
            exponent_bands.push(bands);
            coefs_end.push(end);
            high_band_start.push(hbs);
        }

        let coef_pair = if sample_rate >= 32000 {
            if bps1 < 0.72 {
                0
            } else if bps1 < 1.16 {
                1
            } else {
                2
            }
        } else {
            2
        };

        Ok(Setup {
            version,
            channels,
            sample_rate,
            flags,
            frame_len_bits,
            frame_len,
            nb_block_sizes,
            byte_offset_bits,
            use_noise_coding,
            coef_pair,
            coefs_start,
            coefs_end,
            exponent_bands,
            high_band_start,
            high_bands: high_bands_v,
            noise_mult: if flags.use_exp_vlc { 0.02 } else { 0.04 },
        })
    }
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn flags(v: u8, f: u16) -> Flags {
        let mut extra = [0u8; 10];
        let at = if v == 1 { 2 } else { 4 };
        extra[at..at + 2].copy_from_slice(&f.to_le_bytes());
        Flags::from_extra(v, &extra[..if v == 1 { 4 } else { 6 }])
    }

    /// The worked set-ups of wma-decoder.md §2.7.
    #[test]
    fn worked_setups() {
        // (version, sr, channels, bit rate, flags2, frame_len, nb_bs, byte_offset_bits,
        //  noise, pair, bands per k, high band start k=0, high bands k=0)
        type Case = (
            u8,
            u32,
            usize,
            u64,
            u16,
            usize,
            usize,
            u32,
            bool,
            usize,
            &'static [usize],
        );
        let cases: [(Case, usize, &[u16]); 8] = [
            (
                (
                    2,
                    44100,
                    2,
                    128016,
                    0x0F,
                    2048,
                    5,
                    10,
                    false,
                    2,
                    &[25, 25, 17, 15, 12],
                ),
                0,
                &[],
            ),
            (
                (
                    2,
                    48000,
                    2,
                    64008,
                    0x0F,
                    2048,
                    5,
                    9,
                    false,
                    1,
                    &[25, 25, 17, 15, 12],
                ),
                0,
                &[],
            ),
            (
                (2, 44100, 1, 24000, 0x01, 2048, 1, 9, true, 0, &[25]),
                819,
                &[65, 232, 324, 424],
            ),
            (
                (2, 22050, 1, 24000, 0x01, 1024, 1, 9, true, 2, &[23]),
                717,
                &[167, 48],
            ),
            (
                (2, 32000, 2, 28800, 0x01, 2048, 1, 8, true, 0, &[25]),
                1229,
                &[307, 328],
            ),
            (
                (2, 16000, 1, 24000, 0x01, 512, 1, 8, true, 2, &[22]),
                256,
                &[24, 60, 68, 58],
            ),
            (
                (2, 11025, 1, 12000, 0x07, 512, 2, 8, true, 2, &[20, 20]),
                358,
                &[],
            ),
            (
                (1, 32000, 2, 48000, 0x01, 1024, 1, 8, true, 2, &[25]),
                614,
                &[154, 164],
            ),
        ];
        for ((v, sr, ch, br, f2, fl, nbs, bob, noise, pair, nbands), hbs, hb) in cases {
            let s = Setup::new(v, ch, sr, br, flags(v, f2)).unwrap();
            assert_eq!(s.frame_len, fl, "{sr} {br}");
            assert_eq!(s.nb_block_sizes, nbs, "{sr} {br}");
            assert_eq!(s.byte_offset_bits, bob, "{sr} {br}");
            assert_eq!(s.use_noise_coding, noise, "{sr} {br}");
            assert_eq!(s.coef_pair, pair, "{sr} {br}");
            let counts: Vec<usize> = s.exponent_bands.iter().map(|b| b.len()).collect();
            assert_eq!(counts, nbands, "{sr} {br}");
            if noise {
                assert_eq!(s.high_band_start[0], hbs, "{sr} {br}");
                if !hb.is_empty() {
                    assert_eq!(s.high_bands[0], hb, "{sr} {br}");
                }
            }
        }
        let s = Setup::new(2, 1, 11025, 12000, flags(2, 0x07)).unwrap();
        assert_eq!(s.high_band_start, [358, 179]);
    }
}
