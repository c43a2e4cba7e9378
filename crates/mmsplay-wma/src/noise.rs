//! The pseudo-random noise table used for noise substitution (wma-decoder.md §2.9).
//!
//! Generated, not transcribed: a 32-bit linear congruential generator (×314159 + 1, seed 1)
//! scaled to a uniform distribution of standard deviation `noise_mult`, as in FFmpeg's
//! `ff_wma_init`. One running index into it is shared by all channels and blocks.

pub(crate) const NOISE_TAB_SIZE: usize = 8192;

pub(crate) fn noise_table(noise_mult: f32) -> Vec<f32> {
    let norm =
        ((1.0 / f64::from((1u64 << 31) as f32)) * 3f64.sqrt() * f64::from(noise_mult)) as f32;
    let mut seed: u32 = 1;
    (0..NOISE_TAB_SIZE)
        .map(|_| {
            seed = seed.wrapping_mul(314159).wrapping_add(1);
            (seed as i32) as f32 * norm
        })
        .collect()
}

#[cfg(test)]
// Check values are quoted with the digits given in wma-decoder.md.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn matches_check_values() {
        let t = noise_table(0.02);
        assert_eq!(t[0], 5.0677086e-06);
        assert_eq!(t[1], -0.0014204355);
        assert_eq!(t[2], 0.0029705714);
        let sum: f64 = t.iter().map(|&x| f64::from(x)).sum();
        assert!((sum - 2.12887527).abs() < 1e-6, "{sum}");
        let sum: f64 = noise_table(0.04).iter().map(|&x| f64::from(x)).sum();
        assert!((sum - 4.25775055).abs() < 1e-6, "{sum}");
    }
}
