//! From dequantised spectra to samples: band gains, the inverse MDCT and the windowed
//! overlap of neighbouring subframes.
//!
//! Each channel keeps an output buffer of 1.5 frames. A subframe at offset `o` of length `L`
//! writes the middle half of its IMDCT (L samples, already folded) at `o + spf/2`; windowing
//! then cross-fades the region where it meets the previous subframe over `min(prev, L)`
//! samples, which both cancels the time-domain aliasing and adds the overlap. After a frame,
//! the first `spf` samples are final and the last `spf/2` move to the front.

use symphonia_core::dsp::mdct::Imdct;

use crate::window::sine_window;

/// One inverse MDCT size with the reference's scale and sign, and scratch space.
pub(crate) struct Transform {
    imdct: Imdct,
    full: Vec<f32>,
}

impl Transform {
    /// For subframes of `len` coefficients: y = −s·Σ X[k]·cos(π/L·(n + ½ + L/2)(k + ½)) with
    /// s = 1/(L/2)/2^(bits−1), which also scales integer PCM to ±1.
    pub(crate) fn new(len: usize, bits_per_sample: u32) -> Transform {
        let scale = 1.0 / (len as f64 / 2.0) / 2f64.powi(bits_per_sample as i32 - 1);
        Transform {
            // symphonia's transform has the opposite sign convention.
            imdct: Imdct::new_scaled(len, -scale),
            full: vec![0.0; 2 * len],
        }
    }

    /// Writes the `spec.len()` folded samples (the middle half of the IMDCT) to `out`.
    pub(crate) fn run(&mut self, spec: &[f32], out: &mut [f32]) {
        let len = spec.len();
        self.imdct.imdct(spec, &mut self.full);
        out[..len].copy_from_slice(&self.full[len / 2..len / 2 + len]);
    }
}

/// The gain of a band: 10^(exponent/20), computed in double and rounded to single precision
/// as the reference does.
pub(crate) fn band_gain(exponent: i32) -> f32 {
    ((f64::from(exponent) / 20.0) * std::f64::consts::LOG2_10).exp2() as f32
}

/// Sine windows for every overlap length from `min` to `max` (powers of two), indexed by
/// log2 of the length.
pub(crate) struct Windows {
    by_log2: Vec<Vec<f32>>,
}

impl Windows {
    pub(crate) fn new(min: usize, max: usize) -> Windows {
        let by_log2 = (0..=max.ilog2())
            .map(|b| {
                let w = 1usize << b;
                if w >= min { sine_window(w) } else { Vec::new() }
            })
            .collect();
        Windows { by_log2 }
    }

    /// Cross-fades the `w`-sample region `buf[start..start + w]` between the previous
    /// subframe's tail (first half) and the current subframe's head (second half).
    pub(crate) fn overlap(&self, buf: &mut [f32], start: usize, w: usize) {
        let win = &self.by_log2[w.ilog2() as usize];
        let region = &mut buf[start..start + w];
        let h = w / 2;
        let (first, second) = region.split_at_mut(h);
        for i in 0..h {
            let a = first[i];
            let b = second[h - 1 - i];
            let (wi, wj) = (win[i], win[w - 1 - i]);
            first[i] = a * wj - b * wi;
            second[h - 1 - i] = a * wi + b * wj;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answer: X = δ[k0] gives −s·cos(π/L·(n + L/2 + ½ + L/2)(k0 + ½)) at folded index n.
    #[test]
    fn imdct_half_known_answer() {
        for len in [64usize, 256, 2048] {
            for k0 in [0usize, 3, len - 1] {
                let mut x = vec![0f32; len];
                x[k0] = 1.0;
                let mut t = Transform::new(len, 16);
                let mut out = vec![0f32; len];
                t.run(&x, &mut out);
                let s = 1.0 / (len as f64 / 2.0) / 32768.0;
                for (n, &v) in out.iter().enumerate() {
                    let m = (n + len / 2) as f64;
                    let want = -s
                        * (std::f64::consts::PI / len as f64
                            * (m + 0.5 + len as f64 / 2.0)
                            * (k0 as f64 + 0.5))
                            .cos();
                    assert!((f64::from(v) - want).abs() < 1e-9, "{len} {k0} {n}");
                }
            }
        }
    }

    #[test]
    fn band_gains() {
        assert_eq!(band_gain(0), 1.0);
        assert_eq!(band_gain(20), 10.0);
        assert!((band_gain(90) - 31622.777).abs() < 0.01);
    }

    /// Two constant signals cross-fade with sin²+cos² = 1 weights.
    #[test]
    fn overlap_preserves_power() {
        let w = Windows::new(64, 2048);
        let mut buf = vec![1.0f32; 128];
        w.overlap(&mut buf, 0, 128);
        let win = sine_window(128);
        for i in 0..64 {
            assert!((buf[i] - (win[127 - i] - win[i])).abs() < 1e-7);
        }
    }
}
