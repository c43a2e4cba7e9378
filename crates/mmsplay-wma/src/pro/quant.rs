//! Quantiser step and scale factors: together they give each band's gain,
//! 10^((step − (max_sf − sf[b])·sf_step) / 20).
//!
//! Scale factors are sent per channel for one subframe size and reused, resampled through
//! `Config::sf_map`, by later subframes of other sizes. Each channel keeps the last set sent
//! and builds the current one in a second array: the first set of a frame is DPCM coded, later
//! ones are run-level coded changes to the resampled previous set.

use crate::bitreader::BitReader;
use crate::engine::DecodeError;
use crate::pro::codes::CODES;
use crate::pro::config::MAX_BANDS;
use crate::pro::tables::{SCALE_RL_LEVEL, SCALE_RL_RUN};

/// The scale-factor state of one channel.
#[derive(Clone)]
pub(crate) struct ScaleFactors {
    /// Two sets: `saved[last]` is the last one transmitted; the other is worked in.
    saved: [[i32; MAX_BANDS]; 2],
    last: usize,
    /// Block-size index the last transmitted set belongs to.
    last_size: usize,
    /// DPCM step of the last DPCM set (1..4).
    pub(crate) step: i32,
    /// A set was transmitted earlier in this frame (later ones are run-level deltas).
    pub(crate) reuse: bool,
    /// The set in use for the current subframe (an index into `saved`).
    current: usize,
    /// Its maximum over the subframe's bands.
    pub(crate) max: i32,
}

impl ScaleFactors {
    pub(crate) fn new() -> ScaleFactors {
        ScaleFactors {
            saved: [[0; MAX_BANDS]; 2],
            last: 0,
            last_size: 0,
            step: 1,
            reuse: false,
            current: 0,
            max: 0,
        }
    }

    /// The set in use.
    pub(crate) fn current(&self) -> &[i32; MAX_BANDS] {
        &self.saved[self.current]
    }

    /// Reads (or resamples) this channel's scale factors for a subframe of block-size index
    /// `t` with `num_bands` bands. `first_subframe`: the channel's first subframe of the frame,
    /// which always transmits. `map[r]` maps band b to the band of layout r.
    pub(crate) fn read(
        &mut self,
        r: &mut BitReader<'_>,
        t: usize,
        num_bands: usize,
        first_subframe: bool,
        map: &[Vec<u8>],
    ) -> Result<(), DecodeError> {
        let work = 1 - self.last;
        if self.reuse {
            let from = self.saved[self.last];
            let m = &map[self.last_size];
            for b in 0..num_bands {
                self.saved[work][b] = from[usize::from(m[b])];
            }
        }
        if first_subframe || r.read_bit() {
            let sf = &mut self.saved[work];
            if !self.reuse {
                self.step = r.read(2) as i32 + 1;
                let mut v = 45 / self.step;
                for s in &mut sf[..num_bands] {
                    let delta = CODES.scale.read(r).unwrap_or(60) as i32 - 60;
                    v = v.wrapping_add(delta);
                    *s = v;
                }
            } else {
                let mut b = 0;
                while b < num_bands {
                    let sym = CODES.scale_rl.read(r).unwrap_or(1) as usize;
                    let (level, run, positive) = match sym {
                        0 => {
                            let x = r.read(14);
                            (x >> 6, ((x >> 1) & 31) as usize, x & 1 != 0)
                        }
                        1 => break,
                        s => (
                            u32::from(SCALE_RL_LEVEL[s]),
                            usize::from(SCALE_RL_RUN[s]),
                            r.read_bit(),
                        ),
                    };
                    b += run;
                    if b >= num_bands {
                        return Err(DecodeError("wmapro: invalid scale factor coding"));
                    }
                    let level = level as i32;
                    sf[b] = sf[b].wrapping_add(if positive { level } else { -level });
                    b += 1;
                }
            }
            self.last = work;
            self.last_size = t;
            self.reuse = true;
        }
        self.current = work;
        self.max = self.saved[work][..num_bands]
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        Ok(())
    }
}

/// The subframe's quantiser step: a base from the sample size, a signed 6-bit change, and an
/// open-ended escape of 5-bit groups. The escape stops where fewer than six bits remain, and
/// then uses the last group read (or the escape value itself), as the reference does.
pub(crate) fn read_quant_step(r: &mut BitReader<'_>, bits_per_sample: u32) -> i32 {
    let mut q = ((90 * bits_per_sample) >> 4) as i32;
    let raw = r.read(6) as i32;
    let mut step = if raw >= 32 { raw - 64 } else { raw };
    q += step;
    if step == 31 || step == -32 {
        let positive = step == 31;
        let mut acc = 0i32;
        while r.bits_left() > 5 {
            step = r.read(5) as i32;
            if step != 31 {
                break;
            }
            acc = acc.wrapping_add(31);
        }
        let total = acc.wrapping_add(step);
        q = q.wrapping_add(if positive {
            total
        } else {
            total.wrapping_neg()
        });
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_bits(s: &str) -> Vec<u8> {
        let mut v = vec![0u8; s.len().div_ceil(8)];
        for (i, ch) in s.chars().enumerate() {
            if ch == '1' {
                v[i / 8] |= 0x80 >> (i % 8);
            }
        }
        v
    }

    #[test]
    fn quant_step_and_escapes() {
        // +3 → 93 for 16-bit.
        let d = reader_bits("000011");
        assert_eq!(read_quant_step(&mut BitReader::new(&d), 16), 93);
        // −1 → 134 for 24-bit.
        let d = reader_bits("111111");
        assert_eq!(read_quant_step(&mut BitReader::new(&d), 24), 134);
        // Escape +31, then 31, then 4: 90 + 31 + (31 + 4).
        let d = reader_bits("011111111110010000000");
        assert_eq!(read_quant_step(&mut BitReader::new(&d), 16), 90 + 31 + 35);
        // Escape −32 with no bits left: the stale −32 is negated (+32).
        let d = reader_bits("100000");
        assert_eq!(read_quant_step(&mut BitReader::new(&d), 16), 90 - 32 + 32);
    }
}
