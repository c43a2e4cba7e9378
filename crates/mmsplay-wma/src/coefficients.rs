//! Spectral coefficients: run/level decoding (wma-decoder.md §4.5) and their scaling by the
//! exponents, including noise substitution of high bands (§5.3).

use crate::bitreader::BitReader;
use crate::codebooks::CoefCodebook;
use crate::noise::NOISE_TAB_SIZE;

/// Reads the run/level coded values of one channel into `q` (block_len values, zeroed
/// first); `Err` on the reference's "overflow in spectral RLE".
///
/// The end-of-block code may be omitted when the last value lands on `nb_coefs − 1`. Escapes
/// carry a `coef_nb_bits` level and a `frame_len_bits` run even in short blocks.
pub(crate) fn read_run_levels(
    r: &mut BitReader<'_>,
    book: &CoefCodebook,
    q: &mut [f32],
    nb_coefs: usize,
    frame_len_bits: u32,
    coef_nb_bits: u32,
) -> Result<(), ()> {
    q.fill(0.0);
    let mask = q.len().wrapping_sub(1);
    let mut off = 0usize;
    while off < nb_coefs {
        let bits = r.peek32();
        // The code books are complete, so a missing code cannot happen; the reference would
        // treat it as an escape.
        let (code, len) = book.vlc.decode(bits).unwrap_or((0, 0));
        let code = code as usize;
        let value = if code > 1 {
            // Codes are at most 22 bits, so the sign bit is in the same 32-bit window.
            let positive = (bits << len) & 0x8000_0000 != 0;
            r.skip(len as usize + 1);
            let (run, level) = book.run_level.get(code).copied().unwrap_or((0, 0.0));
            off += run as usize;
            if positive { level } else { -level }
        } else if code == 1 {
            r.skip(len as usize);
            break;
        } else {
            r.skip(len as usize);
            let level = r.read(coef_nb_bits) as i32;
            off += r.read(frame_len_bits) as usize;
            // Sign bit 1 means positive.
            if r.read_bit() {
                level as f32
            } else {
                (-level) as f32
            }
        };
        // The write wraps inside the block before the overflow is detected, as in FFmpeg.
        if let Some(slot) = q.get_mut(off & mask) {
            *slot = value;
        }
        off += 1;
    }
    if off > nb_coefs { Err(()) } else { Ok(()) }
}

/// Everything the spectral reconstruction of one channel needs.
pub(crate) struct Reconstruct<'a> {
    pub(crate) block_len: usize,
    pub(crate) bsize: usize,
    pub(crate) coefs_start: usize,
    pub(crate) coefs_end: usize,
    pub(crate) nb_coefs: usize,
    /// The channel's exponents and the block size index they were decoded for.
    pub(crate) exponents: &'a [f32],
    pub(crate) exponents_bsize: usize,
    /// Common gain: 10^(total_gain/20) / max_exponent · mdct_norm.
    pub(crate) mult: f32,
    pub(crate) mdct_norm: f32,
    pub(crate) max_exponent: f32,
}

/// Noise coding parameters of one block of one channel.
pub(crate) struct NoiseParams<'a> {
    pub(crate) noise: &'a [f32],
    pub(crate) noise_index: &'a mut usize,
    pub(crate) noise_mult: f32,
    pub(crate) high_band_start: usize,
    pub(crate) high_bands: &'a [u16],
    pub(crate) band_coded: &'a [bool],
    pub(crate) band_values: &'a [i32],
}

#[inline]
fn exp_at(e: &[f32], i: isize) -> f32 {
    if i < 0 {
        0.0
    } else {
        e.get(i as usize).copied().unwrap_or(0.0)
    }
}

/// exp10 as FFmpeg computes it (`exp2(x·log2(10))` in double).
#[inline]
pub(crate) fn exp10(x: f64) -> f64 {
    (x * std::f64::consts::LOG2_10).exp2()
}

