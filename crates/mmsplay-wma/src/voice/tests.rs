//! Checks of the generated tables.

use super::tables::*;

fn fnv1a64(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325u64;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

fn check_u8(t: &[u8], c: &TableCheck) {
    assert_eq!(t.len(), c.count);
    assert_eq!(fnv1a64(t.iter().copied()), c.fnv1a64);
    assert_eq!(t.iter().map(|&v| f64::from(v)).sum::<f64>(), c.sum);
}

fn check_f32(t: &[f32], c: &TableCheck) {
    assert_eq!(t.len(), c.count);
    assert_eq!(fnv1a64(t.iter().flat_map(|v| v.to_le_bytes())), c.fnv1a64);
    let s: f64 = t.iter().map(|&v| f64::from(v)).sum();
    assert!((s - c.sum).abs() < 1e-9, "{s} vs {}", c.sum);
}

fn check_f64(t: &[f64], c: &TableCheck) {
    assert_eq!(t.len(), c.count);
    assert_eq!(fnv1a64(t.iter().flat_map(|v| v.to_le_bytes())), c.fnv1a64);
    let s: f64 = t.iter().sum();
    assert!((s - c.sum).abs() < 1e-9, "{s} vs {}", c.sum);
}

#[test]
fn tables_match_their_checksums() {
    check_u8(&DQ_LSP10I, &DQ_LSP10I_CHECK);
    check_u8(&DQ_LSP16I1, &DQ_LSP16I1_CHECK);
    check_u8(&DQ_LSP16I2, &DQ_LSP16I2_CHECK);
    check_u8(&DQ_LSP16I3, &DQ_LSP16I3_CHECK);
    check_u8(&DQ_LSP10R, &DQ_LSP10R_CHECK);
    check_u8(&DQ_LSP16R1, &DQ_LSP16R1_CHECK);
    check_u8(&DQ_LSP16R2, &DQ_LSP16R2_CHECK);
    check_u8(&DQ_LSP16R3, &DQ_LSP16R3_CHECK);
    check_f32(
        LSP10_INTERCOEFF_A.as_flattened().as_flattened(),
        &LSP10_INTERCOEFF_A_CHECK,
    );
    check_f32(
        LSP10_INTERCOEFF_B.as_flattened().as_flattened(),
        &LSP10_INTERCOEFF_B_CHECK,
    );
    check_f32(
        LSP16_INTERCOEFF_A.as_flattened().as_flattened(),
        &LSP16_INTERCOEFF_A_CHECK,
    );
    check_f32(
        LSP16_INTERCOEFF_B.as_flattened().as_flattened(),
        &LSP16_INTERCOEFF_B_CHECK,
    );
    check_f64(MEAN_LSF10.as_flattened(), &MEAN_LSF10_CHECK);
    check_f64(MEAN_LSF16.as_flattened(), &MEAN_LSF16_CHECK);
    check_f32(&STD_CODEBOOK, &STD_CODEBOOK_CHECK);
    check_f32(&GAIN_SILENCE, &GAIN_SILENCE_CHECK);
    check_f32(&GAIN_UNIVERSAL, &GAIN_UNIVERSAL_CHECK);
    check_f32(&GAIN_CODEBOOK_ACB, &GAIN_CODEBOOK_ACB_CHECK);
    check_f32(&GAIN_CODEBOOK_FCB, &GAIN_CODEBOOK_FCB_CHECK);
    check_f32(&IPOL1_COEFFS, &IPOL1_COEFFS_CHECK);
    check_f32(&IPOL2_COEFFS, &IPOL2_COEFFS_CHECK);
    check_f32(&ENERGY_TABLE, &ENERGY_TABLE_CHECK);
    check_f32(
        DENOISE_POWER_TABLE.as_flattened(),
        &DENOISE_POWER_TABLE_CHECK,
    );
}

#[test]
fn table_spot_values() {
    // First and last values as printed in the source header.
    assert_eq!(DQ_LSP10I[..4], [125, 109, 84, 55]);
    assert_eq!(LSP10_INTERCOEFF_A[0][0][0], 0.510_862_7);
    assert_eq!(MEAN_LSF10[0][0], 0.2235394066);
    assert_eq!(MEAN_LSF10[1][9], 2.6865718527);
}
