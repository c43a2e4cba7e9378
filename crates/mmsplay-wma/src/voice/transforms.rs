//! The 128-point real DFT pair and the 65-point DCT-I / 64-point "DST-I" of the postfilter's
//! Wiener denoiser, with the reference decoder's (FFmpeg 5.1.9) scaling and packing:
//!
//! * forward: `[X0.re, X64.re, X1.re, X1.im, …, X63.re, X63.im]`, X_k = Σ x_n e^(−2πikn/128);
//! * inverse: the same packing in, ½·Σ_k X_k e^(+2πikn/128) over the whole Hermitian spectrum
//!   out (no 1/N);
//! * DCT-I over 65 values: X_k = ½(x_0 + (−1)^k x_64) + Σ_{j=1..63} x_j cos(πjk/64);
//! * the old "DST-I": Y_k = Σ_{j=1..63} x_j sin(π(k+1)j/64) for k < 63, Y_63 = 0, x_0 ignored
//!   and x_64 left as it is.
//!
//! The denoiser feeds discontinuous decisions (table indices from log-spectra and phases), and
//! the synthetic-stream tests showed that an FFT which merely agrees to 1e-7 flips them now and
//! then. So this is the reference's own f32 computation: a real DFT packed into a half-size
//! complex split-radix FFT (input permuted by the split-radix order, radix-4 butterflies with
//! f32 twiddles from one cosine table per size), the real/imaginary "unmangling" step, and the
//! cosine transforms folded onto a real DFT of 64 — each in the same order of f32 operations.

use std::sync::OnceLock;

#[derive(Clone, Copy, Default)]
struct C32 {
    re: f32,
    im: f32,
}

/// Cosine table of a size m = 2^k: entries i ≤ m/4 are cos(2πi/m) (rounded from f64), entries
/// m/4 < i < m/2 mirror them (tab[m/2 − i] = tab[i]). Twiddles and sines are read from it.
fn cos_table(k: u32) -> Vec<f32> {
    let m = 1usize << k;
    let freq = 2.0 * std::f64::consts::PI / m as f64;
    let mut t = vec![0f32; m / 2];
    for (i, v) in t.iter_mut().enumerate().take(m / 4 + 1) {
        *v = (i as f64 * freq).cos() as f32;
    }
    for i in 1..m / 4 {
        t[m / 2 - i] = t[i];
    }
    t
}

/// The split-radix output order: where input i goes before the butterflies.
fn split_radix_index(i: usize, n: usize, inverse: bool) -> isize {
    if n <= 2 {
        return (i & 1) as isize;
    }
    let m = n >> 1;
    if i & m == 0 {
        return split_radix_index(i, m, inverse) * 2;
    }
    let m = m >> 1;
    if inverse == (i & m == 0) {
        split_radix_index(i, m, inverse) * 4 + 1
    } else {
        split_radix_index(i, m, inverse) * 4 - 1
    }
}

struct Tables {
    /// cos tables for sizes 16 .. 256 (index k = log2 size).
    cos: [Vec<f32>; 9],
    /// Permutations (target of input j) of the 32- and 64-point FFTs, forward and inverse.
    perm32: [Vec<usize>; 2],
    perm64: [Vec<usize>; 2],
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let cos = std::array::from_fn(|k| {
            if k >= 4 {
                cos_table(k as u32)
            } else {
                Vec::new()
            }
        });
        let perm = |n: usize, inverse: bool| {
            let mut target = vec![0usize; n];
            for (i, _) in target.clone().iter().enumerate() {
                let k = (-split_radix_index(i, n, inverse)) as usize & (n - 1);
                // Input i is stored at k ... as the reference's revtab[k] = i, then
                // permuting writes z[j] to position revtab[j].
                target[k] = i;
            }
            target
        };
        Tables {
            cos,
            perm32: [perm(32, false), perm(32, true)],
            perm64: [perm(64, false), perm(64, true)],
        }
    })
}

const SQRT_HALF: f32 = std::f64::consts::FRAC_1_SQRT_2 as f32;

