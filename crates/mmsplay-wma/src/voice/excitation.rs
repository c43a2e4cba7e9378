//! The excitation of one block: the adaptive codebook (past excitation at the pitch lag,
//! interpolated to fractional lags), the fixed codebook (pulses or stored noise) and their
//! gains.
//!
//! The excitation lives in one buffer: `history` samples of earlier superframes, then this
//! superframe's 480. Blocks are written in place, so a pitch lag shorter than the block feeds
//! new samples into later ones, as the encoder assumed.

use super::frame_types::FrameType;
use super::tables;
use crate::bitreader::BitReader;
use crate::engine::DecodeError;

/// At most 10 pulses per block (five tracks, each single or a pair).
pub(crate) const MAX_PULSES: usize = 10;

/// Fixed-codebook pulses of one block: position, sign, and whether it repeats every `lag`.
pub(crate) struct Pulses {
    pub(crate) lag: usize,
    n: usize,
    x: [usize; MAX_PULSES],
    y: [f32; MAX_PULSES],
    repeats: [bool; MAX_PULSES],
}

impl Pulses {
    pub(crate) fn new(lag: usize) -> Pulses {
        Pulses {
            lag,
            n: 0,
            x: [0; MAX_PULSES],
            y: [0.0; MAX_PULSES],
            repeats: [false; MAX_PULSES],
        }
    }

    fn push(&mut self, x: usize, y: f32, repeats: bool) {
        if self.n < MAX_PULSES {
            self.x[self.n] = x;
            self.y[self.n] = y;
            self.repeats[self.n] = repeats;
            self.n += 1;
        }
    }

    /// Adds the pulses into `out` (zeroed by the caller): a repeating pulse recurs at every
    /// multiple of the lag inside the block.
    pub(crate) fn render(&self, out: &mut [f32]) {
        if self.lag == 0 {
            return;
        }
        for i in 0..self.n {
            let mut x = self.x[i];
            while x < out.len() {
                out[x] += self.y[i];
                if !self.repeats[i] {
                    break;
                }
                x += self.lag;
            }
        }
    }
}

/// The reference decoder's comfort-noise generator: a start offset into the noise codebook
/// from the frame counter and the block number.
pub(crate) fn prng(frame_cntr: u32, block: usize, size: usize) -> usize {
    let mut x = block as u64 * 1877 + u64::from(frame_cntr);
    if x >= 0xFFFF {
        x -= 0xFFFF;
    }
    let z = ((x * 49995) / (5 * (x % 9) + 6)) & 0xFFFF;
    (z % (1000 - size as u64)) as usize
}

/// A block of stored noise at `start`, times `gain` (silence and hard-coded blocks).
pub(crate) fn noise_block(start: usize, gain: f32, out: &mut [f32]) {
    for (o, &c) in out.iter_mut().zip(&tables::STD_CODEBOOK[start..]) {
        *o = c * gain;
    }
}

/// Five tracks: a signed pulse at `track + 5·pos`, and on the first `dbl_pulses` tracks a
/// second one, of opposite sign when it lies later than the first.
pub(crate) fn read_track_pulses(br: &mut BitReader, ft: &FrameType, p: &mut Pulses) {
    let bits = 5 - ft.log_blocks;
    for n in 0..5 {
        let sign = if br.read_bit() { 1.0 } else { -1.0 };
        let pos1 = br.read(bits) as usize;
        p.push(n + 5 * pos1, sign, false);
        if n < ft.dbl_pulses {
            let pos2 = br.read(bits) as usize;
            p.push(n + 5 * pos2, if pos1 < pos2 { -sign } else { sign }, false);
        }
    }
}

/// Where the pitch-adaptive-window pulses of a (two-block) frame go, read once per frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AwCoords {
    /// The position index took 8 bits (first block's pulse field is then 2 bits shorter).
    ext: bool,
    /// Span of the pulse group around each pitch period: 16 or 24.
    range: i32,
    /// Pitch periods starting in each block (may be negative: none).
    n_pulses: [i32; 2],
    /// First sample of the pulse group in each block.
    first_off: [i32; 2],
}

