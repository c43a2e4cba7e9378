//! The tile header: how each channel's share of a frame is cut into subframes.
//!
//! Every channel splits the frame into subframes whose lengths are the frame length divided
//! by a power of two (at least the minimum subframe). The header is read by repeatedly
//! extending the channels that are furthest behind: each step reads, for those channels,
//! whether they take the next subframe, then that subframe's length. When all channels share
//! one tiling ("fixed" layout), or only one channel is behind, or only the minimum length is
//! possible, the membership bits are implied.
//!
//! One detail must be kept exactly as the reference has it: the count of channels at the
//! minimum (`behind`) is only updated from channels that did *not* take the subframe, so it
//! can be stale; it decides whether membership bits are read.

use crate::bitreader::BitReader;
use crate::engine::DecodeError;
use crate::pro::config::{Config, MAX_CHANNELS, MAX_SUBFRAMES};

/// The subframe lengths of each channel in one frame.
pub(crate) struct Tiling {
    pub(crate) lens: [[usize; MAX_SUBFRAMES]; MAX_CHANNELS],
    pub(crate) count: [usize; MAX_CHANNELS],
}

impl Tiling {
    pub(crate) fn new() -> Tiling {
        Tiling {
            lens: [[0; MAX_SUBFRAMES]; MAX_CHANNELS],
            count: [0; MAX_CHANNELS],
        }
    }

    /// Reads a tile header.
    pub(crate) fn read(&mut self, cfg: &Config, r: &mut BitReader<'_>) -> Result<(), DecodeError> {
        let nch = cfg.channels;
        let spf = cfg.spf;
        let mut num = [0usize; MAX_CHANNELS];
        self.count = [0; MAX_CHANNELS];
        let mut behind = nch;
        let fixed = cfg.max_subframes == 1 || r.read_bit();
        let mut m = 0usize;
        let mut contains = [false; MAX_CHANNELS];
        // Each step either reads a bit or (at the last possible offset) completes a channel,
        // so a valid header needs far fewer steps than this.
        let mut steps = 0;
        while m < spf {
            steps += 1;
            if steps > 4096 {
                return Err(DecodeError("wmapro: endless tile header"));
            }
            let last_slot = m == spf - cfg.min_subframe;
            for c in 0..nch {
                contains[c] = num[c] == m && (fixed || behind == 1 || last_slot || r.read_bit());
            }
            let len = subframe_length(cfg, r, m)?;
            m += len;
            for c in 0..nch {
                if contains[c] {
                    if self.count[c] >= MAX_SUBFRAMES {
                        return Err(DecodeError("wmapro: too many subframes"));
                    }
                    self.lens[c][self.count[c]] = len;
                    self.count[c] += 1;
                    num[c] += len;
                    if num[c] > spf {
                        return Err(DecodeError("wmapro: subframes longer than the frame"));
                    }
                } else if num[c] <= m {
                    if num[c] < m {
                        behind = 0;
                        m = num[c];
                    }
                    behind += 1;
                }
            }
        }
        Ok(())
    }
}

/// The length of the subframe starting at offset `m` of the channels furthest behind.
fn subframe_length(cfg: &Config, r: &mut BitReader<'_>, m: usize) -> Result<usize, DecodeError> {
    if m == cfg.spf - cfg.min_subframe {
        return Ok(cfg.min_subframe);
    }
    if r.bits_left() < 1 {
        return Err(DecodeError("wmapro: tile header runs past the frame"));
    }
    let shift = if cfg.subframe_len_bit {
        if r.read_bit() {
            1 + r.read(cfg.subframe_len_bits - 1)
        } else {
            0
        }
    } else {
        r.read(cfg.subframe_len_bits)
    };
    let len = cfg.spf >> shift;
    if len < cfg.min_subframe || len > cfg.spf {
        return Err(DecodeError("wmapro: invalid subframe length"));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pro::config::tests::format;

    fn bits(s: &str) -> Vec<u8> {
        let mut v = vec![0u8; s.len().div_ceil(8) + 8];
        for (i, ch) in s.chars().enumerate() {
            if ch == '1' {
                v[i / 8] |= 0x80 >> (i % 8);
            }
        }
        v
    }

    #[test]
    fn fixed_layout_shared_by_all_channels() {
        // 44.1 kHz stereo, 16 subframes (3-bit codes with a leading "not full" bit).
        let cfg = Config::new(&format(44100, 2, 3, 16, 0xE0)).unwrap();
        // fixed=1; 1024 ("1 00"); 512 ("1 01"); 512 ("1 01").
        let data = bits("1100101101");
        let mut r = BitReader::new(&data);
        let mut t = Tiling::new();
        t.read(&cfg, &mut r).unwrap();
        assert_eq!(&t.lens[0][..t.count[0]], &[1024, 512, 512]);
        assert_eq!(&t.lens[1][..t.count[1]], &[1024, 512, 512]);
        assert_eq!(r.pos(), 10);
    }

    #[test]
    fn per_channel_layout() {
        let cfg = Config::new(&format(44100, 2, 3, 16, 0xE0)).unwrap();
        // fixed=0. Step 1: ch0 contains (1), ch1 not (0); len 1024 ("100").
        // Now ch1 is behind alone (count=1): no bits; len 2048 ("0") → ch1 full.
        // Then ch0 at 1024 alone: len 1024 ("100").
        let data = bits("0101000100");
        let mut r = BitReader::new(&data);
        let mut t = Tiling::new();
        t.read(&cfg, &mut r).unwrap();
        assert_eq!(&t.lens[0][..t.count[0]], &[1024, 1024]);
        assert_eq!(&t.lens[1][..t.count[1]], &[2048]);
        assert_eq!(r.pos(), 10);
        // A length that runs past the frame is refused.
        let data = bits("010100000");
        let mut r = BitReader::new(&data);
        assert!(t.read(&cfg, &mut r).is_err());
    }
}
