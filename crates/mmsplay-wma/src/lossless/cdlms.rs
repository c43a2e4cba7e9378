//! The per-channel cascade of sign-LMS prediction filters ("CDLMS").
//!
//! Each filter predicts the next sample from its own recent outputs with 16-bit coefficients
//! that adapt by ± an update value after every sample (the sign of the input residual picks
//! the direction). A channel runs up to eight of them in series, the last first; each one
//! turns the whole tile's residual into the input of the next.
//!
//! All arithmetic is the reference decoder's: wrapping 16-bit coefficient updates, a wrapping
//! 32-bit dot product, an arithmetic shift, histories clamped to the sample range. The history
//! and update windows slide downwards through a buffer twice the filter order and are copied
//! back up when they reach the bottom, so reading them never needs a modulo.

/// Longest filter.
pub(crate) const MAX_ORDER: usize = 256;
/// Room for the window and the reference's padding past it.
const WINDOW: usize = 2 * MAX_ORDER + 8;

/// One adaptive filter.
#[derive(Clone)]
pub(crate) struct Cdlms {
    pub(crate) order: usize,
    pub(crate) shift: u32,
    /// Coefficients; entries from `order` on are zero padding read by the padded dot product.
    pub(crate) coef: [i16; MAX_ORDER + 8],
    /// Past outputs, clamped: `hist[recent + k]` is the output k + 1 samples ago.
    hist: [i32; WINDOW],
    /// Per-tap update magnitudes (signed), aligned with `hist`.
    upd: [i16; WINDOW],
    recent: usize,
    /// Set when the order may have changed: the first push then clears everything above the
    /// window, as every push does in the reference (later pushes only need one slot cleared).
    fresh: bool,
}

impl Default for Cdlms {
    fn default() -> Self {
        Cdlms {
            order: 0,
            shift: 0,
            coef: [0; MAX_ORDER + 8],
            hist: [0; WINDOW],
            upd: [0; WINDOW],
            recent: 0,
            fresh: true,
        }
    }
}

#[inline]
fn sign(v: i32) -> i32 {
    v.signum()
}

impl Cdlms {
    /// Clears coefficients, history and updates (a seekable tile's reset).
    pub(crate) fn clear(&mut self) {
        self.coef.fill(0);
        self.hist.fill(0);
        self.upd.fill(0);
    }

    /// After a seekable tile's parameters: the window starts at the top of the first half.
    pub(crate) fn restart(&mut self) {
        self.recent = self.order;
        self.fresh = true;
    }

    /// Zeroes the coefficient padding past `order`.
    pub(crate) fn clear_padding(&mut self) {
        let o = self.order;
        self.coef[o..o + 8].fill(0);
    }

    /// Doubles (seekable tiles, `speed` 16) or halves (`speed` 8) the update magnitudes.
    /// Newer streams rescale the current window, older ones the first `order` slots.
    pub(crate) fn rescale_updates(&mut self, double: bool, v3rtm: bool) {
        let start = if v3rtm { self.recent } else { 0 };
        for u in &mut self.upd[start..start + self.order] {
            *u = if double { u.wrapping_mul(2) } else { *u / 2 };
        }
    }

    /// Runs the filter over a tile in place: each residual becomes the reconstructed value.
    ///
    /// `taps` is the dot-product length: the order rounded up to 16 for 16-bit streams (the
    /// reference's SIMD padding; the padded taps are zero), the order for 24-bit ones.
    pub(crate) fn run(&mut self, res: &mut [i32], speed: i16, range: i32, taps: usize) {
        let round = (1u32 << self.shift) >> 1;
        for r in res.iter_mut() {
            let input = *r;
            let dot = self.dot_and_adapt(taps, sign(input) as i16);
            let y = input.wrapping_add((round.wrapping_add(dot as u32) as i32) >> self.shift);
            self.push(y, speed, range);
            *r = y;
        }
    }

    /// The prediction (dot product with the coefficients before their update), then the
    /// coefficients move by `dir` × the update values.
    #[inline]
    fn dot_and_adapt(&mut self, taps: usize, dir: i16) -> i32 {
        let at = self.recent;
        let coef = &mut self.coef[..taps];
        let hist = &self.hist[at..at + taps];
        let upd = &self.upd[at..at + taps];
        let mut acc = 0i32;
        for ((c, &h), &u) in coef.iter_mut().zip(hist).zip(upd) {
            acc = acc.wrapping_add(i32::from(*c).wrapping_mul(h));
            *c = c.wrapping_add(dir.wrapping_mul(u));
        }
        acc
    }

