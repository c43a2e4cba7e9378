//! A WMA Pro stream's fixed parameters: what the WAVEFORMATEX and its 18-byte extradata say,
//! and everything derived from them once (frame size, subframe sizes, scale-factor bands and
//! the map that carries scale factors from one subframe size to another).
//!
//! Extradata (little-endian): bits per sample u16, channel mask u32, 8 reserved bytes,
//! decode flags u16, 2 reserved bytes. Decode flags: 0x0006 frame-size adjustment, 0x0038
//! log2 of the most subframes per channel, 0x0040 length prefix on every frame, 0x0080 a DRC
//! gain in every frame (read, not applied, as the reference does).

use crate::engine::Format;
use crate::pro::tables::CRITICAL_FREQ;

/// Largest channel count the format (and the reference) supports.
pub(crate) const MAX_CHANNELS: usize = 8;
/// Smallest subframe.
pub(crate) const MIN_BLOCK: usize = 64;
/// Largest frame (log2).
const MAX_FRAME_BITS: u32 = 13;
/// Most subframes per channel and frame.
pub(crate) const MAX_SUBFRAMES: usize = 32;
/// Most scale-factor bands of a subframe.
pub(crate) const MAX_BANDS: usize = 29;

/// Everything fixed for one stream.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Decoded channels: the number of speakers in the channel mask, or nChannels without one.
    pub(crate) channels: usize,
    pub(crate) bits_per_sample: u32,
    pub(crate) block_align: usize,
    pub(crate) len_prefix: bool,
    pub(crate) drc: bool,
    /// Samples per channel per frame.
    pub(crate) spf: usize,
    pub(crate) max_subframes: usize,
    pub(crate) min_subframe: usize,
    /// Width of a subframe-length code.
    pub(crate) subframe_len_bits: u32,
    /// Length codes start with a "full length" bit (4 and 16 subframes).
    pub(crate) subframe_len_bit: bool,
    /// Band edges per block-size index t (block = spf >> t); the last edge is the block size.
    pub(crate) band_edges: Vec<Vec<usize>>,
    /// `sf_map[t][r][b]`: the band of a size-r layout whose scale factor band b of a size-t
    /// subframe reuses.
    pub(crate) sf_map: Vec<Vec<Vec<u8>>>,
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

impl Config {
    pub(crate) fn new(w: &Format) -> Result<Config, &'static str> {
        let e = &w.extra;
        if e.len() < 18 {
            return Err("wmapro: extradata shorter than 18 bytes");
        }
        if w.block_align == 0 {
            return Err("wmapro: block align must not be zero");
        }
        if w.sample_rate == 0 {
            return Err("wmapro: invalid sample rate");
        }
        let bits_per_sample = u32::from(u16le(e, 0));
        if !(1..=32).contains(&bits_per_sample) {
            return Err("wmapro: unsupported bits per sample");
        }
        let channel_mask = u32::from_le_bytes([e[2], e[3], e[4], e[5]]);
        let flags = u16le(e, 14);
        let channels = if channel_mask != 0 {
            channel_mask.count_ones() as usize
        } else {
            usize::from(w.channels)
        };
        if channels == 0 {
            return Err("wmapro: no channels");
        }
        if channels > MAX_CHANNELS || channels > usize::from(w.channels) {
            return Err("wmapro: more channels than supported or declared");
        }

        let mut frame_bits = match w.sample_rate {
            0..=16000 => 9,
            16001..=22050 => 10,
            22051..=48000 => 11,
            48001..=96000 => 12,
            _ => 13,
        };
        match flags & 6 {
            2 => frame_bits += 1,
            4 => frame_bits -= 1,
            6 => frame_bits -= 2,
            _ => {}
        }
        if frame_bits > MAX_FRAME_BITS {
            return Err("wmapro: frames larger than 8192 samples are not supported");
        }
        let spf = 1usize << frame_bits;
        let log2_max_subframes = u32::from((flags >> 3) & 7);
        let max_subframes = 1usize << log2_max_subframes;
        if max_subframes > MAX_SUBFRAMES {
            return Err("wmapro: invalid number of subframes");
        }
        let min_subframe = spf / max_subframes;
        if min_subframe < MIN_BLOCK {
            return Err("wmapro: subframes too small");
        }
        let sizes = log2_max_subframes as usize + 1;
        let band_edges: Vec<Vec<usize>> =
            (0..sizes).map(|t| bands(spf >> t, w.sample_rate)).collect();
        if band_edges.iter().any(|e| e.len() < 2) {
            return Err("wmapro: no scale factor bands");
        }
        let sf_map = sf_map(&band_edges);
        // The LFE channel (mask bit 3) needs nothing special: the reference computes a
        // low-pass cutoff for it but never applies it, so neither do we.
        Ok(Config {
            channels,
            bits_per_sample,
            block_align: usize::from(w.block_align),
            len_prefix: flags & 0x40 != 0,
            drc: flags & 0x80 != 0,
            spf,
            max_subframes,
            min_subframe,
            subframe_len_bits: log2_max_subframes.max(1).ilog2() + 1,
            subframe_len_bit: max_subframes == 4 || max_subframes == 16,
            band_edges,
            sf_map,
        })
    }

    /// Block-size index of a subframe of `len` samples (0 = a whole frame).
    pub(crate) fn size_index(&self, len: usize) -> usize {
        (self.spf / len).ilog2() as usize
    }
}

