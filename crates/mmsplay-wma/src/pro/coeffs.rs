//! Spectral coefficients of one channel in one subframe.
//!
//! The low coefficients come as vectors: a code for four magnitudes at once, escaping to two
//! codes for pairs, escaping to single values (escaping to a "large value"), each non-zero
//! magnitude followed by its sign bit (1 = positive). When more than `len/256` zeros come in a
//! row the coder switches to run-level codes for the rest of the block (unless the number of
//! vector-coded coefficients was sent explicitly, then vectors go on to that number).

use crate::bitreader::BitReader;
use crate::pro::codes::CODES;
use crate::pro::tables::{
    COEF0_LEVEL, COEF0_RUN, COEF1_LEVEL, COEF1_RUN, VEC1_ESCAPE, VEC2_ESCAPE, VEC4_ESCAPE,
};

/// The coefficient data was inconsistent. The reference ignores this (keeping what was
/// written) and so do we; the frame's length check normally catches the damage.
#[derive(Debug)]
pub(crate) struct Overflow;

/// Decodes `coef.len()` coefficients (the subframe length, a power of two); `num_vec` is how
/// many may be vector coded, `explicit_num_vec` whether that number was transmitted.
pub(crate) fn read_coefficients(
    r: &mut BitReader<'_>,
    coef: &mut [f32],
    num_vec: usize,
    explicit_num_vec: bool,
) -> Result<(), Overflow> {
    let len = coef.len();
    let codes = &*CODES;
    let table = usize::from(r.read_bit());
    let zero_limit = len >> 8;
    let mut cur = 0;
    let mut zeros = 0;
    let mut run_level = false;
    while (explicit_num_vec || !run_level) && cur + 3 < num_vec {
        let mut vals = [0f32; 4];
        let sym = codes.vec4.read(r).unwrap_or(0);
        if sym == VEC4_ESCAPE {
            for half in 0..2 {
                let p = codes.vec2.read(r).unwrap_or(0);
                if p == VEC2_ESCAPE {
                    for v in &mut vals[2 * half..2 * half + 2] {
                        let mut x = codes.vec1.read(r).unwrap_or(0);
                        if x == VEC1_ESCAPE {
                            x = x.wrapping_add(large_value(r));
                        }
                        *v = x as f32;
                    }
                } else {
                    let pair = codes.vec2_values[p as usize];
                    vals[2 * half..2 * half + 2].copy_from_slice(&pair);
                }
            }
        } else {
            vals = codes.vec4_values[sym as usize];
        }
        for v in vals {
            if v != 0.0 {
                coef[cur] = if r.read_bit() { v } else { -v };
                zeros = 0;
            } else {
                coef[cur] = 0.0;
                zeros += 1;
                if zeros > zero_limit {
                    run_level = true;
                }
            }
            cur += 1;
        }
    }
    if cur < len {
        coef[cur..].fill(0.0);
        run_level_part(r, coef, cur, table)?;
    }
    Ok(())
}

/// Run-level coded coefficients from `start` to the end of the block; the end-of-block code
/// may be omitted. Positions wrap within the block, as in the reference.
fn run_level_part(
    r: &mut BitReader<'_>,
    coef: &mut [f32],
    start: usize,
    table: usize,
) -> Result<(), Overflow> {
    let len = coef.len();
    let mask = len - 1;
    let esc_len = len.ilog2();
    let (runs, levels): (&[u16], &[f32]) = if table == 0 {
        (&COEF0_RUN, &COEF0_LEVEL)
    } else {
        (&COEF1_RUN, &COEF1_LEVEL)
    };
    let vlc = &CODES.coef[table];
    let mut p = start;
    while p < len {
        let sym = vlc.read(r).unwrap_or(1) as usize;
        match sym {
            1 => break,
            0 => {
                let level = large_value(r) as f32;
                if r.read_bit() {
                    if r.read_bit() {
                        if r.read_bit() {
                            return Err(Overflow);
                        }
                        p += r.read(esc_len) as usize + 4;
                    } else {
                        p += r.read(2) as usize + 1;
                    }
                }
                coef[p & mask] = if r.read_bit() { level } else { -level };
            }
            s => {
                p += usize::from(runs[s]);
                coef[p & mask] = if r.read_bit() { levels[s] } else { -levels[s] };
            }
        }
        p += 1;
    }
    if p > len { Err(Overflow) } else { Ok(()) }
}

/// An escaped magnitude: 8, 16, 24 or 31 bits, the width given by up to three leading bits.
fn large_value(r: &mut BitReader<'_>) -> u32 {
    let mut n = 8;
    if r.read_bit() {
        n = 16;
        if r.read_bit() {
            n = 24;
            if r.read_bit() {
                n = 31;
            }
        }
    }
    r.read(n)
}
