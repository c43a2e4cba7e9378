//! Sine windows, the inverse MDCT and overlap-add (wma-decoder.md §2.10, §5.5).

use symphonia_core::dsp::mdct::Imdct;

/// Sine window for a block of `n` samples: the rising half of a 2n-point window.
/// The argument is rounded to f32 before the single-precision sine, as FFmpeg does.
pub(crate) fn sine_window(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i as f64 + 0.5) * (std::f64::consts::PI / (2.0 * n as f64))) as f32).sin())
        .collect()
}

/// Inverse MDCT of `block_len` coefficients into `2·block_len` samples with FFmpeg's
/// convention: y[n] = −(1/32768)·Σ X[k]·cos(2π/N·(n + ½ + N/4)·(k + ½)), N = 2·block_len.
pub(crate) struct BlockImdct {
    imdct: Imdct,
}

impl BlockImdct {
    pub(crate) fn new(block_len: usize) -> Self {
        // symphonia's IMDCT computes the same sum with a positive sign; a negative scale
        // selects the negated transform.
        BlockImdct {
            imdct: Imdct::new_scaled(block_len, -1.0 / 32768.0),
        }
    }

    /// `spec.len()` must be block_len and `out.len()` 2·block_len.
    pub(crate) fn run(&mut self, spec: &[f32], out: &mut [f32]) {
        self.imdct.imdct(spec, out);
    }
}

/// Where the windows of a block change length: log2 lengths of previous, current, next block.
#[derive(Clone, Copy)]
pub(crate) struct Transition {
    pub(crate) prev_bits: u32,
    pub(crate) cur_bits: u32,
    pub(crate) next_bits: u32,
}

/// Windows the IMDCT output `y` (2·block_len samples) and adds it into `out` (the frame
/// buffer from the block's start index). `windows(bits)` gives the window of 2^bits samples.
/// At a transition to a shorter neighbour only the middle of the half is windowed with the
/// neighbour's window; the outer part is copied (left) or zeroed (right).
pub(crate) fn window_add<'w>(
    out: &mut [f32],
    y: &[f32],
    t: Transition,
    windows: impl Fn(u32) -> &'w [f32],
) {
    let block_len = 1usize << t.cur_bits;
    let (out_l, out_r) = out.split_at_mut(block_len.min(out.len()));
    let (y_l, y_r) = y.split_at(block_len.min(y.len()));

    // Left half: overlap with the previous block.
    if t.cur_bits <= t.prev_bits {
        let w = windows(t.cur_bits);
        for ((o, &v), &w) in out_l.iter_mut().zip(y_l).zip(w) {
            *o += v * w;
        }
    } else {
        let pl = 1usize << t.prev_bits;
        let n = (block_len - pl) / 2;
        let w = windows(t.prev_bits);
        let (o_mid, y_mid) = (
            out_l.get_mut(n..).unwrap_or_default(),
            y_l.get(n..).unwrap_or(&[]),
        );
        for ((o, &v), &w) in o_mid.iter_mut().zip(y_mid).zip(w) {
            *o += v * w;
        }
        let end = (n + pl).min(out_l.len());
        if let (Some(o), Some(v)) = (out_l.get_mut(end..), y_l.get(end..)) {
            let m = o.len().min(v.len());
            o[..m].copy_from_slice(&v[..m]);
        }
    }

    // Right half: overwrite with the falling window (the next block adds to it).
    if t.cur_bits <= t.next_bits {
        let w = windows(t.cur_bits);
        for ((o, &v), &w) in out_r.iter_mut().zip(y_r).zip(w.iter().rev()) {
            *o = v * w;
        }
    } else {
        let nl = 1usize << t.next_bits;
        let n = (block_len - nl) / 2;
        let w = windows(t.next_bits);
        for (i, o) in out_r.iter_mut().take(block_len).enumerate() {
            *o = if i < n {
                y_r.get(i).copied().unwrap_or(0.0)
            } else if i < n + nl {
                y_r.get(i).copied().unwrap_or(0.0) * w.get(nl - 1 - (i - n)).copied().unwrap_or(0.0)
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn window_check_values() {
        assert_eq!(sine_window(2048)[0], 3.8349521e-4);
        assert_eq!(sine_window(128)[0], 6.1358847e-3);
    }

    /// Known answer: a unit impulse at bin 0 gives −cos(π/N·(n + ½ + N/4))/32768.
    #[test]
    fn imdct_sign_and_scale() {
        for block_len in [64usize, 128, 2048] {
            let n_full = 2 * block_len;
            let mut x = vec![0f32; block_len];
            x[0] = 1.0;
            let mut y = vec![0f32; n_full];
            BlockImdct::new(block_len).run(&x, &mut y);
            for (n, &v) in y.iter().enumerate() {
                let expect = -((std::f64::consts::PI / n_full as f64)
                    * (n as f64 + 0.5 + n_full as f64 / 4.0))
                    .cos()
                    / 32768.0;
                assert!(
                    (f64::from(v) - expect).abs() < 1e-9,
                    "{block_len} {n} {v} {expect}"
                );
            }
            // And a general bin against the direct sum.
            let mut x = vec![0f32; block_len];
            x[5] = 3.0;
            x[block_len - 1] = -2.0;
            BlockImdct::new(block_len).run(&x, &mut y);
            for (n, &v) in y.iter().enumerate().step_by(7) {
                let mut s = 0f64;
                for (k, &xk) in x.iter().enumerate() {
                    s += f64::from(xk)
                        * (2.0 * std::f64::consts::PI / n_full as f64
                            * (n as f64 + 0.5 + n_full as f64 / 4.0)
                            * (k as f64 + 0.5))
                            .cos();
                }
                assert!((f64::from(v) + s / 32768.0).abs() < 1e-8, "{n}");
            }
        }
    }
}
