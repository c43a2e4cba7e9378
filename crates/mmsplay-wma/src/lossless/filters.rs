//! The last two reconstruction stages: the stereo inter-channel decorrelation (a lifting
//! mid/side step) and the fixed short prediction filter applied to every channel (called the
//! "AC filter" in the reference decoder), whose history runs from tile to tile.

use super::params::MAX_CHANNELS;

/// Longest AC filter.
pub(crate) const AC_MAX_ORDER: usize = 16;

/// Undoes the stereo decorrelation: `l = m - (s >> 1)`, then `r = s + l` (wrapping).
pub(crate) fn undo_stereo(ch0: &mut [i32], ch1: &mut [i32]) {
    for (a, b) in ch0.iter_mut().zip(ch1.iter_mut()) {
        *a = a.wrapping_sub(*b >> 1);
        *b = b.wrapping_add(*a);
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct AcFilter {
    pub(crate) order: usize,
    pub(crate) shift: u32,
    pub(crate) coef: [i32; AC_MAX_ORDER],
    /// Per channel, the last outputs of the previous tile, newest first.
    prev: [[i32; AC_MAX_ORDER]; MAX_CHANNELS],
}

impl AcFilter {
    pub(crate) fn clear(&mut self) {
        self.coef = [0; AC_MAX_ORDER];
        self.prev = [[0; AC_MAX_ORDER]; MAX_CHANNELS];
    }

    /// Adds the prediction from the previous `order` outputs to each sample of one channel.
    pub(crate) fn run(&mut self, ch: usize, res: &mut [i32]) {
        let order = self.order;
        let coef = &self.coef[..order];
        let prev = &mut self.prev[ch];
        let len = res.len();
        for i in 0..len {
            let mut acc = 0u32;
            for (j, &c) in coef.iter().enumerate() {
                let x = if j >= i { prev[j - i] } else { res[i - j - 1] };
                acc = acc.wrapping_add((c as u32).wrapping_mul(x as u32));
            }
            res[i] = res[i].wrapping_add((acc as i32) >> self.shift);
        }
        for j in (0..order).rev() {
            prev[j] = if len <= j {
                prev[j - len]
            } else {
                res[len - 1 - j]
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_lifting() {
        let mut m = [10, -7];
        let mut s = [3, -3];
        undo_stereo(&mut m, &mut s);
        // 10 - (3 >> 1) = 9, 3 + 9 = 12; -7 - (-3 >> 1 = -2) = -5, -3 + -5 = -8.
        assert_eq!((m, s), ([9, -5], [12, -8]));
    }

    #[test]
    fn history_crosses_tiles() {
        let mut f = AcFilter {
            order: 2,
            shift: 1,
            ..AcFilter::default()
        };
        f.coef[..2].copy_from_slice(&[2, 1]);
        let mut a = [4, 0, 0];
        f.run(0, &mut a);
        // y0 = 4; y1 = 0 + (2·4) >> 1 = 4; y2 = 0 + (2·4 + 1·4) >> 1 = 6.
        assert_eq!(a, [4, 4, 6]);
        // A one-sample tile uses the previous tile's last two outputs (6, 4).
        let mut b = [1];
        f.run(0, &mut b);
        assert_eq!(b[0], 1 + ((2 * 6 + 4) >> 1));
        let mut c = [0];
        f.run(0, &mut c);
        assert_eq!(c[0], (2 * 9 + 6) >> 1);
    }
}
