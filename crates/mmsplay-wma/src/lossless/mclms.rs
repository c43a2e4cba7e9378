//! The multi-channel sign-LMS predictor ("MCLMS"), run after every channel's CDLMS cascade.
//!
//! For each sample position it predicts every coded channel from the recent samples of all
//! channels (`order` past sample frames) and from the current samples of the lower-numbered
//! channels, which are already reconstructed. The coefficients then adapt by the sign of the
//! prediction error times the sign of each input. Integer rules as in `cdlms`.

// Channel and sample indices address several parallel arrays at once.
#![allow(clippy::needless_range_loop)]

use super::params::MAX_CHANNELS;

/// Longest order (past sample frames).
pub(crate) const MAX_ORDER: usize = 32;
const HIST: usize = 2 * MAX_ORDER * MAX_CHANNELS;

#[derive(Clone)]
pub(crate) struct Mclms {
    pub(crate) order: usize,
    pub(crate) shift: u32,
    /// `coef[ch * order * nch + k]`: weight of history slot k for channel ch.
    pub(crate) coef: [i16; MAX_ORDER * MAX_CHANNELS * MAX_CHANNELS],
    /// `cur[ch * nch + c]`, c < ch: weight of channel c's current sample for channel ch.
    pub(crate) cur: [i16; MAX_CHANNELS * MAX_CHANNELS],
    hist: [i32; HIST],
    upd: [i32; HIST],
    recent: usize,
}

impl Default for Mclms {
    fn default() -> Self {
        Mclms {
            order: 0,
            shift: 0,
            coef: [0; MAX_ORDER * MAX_CHANNELS * MAX_CHANNELS],
            cur: [0; MAX_CHANNELS * MAX_CHANNELS],
            hist: [0; HIST],
            upd: [0; HIST],
            recent: 0,
        }
    }
}

impl Mclms {
    pub(crate) fn clear(&mut self) {
        self.coef.fill(0);
        self.cur.fill(0);
        self.hist.fill(0);
        self.upd.fill(0);
    }

    pub(crate) fn restart(&mut self, nch: usize) {
        self.recent = self.order * nch;
    }

    /// Reconstructs `len` sample frames of `res` (one slice per channel) in place.
    pub(crate) fn run(&mut self, res: &mut [&mut [i32]], coded: &[bool], len: usize, range: i32) {
        let nch = res.len();
        let span = self.order * nch;
        if span == 0 {
            return;
        }
        let round = (1u32 << self.shift) >> 1;
        let mut pred = [0i32; MAX_CHANNELS];
        for i in 0..len {
            // This sample frame, one value per channel (written back at the end).
            let mut x = [0i32; MAX_CHANNELS];
            for (v, r) in x.iter_mut().zip(res.iter()) {
                *v = r[i];
            }
            // Predict, lowest channel first: higher channels see the lower ones' final values.
            for ch in 0..nch {
                pred[ch] = 0;
                if !coded[ch] {
                    continue;
                }
                let w = &self.coef[ch * span..ch * span + span];
                let h = &self.hist[self.recent..self.recent + span];
                let mut acc = 0u32;
                for (&c, &v) in w.iter().zip(h) {
                    acc = acc.wrapping_add((v as u32).wrapping_mul(i32::from(c) as u32));
                }
                let cur = &self.cur[ch * nch..ch * nch + ch];
                for (&c, &v) in cur.iter().zip(&x[..ch]) {
                    acc = acc.wrapping_add((v as u32).wrapping_mul(i32::from(c) as u32));
                }
                pred[ch] = (acc.wrapping_add(round) as i32) >> self.shift;
                x[ch] = x[ch].wrapping_add(pred[ch]);
            }
            // Adapt by the sign of each channel's prediction error (its original residual).
            for ch in 0..nch {
                let err = x[ch].wrapping_sub(pred[ch]);
                if err == 0 {
                    continue;
                }
                let s = err.signum();
                let upd = &self.upd[self.recent..self.recent + span];
                for (c, &u) in self.coef[ch * span..ch * span + span].iter_mut().zip(upd) {
                    *c = c.wrapping_add((s * u) as i16);
                }
                let cur = &mut self.cur[ch * nch..ch * nch + ch];
                for (w, &v) in cur.iter_mut().zip(&x[..ch]) {
                    *w = w.wrapping_add((s * v.signum()) as i16);
                }
            }
            // Push this sample frame, highest channel first, so channel 0 ends lowest.
            for ch in (0..nch).rev() {
                self.recent -= 1;
                self.hist[self.recent] = x[ch].clamp(-range, range - 1);
                self.upd[self.recent] = x[ch].signum();
            }
            for (r, &v) in res.iter_mut().zip(&x) {
                r[i] = v;
            }
            if self.recent == 0 {
                self.hist.copy_within(0..span, span);
                self.upd.copy_within(0..span, span);
                self.recent = span;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicts_from_history_and_lower_channels() {
        let mut m = Mclms {
            order: 2,
            shift: 0,
            ..Mclms::default()
        };
        m.restart(2);
        // Channel 1 takes channel 0's current sample with weight 1.
        m.cur[2] = 1;
        let mut a = [10, 0];
        let mut b = [3, 0];
        {
            let mut res: [&mut [i32]; 2] = [&mut a, &mut b];
            m.run(&mut res, &[true, true], 1, 32768);
        }
        // Channel 0: no history yet → 10. Channel 1: 3 + 1·10 = 13.
        assert_eq!((a[0], b[0]), (10, 13));
        // Error sign of ch1 is +, sign(ch0) + → weight 2.
        assert_eq!(m.cur[2], 2);
        // Newest frame sits at the window's bottom, channel 0 first.
        assert_eq!((m.hist[2], m.hist[3]), (10, 13));
        assert_eq!((m.upd[2], m.upd[3]), (1, 1));
        // An uncoded channel gets no prediction but still feeds the history.
        let mut a2 = [0, 0];
        let mut b2 = [7, 0];
        {
            let mut res: [&mut [i32]; 2] = [&mut a2, &mut b2];
            m.run(&mut res, &[false, true], 1, 32768);
        }
        assert_eq!(a2[0], 0);
        assert_eq!(m.recent, 4);
    }
}
