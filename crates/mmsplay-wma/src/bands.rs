//! Exponent band layouts and noise-coding ("high") bands.
//!
//! Provenance of the constants: `CRITICAL_FREQS` is FFmpeg 5.1.9 `ff_wma_critical_freqs`
//! (`libavcodec/wma_freqs.c`); `EXPONENT_BAND_22050/32000/44100` are FFmpeg 5.1.9
//! `exponent_band_*` (`libavcodec/wmadata.h`), extracted by FFmpeg from Microsoft's decoder.
//! Each row is: band count, then the band widths (they sum to 128, 256 and 512).
//! The computation rules follow wma-decoder.md §2.5–2.6.

/// Band edges in Hz.
pub(crate) const CRITICAL_FREQS: [u32; 25] = [
    100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700,
    4400, 5300, 6400, 7700, 9500, 12000, 15500, 24500,
];

#[rustfmt::skip]
const EXPONENT_BAND_22050: [&[u16]; 3] = [
    &[10, 4, 8, 4, 8, 8, 12, 20, 24, 24, 16],
    &[14, 4, 8, 8, 4, 12, 12, 16, 24, 16, 20, 24, 32, 40, 36],
    &[23, 4, 4, 4, 8, 4, 4, 8, 8, 8, 8, 8, 12, 12, 16, 16, 24, 24, 32, 44, 48, 60, 84, 72],
];

#[rustfmt::skip]
const EXPONENT_BAND_32000: [&[u16]; 3] = [
    &[11, 4, 4, 8, 4, 4, 12, 16, 24, 20, 28, 4],
    &[15, 4, 8, 4, 4, 8, 8, 16, 20, 12, 20, 20, 28, 40, 56, 8],
    &[16, 8, 4, 8, 8, 12, 16, 20, 24, 40, 32, 32, 44, 56, 80, 112, 16],
];

#[rustfmt::skip]
const EXPONENT_BAND_44100: [&[u16]; 3] = [
    &[12, 4, 4, 4, 4, 4, 8, 8, 8, 12, 16, 20, 36],
    &[15, 4, 8, 4, 8, 8, 4, 8, 8, 12, 12, 12, 24, 28, 40, 76],
    &[17, 4, 8, 8, 4, 12, 12, 8, 8, 24, 16, 20, 24, 32, 40, 60, 80, 152],
];

/// v2 band widths for a block of `block_len` samples (`a` = log2(block_len) − 7).
pub(crate) fn v2_bands(sample_rate: u32, block_len: u32, a: u32) -> Vec<u16> {
    if a < 3 {
        let table = if sample_rate >= 44100 {
            Some(EXPONENT_BAND_44100[a as usize])
        } else if sample_rate >= 32000 {
            Some(EXPONENT_BAND_32000[a as usize])
        } else if sample_rate >= 22050 {
            Some(EXPONENT_BAND_22050[a as usize])
        } else {
            None
        };
        if let Some(t) = table {
            return t[1..].to_vec();
        }
    }
    // Computed layout: edges rounded to multiples of 4 bins, zero-width bands dropped.
    let (sr, bl) = (u64::from(sample_rate), u64::from(block_len));
    let mut bands = Vec::new();
    let mut lpos = 0;
    for &f in &CRITICAL_FREQS {
        let pos = (((bl * 2 * u64::from(f) + 2 * sr) / (4 * sr)) * 4).min(bl);
        if pos > lpos {
            bands.push((pos - lpos) as u16);
        }
        if pos >= bl {
            break;
        }
        lpos = pos;
    }
    bands
}

/// v1 band widths: edges rounded to the nearest bin, zero-width bands kept.
pub(crate) fn v1_bands(sample_rate: u32, block_len: u32) -> Vec<u16> {
    let (sr, bl) = (u64::from(sample_rate), u64::from(block_len));
    let mut bands = Vec::new();
    let mut lpos = 0;
    for &f in &CRITICAL_FREQS {
        let pos = ((bl * 2 * u64::from(f) + sr / 2) / sr).min(bl);
        bands.push((pos - lpos) as u16);
        if pos >= bl {
            break;
        }
        lpos = pos;
    }
    bands
}

/// Widths of the parts of `bands` that lie in [high_band_start, coefs_end).
pub(crate) fn high_bands(bands: &[u16], high_band_start: u32, coefs_end: u32) -> Vec<u16> {
    let mut out = Vec::new();
    let mut pos = 0u32;
    for &w in bands {
        let start = pos.max(high_band_start);
        pos += u32::from(w);
        let end = pos.min(coefs_end);
        if end > start {
            out.push((end - start) as u16);
        }
    }
    out
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn hard_coded_rows_sum_to_block_length() {
        for t in [
            EXPONENT_BAND_22050,
            EXPONENT_BAND_32000,
            EXPONENT_BAND_44100,
        ] {
            for (a, row) in t.iter().enumerate() {
                assert_eq!(usize::from(row[0]), row.len() - 1);
                assert_eq!(
                    row[1..].iter().map(|&w| u32::from(w)).sum::<u32>(),
                    128 << a
                );
            }
        }
    }

    #[test]
    fn computed_layouts_match_check_values() {
        let b = v2_bands(44100, 2048, 4);
        assert_eq!(b.len(), 25);
        assert_eq!(&b[..6], &[8, 12, 8, 8, 12, 12]);
        assert_eq!(&b[22..], &[232, 324, 608]);
        let b = v2_bands(22050, 1024, 3);
        assert_eq!((b.len(), b[22]), (23, 140));
        assert_eq!(
            v2_bands(8000, 512, 2),
            [
                12, 12, 16, 12, 12, 16, 20, 16, 24, 24, 24, 32, 36, 40, 48, 60, 68, 40
            ]
        );
        assert_eq!(
            v1_bands(44100, 2048),
            [
                9, 10, 9, 9, 10, 12, 13, 13, 15, 18, 19, 23, 26, 29, 36, 42, 51, 65, 83, 102, 121,
                167, 233, 325, 608
            ]
        );
    }

    #[test]
    fn high_bands_match_check_values() {
        assert_eq!(
            high_bands(&v2_bands(44100, 2048, 4), 819, 1864),
            [65, 232, 324, 424]
        );
        assert_eq!(
            high_bands(&v1_bands(44100, 2048), 819, 1864),
            [63, 233, 325, 424]
        );
    }
}
