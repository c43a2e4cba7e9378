//! Huffman-coded exponents (wma-decoder.md §5.1) and the per-channel exponent state.
//!
//! Each band of the spectrum gets one scale value 10^(e/16); e starts at 36 (v2) or is sent
//! as 5 bits + 10 (v1) and then moves by deltas coded with the AAC scale-factor code.

use crate::bitreader::BitReader;
use crate::codebooks::EXPONENT_VLC;

/// Valid exponent range.
const EXP_MIN: i32 = -60;
const EXP_MAX: i32 = 95;

/// 10^(e/16) for e in −60..=95, computed in double and rounded to f32. All 156 values equal
/// FFmpeg's literal `pow_tab` (wmadec.c).
pub(crate) fn pow_table() -> Vec<f32> {
    (EXP_MIN..=EXP_MAX)
        .map(|e| 10f64.powf(f64::from(e) / 16.0) as f32)
        .collect()
}

/// Fills `out` (one block of exponents) from the bit stream; returns the maximum, or `None`
/// when an exponent leaves the valid range (the superframe is then dropped).
///
/// `bands` are the band widths of this block size. A zero-width band writes four values, as
/// FFmpeg's unrolled fill loop does (reachable only in v1 with variable block lengths).
pub(crate) fn decode_vlc(
    r: &mut BitReader<'_>,
    version: u8,
    bands: &[u16],
    pow_tab: &[f32],
    out: &mut [f32],
) -> Option<f32> {
    let block_len = out.len();
    let mut q = 0usize;
    let mut max = 0f32;
    let mut bands = bands.iter();
    let fill = |q: &mut usize, n: usize, v: f32, out: &mut [f32]| {
        let n = if n == 0 { 4 } else { n };
        let end = (*q + n).min(out.len());
        if let Some(s) = out.get_mut(*q..end) {
            s.fill(v);
        }
        *q += n;
    };
    let mut last_exp: i32 = if version == 1 {
        let e = r.read(5) as i32 + 10;
        let v = *pow_tab.get((e - EXP_MIN) as usize)?;
        max = v;
        let n = bands.next().map_or(0, |&w| usize::from(w));
        fill(&mut q, n, v, out);
        e
    } else {
        36
    };
    while q < block_len {
        let code = EXPONENT_VLC.read(r)? as i32;
        last_exp += code - 60;
        if !(EXP_MIN..=EXP_MAX).contains(&last_exp) {
            return None;
        }
        let v = pow_tab[(last_exp - EXP_MIN) as usize];
        if v > max {
            max = v;
        }
        // Past the last band (only with corrupt layouts) the reference walks on into
        // unrelated memory; we stop instead.
        let n = bands.next().map_or(block_len, |&w| usize::from(w));
        fill(&mut q, n, v, out);
    }
    Some(max)
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn pow_table_check_values() {
        let t = pow_table();
        assert_eq!(t.len(), 156);
        assert_eq!(t[0], 1.7782794e-4);
        assert_eq!(t[155], 865964.31);
        assert_eq!(t[60], 1.0);
    }

    #[test]
    fn decodes_v2_deltas() {
        // Two bands of 2; delta 0 is the 1-bit code `0`, so exponents stay at 36.
        let data = [0u8; 4];
        let mut r = BitReader::new(&data);
        let mut out = [0f32; 4];
        let max = decode_vlc(&mut r, 2, &[2, 2], &pow_table(), &mut out).unwrap();
        assert_eq!(r.pos(), 2);
        assert_eq!(out, [max; 4]);
        assert_eq!(max, 10f64.powf(36.0 / 16.0) as f32);
    }
}
