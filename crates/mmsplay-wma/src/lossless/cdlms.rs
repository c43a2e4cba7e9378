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

use super::residual::ceil_log2;
use crate::bitreader::BitReader;
/// Room for the window and the reference's padding past it.
const WINDOW: usize = 2 * MAX_ORDER + 8;

/// A stored past output: `i16` for 16-bit streams (their clamped values fit, and 16-bit
/// products vectorise well), `i32` for 24-bit ones.
pub(crate) trait HistSample: Copy + Default {
    fn clamped(v: i32, range: i32) -> Self;
    fn widen(self) -> i32;
}

impl HistSample for i16 {
    #[inline]
    fn clamped(v: i32, range: i32) -> Self {
        v.clamp(-range, range - 1) as i16
    }
    #[inline]
    fn widen(self) -> i32 {
        i32::from(self)
    }
}

impl HistSample for i32 {
    #[inline]
    fn clamped(v: i32, range: i32) -> Self {
        v.clamp(-range, range - 1)
    }
    #[inline]
    fn widen(self) -> i32 {
        self
    }
}

/// One adaptive filter, generic over how past outputs are stored.
#[derive(Clone)]
pub(crate) struct Cdlms<H: HistSample> {
    pub(crate) order: usize,
    pub(crate) shift: u32,
    /// Coefficients; entries from `order` on are zero padding read by the padded dot product.
    pub(crate) coef: [i16; MAX_ORDER + 8],
    /// Past outputs, clamped: `hist[recent + k]` is the output k + 1 samples ago.
    hist: [H; WINDOW],
    /// Per-tap update magnitudes (signed), aligned with `hist`.
    upd: [i16; WINDOW],
    recent: usize,
    /// Set when the order may have changed: the first push then clears everything above the
    /// window, as every push does in the reference (later pushes only need one slot cleared).
    fresh: bool,
}

