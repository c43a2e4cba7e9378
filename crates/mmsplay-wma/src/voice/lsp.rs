//! Line spectral frequencies: their vector-quantised coding, the stabilisation that keeps them
//! ordered, and the conversion to the LPC coefficients of the synthesis filter.
//!
//! All LSF arithmetic is in f64 (as the reference decoder does it); the LPCs come out as f32.
//! The multipliers and bases of each quantiser stage below are the constants of the reference
//! decoder (FFmpeg 5.1.9 `wmavoice.c`, `dequant_lsp10i/10r/16i/16r`).

use std::f64::consts::PI;

use super::tables;
use crate::bitreader::BitReader;

/// Most LSPs per frame.
pub(crate) const MAX_LSPS: usize = 16;

/// One vector-quantiser stage: field width, codebook rows, multiplier and base.
struct Stage {
    bits: u32,
    rows: usize,
    mul: f64,
    base: f64,
}

const fn st(bits: u32, rows: usize, mul: f64, base: f64) -> Stage {
    Stage {
        bits,
        rows,
        mul,
        base: base * PI,
    }
}

/// Adds `base + mul * table[row * out.len() + m]` of every stage to `out[m]`; each stage's
/// rows follow the previous stage's in `table`.
fn dequant(out: &mut [f64], rows: &[u32], stages: &[Stage], table: &[u8]) {
    out.fill(0.0);
    let dim = out.len();
    let mut start = 0;
    for (stage, &row) in stages.iter().zip(rows) {
        let t = &table[start + row as usize * dim..][..dim];
        for (o, &v) in out.iter_mut().zip(t) {
            *o += stage.base + stage.mul * f64::from(v);
        }
        start += stage.rows * dim;
    }
}

fn read_fields<const N: usize>(br: &mut BitReader, stages: &[Stage]) -> [u32; N] {
    let mut v = [0u32; N];
    for (v, s) in v.iter_mut().zip(stages) {
        *v = br.read(s.bits);
    }
    v
}

const I10: [Stage; 4] = [
    st(8, 256, 5.2187144800e-3, -2.15522e-1),
    st(6, 64, 1.4626986422e-3, -6.1646e-2),
    st(5, 32, 9.6179549166e-4, -3.3486e-2),
    st(5, 32, 1.1325736225e-3, -5.7408e-2),
];
const I16A: [Stage; 2] = [
    st(8, 256, 3.3439586280e-3, -1.27576e-1),
    st(6, 64, 6.9908173703e-4, -2.4292e-2),
];
const I16B: [Stage; 2] = [
    st(7, 128, 3.3216608306e-3, -1.28094e-1),
    st(6, 64, 1.0334960326e-3, -3.2128e-2),
];
const I16C: [Stage; 1] = [st(7, 128, 3.1899104283e-3, -1.29816e-1)];
const R10: [Stage; 3] = [
    st(7, 128, 2.5807601174e-3, -1.07448e-1),
    st(6, 64, 1.2354460219e-3, -5.2706e-2),
    st(6, 64, 1.1763821673e-3, -5.1634e-2),
];
const R16: [Stage; 3] = [
    st(7, 128, 1.2232979501e-3, -5.5830e-2),
    st(7, 128, 1.4062241527e-3, -5.2908e-2),
    st(7, 128, 1.6114744851e-3, -5.4776e-2),
];

/// Independently coded LSFs of one frame, without the mean (24 or 34 bits).
pub(crate) fn read_independent(br: &mut BitReader, lsps: usize, out: &mut [f64]) {
    if lsps == 10 {
        let v: [u32; 4] = read_fields(br, &I10);
        dequant(&mut out[..10], &v, &I10, &tables::DQ_LSP10I);
    } else {
        // Five fields, in bit order, across three codebooks (LSFs 0-4, 5-9, 10-15).
        let a: [u32; 2] = read_fields(br, &I16A);
        let b: [u32; 2] = read_fields(br, &I16B);
        let c: [u32; 1] = read_fields(br, &I16C);
        dequant(&mut out[..5], &a, &I16A, &tables::DQ_LSP16I1);
        dequant(&mut out[5..10], &b, &I16B, &tables::DQ_LSP16I2);
        dequant(&mut out[10..16], &c, &I16C, &tables::DQ_LSP16I3);
    }
}