    /// Records an output: slides the window down one slot (copying it up when it reaches the
    /// bottom), stores the clamped value and its update magnitude, and decays two older
    /// update values.
    #[inline]
    fn push(&mut self, y: i32, speed: i16, range: i32) {
        let o = self.order;
        if self.recent > 0 {
            self.recent -= 1;
        } else {
            self.hist.copy_within(0..o, o);
            self.upd.copy_within(0..o, o);
            self.recent = o - 1;
        }
        let at = self.recent;
        self.hist[at] = y.clamp(-range, range - 1);
        self.upd[at] = (sign(y) as i16).wrapping_mul(speed);
        self.upd[at + (o >> 4)] >>= 2;
        self.upd[at + (o >> 3)] >>= 1;
        // Nothing above the window may carry an update. Only the slot that just left the
        // window can be non-zero, except after a reconfiguration.
        if self.fresh {
            self.upd[at + o..].fill(0);
            self.fresh = false;
        } else {
            self.upd[at + o] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference rules written out plainly (full clear above the window on every push,
    /// modulo-free sliding as in the description), for comparison with the optimised filter.
    fn plain(order: usize, shift: u32, speed: i16, range: i32, taps: usize, res: &mut [i32]) {
        let mut coef = vec![0i16; MAX_ORDER + 8];
        let mut hist = vec![0i32; WINDOW];
        let mut upd = vec![0i16; WINDOW];
        let mut recent = order;
        for r in res.iter_mut() {
            let mut pred: u32 = (1u32 << shift) >> 1;
            let mut dot: u32 = 0;
            for k in 0..taps {
                dot = dot.wrapping_add((i32::from(coef[k]) * hist[recent + k]) as u32);
                coef[k] = coef[k].wrapping_add((r.signum() as i16) * upd[recent + k]);
            }
            pred = pred.wrapping_add(dot);
            let y = r.wrapping_add((pred as i32) >> shift);
            if recent > 0 {
                recent -= 1;
            } else {
                for k in 0..order {
                    hist[order + k] = hist[k];
                    upd[order + k] = upd[k];
                }
                recent = order - 1;
            }
            hist[recent] = y.clamp(-range, range - 1);
            upd[recent] = y.signum() as i16 * speed;
            upd[recent + (order >> 4)] >>= 2;
            upd[recent + (order >> 3)] >>= 1;
            for u in &mut upd[recent + order..] {
                *u = 0;
            }
            *r = y;
        }
    }

    fn noise(n: usize, seed: u32, amp: i32) -> Vec<i32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as i32 % amp
            })
            .collect()
    }

    #[test]
    fn matches_plain_rules() {
        for (order, shift, taps16) in [
            (8, 4, true),
            (16, 11, true),
            (64, 12, true),
            (256, 15, false),
        ] {
            let mut f = Cdlms {
                order,
                shift,
                ..Cdlms::default()
            };
            f.restart();
            let taps = if taps16 {
                order.next_multiple_of(16)
            } else {
                order
            };
            let mut a = noise(5000, order as u32, 40000);
            let mut b = a.clone();
            f.run(&mut a, 16, 32768, taps);
            plain(order, shift, 16, 32768, taps, &mut b);
            assert_eq!(a, b, "order {order}");
        }
    }

    #[test]
    fn integer_rules_by_hand() {
        // Order 8, shift 0, speed 16: first sample has no history, so y = input.
        let mut f = Cdlms {
            order: 8,
            shift: 0,
            ..Cdlms::default()
        };
        f.restart();
        let mut r = [5, 0];
        f.run(&mut r[..1], 16, 32768, 8);
        assert_eq!(r[0], 5);
        // The stored update was 16, then >>2 (order>>4 = 0 hits the same slot) → 4.
        assert_eq!(f.upd[7], 4);
        assert_eq!(f.hist[7], 5);
        // Second sample, input 0: prediction = coef·hist = 0 (coefficients still 0, since the
        // first update multiplied sign(5)=1 by upd 0); sign(0) adapts nothing.
        f.run(&mut r[1..], 16, 32768, 8);
        assert_eq!(r[1], 0);
        // Halving truncates towards zero; doubling wraps at 16 bits.
        f.upd[6] = -1;
        f.upd[7] = 0x4001;
        f.rescale_updates(false, true);
        assert_eq!(f.upd[6], 0);
        f.rescale_updates(true, true);
        assert_eq!(f.upd[7], 0x4000);
        f.upd[7] = 0x4001;
        f.rescale_updates(true, true);
        assert_eq!(f.upd[7], -0x7FFE);
        // History clamps to the sample range.
        f.push(100_000, 16, 32768);
        assert_eq!(f.hist[f.recent], 32767);
    }
}