/// The radix-4 butterfly on four points whose last two already hold their twiddled values in
/// (t1, t2) and (t5, t6).
#[inline(always)]
fn butterflies(z: &mut [C32], a: [usize; 4], t1: f32, t2: f32, t5: f32, t6: f32) {
    let [a0, a1, a2, a3] = a;
    let t3 = t5 - t1;
    let t5 = t5 + t1;
    let r0 = z[a0].re;
    z[a2].re = r0 - t5;
    z[a0].re = r0 + t5;
    let i1 = z[a1].im;
    z[a3].im = i1 - t3;
    z[a1].im = i1 + t3;
    let t4 = t2 - t6;
    let t6 = t2 + t6;
    let r1 = z[a1].re;
    z[a3].re = r1 - t4;
    z[a1].re = r1 + t4;
    let i0 = z[a0].im;
    z[a2].im = i0 - t6;
    z[a0].im = i0 + t6;
}

#[inline(always)]
fn transform(z: &mut [C32], a: [usize; 4], wre: f32, wim: f32) {
    let (x2, x3) = (z[a[2]], z[a[3]]);
    let t1 = x2.re * wre - x2.im * -wim;
    let t2 = x2.re * -wim + x2.im * wre;
    let t5 = x3.re * wre - x3.im * wim;
    let t6 = x3.re * wim + x3.im * wre;
    butterflies(z, a, t1, t2, t5, t6);
}

#[inline(always)]
fn transform_zero(z: &mut [C32], a: [usize; 4]) {
    let (x2, x3) = (z[a[2]], z[a[3]]);
    butterflies(z, a, x2.re, x2.im, x3.re, x3.im);
}

fn fft4(z: &mut [C32]) {
    let t3 = z[0].re - z[1].re;
    let t1 = z[0].re + z[1].re;
    let t8 = z[3].re - z[2].re;
    let t6 = z[3].re + z[2].re;
    z[2].re = t1 - t6;
    z[0].re = t1 + t6;
    let t4 = z[0].im - z[1].im;
    let t2 = z[0].im + z[1].im;
    let t7 = z[2].im - z[3].im;
    let t5 = z[2].im + z[3].im;
    z[3].im = t4 - t8;
    z[1].im = t4 + t8;
    z[3].re = t3 - t7;
    z[1].re = t3 + t7;
    z[2].im = t2 - t5;
    z[0].im = t2 + t5;
}

fn fft8(z: &mut [C32]) {
    fft4(z);
    let t1 = z[4].re + z[5].re;
    z[5].re = z[4].re - z[5].re;
    let t2 = z[4].im + z[5].im;
    z[5].im = z[4].im - z[5].im;
    let t5 = z[6].re + z[7].re;
    z[7].re = z[6].re - z[7].re;
    let t6 = z[6].im + z[7].im;
    z[7].im = z[6].im - z[7].im;
    butterflies(z, [0, 2, 4, 6], t1, t2, t5, t6);
    transform(z, [1, 3, 5, 7], SQRT_HALF, SQRT_HALF);
}

fn fft16(z: &mut [C32]) {
    let c = &tables().cos[4];
    let (c1, c3) = (c[1], c[3]);
    fft8(&mut z[..8]);
    fft4(&mut z[8..12]);
    fft4(&mut z[12..16]);
    transform_zero(z, [0, 4, 8, 12]);
    transform(z, [2, 6, 10, 14], SQRT_HALF, SQRT_HALF);
    transform(z, [1, 5, 9, 13], c1, c3);
    transform(z, [3, 7, 11, 15], c3, c1);
}

/// Combines the three sub-transforms of a split-radix FFT of 8·n points: quarter-size
/// twiddles w = wre[k] (and the sine from the mirrored end of the same table).
fn pass(z: &mut [C32], wre: &[f32], n: usize) {
    let (o1, o2, o3) = (2 * n, 4 * n, 6 * n);
    // wim[j] is wre[o1 + j]; it walks down while wre walks up.
    transform_zero(z, [0, o1, o2, o3]);
    transform(z, [1, o1 + 1, o2 + 1, o3 + 1], wre[1], wre[o1 - 1]);
    for k in 1..n {
        let b = 2 * k;
        transform(z, [b, o1 + b, o2 + b, o3 + b], wre[b], wre[o1 - b]);
        transform(
            z,
            [b + 1, o1 + b + 1, o2 + b + 1, o3 + b + 1],
            wre[b + 1],
            wre[o1 - b - 1],
        );
    }
}

