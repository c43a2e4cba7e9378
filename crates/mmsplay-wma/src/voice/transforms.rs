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
//! The forward and inverse DFTs use an iterative radix-2 complex FFT of 64 points in f64 on the
//! even/odd-packed input; the cosine transforms are direct sums in f64 (65 × 64 terms, twice
//! per half frame). The reference computes in f32, so results agree to about 1e-7 relative.

#![allow(clippy::needless_range_loop)] // index loops mirror the transform definitions

use std::f64::consts::PI;
use std::sync::OnceLock;

const N: usize = 128;
const H: usize = 64;

struct Twiddles {
    /// e^(−2πik/128), k < 128.
    w128: [(f64, f64); N],
    /// cos(πjk/64) for j, k ≤ 64, flattened [k][j].
    cos64: Vec<f64>,
    /// sin(πjk/64) for j, k ≤ 64, flattened [k][j].
    sin64: Vec<f64>,
}

fn twiddles() -> &'static Twiddles {
    static T: OnceLock<Twiddles> = OnceLock::new();
    T.get_or_init(|| {
        let mut w128 = [(0.0, 0.0); N];
        for (k, w) in w128.iter_mut().enumerate() {
            let a = -2.0 * PI * k as f64 / N as f64;
            *w = (a.cos(), a.sin());
        }
        let mut cos64 = vec![0.0; 65 * 65];
        let mut sin64 = vec![0.0; 65 * 65];
        for k in 0..=H {
            for j in 0..=H {
                // Reduce the angle exactly before the trigonometry.
                let m = (j * k) % (2 * H);
                let a = PI * m as f64 / H as f64;
                cos64[k * 65 + j] = a.cos();
                sin64[k * 65 + j] = a.sin();
            }
        }
        Twiddles { w128, cos64, sin64 }
    })
}

/// In-place radix-2 FFT of 64 complex values, forward (e^−) or inverse (e^+, unscaled).
fn fft64(re: &mut [f64; H], im: &mut [f64; H], inverse: bool) {
    let t = twiddles();
    // Bit reversal.
    let mut j = 0;
    for i in 0..H {
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
        let mut m = H >> 1;
        while m >= 1 && j & m != 0 {
            j ^= m;
            m >>= 1;
        }
        j |= m;
    }
    let mut len = 2;
    while len <= H {
        let step = N / len; // twiddle stride in the 128-point table
        for start in (0..H).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi0) = t.w128[k * step];
                let wi = if inverse { -wi0 } else { wi0 };
                let (a, b) = (start + k, start + k + len / 2);
                let xr = re[b] * wr - im[b] * wi;
                let xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
        len <<= 1;
    }
}

/// Forward real DFT of 128 values, packed as described in the module comment.
pub(crate) fn rdft(data: &mut [f32; N]) {
    let t = twiddles();
    let mut re = [0f64; H];
    let mut im = [0f64; H];
    for i in 0..H {
        re[i] = f64::from(data[2 * i]);
        im[i] = f64::from(data[2 * i + 1]);
    }
    fft64(&mut re, &mut im, false);
    // Split the even/odd sub-transforms: X_k = E_k + W^k O_k.
    data[0] = (re[0] + im[0]) as f32;
    data[1] = (re[0] - im[0]) as f32;
    for k in 1..H {
        let (zr, zi) = (re[k], im[k]);
        let (cr, ci) = (re[H - k], -im[H - k]);
        let (er, ei) = (0.5 * (zr + cr), 0.5 * (zi + ci));
        let (or, oi) = (0.5 * (zi - ci), -0.5 * (zr - cr));
        let (wr, wi) = t.w128[k];
        data[2 * k] = (er + wr * or - wi * oi) as f32;
        data[2 * k + 1] = (ei + wr * oi + wi * or) as f32;
    }
}

/// Inverse real DFT of a packed spectrum (½ scale, no 1/N).
pub(crate) fn irdft(data: &mut [f32; N]) {
    let t = twiddles();
    // Full spectrum X_k for k ≤ 64, then rebuild Z_k = E_k + i·O_k for the 64-point IFFT.
    let x = |k: usize| -> (f64, f64) {
        match k {
            0 => (f64::from(data[0]), 0.0),
            H => (f64::from(data[1]), 0.0),
            _ => (f64::from(data[2 * k]), f64::from(data[2 * k + 1])),
        }
    };
    let mut re = [0f64; H];
    let mut im = [0f64; H];
    for k in 0..H {
        let (ar, ai) = x(k);
        let (br, bi) = x(H - k);
        let (br, bi) = (br, -bi); // conj(X_{64-k}) = X_{k+64}
        let (er, ei) = (0.5 * (ar + br), 0.5 * (ai + bi));
        let (dr, di) = (0.5 * (ar - br), 0.5 * (ai - bi));
        // O_k = (X_k - X_{k+64}) / 2 · W^-k
        let (wr, wi) = t.w128[k];
        let (or, oi) = (dr * wr + di * wi, di * wr - dr * wi);
        re[k] = er - oi;
        im[k] = ei + or;
    }
    fft64(&mut re, &mut im, true);
    // Σ over 128 bins of X_k e^{+}: the 64-point IFFT gives x_{2n} + i x_{2n+1} (times 1);
    // the reference returns half of the full sum, and the split above already halved.
    for n in 0..H {
        data[2 * n] = re[n] as f32;
        data[2 * n + 1] = im[n] as f32;
    }
}

/// DCT-I of 65 values in place.
pub(crate) fn dct1(data: &mut [f32]) {
    let t = twiddles();
    let x: Vec<f64> = data[..=H].iter().map(|&v| f64::from(v)).collect();
    for k in 0..=H {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        let row = &t.cos64[k * 65..k * 65 + 65];
        let mut s = 0.5 * (x[0] + sign * x[H]);
        for j in 1..H {
            s += x[j] * row[j];
        }
        data[k] = s as f32;
    }
}

/// The reference decoder's 64-point "DST-I" in place (see the module comment).
pub(crate) fn dst1(data: &mut [f32]) {
    let t = twiddles();
    let x: Vec<f64> = data[..H].iter().map(|&v| f64::from(v)).collect();
    for k in 0..H - 1 {
        let row = &t.sin64[(k + 1) * 65..(k + 1) * 65 + 65];
        let mut s = 0.0;
        for j in 1..H {
            s += x[j] * row[j];
        }
        data[k] = s as f32;
    }
    data[H - 1] = 0.0;
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!((f64::from(gr) - sr).abs() < 1e-4, "re {k}");
            assert!((f64::from(gi) - si).abs() < 1e-4, "im {k}");
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
                "dst {k}"
            );
        }
        assert_eq!(d[63], 0.0);
        assert_eq!(d[64], x[64]);
    }
}