impl<H: HistSample> Default for Cdlms<H> {
    fn default() -> Self {
        Cdlms {
            order: 0,
            shift: 0,
            coef: [0; MAX_ORDER + 8],
            hist: [H::default(); WINDOW],
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

/// The prediction (dot product with the coefficients before their update), then the
/// coefficients move by `dir` (the residual's sign) × the update values. The sum wraps at 32
/// bits, so its order does not matter.
#[inline(always)]
fn dot_and_adapt<H: HistSample>(coef: &mut [i16], hist: &[H], upd: &[i16], dir: i16) -> i32 {
    let mut acc = 0i32;
    for (&c, &h) in coef.iter().zip(hist) {
        acc = acc.wrapping_add(i32::from(c).wrapping_mul(h.widen()));
    }
    match dir {
        1 => coef
            .iter_mut()
            .zip(upd)
            .for_each(|(c, &u)| *c = c.wrapping_add(u)),
        -1 => coef
            .iter_mut()
            .zip(upd)
            .for_each(|(c, &u)| *c = c.wrapping_sub(u)),
        _ => {}
    }
    acc
}

impl<H: HistSample> Cdlms<H> {
    /// Clears coefficients, history and updates (a seekable tile's reset).
    pub(crate) fn clear(&mut self) {
        self.coef.fill(0);
        self.hist.fill(H::default());
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
        // The common lengths get a loop of fixed length, which the compiler unrolls and
        // vectorises whole; the others take the general loop.
        match taps {
            8 => self.run_fixed::<8>(res, speed, range),
            16 => self.run_fixed::<16>(res, speed, range),
            32 => self.run_fixed::<32>(res, speed, range),
            64 => self.run_fixed::<64>(res, speed, range),
            128 => self.run_fixed::<128>(res, speed, range),
            256 => self.run_fixed::<256>(res, speed, range),
            _ => {
                let round = (1u32 << self.shift) >> 1;
                for r in res.iter_mut() {
                    let input = *r;
                    let at = self.recent;
                    let dot = dot_and_adapt(
                        &mut self.coef[..taps],
                        &self.hist[at..at + taps],
                        &self.upd[at..at + taps],
                        sign(input) as i16,
                    );
                    let y =
                        input.wrapping_add((round.wrapping_add(dot as u32) as i32) >> self.shift);
                    self.push(y, speed, range);
                    *r = y;
                }
            }
        }
    }

    /// `run` with a dot product of exactly `N` taps.
    fn run_fixed<const N: usize>(&mut self, res: &mut [i32], speed: i16, range: i32) {
        let round = (1u32 << self.shift) >> 1;
        for r in res.iter_mut() {
            let input = *r;
            let at = self.recent;
            // The window always holds `N` entries past `recent` (it is twice the largest
            // order long, plus padding); the checks only keep the indexing safe.
            let (Some(coef), Some(hist), Some(upd)) = (
                self.coef.first_chunk_mut::<N>(),
                self.hist.get(at..).and_then(|h| h.first_chunk::<N>()),
                self.upd.get(at..).and_then(|u| u.first_chunk::<N>()),
            ) else {
                return;
            };
            let dot = dot_and_adapt(coef, hist, upd, sign(input) as i16);
            let y = input.wrapping_add((round.wrapping_add(dot as u32) as i32) >> self.shift);
            self.push(y, speed, range);
            *r = y;
        }
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
        self.hist[at] = H::clamped(y, range);
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

/// Filters per channel in a cascade.
pub(crate) const MAX_CASCADE: usize = 8;

/// One channel's cascade: up to eight filters run last to first, and the channel's update
/// speed (0 at start, 16 in seekable tiles, 8 otherwise).
#[derive(Clone)]
pub(crate) struct Cascade<H: HistSample> {
    filters: Vec<Cdlms<H>>,
    /// Filters in use (from the last seekable tile).
    len: usize,
    speed: i16,
}

impl<H: HistSample> Default for Cascade<H> {
    fn default() -> Self {
        Cascade {
            filters: vec![Cdlms::default(); MAX_CASCADE],
            len: 0,
            speed: 0,
        }
    }
}

impl<H: HistSample> Cascade<H> {
    /// The first filter's order; 0 means "no seekable tile seen" (the decoder then waits).
    pub(crate) fn first_order(&self) -> usize {
        self.filters[0].order
    }

    /// Makes the decoder wait for a seekable tile (after a seek or a bad parameter).
    pub(crate) fn forget_order(&mut self) {
        self.filters[0].order = 0;
    }

    /// A seekable tile's reset. Only the filters of the previous configuration are
    /// cleared; others keep older state, as in the reference.
    pub(crate) fn clear(&mut self) {
        for f in &mut self.filters[..self.len] {
            f.clear();
        }
    }

    /// Reads this channel's filter count, orders, shifts and (when `send`) coefficients.
    /// Orders above 256 are refused (the caller then makes the decoder wait).
    pub(crate) fn read_params(
        &mut self,
        r: &mut BitReader<'_>,
        send: bool,
    ) -> Result<(), &'static str> {
        self.len = r.read(3) as usize + 1;
        for f in &mut self.filters[..self.len] {
            f.order = 8 * (r.read(7) as usize + 1);
            if f.order > MAX_ORDER {
                return Err("wmalossless: CDLMS order above 256");
            }
        }
        for f in &mut self.filters[..self.len] {
            f.shift = r.read(4);
        }
        if send {
            for f in &mut self.filters[..self.len] {
                let n = r.read(ceil_log2(f.order as u32)) as usize + 1;
                let b = r.read(ceil_log2(f.shift + 1)) + 2;
                // Unsigned fields placed at the top of 32 bits and shifted down logically,
                // then wrapped to 16 bits: never sign-extended.
                for c in &mut f.coef[..n] {
                    *c = ((r.read(b) << (32 - b)) >> (30 - f.shift)) as u16 as i16;
                }
            }
        }
        for f in &mut self.filters[..self.len] {
            f.clear_padding();
        }
        Ok(())
    }

    /// After a seekable tile's parameters.
    pub(crate) fn restart(&mut self) {
        for f in &mut self.filters[..self.len] {
            f.restart();
        }
    }

    /// Reconstructs one tile of this channel in place. `pad16`: 16-bit streams round the
    /// dot-product length up to 16 taps (the padded taps are zero).
    pub(crate) fn run(
        &mut self,
        res: &mut [i32],
        seekable: bool,
        v3rtm: bool,
        range: i32,
        pad16: bool,
    ) {
        let want: i16 = if seekable { 16 } else { 8 };
        if self.speed != want {
            for f in self.filters[..self.len].iter_mut().rev() {
                f.rescale_updates(want == 16, v3rtm);
            }
            self.speed = want;
        }
        for f in self.filters[..self.len].iter_mut().rev() {
            let taps = if pad16 {
                f.order.next_multiple_of(16)
            } else {
                f.order
            };
            f.run(res, want, range, taps);
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
            (8usize, 4, true),
            (16, 11, true),
            (64, 12, true),
            (256, 15, false),
            // Lengths without a fixed-size loop.
            (40, 10, true),
            (24, 3, false),
        ] {
            let taps = if taps16 {
                order.next_multiple_of(16)
            } else {
                order
            };
            let mut a = noise(5000, order as u32, 40000);
            let mut b = a.clone();
            let mut c = a.clone();
            let mut f16 = Cdlms::<i16> {
                order,
                shift,
                ..Cdlms::default()
            };
            f16.restart();
            f16.run(&mut a, 16, 32768, taps);
            let mut f32 = Cdlms::<i32> {
                order,
                shift,
                ..Cdlms::default()
            };
            f32.restart();
            f32.run(&mut c, 16, 32768, taps);
            plain(order, shift, 16, 32768, taps, &mut b);
            assert_eq!(c, b, "order {order}, 32-bit history");
            assert_eq!(a, b, "order {order}");
        }
    }

    #[test]
    fn integer_rules_by_hand() {
        // Order 8, shift 0, speed 16: first sample has no history, so y = input.
        let mut f = Cdlms::<i32> {
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
