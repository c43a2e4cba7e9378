//! One WMA Pro frame: its header, the subframes of every channel, and the frame's samples.
//!
//! ```text
//! [length in bits]            when the stream has length prefixes
//! tile header                 (tiling)
//! post-processing matrix      read and ignored, as the reference does
//! [DRC gain, 8 bits]          read and ignored
//! trim info                   samples to drop at the start / end of this frame's output
//! subframes ...               until every channel has a frame's worth of samples
//! 0…01                        terminator, then the trailer bit: another frame follows
//! ```
//!
//! The first frame decoded (after start or a seek) only primes the overlap and is dropped;
//! encoders mark it as fully trimmed anyway.

use crate::bitreader::BitReader;
use crate::engine::DecodeError;
use crate::packets::FrameDecoder;
use crate::pro::coeffs::read_coefficients;
use crate::pro::config::{Config, MAX_CHANNELS};
use crate::pro::quant::{ScaleFactors, read_quant_step};
use crate::pro::synth::{Transform, Windows, band_gain};
use crate::pro::tables::sin64;
use crate::pro::tiling::Tiling;
use crate::pro::transform::{self, Group};

/// Most samples per channel one demuxer packet may decode to (about 24 s at 44.1 kHz): a
/// packet of many tiny frames is refused rather than expanded without bound.
pub(crate) const MAX_SAMPLES_PER_PACKET: usize = 1 << 20;

/// Counts of what the decoder met (diagnostics and tests).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProStats {
    /// Frames decoded, including the dropped first one.
    pub frames: u64,
    /// Subframes decoded (all channels of one subframe count once).
    pub subframes: u64,
    /// Subframes carrying extension data (WMA 10 Pro's low-bit-rate side data), skipped.
    pub extended_headers: u64,
    /// Frames whose length check failed.
    pub length_errors: u64,
}

/// The per-channel state that lives across subframes and frames.
struct Channel {
    /// 1.5 frames: the frame being built plus the next frame's overlap.
    out: Vec<f32>,
    prev_block_len: usize,
    /// Samples of this frame already covered by decoded subframes.
    decoded: usize,
    cur_subframe: usize,
    transmit: bool,
    quant_step: i32,
    num_vec: usize,
    sf: ScaleFactors,
}

/// Decodes frames and appends their samples to one `Vec` per channel.
pub(crate) struct ProFrames {
    pub(crate) cfg: Config,
    log2_frame_size: u32,
    ch: Vec<Channel>,
    /// Coefficients of the current subframe, per channel.
    coefs: Vec<Vec<f32>>,
    /// Dequantised spectrum (scratch).
    spectrum: Vec<f32>,
    tiling: Tiling,
    groups: Vec<Group>,
    /// One inverse transform per block-size index (block = spf >> index).
    transforms: Vec<Transform>,
    windows: Windows,
    sin64: [f32; 33],
    skip_frame: bool,
    trim_start: usize,
    trim_end: usize,
    /// The frame being decoded completes one begun in an earlier packet.
    crossing: bool,
    /// Frames output / samples per channel output for the current demuxer packet.
    pub(crate) frames_in_packet: usize,
    pub(crate) samples_in_packet: usize,
    pub(crate) stats: ProStats,
}

impl ProFrames {
    pub(crate) fn new(cfg: Config, log2_frame_size: u32) -> ProFrames {
        let spf = cfg.spf;
        let sizes = cfg.band_edges.len();
        ProFrames {
            log2_frame_size,
            ch: (0..cfg.channels)
                .map(|_| Channel {
                    out: vec![0.0; spf + spf / 2],
                    prev_block_len: spf,
                    decoded: 0,
                    cur_subframe: 0,
                    transmit: false,
                    quant_step: 0,
                    num_vec: 0,
                    sf: ScaleFactors::new(),
                })
                .collect(),
            coefs: vec![vec![0.0; spf]; cfg.channels],
            spectrum: vec![0.0; spf],
            tiling: Tiling::new(),
            groups: Vec::with_capacity(MAX_CHANNELS),
            transforms: (0..sizes)
                .map(|t| Transform::new(spf >> t, cfg.bits_per_sample))
                .collect(),
            windows: Windows::new(cfg.min_subframe, spf),
            sin64: sin64(),
            skip_frame: true,
            trim_start: 0,
            trim_end: 0,
            crossing: false,
            frames_in_packet: 0,
            samples_in_packet: 0,
            stats: ProStats::default(),
            cfg,
        }
    }

    /// After a seek: the overlap of the current frame is cleared and the next decoded frame
    /// only primes it again. Scale factors and block lengths carry over, as in the reference.
    pub(crate) fn reset(&mut self) {
        let spf = self.cfg.spf;
        for c in &mut self.ch {
            c.out[..spf].fill(0.0);
        }
        self.skip_frame = true;
    }