/// Start offsets of the pulse train by 6- or 8-bit index (the reference decoder's table;
/// note 18 before 17).
const AW_START_OFFSET: [i16; 94] = [
    -11, -9, -7, -5, -3, -1, 1, 3, 5, 7, 9, 11, 13, 15, 18, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27,
    28, 29, 30, 31, 32, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63, 65, 67, 69,
    71, 73, 75, 77, 79, 81, 83, 85, 87, 89, 91, 93, 95, 97, 99, 101, 103, 105, 107, 109, 111, 113,
    115, 117, 119, 121, 123, 125, 127, 129, 131, 133, 135, 137, 139, 141, 143, 145, 147, 149, 151,
    153, 155, 157, 159,
];

/// Half a frame: AW frames always have two blocks of this size.
const HALF: i32 = 80;

impl AwCoords {
    pub(crate) fn read(br: &mut BitReader, pitch: [i32; 2]) -> AwCoords {
        let mut bits = br.read(6) as usize;
        let ext = bits >= 54;
        if ext {
            bits += (bits - 54) * 3 + br.read(2) as usize;
        }
        let start = i32::from(AW_START_OFFSET[bits]);
        let range = if pitch[0].min(pitch[1]) > 32 { 24 } else { 16 };
        let mut off = start;
        while off < 0 {
            off += pitch[0];
        }
        let n0 = (pitch[0] - 1 + HALF - off) / pitch[0];
        let mut first0 = off - range / 2;
        off += n0 * pitch[0];
        let n1 = (pitch[1] - 1 + 2 * HALF - off) / pitch[1];
        let mut first1 = off - (2 * HALF + range) / 2;
        // A train that started before the frame: move the groups back to the block start.
        if start < HALF {
            while first1 - pitch[1] + range > 0 {
                first1 -= pitch[1];
            }
            if start < 0 {
                while first0 - pitch[0] + range > 0 {
                    first0 -= pitch[0];
                }
            }
        }
        AwCoords {
            ext,
            range,
            n_pulses: [n0, n1],
            first_off: [first0, first1],
        }
    }

    /// The pulse group at each pitch period (3 or 4 pulses), or, with no period in the
    /// block, one pulse pair.
    pub(crate) fn read_set1(&self, br: &mut BitReader, block: usize, p: &mut Pulses) {
        let short = self.ext && block == 0;
        let mut val = br.read(12 - 2 * u32::from(short));
        let lag = p.lag as i32;
        if self.n_pulses[block] > 0 {
            let (n_pulses, v_mask, i_mask, sh) = if self.range == 24 {
                (3, 8, 7, 4)
            } else {
                (4, 4, 3, 3)
            };
            for n in (0..n_pulses).rev() {
                let y = if val & v_mask != 0 { -1.0 } else { 1.0 };
                let mut x = (val & i_mask) as i32 * n_pulses + n + self.first_off[block];
                while x < 0 {
                    x += lag;
                }
                if x < HALF {
                    p.push(x as usize, y, true);
                }
                val >>= sh;
            }
        } else {
            let num2 = (val & 0x1FF) >> 1;
            let (delta, idx) = if num2 < 79 {
                (1, num2 + 1)
            } else if num2 < 2 * 78 {
                (3, num2 + 1 - 77)
            } else if num2 < 3 * 77 {
                (5, num2 + 1 - 2 * 76)
            } else {
                (7, num2 + 1 - 3 * 75)
            };
            let v = if val & 0x200 != 0 { -1.0 } else { 1.0 };
            p.push((idx - delta) as usize, v, false);
            p.push(idx as usize, if val & 1 != 0 { -v } else { v }, false);
        }
    }