/// Scale-factor band edges of a block of `len` samples: critical frequencies mapped to
/// coefficient indices, rounded to multiples of 4, strictly increasing, the last edge `len`.
fn bands(len: usize, rate: u32) -> Vec<usize> {
    let mut edges = vec![0usize];
    for &f in CRITICAL_FREQ.iter().take(MAX_BANDS - 1) {
        if *edges.last().unwrap_or(&0) >= len {
            break;
        }
        let o = ((len as u64 * 2 * u64::from(f)) / u64::from(rate) + 2) as usize & !3;
        if o > *edges.last().unwrap_or(&0) {
            edges.push(o);
        }
        if o >= len {
            break;
        }
    }
    if let Some(last) = edges.last_mut() {
        *last = len;
    }
    edges
}

/// For each pair of block sizes, which band of the other layout covers each band's centre.
fn sf_map(edges: &[Vec<usize>]) -> Vec<Vec<Vec<u8>>> {
    edges
        .iter()
        .enumerate()
        .map(|(t, et)| {
            edges
                .iter()
                .enumerate()
                .map(|(r, er)| {
                    (0..et.len() - 1)
                        .map(|b| {
                            let centre = ((et[b] + et[b + 1] - 1) << t) >> 1;
                            let mut v = 0;
                            while v + 2 < er.len() && (er[v + 1] << r) < centre {
                                v += 1;
                            }
                            v as u8
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::extradata::{TAG_WMAPRO, WaveFormatEx};

    pub(crate) fn format(rate: u32, channels: u16, mask: u32, bits: u16, flags: u16) -> Format {
        let mut extra = vec![0u8; 18];
        extra[0..2].copy_from_slice(&bits.to_le_bytes());
        extra[2..6].copy_from_slice(&mask.to_le_bytes());
        extra[14..16].copy_from_slice(&flags.to_le_bytes());
        WaveFormatEx {
            format_tag: TAG_WMAPRO,
            channels,
            sample_rate: rate,
            avg_bytes_per_sec: 6000,
            block_align: 2230,
            extra,
        }
    }

    fn counts(c: &Config) -> Vec<usize> {
        c.band_edges.iter().map(|e| e.len() - 1).collect()
    }

    #[test]
    fn setups_of_known_streams() {
        let c = Config::new(&format(44100, 2, 3, 16, 0xE0)).unwrap();
        assert_eq!((c.spf, c.max_subframes, c.min_subframe), (2048, 16, 128));
        assert_eq!((c.subframe_len_bits, c.subframe_len_bit), (3, true));
        assert_eq!(counts(&c), [26, 26, 23, 19, 14]);
        assert_eq!(
            c.band_edges[0],
            [
                0, 8, 20, 28, 36, 48, 60, 72, 84, 100, 116, 136, 160, 184, 216, 252, 292, 344, 408,
                492, 596, 716, 884, 1116, 1440, 1920, 2048
            ]
        );
        assert_eq!(
            c.band_edges[4],
            [0, 4, 8, 12, 16, 20, 24, 32, 36, 44, 56, 68, 88, 120, 128]
        );
        let c48 = Config::new(&format(48000, 2, 3, 16, 0xE0)).unwrap();
        assert_eq!(counts(&c48), [26, 26, 23, 18, 14]);
        let c32 = Config::new(&format(32000, 2, 3, 16, 0x60)).unwrap();
        assert_eq!(counts(&c32), [25, 25, 24, 20, 15]);
        let c96 = Config::new(&format(96000, 2, 3, 16, 0x60)).unwrap();
        assert_eq!((c96.spf, c96.min_subframe), (4096, 256));
        assert_eq!(counts(&c96), [28, 28, 25, 20, 16]);
        assert!(c96.band_edges[0].ends_with(&[1764, 2440, 3532, 4096]));
        let c22 = Config::new(&format(22050, 2, 3, 16, 0x58)).unwrap();
        assert_eq!(
            (c22.spf, c22.max_subframes, c22.subframe_len_bits),
            (1024, 8, 2)
        );
        assert!(!c22.subframe_len_bit);
        assert_eq!(counts(&c22), [23, 23, 20, 16]);
        let c16 = Config::new(&format(16000, 2, 3, 16, 0x58)).unwrap();
        assert_eq!((c16.spf, c16.min_subframe), (512, 64));
        assert_eq!(counts(&c16), [22, 21, 17, 12]);
    }

    #[test]
    fn scale_factor_map_rows() {
        let c = Config::new(&format(44100, 2, 3, 16, 0xE0)).unwrap();
        let mut want1 = vec![0u8, 1, 1];
        want1.extend(3..=25);
        assert_eq!(c.sf_map[1][0], want1);
        assert_eq!(
            c.sf_map[4][0],
            [2, 8, 11, 13, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25]
        );
    }

    #[test]
    fn channels_and_refusals() {
        let c = Config::new(&format(48000, 6, 0x3F, 24, 0x58)).unwrap();
        assert_eq!(c.channels, 6);
        let c = Config::new(&format(48000, 2, 0, 16, 0x58)).unwrap();
        assert_eq!(c.channels, 2);
        // More mask bits than declared channels, 9 channels, 64 subframes, zero bits.
        assert!(Config::new(&format(48000, 2, 0x3F, 16, 0x58)).is_err());
        assert!(Config::new(&format(48000, 9, 0, 16, 0x58)).is_err());
        assert!(Config::new(&format(48000, 2, 3, 16, 0x30)).is_err());
        assert!(Config::new(&format(48000, 2, 3, 0, 0x58)).is_err());
        assert!(Config::new(&format(192000, 2, 3, 16, 0x62)).is_err());
        let mut f = format(48000, 2, 3, 16, 0x58);
        f.extra.truncate(17);
        assert!(Config::new(&f).is_err());
    }
}