    /// Decodes one frame; see the module comment for the layout.
    fn frame(&mut self, r: &mut BitReader<'_>, out: &mut [Vec<f32>]) -> Result<bool, DecodeError> {
        let start = r.pos();
        let nch = self.cfg.channels;
        let spf = self.cfg.spf;
        let len = if self.cfg.len_prefix {
            r.read(self.log2_frame_size) as usize
        } else {
            0
        };
        self.tiling.read(&self.cfg, r)?;
        if nch > 1 && r.read_bit() && r.read_bit() {
            r.skip(4 * nch * nch);
        }
        if self.cfg.drc {
            r.skip(8);
        }
        if r.read_bit() {
            let width = spf.ilog2() + 1;
            if r.read_bit() {
                self.trim_start = r.read(width) as usize;
            }
            if r.read_bit() {
                self.trim_end = r.read(width) as usize;
            }
        } else {
            self.trim_start = 0;
            self.trim_end = 0;
        }
        for c in &mut self.ch {
            c.decoded = 0;
            c.cur_subframe = 0;
            c.sf.reuse = false;
        }
        // Every subframe completes at least one channel's next subframe.
        let mut budget = nch * crate::pro::config::MAX_SUBFRAMES + 1;
        while self.ch.iter().any(|c| c.decoded < spf) {
            budget -= 1;
            if budget == 0 {
                return Err(DecodeError("wmapro: broken subframe schedule"));
            }
            self.subframe(r)?;
        }
        self.stats.frames += 1;

        let keep = !self.skip_frame;
        self.skip_frame = false;
        let length_ok = !self.cfg.len_prefix || len == r.pos() - start + 2;
        if length_ok {
            let (from, to, got) = self.take_trims();
            if keep && got {
                self.emit(out, from, to)?;
            }
        } else {
            self.stats.length_errors += 1;
            // The reference still returns a frame whose length check failed when it is the
            // cross-packet frame (with its trims) or the first frame of the demuxer packet
            // (without); otherwise it is lost with the rest of the packet.
            if self.crossing {
                let (from, to, got) = self.take_trims();
                if keep && got {
                    self.emit(out, from, to)?;
                }
            } else {
                self.trim_start = 0;
                self.trim_end = 0;
                if keep && self.frames_in_packet == 0 {
                    self.emit(out, 0, spf)?;
                }
            }
        }
        for c in &mut self.ch {
            c.out.copy_within(spf..spf + spf / 2, 0);
        }
        if !length_ok {
            return Err(DecodeError("wmapro: frame length mismatch"));
        }
        if self.cfg.len_prefix {
            r.skip(1);
        } else {
            while r.bits_left() > 0 && !r.read_bit() {}
        }
        Ok(r.read_bit())
    }

    /// The output range of the frame after its trims, and whether anything is left; the
    /// trims are used up.
    fn take_trims(&mut self) -> (usize, usize, bool) {
        let spf = self.cfg.spf;
        let (mut from, mut got) = (0, true);
        let mut n = spf;
        if self.trim_start > 0 {
            if self.trim_start < n {
                from = self.trim_start;
                n -= self.trim_start;
            } else {
                got = false;
            }
        }
        if self.trim_end > 0 {
            if self.trim_end < n {
                n -= self.trim_end;
            } else {
                got = false;
            }
        }
        self.trim_start = 0;
        self.trim_end = 0;
        (from, from + n, got)
    }

    fn emit(&mut self, out: &mut [Vec<f32>], from: usize, to: usize) -> Result<(), DecodeError> {
        if self.samples_in_packet + (to - from) > MAX_SAMPLES_PER_PACKET {
            return Err(DecodeError("wmapro: packet expands to too many samples"));
        }
        for (o, c) in out.iter_mut().zip(&self.ch) {
            o.extend_from_slice(&c.out[from..to]);
        }
        self.samples_in_packet += to - from;
        self.frames_in_packet += 1;
        Ok(())
    }