    /// One more pulse, at the `aidx`-th position not already covered by a pulse group.
    /// `next_off` carries where the pitch train continues into the second block. Fails when
    /// every position is taken (the caller conceals the block).
    pub(crate) fn read_set2(
        &self,
        br: &mut BitReader,
        block: usize,
        p: &mut Pulses,
        next_off: &mut i32,
    ) -> Result<(), DecodeError> {
        let lag = p.lag as i32;
        let has = self.n_pulses[block] > 0;
        let mut pulse_off = self.first_off[block];
        if has {
            while pulse_off + self.range < 1 {
                pulse_off += lag;
            }
        }
        let range = if self.n_pulses[0] > 0 {
            if block == 0 {
                32
            } else {
                if has {
                    pulse_off = *next_off;
                }
                8
            }
        } else {
            16
        };
        let mut pulse_start = if has { pulse_off - range / 2 } else { 0 };
        // Positions the first pulse set may occupy are excluded.
        let mut free = [true; HALF as usize];
        if has {
            let mut idx = pulse_off;
            while idx < HALF {
                for pos in idx.max(0)..(idx + self.range).min(HALF) {
                    free[pos as usize] = false;
                }
                idx += lag;
            }
        }
        let bits = if self.n_pulses[0] > 0 {
            5 - 2 * block as u32
        } else {
            4
        };
        let aidx = br.read(bits);
        let mut found = 0;
        let mut start_off = 0usize;
        // Walks forward from pulse_start (wrapped by the lag); past the block it takes the
        // first free position. Each step past the block takes one, so this ends.
        while found <= aidx {
            let mut idx = pulse_start;
            while idx < 0 {
                idx += lag;
            }
            let pos = if idx >= HALF {
                match free.iter().position(|&f| f) {
                    Some(i) => i,
                    None => return Err(DecodeError("wmavoice: no free AW pulse position")),
                }
            } else {
                idx as usize
            };
            if free[pos] {
                free[pos] = false;
                found += 1;
                start_off = pos;
            }
            pulse_start += 1;
        }
        let sign = if br.read_bit() { -1.0 } else { 1.0 };
        p.push(start_off, sign, true);
        let n = (HALF - start_off as i32) % lag;
        *next_off = if n != 0 { lag - n } else { 0 };
        Ok(())
    }
}

/// The fixed-codebook and adaptive-codebook gains of a pulse block, from the 7-bit index and
/// the prediction memory of past fixed-codebook energies (updated here).
pub(crate) fn gains(idx: usize, log_blocks: u32, pred: &mut [f32; 6]) -> (f32, f32) {
    // Prediction weights, and the clamp of the new error to [ln 0.05, ln 5]; all are f32
    // values converted from the reference's decimal (double) constants.
    const COEFF: [f32; 6] = [
        0.8169_f64 as f32,
        -0.06545_f64 as f32,
        0.1726_f64 as f32,
        0.0185_f64 as f32,
        -0.0359_f64 as f32,
        0.0458_f64 as f32,
    ];
    const ERR_MIN: f32 = -2.9957322736_f64 as f32;
    const ERR_MAX: f32 = 1.6094379124_f64 as f32;
    let mut dot = 0f32;
    for (p, c) in pred.iter().zip(COEFF) {
        dot += p * c;
    }
    let fcb_log = tables::GAIN_CODEBOOK_FCB[idx];
    let fcb_gain = ((f64::from(dot) - 5.2409161640 + f64::from(fcb_log)) as f32).exp();
    let acb_gain = tables::GAIN_CODEBOOK_ACB[idx];
    let err = fcb_log.clamp(ERR_MIN, ERR_MAX);
    // Longer blocks weigh more: the error enters 8/blocks times.
    let w = (8usize >> log_blocks).min(6);
    pred.copy_within(0..6 - w, w);
    pred[..w].fill(err);
    (acb_gain, fcb_gain)
}

/// Fractional-delay interpolation: out[k] = Σ_i x[k-lag+i]·h[i·step+fr] + x[k-lag-1-i]·h[(i+1)·step-fr],
/// computed sample by sample in place so a lag shorter than the run reuses new samples.
/// `pos` is where output k = 0 goes in `exc`.
#[allow(clippy::too_many_arguments)]
fn interpolate(
    exc: &mut [f32],
    pos: usize,
    len: usize,
    lag: usize,
    h: &[f32],
    step: usize,
    fr: usize,
    taps: usize,
) {
    // The taps of this phase, in the order they are summed.
    let mut fwd = [0f32; 9];
    let mut back = [0f32; 9];
    for i in 0..taps {
        fwd[i] = h[i * step + fr];
        back[i] = h[(i + 1) * step - fr];
    }
    let mut k = 0;
    // Four samples at a time when none of them reads another (lag > taps + 3); each is still
    // summed in its own order.
    if lag > taps + 3 {
        while k + 4 <= len {
            let c = pos + k - lag;
            let w = &exc[c - taps..c + taps + 3];
            let mut v = [0f32; 4];
            for i in 0..taps {
                for (j, v) in v.iter_mut().enumerate() {
                    *v += w[taps + j + i] * fwd[i];
                    *v += w[taps + j - 1 - i] * back[i];
                }
            }
            exc[pos + k..pos + k + 4].copy_from_slice(&v);
            k += 4;
        }
    }
    for k in k..len {
        let c = pos + k - lag;
        let mut v = 0f32;
        for i in 0..taps {
            v += exc[c + i] * fwd[i];
            v += exc[c - 1 - i] * back[i];
        }
        exc[pos + k] = v;
    }
}