fn fft32(z: &mut [C32]) {
    fft16(&mut z[..16]);
    fft8(&mut z[16..24]);
    fft8(&mut z[24..32]);
    pass(z, &tables().cos[5], 4);
}

fn fft64(z: &mut [C32]) {
    fft32(&mut z[..32]);
    fft16(&mut z[32..48]);
    fft16(&mut z[48..64]);
    pass(z, &tables().cos[6], 8);
}

/// A complex FFT of 32 or 64 points with the split-radix input permutation.
fn fft(z: &mut [C32], inverse: bool) {
    let t = tables();
    let n = z.len();
    let perm = if n == 32 { &t.perm32 } else { &t.perm64 };
    let perm = &perm[usize::from(inverse)];
    let mut tmp = [C32::default(); 64];
    for (j, &v) in z.iter().enumerate() {
        tmp[perm[j]] = v;
    }
    z.copy_from_slice(&tmp[..n]);
    if n == 32 { fft32(z) } else { fft64(z) }
}

fn as_complex(data: &[f32], z: &mut [C32]) {
    for (c, p) in z.iter_mut().zip(data.chunks_exact(2)) {
        *c = C32 { re: p[0], im: p[1] };
    }
}

fn from_complex(z: &[C32], data: &mut [f32]) {
    for (c, p) in z.iter().zip(data.chunks_exact_mut(2)) {
        p[0] = c.re;
        p[1] = c.im;
    }
}

/// Real DFT of n = 64 or 128 values via an n/2-point complex FFT; `inverse` is the ½-scaled
/// inverse of the packed spectrum.
fn real_dft(data: &mut [f32], inverse: bool) {
    let n = data.len();
    let bits = n.trailing_zeros() as usize;
    let tab = &tables().cos[bits];
    let (tcos, tsin) = (&tab[..], &tab[n / 4..]);
    let mut z = [C32::default(); 64];
    let z = &mut z[..n / 2];
    let k1 = 0.5f32;
    let k2 = if inverse { -0.5f32 } else { 0.5 };
    if !inverse {
        as_complex(data, z);
        fft(z, false);
        from_complex(z, data);
    }
    let ev = data[0];
    data[0] = ev + data[1];
    data[1] = ev - data[1];
    let mut i = 1;
    while i < n >> 2 {
        let i1 = 2 * i;
        let i2 = n - i1;
        let ev_re = k1 * (data[i1] + data[i2]);
        let od_im = k2 * (data[i2] - data[i1]);
        let ev_im = k1 * (data[i1 + 1] - data[i2 + 1]);
        let od_re = k2 * (data[i1 + 1] + data[i2 + 1]);
        // The forward transform uses negative sines, the inverse positive ones.
        let (s_re, s_im) = if inverse {
            (
                od_re * tcos[i] - od_im * tsin[i],
                od_im * tcos[i] + od_re * tsin[i],
            )
        } else {
            (
                od_re * tcos[i] + od_im * tsin[i],
                od_im * tcos[i] - od_re * tsin[i],
            )
        };
        data[i1] = ev_re + s_re;
        data[i1 + 1] = ev_im + s_im;
        data[i2] = ev_re - s_re;
        data[i2 + 1] = s_im - ev_im;
        i += 1;
    }
    data[2 * i + 1] = -data[2 * i + 1];
    if inverse {
        data[0] *= k1;
        data[1] *= k1;
        as_complex(data, z);
        fft(z, true);
        from_complex(z, data);
    }
}

/// Forward real DFT of 128 values, packed as described in the module comment.
pub(crate) fn rdft(data: &mut [f32; 128]) {
    real_dft(data, false);
}

/// Inverse real DFT of a packed spectrum (½ scale, no 1/N).
pub(crate) fn irdft(data: &mut [f32; 128]) {
    real_dft(data, true);
}

/// DCT-I of 65 values in place, folded onto a real DFT of 64.
pub(crate) fn dct1(data: &mut [f32]) {
    const N: usize = 64;
    let cost = &tables().cos[8];
    let mut next = -0.5f32 * (data[0] - data[N]);
    for i in 0..N / 2 {
        let (a, b) = (data[i], data[N - i]);
        let s = cost[N - 2 * i] * (a - b);
        let c = cost[2 * i] * (a - b);
        next += c;
        let m = (a + b) * 0.5;
        data[i] = m - s;
        data[N - i] = m + s;
    }
    real_dft(&mut data[..N], false);
    data[N] = data[1];
    data[1] = next;
    let mut i = 3;
    while i <= N {
        data[i] = data[i - 2] - data[i];
        i += 2;
    }
}