    /// Decodes the next subframe: the earliest unfinished position, for every channel whose
    /// next subframe starts there with the same length.
    fn subframe(&mut self, r: &mut BitReader<'_>) -> Result<(), DecodeError> {
        let spf = self.cfg.spf;
        let nch = self.cfg.channels;
        let mut offset = spf;
        let mut len = spf;
        for (c, ch) in self.ch.iter().enumerate() {
            if ch.decoded < offset {
                if ch.cur_subframe >= self.tiling.count[c] {
                    return Err(DecodeError("wmapro: broken subframe"));
                }
                offset = ch.decoded;
                len = self.tiling.lens[c][ch.cur_subframe];
            }
        }
        let mut chans = [0usize; MAX_CHANNELS];
        let mut n = 0;
        for (c, ch) in self.ch.iter_mut().enumerate() {
            let sub = ch.cur_subframe;
            if ch.decoded == offset && sub < self.tiling.count[c] && self.tiling.lens[c][sub] == len
            {
                ch.decoded += len;
                chans[n] = c;
                n += 1;
            }
        }
        let chans = &chans[..n];
        self.stats.subframes += 1;
        let t = self.cfg.size_index(len);
        let num_bands = self.cfg.band_edges[t].len() - 1;
        let at = offset + spf / 2;

        // Extension data (WMA 10 Pro LBR side information): skipped.
        if r.read_bit() {
            let mut fill = r.read(2) as usize;
            if fill == 0 {
                let width = r.read(4);
                fill = r.read(width) as usize + 1;
            }
            if r.bits_left() < fill as isize {
                return Err(DecodeError("wmapro: invalid number of fill bits"));
            }
            r.skip(fill);
            self.stats.extended_headers += 1;
        }
        if r.read_bit() {
            return Err(DecodeError("wmapro: reserved bit set"));
        }
        transform::read_groups(r, chans, nch, num_bands, &self.sin64, &mut self.groups)?;
        let mut any = false;
        for &c in chans {
            self.ch[c].transmit = r.read_bit();
            any |= self.ch[c].transmit;
        }
        let mut explicit_num_vec = false;
        if any {
            explicit_num_vec = r.read_bit();
            let width = len.div_ceil(4).ilog2() + 1;
            for &c in chans {
                self.ch[c].num_vec = if explicit_num_vec {
                    let v = (r.read(width) as usize) << 2;
                    if v > len {
                        return Err(DecodeError("wmapro: too many vector coded coefficients"));
                    }
                    v
                } else {
                    len
                };
            }
            let q = read_quant_step(r, self.cfg.bits_per_sample);
            if chans.len() == 1 {
                self.ch[chans[0]].quant_step = q;
            } else {
                let mod_len = r.read(3);
                for &c in chans {
                    let mut qs = q;
                    if r.read_bit() {
                        qs = qs.wrapping_add(if mod_len > 0 {
                            r.read(mod_len) as i32 + 1
                        } else {
                            1
                        });
                    }
                    self.ch[c].quant_step = qs;
                }
            }
            for &c in chans {
                let ch = &mut self.ch[c];
                let first = ch.cur_subframe == 0;
                ch.sf.read(r, t, num_bands, first, &self.cfg.sf_map[t])?;
            }
        }
        for &c in chans {
            let coef = &mut self.coefs[c][..len];
            if self.ch[c].transmit && r.bits_left() > 0 {
                // Inconsistent coefficient data is ignored like the reference does.
                let _ = read_coefficients(r, coef, self.ch[c].num_vec, explicit_num_vec);
            } else {
                coef.fill(0.0);
            }
        }

        let edges = &self.cfg.band_edges[t];
        if any {
            transform::apply(&self.groups, edges, len, nch, &mut self.coefs);
            for &c in chans {
                let ch = &mut self.ch[c];
                let sf = ch.sf.current();
                for (b, w) in edges.windows(2).enumerate() {
                    let exponent = ch
                        .quant_step
                        .wrapping_sub(ch.sf.max.wrapping_sub(sf[b]).wrapping_mul(ch.sf.step));
                    let gain = band_gain(exponent);
                    let (lo, hi) = (w[0], w[1].min(len));
                    for (d, &s) in self.spectrum[lo..hi].iter_mut().zip(&self.coefs[c][lo..hi]) {
                        *d = s * gain;
                    }
                }
                self.transforms[t].run(&self.spectrum[..len], &mut ch.out[at..at + len]);
            }
        } else {
            for &c in chans {
                self.ch[c].out[at..at + len].fill(0.0);
            }
        }

        for &c in chans {
            let ch = &mut self.ch[c];
            let mut w = ch.prev_block_len;
            let mut start = at - w / 2;
            if len < w {
                start += (w - len) / 2;
                w = len;
            }
            self.windows.overlap(&mut ch.out, start, w);
            ch.prev_block_len = len;
            ch.cur_subframe += 1;
        }
        Ok(())
    }
}

impl FrameDecoder for ProFrames {
    type Output = [Vec<f32>];

    fn begin_frame(&mut self, crosses_packets: bool) {
        self.crossing = crosses_packets;
    }

    fn decode_frame(
        &mut self,
        r: &mut BitReader<'_>,
        out: &mut [Vec<f32>],
    ) -> Result<bool, DecodeError> {
        let res = self.frame(r, out);
        if res.is_err() {
            // A frame that failed before its end leaves no trims pending: the reference
            // applies them to no output.
            self.trim_start = 0;
            self.trim_end = 0;
        }
        res
    }
}
