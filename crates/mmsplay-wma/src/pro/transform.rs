//! Channel transforms: the encoder may code channel groups in a decorrelated basis (M/S for
//! pairs, a rotation or a fixed matrix for larger groups), per scale-factor band. The decoder
//! reads the groups of each subframe and multiplies the coefficients back, before
//! dequantisation.
//!
//! Arithmetic is single precision with the reference's accumulation order, so coefficients
//! match it exactly: out[r] = Σ_k M[r][k]·in[k], summed from k = 0, each product rounded.

use crate::bitreader::BitReader;
use crate::engine::DecodeError;
use crate::pro::config::{MAX_BANDS, MAX_CHANNELS};
use crate::pro::tables::DEFAULT_MATRICES;

/// M/S gain for streams of more than two channels: cos(π/4) to 8 fractional bits.
const MS_MULTICHANNEL: f32 = 0.70703125;
/// Gain on untransformed bands of a transformed stereo pair (181/128), matching the
/// unnormalised stereo M/S matrix.
const STEREO_UNTRANSFORMED_GAIN: f32 = 181.0 / 128.0;
/// Where the n×n default matrix starts in `DEFAULT_MATRICES` (n = 0..=6).
const DEFAULT_OFFSETS: [usize; 7] = [0, 0, 1, 5, 14, 30, 55];

/// One group of channels coded together.
#[derive(Clone)]
pub(crate) struct Group {
    /// Channel indices, in bitstream order.
    pub(crate) chans: [usize; MAX_CHANNELS],
    pub(crate) n: usize,
    pub(crate) transform: bool,
    /// n×n, row-major: output channel r = Σ_k matrix[r·n + k] · input k.
    pub(crate) matrix: [f32; MAX_CHANNELS * MAX_CHANNELS],
    pub(crate) band_on: [bool; MAX_BANDS],
}

impl Group {
    fn empty() -> Group {
        Group {
            chans: [0; MAX_CHANNELS],
            n: 0,
            transform: false,
            matrix: [0.0; MAX_CHANNELS * MAX_CHANNELS],
            band_on: [false; MAX_BANDS],
        }
    }
}

/// Reads the channel groups of a subframe whose channels are `chans` into `groups`.
/// `stream_channels` is the stream's channel count (it selects the M/S gain); `sin64` is
/// sin(i·π/64) for i = 0..=32.
pub(crate) fn read_groups(
    r: &mut BitReader<'_>,
    chans: &[usize],
    stream_channels: usize,
    num_bands: usize,
    sin64: &[f32; 33],
    groups: &mut Vec<Group>,
) -> Result<(), DecodeError> {
    groups.clear();
    if stream_channels <= 1 {
        return Ok(());
    }
    if r.read_bit() {
        return Err(DecodeError("wmapro: channel transform bit not supported"));
    }
    let mut grouped = [false; MAX_CHANNELS];
    let mut remaining = chans.len();
    while remaining > 0 && groups.len() < chans.len() {
        let mut g = Group::empty();
        for &c in chans {
            let take = !grouped[c] && (remaining <= 2 || r.read_bit());
            if take {
                g.chans[g.n] = c;
                g.n += 1;
                grouped[c] = true;
            }
        }
        match g.n {
            2 => {
                if r.read_bit() {
                    if r.read_bit() {
                        return Err(DecodeError("wmapro: unknown channel transform type"));
                    }
                } else {
                    g.transform = true;
                    let a = if stream_channels == 2 {
                        1.0
                    } else {
                        MS_MULTICHANNEL
                    };
                    g.matrix[..4].copy_from_slice(&[a, -a, a, a]);
                }
            }
            // A larger group: the bit says whether it is transformed at all.
            n if n > 2 && r.read_bit() => {
                g.transform = true;
                if r.read_bit() {
                    rotation(r, n, sin64, &mut g.matrix);
                } else if n <= 6 {
                    let at = DEFAULT_OFFSETS[n];
                    g.matrix[..n * n].copy_from_slice(&DEFAULT_MATRICES[at..at + n * n]);
                } else {
                    // The reference has no matrix for this and decodes noise.
                    return Err(DecodeError(
                        "wmapro: default transform of more than 6 channels",
                    ));
                }
            }
            _ => {}
        }
        if g.transform {
            if r.read_bit() {
                g.band_on[..num_bands].fill(true);
            } else {
                for on in &mut g.band_on[..num_bands] {
                    *on = r.read_bit();
                }
            }
        }
        remaining = remaining.saturating_sub(g.n);
        groups.push(g);
    }
    Ok(())
}

/// A rotation matrix: n(n−1)/2 6-bit angles (multiples of π/64) and n diagonal signs,
/// combined as successive Givens rotations in single precision.
fn rotation(r: &mut BitReader<'_>, n: usize, sin64: &[f32; 33], m: &mut [f32]) {
    let mut angles = [0usize; MAX_CHANNELS * MAX_CHANNELS];
    let count = n * (n - 1) / 2;
    for a in &mut angles[..count] {
        *a = r.read(6) as usize;
    }
    m.fill(0.0);
    for i in 0..n {
        m[i * n + i] = if r.read_bit() { 1.0 } else { -1.0 };
    }
    let mut off = 0;
    for i in 1..n {
        for x in 0..i {
            let k = angles[off + x];
            let (s, c) = if k < 32 {
                (sin64[k], sin64[32 - k])
            } else {
                (sin64[64 - k], -sin64[k - 32])
            };
            for y in 0..=i {
                let v1 = m[x * n + y];
                let v2 = m[i * n + y];
                m[x * n + y] = v1 * s - v2 * c;
                m[i * n + y] = v1 * c + v2 * s;
            }
        }
        off += i;
    }
}

