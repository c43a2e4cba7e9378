//! The LPC synthesis filter 1/A(z) and its inverse A(z), with A(z) = 1 + Σ a_i z^-(i+1).
//!
//! The synthesis filter is resonant, so rounding differences grow; to agree with the reference
//! decoder closely it computes four outputs at a time in the same order of f32 operations as
//! FFmpeg's `ff_celp_lp_synthesis_filterf`: each group of four first collects the
//! contributions of older outputs, then folds in the three newest through precombined
//! coefficients. In exact arithmetic it equals the direct form (see the tests).

/// Runs 1/A(z) over `input`, writing `buf[start..start + input.len()]`; the `a.len()` samples
/// before `start` are the filter memory (the previous outputs). `a.len()` is even and ≥ 4, and
/// `start ≥ a.len()`.
pub(crate) fn synthesis(buf: &mut [f32], start: usize, input: &[f32], a: &[f32]) {
    let order = a.len();
    let len = input.len();
    debug_assert!(order >= 4 && order.is_multiple_of(2) && start >= order);
    let out = &mut buf[start - order..start + len];
    // Index of output n in `out` is order + n.
    let b = a[1] - a[0] * a[0];
    let c = a[2] - a[1] * a[0] - a[0] * b;
    let mut n = 0;
    let mut o0 = out[order - 4];
    let mut o1 = out[order - 3];
    let mut o2 = out[order - 2];
    let mut o3 = out[order - 1];
    while n + 4 <= len {
        let base = order + n;
        let mut y0 = input[n];
        let mut y1 = input[n + 1];
        let mut y2 = input[n + 2];
        let mut y3 = input[n + 3];
        y0 -= a[2] * o1;
        y1 -= a[2] * o2;
        y2 -= a[2] * o3;
        y0 -= a[1] * o2;
        y1 -= a[1] * o3;
        y0 -= a[0] * o3;
        let v = a[3];
        y0 -= v * o0;
        y1 -= v * o1;
        y2 -= v * o2;
        y3 -= v * o3;
        // Older outputs two taps at a time; the four "old" registers slide down.
        let mut i = 5;
        while i < order {
            o3 = out[base - i];
            let v = a[i - 1];
            y0 -= v * o3;
            y1 -= v * o0;
            y2 -= v * o1;
            y3 -= v * o2;
            o2 = out[base - i - 1];
            let v = a[i];
            y0 -= v * o2;
            y1 -= v * o3;
            y2 -= v * o0;
            y3 -= v * o1;
            std::mem::swap(&mut o0, &mut o2);
            o1 = o3;
            i += 2;
        }
        // The newest outputs of this group.
        let (t0, t1, t2) = (y0, y1, y2);
        y3 -= a[0] * t2;
        y2 -= a[0] * t1;
        y1 -= a[0] * t0;
        y3 -= b * t1;
        y2 -= b * t0;
        y3 -= c * t0;
        out[base] = y0;
        out[base + 1] = y1;
        out[base + 2] = y2;
        out[base + 3] = y3;
        (o0, o1, o2, o3) = (y0, y1, y2, y3);
        n += 4;
    }
    while n < len {
        let base = order + n;
        let mut y = input[n];
        for (i, &ai) in a.iter().enumerate() {
            y -= ai * out[base - 1 - i];
        }
        out[base] = y;
        n += 1;
    }
}

/// Runs A(z) over `buf[start..start + len]` (with the `a.len()` samples before as history),
/// writing `out[..len]`: the residual ("zero synthesis").
pub(crate) fn residual(buf: &[f32], start: usize, len: usize, a: &[f32], out: &mut [f32]) {
    let order = a.len();
    let hist = &buf[start - order..start + len];
    let out = &mut out[..len];
    // Four outputs at a time, each summed in its own order (the same as one at a time); the
    // independent sums keep the FPU busy.
    let mut n = 0;
    while n + 4 <= len {
        let w = &hist[n..n + order + 4];
        let mut y = [w[order], w[order + 1], w[order + 2], w[order + 3]];
        for (i, &ai) in a.iter().enumerate() {
            let k = order - 1 - i;
            y[0] += ai * w[k];
            y[1] += ai * w[k + 1];
            y[2] += ai * w[k + 2];
            y[3] += ai * w[k + 3];
        }
        out[n..n + 4].copy_from_slice(&y);
        n += 4;
    }
    for n in n..len {
        let mut y = hist[order + n];
        for (i, &ai) in a.iter().enumerate() {
            y += ai * hist[order + n - 1 - i];
        }
        out[n] = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(mem: &[f32], input: &[f32], a: &[f32]) -> Vec<f64> {
        let mut y: Vec<f64> = mem.iter().map(|&v| f64::from(v)).collect();
        for &x in input {
            let mut v = f64::from(x);
            for (i, &ai) in a.iter().enumerate() {
                v -= f64::from(ai) * y[y.len() - 1 - i];
            }
            y.push(v);
        }
        y.split_off(mem.len())
    }

    #[test]
    fn blocked_filter_equals_direct_form() {
        for order in [10usize, 16] {
            // A stable, mildly resonant filter: a_i small and decaying.
            let a: Vec<f32> = (0..order)
                .map(|i| 0.3 * (-0.4f32).powi(i as i32 + 1) + 0.01 * i as f32)
                .collect();
            let mem: Vec<f32> = (0..order).map(|i| (i as f32 * 0.7).sin()).collect();
            // 43 samples: ten groups of four and a direct-form tail of three.
            let input: Vec<f32> = (0..43)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
                .collect();
            let mut buf = vec![0f32; order + input.len()];
            buf[..order].copy_from_slice(&mem);
            synthesis(&mut buf, order, &input, &a);
            let want = direct(&mem, &input, &a);
            for (n, (&g, &w)) in buf[order..].iter().zip(&want).enumerate() {
                assert!((f64::from(g) - w).abs() < 1e-4, "{order} n={n}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn residual_inverts_synthesis() {
        let order = 10;
        let a: Vec<f32> = (0..order).map(|i| 0.5 / (i as f32 + 2.0)).collect();
        let input: Vec<f32> = (0..40)
            .map(|i| if i % 9 == 0 { 1.0 } else { 0.0 })
            .collect();
        let mut buf = vec![0f32; order + 40];
        synthesis(&mut buf, order, &input, &a);
        let mut back = vec![0f32; 40];
        residual(&buf, order, 40, &a, &mut back);
        for (x, y) in input.iter().zip(&back) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
}
