//! Residual entropy coding: an adaptive Rice code whose parameter follows a moving average of
//! the recent magnitudes ("ave_sum"), with zig-zag signs.
//!
//! Each value is a unary quotient (ones ended by a zero, with an escape to an explicit count
//! after 32), then `k = ceil(log2(mean))` low bits. The moving sum is a wrapping `u32`, as the
//! reference decoder keeps it, so damaged data decodes to the same values there and here.

use crate::bitreader::BitReader;

/// What the residual reader needs to know about the current tile.
pub(crate) struct ResidualCtx {
    pub(crate) bits: u32,
    /// A seekable tile restarts the average and sends the first value raw.
    pub(crate) seekable: bool,
    /// With inter-channel decorrelation the raw first value is one bit wider.
    pub(crate) icd: bool,
    /// log2 of the moving-average window (0..=7).
    pub(crate) movave_shift: u32,
}

/// `ceil(log2(v))`, 0 for `v <= 1` (every field width in this format that depends on a
/// value is this).
pub(super) fn ceil_log2(v: u32) -> u32 {
    if v <= 1 {
        0
    } else {
        32 - (v - 1).leading_zeros()
    }
}

/// The low `n` bits of `v` as a signed number (0 for `n = 0`).
pub(super) fn sign_extend(v: u32, n: u32) -> i32 {
    if n == 0 {
        return 0;
    }
    ((v << (32 - n)) as i32) >> (32 - n)
}

/// Reads the residuals of one channel's tile into `out` (`out.len()` = tile length).
///
/// `ave_sum` is the channel's moving sum, carried from tile to tile. If the data ends inside a
/// unary run the reader stops early and returns `false`; the rest of `out` keeps its previous
/// contents, as in the reference decoder, which ignores this condition.
pub(crate) fn read_residuals(
    r: &mut BitReader<'_>,
    c: &ResidualCtx,
    ave_sum: &mut u32,
    out: &mut [i32],
) -> bool {
    let len = out.len();
    // Transient flag and position: parsed, never used by the reconstruction.
    if r.read_bit() {
        let pos_bits = (usize::BITS - 1).saturating_sub(len.leading_zeros());
        r.read(pos_bits);
    }
    let mut start = 0;
    if c.seekable {
        *ave_sum = r.read(c.bits) << (c.movave_shift + 1);
        let first_bits = if c.icd { c.bits + 1 } else { c.bits };
        if let Some(first) = out.first_mut() {
            *first = sign_extend(r.read(first_bits), first_bits);
        }
        start = 1;
    }
    let s = c.movave_shift;
    for slot in out.iter_mut().skip(start) {
        let mut q = unary(r);
        if q == u32::MAX {
            return false;
        }
        if q >= 32 {
            let n = r.read(5) + 1;
            q = q.wrapping_add(r.read(n));
        }
        let mean = ave_sum.wrapping_add(1 << s) >> (s + 1);
        let u = if mean <= 1 {
            q
        } else {
            let k = ceil_log2(mean);
            (q << k).wrapping_add(r.read(k))
        };
        *ave_sum = ave_sum.wrapping_add(u).wrapping_sub(*ave_sum >> s);
        *slot = ((u >> 1) as i32) ^ -((u & 1) as i32);
    }
    true
}