/// Undoes the transforms of `groups` on the coefficients (`coefs[c]` holds channel c's
/// `len` coefficients), band by band.
// Each coefficient index `y` is gathered from and scattered to several channels' vectors.
#[allow(clippy::needless_range_loop)]
pub(crate) fn apply(
    groups: &[Group],
    edges: &[usize],
    len: usize,
    stream_channels: usize,
    coefs: &mut [Vec<f32>],
) {
    for g in groups.iter().filter(|g| g.transform) {
        let n = g.n;
        for (b, w) in edges.windows(2).enumerate() {
            let (lo, hi) = (w[0], w[1].min(len));
            if g.band_on[b] && n == 2 {
                // The common stereo case without the gather/scatter; same arithmetic.
                let (p, q) = pair_mut(coefs, g.chans[0], g.chans[1]);
                let m = &g.matrix;
                for (u, v) in p[lo..hi].iter_mut().zip(&mut q[lo..hi]) {
                    let (x0, x1) = (*u, *v);
                    *u = 0.0 + x0 * m[0] + x1 * m[1];
                    *v = 0.0 + x0 * m[2] + x1 * m[3];
                }
            } else if g.band_on[b] {
                let mut x = [0f32; MAX_CHANNELS];
                for y in lo..hi {
                    for (k, &c) in g.chans[..n].iter().enumerate() {
                        x[k] = coefs[c][y];
                    }
                    for (row, &c) in g.chans[..n].iter().enumerate() {
                        let m = &g.matrix[row * n..row * n + n];
                        let mut s = 0f32;
                        for (&xv, &mv) in x[..n].iter().zip(m) {
                            s += xv * mv;
                        }
                        coefs[c][y] = s;
                    }
                }
            } else if stream_channels == 2 {
                for &c in &g.chans[..n] {
                    for v in &mut coefs[c][lo..hi] {
                        *v *= STEREO_UNTRANSFORMED_GAIN;
                    }
                }
            }
        }
    }
}

/// Mutable access to two different channels' coefficients.
fn pair_mut(coefs: &mut [Vec<f32>], i: usize, j: usize) -> (&mut [f32], &mut [f32]) {
    if i < j {
        let (lo, hi) = coefs.split_at_mut(j);
        (&mut lo[i], &mut hi[0])
    } else {
        let (lo, hi) = coefs.split_at_mut(i);
        (&mut hi[0], &mut lo[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pro::tables::sin64;

    /// Angles 0, 16, 48 with positive signs, against the same rotations in f64.
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn three_channel_rotation() {
        // 3 angles of 6 bits, 3 sign bits: 000000 010000 110000 111
        let bits = "000000010000110000111";
        let mut data = vec![0u8; 8];
        for (i, ch) in bits.chars().enumerate() {
            if ch == '1' {
                data[i / 8] |= 0x80 >> (i % 8);
            }
        }
        let mut r = BitReader::new(&data);
        let mut m = [0f32; 64];
        rotation(&mut r, 3, &sin64(), &mut m);
        // f64 model.
        let mut e = [[0f64; 3]; 3];
        for (i, row) in e.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let angles = [0usize, 16, 48];
        let mut off = 0;
        for i in 1..3 {
            for x in 0..i {
                let th = angles[off + x] as f64 * std::f64::consts::PI / 64.0;
                let (s, c) = (th.sin(), th.cos());
                for y in 0..=i {
                    let (v1, v2) = (e[x][y], e[i][y]);
                    e[x][y] = v1 * s - v2 * c;
                    e[i][y] = v1 * c + v2 * s;
                }
            }
            off += i;
        }
        for i in 0..3 {
            for j in 0..3 {
                assert!((f64::from(m[i * 3 + j]) - e[i][j]).abs() < 1e-6, "{i} {j}");
            }
        }
        // A rotation matrix is orthogonal.
        for i in 0..3 {
            let norm: f32 = (0..3).map(|j| m[i * 3 + j] * m[i * 3 + j]).sum();
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn stereo_ms_and_untransformed_gain() {
        // Two channels: no transform bit (0), M/S (0), bands individually (0): on, off.
        let data = [0b0001_0000u8, 0, 0, 0];
        let mut r = BitReader::new(&data);
        let mut groups = Vec::new();
        read_groups(&mut r, &[0, 1], 2, 2, &sin64(), &mut groups).unwrap();
        assert_eq!(groups.len(), 1);
        assert!(groups[0].transform);
        assert_eq!(&groups[0].band_on[..2], &[true, false]);
        let mut coefs = vec![vec![1.0f32, 1.0, 2.0, 2.0], vec![0.5f32, 0.5, 1.0, 1.0]];
        apply(&groups, &[0, 2, 4], 4, 2, &mut coefs);
        // L = A − B, R = A + B on band 0; ×181/128 on band 1.
        assert_eq!(coefs[0], [0.5, 0.5, 2.828125, 2.828125]);
        assert_eq!(coefs[1], [1.5, 1.5, 1.4140625, 1.4140625]);
    }
}