/// The three frames' LSFs of a superframe coded as one independent set (frame 2) plus an
/// interpolation towards the previous superframe's last LSFs and a residual for frames 0 and 1.
/// `prev` are the previous superframe's frame-2 LSFs; `mean` the stream's mean LSFs. The
/// results are not yet stabilised.
pub(crate) fn read_residual(
    br: &mut BitReader,
    lsps: usize,
    q_mode: bool,
    prev: &[f64],
    mean: &[f64],
    out: &mut [[f64; MAX_LSPS]; 3],
) {
    let l = lsps;
    let mut indep = [0f64; MAX_LSPS];
    read_independent(br, l, &mut indep);
    let interp = br.read(5) as usize;
    let mut a2 = [0f64; 2 * MAX_LSPS];
    let (w0, w1): (&[f32], &[f32]) = if l == 10 {
        let v: [u32; 3] = read_fields(br, &R10);
        dequant(&mut a2[..20], &v, &R10, &tables::DQ_LSP10R);
        let t = if q_mode {
            &tables::LSP10_INTERCOEFF_B
        } else {
            &tables::LSP10_INTERCOEFF_A
        };
        (&t[interp][0], &t[interp][1])
    } else {
        let v: [u32; 3] = read_fields(br, &R16);
        dequant(&mut a2[..10], &v[..1], &R16[..1], &tables::DQ_LSP16R1);
        dequant(&mut a2[10..20], &v[1..2], &R16[1..2], &tables::DQ_LSP16R2);
        dequant(&mut a2[20..32], &v[2..3], &R16[2..3], &tables::DQ_LSP16R3);
        let t = if q_mode {
            &tables::LSP16_INTERCOEFF_B
        } else {
            &tables::LSP16_INTERCOEFF_A
        };
        (&t[interp][0], &t[interp][1])
    };
    for n in 0..l {
        let old = prev[n] - mean[n];
        let delta = old - indep[n];
        let a1_0 = f64::from(w0[n]) * delta + indep[n];
        let a1_1 = f64::from(w1[n]) * delta + indep[n];
        out[0][n] = mean[n] + (a1_0 - a2[2 * n]);
        out[1][n] = mean[n] + (a1_1 - a2[2 * n + 1]);
        out[2][n] = indep[n] + mean[n];
    }
}

/// Keeps the LSFs inside (0, π), at least 0.0125π apart and in order.
pub(crate) fn stabilise(lsf: &mut [f64]) {
    let n = lsf.len();
    lsf[0] = lsf[0].max(0.0015 * PI);
    for i in 1..n {
        lsf[i] = lsf[i].max(lsf[i - 1] + 0.0125 * PI);
    }
    lsf[n - 1] = lsf[n - 1].min(0.9985 * PI);
    // Only the clamp of the last value can break the order; then one insertion sort.
    if (1..n).any(|i| lsf[i] < lsf[i - 1]) {
        for m in 1..n {
            let v = lsf[m];
            let mut l = m;
            while l > 0 && lsf[l - 1] > v {
                lsf[l] = lsf[l - 1];
                l -= 1;
            }
            lsf[l] = v;
        }
    }
}

/// The coefficients of ∏ (1 - 2·c_k·z⁻¹ + z⁻²) over every other cosine starting at `c[0]`
/// (`half` factors), in the reference decoder's order of operations (`f[0] = 1` implied).
fn product_poly(c: &[f64], half: usize, f: &mut [f64; MAX_LSPS / 2 + 1]) {
    f[0] = 1.0;
    f[1] = -2.0 * c[0];
    for i in 2..=half {
        let v = -2.0 * c[2 * (i - 1)];
        f[i] = v * f[i - 1] + 2.0 * f[i - 2];
        for j in (2..i).rev() {
            f[j] += v * f[j - 1] + f[j - 2];
        }
        f[1] += v;
    }
}

/// LPCs a[0..L) of A(z) = 1 + Σ a_i z^-(i+1) from the cosines of the LSFs.
pub(crate) fn cos_to_lpc(cosines: &[f64], lpc: &mut [f32]) {
    let half = cosines.len() / 2;
    let mut p = [0f64; MAX_LSPS / 2 + 1];
    let mut q = [0f64; MAX_LSPS / 2 + 1];
    product_poly(cosines, half, &mut p);
    product_poly(&cosines[1..], half, &mut q);
    for k in (0..half).rev() {
        let pf = p[k + 1] + p[k];
        let qf = q[k + 1] - q[k];
        lpc[k] = (0.5 * (pf + qf)) as f32;
        lpc[2 * half - 1 - k] = (0.5 * (pf - qf)) as f32;
    }
}