/// Counts one bits up to the next zero, 32 at a time; `u32::MAX` if the data ends inside the
/// run (the reference checks for the end after every one bit).
#[inline]
fn unary(r: &mut BitReader<'_>) -> u32 {
    let mut q = 0u32;
    loop {
        let w = r.peek32();
        let ones = w.leading_ones();
        let left = r.bits_left();
        if ones < 32 {
            // A one bit read at or past the end ends the run with an error.
            if ones > 0 && left <= ones as isize {
                return u32::MAX;
            }
            r.skip(ones as usize + 1);
            return q.wrapping_add(ones);
        }
        if left <= 32 {
            return u32::MAX;
        }
        r.skip(32);
        q = q.wrapping_add(32);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A test-only writer of this code, tracking `ave_sum` as the reader does.
    pub(crate) struct BitWriter {
        pub(crate) bytes: Vec<u8>,
        pub(crate) len: usize,
    }

    impl BitWriter {
        pub(crate) fn new() -> Self {
            BitWriter {
                bytes: Vec::new(),
                len: 0,
            }
        }
        pub(crate) fn put(&mut self, n: u32, v: u32) {
            for i in (0..n).rev() {
                if self.len.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                if v >> i & 1 != 0 {
                    self.bytes[self.len / 8] |= 0x80 >> (self.len % 8);
                }
                self.len += 1;
            }
        }
        pub(crate) fn put_residuals(&mut self, c: &ResidualCtx, ave_sum: &mut u32, v: &[i32]) {
            self.put(1, 0); // no transient
            let mut start = 0;
            if c.seekable {
                let mean0 = 3u32;
                self.put(c.bits, mean0);
                *ave_sum = mean0 << (c.movave_shift + 1);
                let w = if c.icd { c.bits + 1 } else { c.bits };
                self.put(w, v[0] as u32 & ((1u64 << w) - 1) as u32);
                start = 1;
            }
            let s = c.movave_shift;
            for &x in &v[start..] {
                let u = ((x << 1) ^ (x >> 31)) as u32;
                let mean = ave_sum.wrapping_add(1 << s) >> (s + 1);
                let (q, low, k) = if mean <= 1 {
                    (u, 0, 0)
                } else {
                    let k = ceil_log2(mean);
                    (u >> k, u & ((1u64 << k) - 1) as u32, k)
                };
                if q >= 32 {
                    for _ in 0..32 {
                        self.put(1, 1);
                    }
                    self.put(1, 0);
                    let extra = q - 32;
                    let n = (32 - extra.leading_zeros()).max(1);
                    self.put(5, n - 1);
                    self.put(n, extra);
                } else {
                    for _ in 0..q {
                        self.put(1, 1);
                    }
                    self.put(1, 0);
                }
                self.put(k, low);
                *ave_sum = ave_sum.wrapping_add(u).wrapping_sub(*ave_sum >> s);
            }
        }
    }

    #[test]
    fn ceil_log2_matches_definition() {
        assert_eq!((ceil_log2(0), ceil_log2(1)), (0, 0));
        for v in 2u32..5000 {
            let want = (f64::from(v)).log2().ceil() as u32;
            assert_eq!(ceil_log2(v), want, "{v}");
        }
        assert_eq!(ceil_log2(1 << 31), 31);
    }

    #[test]
    fn round_trip_through_writer() {
        let mut rng = 12345u32;
        let vals: Vec<i32> = (0..3000)
            .map(|i| {
                rng = rng.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let scale = if i % 500 < 10 { 1 << 20 } else { 300 };
                (rng >> 8) as i32 % scale - scale / 2
            })
            .collect();
        for (seekable, icd, shift) in [(true, false, 3), (true, true, 0), (false, false, 7)] {
            // 24-bit, so the raw first value (up to ±2^20 here) fits.
            let c = ResidualCtx {
                bits: 24,
                seekable,
                icd,
                movave_shift: shift,
            };
            let mut w = BitWriter::new();
            let mut sum_w = 77;
            w.put_residuals(&c, &mut sum_w, &vals);
            let mut out = vec![0; vals.len()];
            let mut sum_r = 77;
            let mut r = BitReader::new(&w.bytes);
            assert!(read_residuals(&mut r, &c, &mut sum_r, &mut out));
            assert!(
                out == vals,
                "values differ (seekable {seekable}, shift {shift})"
            );
            assert_eq!(sum_r, sum_w);
            assert_eq!(r.pos(), w.len);
        }
    }

    #[test]
    fn run_into_the_end_stops_and_keeps_old_values() {
        let c = ResidualCtx {
            bits: 16,
            seekable: false,
            icd: false,
            movave_shift: 0,
        };
        let data = [0b0111_1111, 0xFF];
        let mut out = [9; 4];
        let mut sum = 0;
        assert!(!read_residuals(
            &mut BitReader::new(&data),
            &c,
            &mut sum,
            &mut out
        ));
        assert_eq!(out, [9; 4]);
    }
}
