//! Stream parameters of WMA Lossless, from the WAVEFORMATEX and its 18 extra bytes.
//!
//! Extra-byte layout (little-endian): bytes 0–1 bits per sample (16 or 24), 2–5 the channel
//! mask, 14–15 the `decode_flags` word. Bits of `decode_flags`: 0x0006 frame-length modifier
//! (2 → ×2, 4 → ÷2, 6 → ÷4), 0x0038 log2 of the most tiles per channel and frame, 0x0040 every
//! frame starts with its length, 0x0080 every frame carries an 8-bit DRC gain (ignored),
//! 0x0100 the newer ("V3 RTM") update-speed rescaling and a per-tile LPC flag.

use crate::engine::Format;

/// The most channels a stream may have (FFmpeg's limit too).
pub(crate) const MAX_CHANNELS: usize = 8;
/// The most tiles one channel may have in a frame.
pub(crate) const MAX_TILES: usize = 32;
/// Largest WMA packet FFmpeg accepts (bytes).
const MAX_BLOCK_ALIGN: usize = 1 << 21;

/// Derived, immutable facts about one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) channels: usize,
    /// 16 or 24.
    pub(crate) bits: u32,
    /// Samples per frame and channel (a power of two, 128..=16384).
    pub(crate) frame_len: usize,
    /// Most tiles per channel and frame (a power of two, 1..=32).
    pub(crate) max_tiles: usize,
    /// The shortest tile: `frame_len / max_tiles`.
    pub(crate) min_tile: usize,
    /// Width of the packet header's "bits of the previous frame" field and of frame lengths.
    pub(crate) log2_frame_size: u32,
    pub(crate) block_align: usize,
    pub(crate) len_prefix: bool,
    pub(crate) drc: bool,
    /// Newer encoder revision: rescale the sliding update window, and tiles have an LPC flag.
    pub(crate) v3rtm: bool,
}

impl Params {
    pub(crate) fn new(w: &Format) -> Result<Params, &'static str> {
        let block_align = usize::from(w.block_align);
        if block_align == 0 || block_align > MAX_BLOCK_ALIGN {
            return Err("wmalossless: block align must be 1..2^21");
        }
        let e = &w.extra;
        if e.len() < 18 {
            return Err("wmalossless: extradata must be at least 18 bytes");
        }
        let bits = u32::from(u16::from_le_bytes([e[0], e[1]]));
        if bits != 16 && bits != 24 {
            return Err("wmalossless: only 16- and 24-bit streams exist");
        }
        let mask = u32::from_le_bytes([e[2], e[3], e[4], e[5]]);
        let flags = u16::from_le_bytes([e[14], e[15]]);
        // A channel mask, when present, decides the channel count (as in FFmpeg).
        let channels = if mask != 0 {
            mask.count_ones() as usize
        } else {
            usize::from(w.channels)
        };
        if channels == 0 || channels > MAX_CHANNELS {
            return Err("wmalossless: 1 to 8 channels");
        }
        if mask != 0 && channels != usize::from(w.channels) {
            // The dispatcher sizes its output by nChannels; refuse a stream that disagrees.
            return Err("wmalossless: channel mask and channel count disagree");
        }
        let max_tiles = 1usize << ((flags & 0x38) >> 3);
        if max_tiles > MAX_TILES {
            return Err("wmalossless: more than 32 tiles per frame");
        }
        let frame_len = 1usize << frame_len_bits(w.sample_rate, flags);
        Ok(Params {
            channels,
            bits,
            frame_len,
            max_tiles,
            min_tile: frame_len / max_tiles,
            log2_frame_size: block_align.ilog2() + 4,
            block_align,
            len_prefix: flags & 0x40 != 0,
            drc: flags & 0x80 != 0,
            v3rtm: flags & 0x100 != 0,
        })
    }
}

/// log2 of the frame length: by sample rate, then the flags' modifier (WMA 9 rule).
fn frame_len_bits(rate: u32, flags: u16) -> u32 {
    let base = match rate {
        0..=16000 => 9,
        16001..=22050 => 10,
        22051..=48000 => 11,
        48001..=96000 => 12,
        _ => 13,
    };
    match flags & 6 {
        2 => base + 1,
        4 => base - 1,
        6 => base - 2,
        _ => base,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::extradata::WaveFormatEx;

    /// A WMA Lossless WAVEFORMATEX's parsed form.
    pub(crate) fn format(
        channels: u16,
        rate: u32,
        block_align: u16,
        bits: u16,
        flags: u16,
    ) -> WaveFormatEx {
        let mut extra = vec![0u8; 18];
        extra[0..2].copy_from_slice(&bits.to_le_bytes());
        extra[14..16].copy_from_slice(&flags.to_le_bytes());
        WaveFormatEx {
            format_tag: 0x0163,
            channels,
            sample_rate: rate,
            avg_bytes_per_sec: 0,
            block_align,
            extra,
        }
    }

    #[test]
    fn real_file_parameters() {
        // 44.1 kHz stereo, block align 13375, flags 0x01A1 (the Audio::Scan and taglib files).
        let p = Params::new(&format(2, 44100, 13375, 16, 0x01A1)).unwrap();
        assert_eq!((p.frame_len, p.max_tiles, p.min_tile), (2048, 16, 128));
        assert_eq!(p.log2_frame_size, 17);
        assert!(p.drc && p.v3rtm && !p.len_prefix);
    }

    #[test]
    fn frame_length_rules_and_refusals() {
        assert_eq!(frame_len_bits(8000, 0), 9);
        assert_eq!(frame_len_bits(22050, 2), 11);
        assert_eq!(frame_len_bits(96000, 4), 11);
        assert_eq!(frame_len_bits(192000, 6), 11);
        assert!(Params::new(&format(2, 44100, 13375, 20, 0)).is_err());
        assert!(Params::new(&format(9, 44100, 13375, 16, 0)).is_err());
        assert!(Params::new(&format(2, 44100, 0, 16, 0)).is_err());
        assert!(Params::new(&format(2, 44100, 13375, 16, 0x30)).is_err());
        assert_eq!(
            Params::new(&format(2, 44100, 13375, 16, 0x28))
                .unwrap()
                .max_tiles,
            32
        );
        let mut short = format(2, 44100, 100, 16, 0);
        short.extra.truncate(10);
        assert!(Params::new(&short).is_err());
    }
}