impl Reconstruct<'_> {
    /// Without noise coding: C[coefs_start + i] = Q[i]·E(i)·mult (v1 uses E(i), not
    /// E(coefs_start + i): a reference quirk), zero elsewhere.
    pub(crate) fn plain(&self, q: &[f32], c: &mut [f32]) {
        let (bsize, esz) = (self.bsize, self.exponents_bsize);
        let c = match c.get_mut(..self.block_len) {
            Some(c) => c,
            None => return,
        };
        c.fill(0.0);
        let mult = self.mult;
        let dst = c.get_mut(self.coefs_start..).unwrap_or_default();
        let n = self.nb_coefs.min(dst.len()).min(q.len());
        if bsize == esz {
            for ((d, &qv), &e) in dst[..n].iter_mut().zip(&q[..n]).zip(self.exponents) {
                *d = qv * e * mult;
            }
        } else {
            for (i, (d, &qv)) in dst[..n].iter_mut().zip(&q[..n]).enumerate() {
                *d = qv * exp_at(self.exponents, ((i << bsize) >> esz) as isize) * mult;
            }
        }
    }

    /// With noise coding: coded values plus a little noise, noise-substituted high bands and
    /// noise above `coefs_end`, written sequentially. `c` persists between blocks: for v1 short
    /// blocks the writes stop short of block_len and the rest keeps older values, as in FFmpeg.
    pub(crate) fn with_noise(&self, q: &[f32], c: &mut [f32], np: NoiseParams<'_>) {
        let (bsize, esz) = (self.bsize, self.exponents_bsize);
        let e = self.exponents;
        let map = |i: usize| ((i << bsize) >> esz) as isize;
        let noise = np.noise;
        let mut ni = *np.noise_index;
        let mut next_noise = || {
            let v = noise.get(ni).copied().unwrap_or(0.0);
            ni = (ni + 1) & (NOISE_TAB_SIZE - 1);
            v
        };
        let mut w = 0usize;
        let mut put = |w: &mut usize, v: f32| {
            if let Some(s) = c.get_mut(*w) {
                *s = v;
            }
            *w += 1;
        };
        let mult = self.mult;

        // Very low frequencies (v1: the 3 bins below coefs_start) are noise.
        for i in 0..self.coefs_start {
            let v = next_noise() * exp_at(e, map(i)) * mult;
            put(&mut w, v);
        }

        // Power of each noise-substituted band; the last such band is the reference.
        let nh = np.high_bands.len();
        let mut power = [0f32; 25];
        let mut last_high_band = 0usize;
        let mut p = ((np.high_band_start << bsize) >> esz) as isize;
        for j in 0..nh {
            let n = usize::from(np.high_bands[j]);
            if np.band_coded.get(j).copied().unwrap_or(false) {
                let mut e2 = 0f32;
                for i in 0..n {
                    let v = exp_at(e, p + map(i));
                    e2 += v * v;
                }
                if let Some(pw) = power.get_mut(j) {
                    *pw = e2 / n as f32;
                }
                last_high_band = j;
            }
            p += map(n);
        }

        // Main and high bands.
        let mut p = map(self.coefs_start);
        let mut k = 0usize;
        for j in -1..nh as isize {
            let n = if j < 0 {
                np.high_band_start.saturating_sub(self.coefs_start)
            } else {
                usize::from(np.high_bands[j as usize])
            };
            let substituted = j >= 0 && np.band_coded.get(j as usize).copied().unwrap_or(false);
            if substituted {
                let ju = j as usize;
                let ratio = power.get(ju).copied().unwrap_or(0.0)
                    / power.get(last_high_band).copied().unwrap_or(0.0);
                let mut m1 = f64::from(ratio).sqrt() as f32;
                let value = np.band_values.get(ju).copied().unwrap_or(0);
                m1 = (f64::from(m1) * exp10(f64::from(value) * 0.05)) as f32;
                m1 /= self.max_exponent * np.noise_mult;
                m1 *= self.mdct_norm;
                for i in 0..n {
                    let v = next_noise() * exp_at(e, p + map(i)) * m1;
                    put(&mut w, v);
                }
            } else {
                for i in 0..n {
                    let qv = q.get(k).copied().unwrap_or(0.0);
                    k += 1;
                    let v = (qv + next_noise()) * exp_at(e, p + map(i)) * mult;
                    put(&mut w, v);
                }
            }
            p += map(n);
        }

        // Very high frequencies: noise scaled by the last exponent.
        let top = -(1isize << bsize) >> esz;
        let m1 = mult * exp_at(e, p + top);
        for _ in 0..self.block_len.saturating_sub(self.coefs_end) {
            let v = next_noise() * m1;
            put(&mut w, v);
        }
        *np.noise_index = ni;
    }
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::codebooks::COEF_CODEBOOKS;

    /// Collects bits MSB-first for hand-made streams.
    struct Writer(Vec<bool>);
    impl Writer {
        fn put(&mut self, v: u32, n: u32) {
            for i in (0..n).rev() {
                self.0.push((v >> i) & 1 == 1);
            }
        }
        fn bytes(&self) -> Vec<u8> {
            let mut out = vec![0u8; self.0.len().div_ceil(8) + 4];
            for (i, &b) in self.0.iter().enumerate() {
                out[i / 8] |= u8::from(b) << (7 - i % 8);
            }
            out
        }
    }

    #[test]
    fn escape_then_end_of_block() {
        use crate::codebook_data::{COEF4_CODES, COEF4_LENS};
        let book = &COEF_CODEBOOKS[4];
        let mut w = Writer(Vec::new());
        w.put(COEF4_CODES[0], u32::from(COEF4_LENS[0])); // escape
        w.put(5, 13); // level
        w.put(3, 11); // run
        w.put(0, 1); // sign 0: negative
        w.put(COEF4_CODES[2], u32::from(COEF4_LENS[2])); // level 1, run 0
        w.put(1, 1); // positive
        w.put(COEF4_CODES[1], u32::from(COEF4_LENS[1])); // end of block
        let data = w.bytes();
        let mut r = BitReader::new(&data);
        let mut q = vec![9f32; 128];
        read_run_levels(&mut r, book, &mut q, 116, 11, 13).unwrap();
        assert_eq!(q[3], -5.0);
        assert_eq!(q[4], 1.0);
        assert_eq!(q.iter().filter(|&&v| v != 0.0).count(), 2);
        assert_eq!(r.pos(), w.0.len());

        // The same escape overflows a 2-coefficient block.
        let mut r = BitReader::new(&data);
        assert!(read_run_levels(&mut r, book, &mut q, 2, 11, 13).is_err());
    }

    #[test]
    fn exp10_matches_powf() {
        for x in [-3.0, 0.0, 0.05, 6.35] {
            assert!((exp10(x) / 10f64.powf(x) - 1.0).abs() < 1e-14);
        }
    }
}
