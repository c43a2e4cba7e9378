//! WAVEFORMATEX parsing and the WMA v1/v2 codec-specific flags.
//!
//! The player passes the complete WAVEFORMATEX of the ASF Stream Properties object as
//! `extra_data`: wFormatTag u16, nChannels u16, nSamplesPerSec u32, nAvgBytesPerSec u32,
//! nBlockAlign u16, wBitsPerSample u16, cbSize u16, then cbSize extra bytes (little-endian).
//! The flag layout of the extra bytes is in wma-decoder.md §1.

use symphonia_core::errors::{Result, decode_error};

pub(crate) const TAG_WMAV1: u16 = 0x0160;
pub(crate) const TAG_WMAV2: u16 = 0x0161;
pub(crate) const TAG_WMAPRO: u16 = 0x0162;
pub(crate) const TAG_WMALOSSLESS: u16 = 0x0163;
pub(crate) const TAG_WMAVOICE: u16 = 0x000A;

/// The fields of a WAVEFORMATEX that the decoder uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WaveFormatEx {
    pub(crate) format_tag: u16,
    pub(crate) channels: u16,
    pub(crate) sample_rate: u32,
    pub(crate) avg_bytes_per_sec: u32,
    pub(crate) block_align: u16,
    /// The cbSize bytes after the fixed part (clamped to what is present).
    pub(crate) extra: Vec<u8>,
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

impl WaveFormatEx {
    /// Parses a WAVEFORMATEX; the 18-byte fixed part must be present.
    pub(crate) fn parse(wfx: &[u8]) -> Result<WaveFormatEx> {
        let field = |v: Option<u32>| match v {
            Some(v) => Ok(v),
            None => decode_error("wma: WAVEFORMATEX shorter than 18 bytes"),
        };
        let format_tag = field(u16le(wfx, 0).map(u32::from))? as u16;
        let channels = field(u16le(wfx, 2).map(u32::from))? as u16;
        let sample_rate = field(u32le(wfx, 4))?;
        let avg_bytes_per_sec = field(u32le(wfx, 8))?;
        let block_align = field(u16le(wfx, 12).map(u32::from))? as u16;
        let cb_size = usize::from(field(u16le(wfx, 16).map(u32::from))? as u16);
        let extra_end = (18 + cb_size).min(wfx.len());
        let extra = wfx.get(18..extra_end).unwrap_or(&[]).to_vec();
        Ok(WaveFormatEx {
            format_tag,
            channels,
            sample_rate,
            avg_bytes_per_sec,
            block_align,
            extra,
        })
    }
}

/// The coding tools a stream uses, from the extradata's `flags2` word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flags {
    pub(crate) flags2: u16,
    pub(crate) use_exp_vlc: bool,
    pub(crate) use_bit_reservoir: bool,
    pub(crate) use_variable_block_len: bool,
}

impl Flags {
    /// v1 keeps flags2 at byte 2 (needs ≥ 4 bytes), v2 at byte 4 (needs ≥ 6 bytes); shorter
    /// extradata means flags2 = 0 (LSP exponents, fixed blocks, no reservoir).
    pub(crate) fn from_extra(version: u8, extra: &[u8]) -> Flags {
        let flags2 = match version {
            1 if extra.len() >= 4 => u16le(extra, 2).unwrap_or(0),
            2 if extra.len() >= 6 => u16le(extra, 4).unwrap_or(0),
            _ => 0,
        };
        let mut use_variable_block_len = flags2 & 4 != 0;
        // FFmpeg "issue1503": v2 files whose flags word is exactly 0x000D (with ≥ 8 bytes of
        // extradata) do not really use variable block lengths.
        if version == 2 && extra.len() >= 8 && flags2 == 0x000D {
            use_variable_block_len = false;
        }
        Flags {
            flags2,
            use_exp_vlc: flags2 & 1 != 0,
            use_bit_reservoir: flags2 & 2 != 0,
            use_variable_block_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wfx(tag: u16, extra: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&44100u32.to_le_bytes());
        v.extend_from_slice(&16002u32.to_le_bytes());
        v.extend_from_slice(&743u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn parses_fields_and_flags() {
        let w = WaveFormatEx::parse(&wfx(0x161, &[0, 0, 0, 0, 0x0F, 0, 0, 0, 0, 0])).unwrap();
        assert_eq!(w.channels, 2);
        assert_eq!(w.sample_rate, 44100);
        assert_eq!(w.avg_bytes_per_sec, 16002);
        assert_eq!(w.block_align, 743);
        let f = Flags::from_extra(2, &w.extra);
        assert_eq!(f.flags2, 0x0F);
        assert!(f.use_exp_vlc && f.use_bit_reservoir && f.use_variable_block_len);
    }

    #[test]
    fn short_extradata_means_no_flags_and_quirk_applies() {
        assert_eq!(Flags::from_extra(2, &[1, 0, 0, 0, 1]).flags2, 0);
        assert_eq!(Flags::from_extra(1, &[0, 0, 1, 0]).flags2, 1);
        let f = Flags::from_extra(2, &[0, 0, 0, 0, 0x0D, 0, 0, 0]);
        assert!(!f.use_variable_block_len && f.use_exp_vlc);
        let f = Flags::from_extra(2, &[0, 0, 0, 0, 0x0D, 0]);
        assert!(f.use_variable_block_len);
    }

    #[test]
    fn refuses_short_input() {
        assert!(WaveFormatEx::parse(&[0; 17]).is_err());
    }
}