/// LPCs for the LSFs `prev + fac·(cur - prev)`.
pub(crate) fn interpolated_lpc(prev: &[f64], cur: &[f64], fac: f32, lpc: &mut [f32]) {
    let mut c = [0f64; MAX_LSPS];
    let fac = f64::from(fac);
    for (n, c) in c[..cur.len()].iter_mut().enumerate() {
        *c = (prev[n] + fac * (cur[n] - prev[n])).cos();
    }
    cos_to_lpc(&c[..cur.len()], lpc);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A(z) evaluated directly from the LSFs as (P(z) + Q(z)) / 2 with
    /// P = (1 + z⁻¹)·∏(1 - 2cos(ω_even) z⁻¹ + z⁻²), Q = (1 - z⁻¹)·∏(... ω_odd ...).
    fn lpc_by_polynomials(lsf: &[f64]) -> Vec<f64> {
        let mul = |a: &[f64], b: &[f64]| {
            let mut r = vec![0.0; a.len() + b.len() - 1];
            for (i, x) in a.iter().enumerate() {
                for (j, y) in b.iter().enumerate() {
                    r[i + j] += x * y;
                }
            }
            r
        };
        let mut p = vec![1.0, 1.0];
        let mut q = vec![1.0, -1.0];
        for (i, w) in lsf.iter().enumerate() {
            let f = [1.0, -2.0 * w.cos(), 1.0];
            if i % 2 == 0 {
                p = mul(&p, &f);
            } else {
                q = mul(&q, &f);
            }
        }
        (1..=lsf.len()).map(|i| 0.5 * (p[i] + q[i])).collect()
    }

    #[test]
    fn lpc_matches_the_lsp_polynomials() {
        for l in [10usize, 16] {
            let lsf: Vec<f64> = (0..l)
                .map(|n| PI * (n as f64 + 1.0) / (l as f64 + 1.0) + 0.05 * (n as f64).sin())
                .collect();
            let c: Vec<f64> = lsf.iter().map(|w| w.cos()).collect();
            let mut lpc = [0f32; MAX_LSPS];
            cos_to_lpc(&c, &mut lpc[..l]);
            let want = lpc_by_polynomials(&lsf);
            for (a, b) in lpc[..l].iter().zip(&want) {
                assert!((f64::from(*a) - b).abs() < 1e-5, "{l}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn evenly_spaced_lsfs_give_a_flat_filter() {
        // LSFs at π(n+1)/(L+1) are the roots of z^(L+1) = ±1 (interlaced); A(z) is then 1.
        for l in [10usize, 16] {
            let c: Vec<f64> = (0..l)
                .map(|n| (PI * (n as f64 + 1.0) / (l as f64 + 1.0)).cos())
                .collect();
            let mut lpc = [1f32; MAX_LSPS];
            cos_to_lpc(&c, &mut lpc[..l]);
            assert!(lpc[..l].iter().all(|a| a.abs() < 1e-6), "{lpc:?}");
        }
    }

    #[test]
    fn stabilise_enforces_range_spacing_and_order() {
        let mut l = [-1.0, 0.0, 0.01, 2.0, 1.9, 3.3];
        stabilise(&mut l);
        assert_eq!(l[0], 0.0015 * PI);
        for i in 1..l.len() {
            assert!(l[i] >= l[i - 1]);
        }
        assert!(l[1] >= l[0] + 0.0125 * PI - 1e-12);
        assert!(l[5] <= 0.9985 * PI);
        // Spacing pushes the last value past the top; clamped below its neighbour, it is
        // sorted into place: 3.0, 3.1, 3.1393 (spaced), 3.1786 → 0.9985π → swapped.
        let mut l = [3.0, 3.1, 3.12, 3.13];
        stabilise(&mut l);
        assert!(l.windows(2).all(|w| w[0] <= w[1]), "{l:?}");
        assert_eq!(l[2], 0.9985 * PI);
        assert!((l[3] - (3.1 + 0.0125 * PI)).abs() < 1e-12);
    }

    #[test]
    fn dequant_sums_stages() {
        // Stage 0: rows of 2; stage 1 follows after 2 rows.
        let table = [1u8, 2, 3, 4, 10, 20, 30, 40];
        let stages = [st(1, 2, 1.0, 0.0), st(1, 2, 0.5, 1.0 / PI)];
        let mut out = [0.0; 2];
        dequant(&mut out, &[1, 0], &stages, &table);
        assert_eq!(out, [3.0 + 1.0 + 5.0, 4.0 + 1.0 + 10.0]);
    }

    #[test]
    fn independent_field_widths() {
        // All-zero fields read 24 (10 LSPs) and 34 (16 LSPs) bits.
        let data = [0u8; 8];
        let mut br = BitReader::new(&data);
        let mut out = [0.0; MAX_LSPS];
        read_independent(&mut br, 10, &mut out);
        assert_eq!(br.pos(), 24);
        let mut br = BitReader::new(&data);
        read_independent(&mut br, 16, &mut out);
        assert_eq!(br.pos(), 34);
        // LSF 0 of row 0 of every stage: base + mul * value, summed.
        let want = I16A[0].base
            + I16A[0].mul * f64::from(tables::DQ_LSP16I1[0])
            + I16A[1].base
            + I16A[1].mul * f64::from(tables::DQ_LSP16I1[256 * 5]);
        assert!((out[0] - want).abs() < 1e-15);
    }
}