/// The reference decoder's 64-point "DST-I" in place (see the module comment).
pub(crate) fn dst1(data: &mut [f32]) {
    const N: usize = 64;
    let cost = &tables().cos[8];
    data[0] = 0.0;
    for i in 1..N / 2 {
        let (a, b) = (data[i], data[N - i]);
        let s = cost[N - 2 * i] * (a + b);
        let d = (a - b) * 0.5;
        data[i] = s + d;
        data[N - i] = s - d;
    }
    data[N / 2] *= 2.0;
    real_dft(&mut data[..N], false);
    data[0] *= 0.5;
    let mut i = 1;
    while i < N - 2 {
        data[i + 1] += data[i - 1];
        data[i] = -data[i + 2];
        i += 2;
    }
    data[N - 1] = 0.0;
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // index loops mirror the transform definitions
mod tests {
    use super::*;
    use std::f64::consts::PI;

    const N: usize = 128;
    const H: usize = 64;

    fn signal() -> [f32; N] {
        let mut x = [0f32; N];
        for (n, v) in x.iter_mut().enumerate() {
            *v = ((n * 7919 % 101) as f32 - 50.0) / 50.0;
        }
        x
    }

    #[test]
    fn forward_matches_the_dft_definition() {
        let x = signal();
        let mut d = x;
        rdft(&mut d);
        for k in 0..=H {
            let (mut sr, mut si) = (0f64, 0f64);
            for (n, &v) in x.iter().enumerate() {
                let a = -2.0 * PI * (k * n) as f64 / N as f64;
                sr += f64::from(v) * a.cos();
                si += f64::from(v) * a.sin();
            }
            let (gr, gi) = match k {
                0 => (d[0], 0.0),
                H => (d[1], 0.0),
                _ => (d[2 * k], d[2 * k + 1]),
            };
            assert!((f64::from(gr) - sr).abs() < 1e-4, "re {k}: {gr} vs {sr}");
            assert!((f64::from(gi) - si).abs() < 1e-4, "im {k}: {gi} vs {si}");
        }
    }

    #[test]
    fn inverse_is_half_the_full_sum() {
        let x = signal();
        let mut d = x;
        rdft(&mut d);
        irdft(&mut d);
        // ½ Σ_k X_k e^{+} over 128 bins = 64 x_n.
        for (g, v) in d.iter().zip(&x) {
            assert!((g - 64.0 * v).abs() < 1e-3, "{g} vs {}", 64.0 * v);
        }
    }

    #[test]
    fn cosine_transforms_follow_their_definitions() {
        let mut x = [0f32; 65];
        for (j, v) in x.iter_mut().enumerate() {
            *v = (j as f32 * 0.37).sin() + 0.1 * j as f32;
        }
        let mut d = x;
        dct1(&mut d);
        for k in 0..=64usize {
            let mut s = 0.5 * (f64::from(x[0]) + (-1f64).powi(k as i32) * f64::from(x[64]));
            for j in 1..64 {
                s += f64::from(x[j]) * (PI * (j * k) as f64 / 64.0).cos();
            }
            assert!(
                (f64::from(d[k]) - s).abs() < 1e-4 * s.abs().max(1.0),
                "dct {k}"
            );
        }
        let mut d = x;
        dst1(&mut d);
        for k in 0..63usize {
            let mut s = 0.0;
            for j in 1..64 {
                s += f64::from(x[j]) * (PI * ((k + 1) * j) as f64 / 64.0).sin();
            }
            assert!(
                (f64::from(d[k]) - s).abs() < 1e-4 * s.abs().max(1.0),
                "dst {k}: {} vs {s}",
                d[k]
            );
        }
        assert_eq!(d[63], 0.0);
        assert_eq!(d[64], x[64]);
    }

    #[test]
    fn split_radix_order_is_a_permutation() {
        for n in [32usize, 64] {
            for inv in [false, true] {
                let mut seen = vec![false; n];
                for i in 0..n {
                    let k = (-split_radix_index(i, n, inv)) as usize & (n - 1);
                    assert!(!seen[k]);
                    seen[k] = true;
                }
            }
        }
    }
}