/// The adaptive codebook with a quarter-sample block pitch (`pitch4`).
pub(crate) fn acb_block_pitch(exc: &mut [f32], pos: usize, size: usize, pitch4: i32) {
    let lag = (pitch4 >> 2) as usize;
    let fr = (pitch4 & 3) as usize;
    if fr != 0 {
        interpolate(exc, pos, size, lag, &tables::IPOL2_COEFFS, 4, fr, 8);
    } else {
        for k in 0..size {
            exc[pos + k] = exc[pos + k - lag];
        }
    }
}

/// The adaptive codebook with the pitch moving linearly from `last_pitch` (in 1/65536 steps
/// of `pdiff16` per sample); runs of samples share an integer lag and an eighth-sample phase.
pub(crate) fn acb_sliding_pitch(
    exc: &mut [f32],
    pos: usize,
    block: usize,
    size: usize,
    last_pitch: i32,
    pdiff16: i32,
) {
    let mut n = 0;
    while n < size {
        let abs = (block * size + n) as i32;
        let p16 = (last_pitch << 16).wrapping_add(pdiff16.wrapping_mul(abs));
        let lag = (p16.wrapping_add(0x6FFF)) >> 16;
        let i16 = ((lag << 16).wrapping_sub(p16))
            .wrapping_mul(8)
            .wrapping_add(0x58000);
        let fr = (i16 >> 16) as usize;
        let len = if pdiff16 != 0 {
            let next = if pdiff16 > 0 {
                i16 & !0xFFFF
            } else {
                i16.wrapping_add(0x10000) & !0xFFFF
            };
            ((i16 - next) / pdiff16 / 8).clamp(1, (size - n) as i32) as usize
        } else {
            size - n
        };
        interpolate(
            exc,
            pos + n,
            len,
            lag as usize,
            &tables::IPOL1_COEFFS,
            17,
            fr,
            9,
        );
        n += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prng_matches_its_definition() {
        // x = 3*1877 + 100 = 5731; x % 9 = 7; 5731*49995 / 41 = 6988325 (truncated);
        // & 0xFFFF = 41509; % (1000 - 40) = 229.
        assert_eq!(prng(100, 3, 40), 229);
        // Wraps at 0xFFFF: 7*1877 + 65534 - 65535 = 13138.
        let x: u64 = 13138;
        let want = (((x * 49995) / (5 * (x % 9) + 6)) & 0xFFFF) % 980;
        assert_eq!(prng(65534, 7, 20) as u64, want);
        for fc in (0..65535).step_by(97) {
            for b in 0..8 {
                assert!(prng(fc, b, 160) < 840);
            }
        }
    }

    #[test]
    fn track_pulse_layout() {
        // Two blocks (4-bit positions), tracks 0 and 1 doubled.
        let ft = super::super::frame_types::FRAME_TYPES[3];
        // track0: +, pos 2, pos2 7 (later: negated); track1: -, 9, 3 (earlier: same sign);
        // tracks 2-4: +, 0 / -, 15 / +, 1.
        let fields: [(u32, u32); 10] = [
            (1, 1),
            (2, 4),
            (7, 4),
            (0, 1),
            (9, 4),
            (3, 4),
            (1, 1),
            (0, 4),
            (0, 1),
            (15, 4),
        ];
        let mut bits: Vec<u8> = Vec::new();
        for (v, n) in fields.iter().chain(&[(1u32, 1u32), (1, 4)]) {
            for k in (0..*n).rev() {
                bits.push(((v >> k) & 1) as u8);
            }
        }
        let mut data = vec![0u8; bits.len().div_ceil(8)];
        for (i, b) in bits.iter().enumerate() {
            data[i / 8] |= b << (7 - i % 8);
        }
        let mut br = BitReader::new(&data);
        let mut p = Pulses::new(50);
        read_track_pulses(&mut br, &ft, &mut p);
        assert_eq!(br.pos(), bits.len());
        let mut out = [0f32; 80];
        p.render(&mut out);
        let mut want = [0f32; 80];
        want[10] += 1.0;
        want[35] -= 1.0;
        want[1 + 45] -= 1.0;
        want[1 + 15] -= 1.0;
        want[2] += 1.0;
        want[3 + 75] -= 1.0;
        want[4 + 5] += 1.0;
        assert_eq!(out, want);
    }

    #[test]
    fn repeating_pulses_recur_at_the_lag() {
        let mut p = Pulses::new(30);
        p.push(5, -1.0, true);
        p.push(6, 1.0, false);
        let mut out = [0f32; 80];
        p.render(&mut out);
        assert_eq!(
            (out[5], out[35], out[65], out[6], out[36]),
            (-1.0, -1.0, -1.0, 1.0, 0.0)
        );
        assert_eq!(out.iter().filter(|v| **v != 0.0).count(), 4);
    }

    #[test]
    fn gain_memory_shifts_by_block_weight() {
        let mut pred = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let idx = 5;
        let (acb, fcb) = gains(idx, 2, &mut pred);
        let e =
            tables::GAIN_CODEBOOK_FCB[idx].clamp(-2.9957322736_f64 as f32, 1.6094379124_f64 as f32);
        assert_eq!(pred, [e, e, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(acb, tables::GAIN_CODEBOOK_ACB[idx]);
        let dot: f64 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .zip([0.8169, -0.06545, 0.1726, 0.0185, -0.0359, 0.0458])
            .map(|(a, b)| a * b)
            .sum();
        let want = (dot - 5.2409161640 + f64::from(tables::GAIN_CODEBOOK_FCB[idx])).exp();
        assert!((f64::from(fcb) - want).abs() < 1e-5 * want);
        // One block per... eight blocks: a weight of one.
        let mut pred = [1.0; 6];
        gains(idx, 3, &mut pred);
        assert_eq!(&pred[1..], &[1.0; 5]);
    }

    #[test]
    fn integer_block_pitch_repeats_the_history() {
        let mut exc = vec![0f32; 60];
        for (i, v) in exc[..20].iter_mut().enumerate() {
            *v = i as f32;
        }
        // Lag 7 (pitch4 = 28) from position 20: a period-7 copy of samples 13..20.
        acb_block_pitch(&mut exc, 20, 40, 28);
        for k in 0..40 {
            assert_eq!(exc[20 + k], exc[20 + k - 7]);
        }
        assert_eq!(exc[20], 13.0);
    }

    #[test]
    fn fractional_pitch_interpolates_a_constant_to_the_filter_gain() {
        // On a constant signal the interpolator outputs the sum of the taps it uses.
        for fr in 1..4usize {
            let mut exc = vec![1f32; 200];
            acb_block_pitch(&mut exc, 100, 20, (40 << 2) | fr as i32);
            let gain: f32 = (0..8)
                .map(|i| tables::IPOL2_COEFFS[4 * i + fr] + tables::IPOL2_COEFFS[4 * (i + 1) - fr])
                .sum();
            assert!((exc[100] - gain).abs() < 1e-6, "{fr}");
            // A low-pass interpolator: close to unit gain at DC.
            assert!((gain - 1.0).abs() < 0.1, "{fr}: {gain}");
        }
    }

    /// The sliding-pitch codebook evaluated sample by sample straight from the definition:
    /// pitch(k) = last + pdiff·k / 65536, lag = round-up-ish (p16 + 0x6FFF) >> 16, phase in
    /// eighths. The run-length shortcut of `acb_sliding_pitch` must give the same samples.
    fn sliding_reference(
        exc: &mut [f32],
        pos: usize,
        block: usize,
        size: usize,
        last: i32,
        pdiff: i32,
    ) {
        for k in 0..size {
            let p16 = (last << 16) + pdiff * (block * size + k) as i32;
            let lag = ((p16 + 0x6FFF) >> 16) as usize;
            let fr = ((((lag as i32) << 16) - p16) * 8 + 0x58000) >> 16;
            let fr = fr as usize;
            assert!((1..=8).contains(&fr));
            let c = pos + k - lag;
            let mut v = 0f32;
            for i in 0..9 {
                v += exc[c + i] * tables::IPOL1_COEFFS[17 * i + fr];
                v += exc[c - 1 - i] * tables::IPOL1_COEFFS[17 * (i + 1) - fr];
            }
            exc[pos + k] = v;
        }
    }

    #[test]
    fn sliding_pitch_runs_equal_sample_by_sample_evaluation() {
        let mut seed = 1u32;
        for (last, cur) in [(40, 41), (60, 45), (100, 100), (55, 407), (300, 56)] {
            let pdiff = (cur - last) * 65536 / 160;
            for (block, size) in [(0, 80), (1, 80), (3, 40)] {
                let mut a = vec![0f32; 700];
                for v in &mut a[..450] {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    *v = ((seed >> 16) as f32 / 32768.0) - 1.0;
                }
                let mut b = a.clone();
                acb_sliding_pitch(&mut a, 450, block, size, last, pdiff);
                sliding_reference(&mut b, 450, block, size, last, pdiff);
                assert_eq!(a, b, "{last}->{cur} block {block}");
            }
        }
    }

    #[test]
    fn aw_coordinates_of_a_simple_train() {
        // Index 20 → start offset 23; pitches 40/40 (> 32 → range 24).
        let data = [20u8 << 2, 0];
        let mut br = BitReader::new(&data);
        let c = AwCoords::read(&mut br, [40, 40]);
        assert_eq!(br.pos(), 6);
        assert!(!c.ext);
        assert_eq!(c.range, 24);
        // n0 = (39 + 80 - 23) / 40 = 2, first0 = 23 - 12 = 11; offset 103:
        // n1 = (39 + 160 - 103) / 40 = 2, first1 = 103 - 92 = 11; 11 - 40 + 24 <= 0 stays.
        assert_eq!(c.n_pulses, [2, 2]);
        assert_eq!(c.first_off, [11, 11]);
        // Extended index: 6 bits 63 → 63 + 27 + 2-bit 3 = 93 → offset 159.
        let data = [0xFF, 0xC0];
        let mut br = BitReader::new(&data);
        let c = AwCoords::read(&mut br, [30, 30]);
        assert!(c.ext && br.pos() == 8);
        assert_eq!(c.range, 16);
        // n0 = (29 + 80 - 159) / 30 = -1 (truncating), first0 = 151; offset 129:
        // n1 = (29 + 160 - 129) / 30 = 2; first1 = 129 - 88 = 41.
        assert_eq!(c.n_pulses, [-1, 2]);
        assert_eq!(c.first_off, [151, 41]);
    }

    #[test]
    fn aw_second_pulse_skips_taken_positions() {
        // A train with pulses in block 0: range 24 from pulse_off 9 every 40 excludes
        // 9..33 and 49..73; the search starts at 9 - 16 = -7 → wraps to 33 (free).
        let c = AwCoords {
            ext: false,
            range: 24,
            n_pulses: [2, 2],
            first_off: [9, 9],
        };
        // aidx = 2 (5 bits), sign bit 1.
        let data = [0b0001_0100];
        let mut br = BitReader::new(&data);
        let mut p = Pulses::new(40);
        let mut next = 0;
        c.read_set2(&mut br, 0, &mut p, &mut next).unwrap();
        // Candidates: -7→33 ✓(1), -6→34 ✓(2), -5→35 ✓(3): the third is taken.
        assert_eq!((p.n, p.x[0], p.y[0]), (1, 35, -1.0));
        // Next block continues the train: (80 - 35) % 40 = 5 → 35.
        assert_eq!(next, 35);
    }

    #[test]
    fn aw_pulse_pair_without_a_period() {
        let c = AwCoords {
            ext: false,
            range: 16,
            n_pulses: [0, 0],
            first_off: [0, 0],
        };
        // val: sign bit 0x200 set, num2 = 100 → delta 3, idx = 24; low bit set → flipped.
        let val: u32 = 0x200 | (100 << 1) | 1;
        let data = [(val >> 4) as u8, ((val & 15) << 4) as u8];
        let mut br = BitReader::new(&data);
        let mut p = Pulses::new(50);
        c.read_set1(&mut br, 0, &mut p);
        assert_eq!(br.pos(), 12);
        assert_eq!((p.x[0], p.y[0], p.x[1], p.y[1]), (21, -1.0, 24, 1.0));
        assert!(!p.repeats[0] && !p.repeats[1]);
    }
}
