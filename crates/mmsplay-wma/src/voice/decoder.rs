//! Superframes (three frames of 160 samples, with their LSPs) and frames (1 to 8 blocks of
//! excitation through the LPC synthesis filter, then the optional postfilter).

use super::excitation::{self, AwCoords, Pulses};
use super::frame_types::{self, Acb, FRAME_TYPES, Fcb, FrameType};
use super::lsp::{self, MAX_LSPS};
use super::params::{MAX_HISTORY, Params};
use super::postfilter::{self, PostfilterState};
use super::synth;
use super::tables;
use crate::bitreader::BitReader;
use crate::engine::DecodeError;

pub(crate) const FRAME: usize = 160;
pub(crate) const SUPERFRAME: usize = 3 * FRAME;

/// Decoder state that links one superframe to the next.
#[derive(Clone)]
pub(crate) struct VoiceDecoder {
    pub(crate) p: Params,
    /// The previous superframe's last LSFs.
    prev_lsf: [f64; MAX_LSPS],
    last_pitch: i32,
    last_acb: Acb,
    /// Per-sample pitch change of the current sliding-pitch frame, in 1/65536 samples.
    pdiff16: i32,
    silence_gain: f32,
    /// Where the AW pitch train continues in the second block.
    aw_next_off: i32,
    /// Frame counter seeding the comfort noise (mod 65535).
    frame_cntr: u32,
    /// Past fixed-codebook log gains for gain prediction.
    gain_pred: [f32; 6],
    exc_hist: [f32; MAX_HISTORY],
    synth_hist: [f32; MAX_LSPS],
    /// The postfilter's residual: `history` past samples, then this superframe's 480.
    residual: Vec<f32>,
    pf: PostfilterState,
    /// Frames decoded per frame type (test coverage).
    #[cfg(test)]
    pub(crate) type_counts: [u32; 17],
}

/// Excitation buffer: history, a superframe, and slack for the interpolators' look-ahead.
const EXC_LEN: usize = MAX_HISTORY + SUPERFRAME + 16;

/// Per-superframe work buffers.
struct Work {
    exc: [f32; EXC_LEN],
    synth: [f32; MAX_LSPS + SUPERFRAME],
    samples: [f32; SUPERFRAME],
}

impl VoiceDecoder {
    pub(crate) fn new(p: Params) -> VoiceDecoder {
        let residual = vec![0.0; p.history + SUPERFRAME];
        let mut d = VoiceDecoder {
            p,
            prev_lsf: [0.0; MAX_LSPS],
            last_pitch: 40,
            last_acb: Acb::None,
            pdiff16: 0,
            silence_gain: 0.0,
            aw_next_off: 0,
            frame_cntr: 0,
            gain_pred: [0.0; 6],
            exc_hist: [0.0; MAX_HISTORY],
            synth_hist: [0.0; MAX_LSPS],
            residual,
            pf: PostfilterState::new(),
            #[cfg(test)]
            type_counts: [0; 17],
        };
        d.flush();
        d
    }

    /// Forgets the signal history (after a seek or a damaged superframe). Like the reference
    /// decoder, the frame counter, the pitch memory and the silence gain are kept.
    pub(crate) fn flush(&mut self) {
        let l = self.p.lsps;
        for n in 0..l {
            self.prev_lsf[n] = std::f64::consts::PI * (n as f64 + 1.0) / (l as f64 + 1.0);
        }
        self.exc_hist = [0.0; MAX_HISTORY];
        self.synth_hist = [0.0; MAX_LSPS];
        self.gain_pred = [0.0; 6];
        self.residual.fill(0.0);
        self.pf.flush();
    }

    /// Decodes one superframe from `br` (its LSPs coded as one residual set when `resid`),
    /// appending its samples to `out`.
    pub(crate) fn superframe(
        &mut self,
        br: &mut BitReader,
        resid: bool,
        out: &mut Vec<f32>,
    ) -> Result<(), DecodeError> {
        let l = self.p.lsps;
        let h = self.p.history;
        let mut w = Work {
            exc: [0.0; EXC_LEN],
            synth: [0.0; MAX_LSPS + SUPERFRAME],
            samples: [0.0; SUPERFRAME],
        };
        w.exc[..h].copy_from_slice(&self.exc_hist[..h]);
        w.synth[..l].copy_from_slice(&self.synth_hist[..l]);
        if !br.read_bit() {
            return Err(DecodeError("wmavoice: music superframes are not supported"));
        }
        let mut n_out = SUPERFRAME;
        if br.read_bit() {
            n_out = br.read(12) as usize;
            if n_out > SUPERFRAME {
                return Err(DecodeError("wmavoice: superframe longer than 480 samples"));
            }
        }
        let mean: &[f64] = if l == 16 {
            &tables::MEAN_LSF16[self.p.lsp_def_mode]
        } else {
            &tables::MEAN_LSF10[self.p.lsp_def_mode]
        };
        let mut lsf = [[0f64; MAX_LSPS]; 3];
        if resid {
            lsp::read_residual(br, l, self.p.lsp_q_mode, &self.prev_lsf, mean, &mut lsf);
            for f in &mut lsf {
                lsp::stabilise(&mut f[..l]);
            }
        }
        for f in 0..3 {
            if !resid {
                lsp::read_independent(br, l, &mut lsf[f]);
                for m in 0..l {
                    lsf[f][m] += mean[m];
                }
                lsp::stabilise(&mut lsf[f][..l]);
            }
            let prev = if f == 0 { self.prev_lsf } else { lsf[f - 1] };
            self.frame(br, f, &lsf[f], &prev, &mut w)?;
        }
        // Optional statistics the decoder does not need.
        if br.read_bit() {
            let k = br.read(4) as usize;
            br.skip(10 * (k + 1));
        }
        if br.bits_left() < 0 {
            self.flush();
            return Err(DecodeError("wmavoice: superframe overruns its packet"));
        }
        self.prev_lsf = lsf[2];
        self.synth_hist[..l].copy_from_slice(&w.synth[SUPERFRAME..SUPERFRAME + l]);
        self.exc_hist[..h].copy_from_slice(&w.exc[SUPERFRAME..SUPERFRAME + h]);
        if self.p.do_apf {
            self.residual.copy_within(SUPERFRAME..SUPERFRAME + h, 0);
        }
        out.extend_from_slice(&w.samples[..n_out]);
        Ok(())
    }

    /// One frame: type, pitch, blocks, postfilter.
    fn frame(
        &mut self,
        br: &mut BitReader,
        f: usize,
        lsf: &[f64; MAX_LSPS],
        prev: &[f64; MAX_LSPS],
        w: &mut Work,
    ) -> Result<(), DecodeError> {
        let p = &self.p;
        let (l, h) = (p.lsps, p.history);
        let t = p.vbm_tree[frame_types::read_symbol(br)];
        if t < 0 {
            return Err(DecodeError("wmavoice: invalid frame type code"));
        }
        let ft = FRAME_TYPES[t as usize];
        #[cfg(test)]
        {
            self.type_counts[t as usize] += 1;
        }
        let bsize = FRAME / ft.blocks;
        let mut pitch = [i32::MAX; 8];
        let mut cur_pitch = 0;
        if ft.acb == Acb::Asymmetric {
            // One pitch for the frame's end; blocks and samples interpolate from the last one,
            // unless it jumped too far (then the new one holds throughout).
            cur_pitch = (p.min_pitch + br.read(p.pitch_nbits) as i32).min(p.max_pitch - 1);
            if self.last_acb == Acb::None
                || 20 * (cur_pitch - self.last_pitch).abs() > cur_pitch + self.last_pitch
            {
                self.last_pitch = cur_pitch;
            }
            let b2 = 2 * ft.blocks as i32;
            for (n, pb) in pitch[..ft.blocks].iter_mut().enumerate() {
                let fac = 2 * n as i32 + 1;
                *pb = (fac * cur_pitch + (b2 - fac) * self.last_pitch + ft.blocks as i32)
                    >> (ft.log_blocks + 1);
            }
            self.pdiff16 = (cur_pitch - self.last_pitch) * (1 << 16) / FRAME as i32;
        }
        let mut aw = AwCoords::default();
        match ft.fcb {
            Fcb::Silence => self.silence_gain = tables::GAIN_SILENCE[br.read(8) as usize],
            Fcb::AwPulses => aw = AwCoords::read(br, [pitch[0], pitch[1]]),
            _ => {}
        }
        let mut last_block_pitch = 0;
        for (n, block_pitch) in pitch[..ft.blocks].iter_mut().enumerate() {
            let pitch4 = match ft.acb {
                Acb::Hamming => {
                    let v = self.block_pitch(br, n, &mut last_block_pitch);
                    *block_pitch = v >> 2;
                    v
                }
                Acb::Asymmetric => *block_pitch << 2,
                Acb::None => 0,
            };
            let pos = h + f * FRAME + n * bsize;
            if ft.acb == Acb::None {
                self.noise_block(br, &ft, n, bsize, &mut w.exc[pos..pos + bsize]);
            } else {
                self.pitch_block(br, &ft, &aw, n, bsize, pitch4, &mut w.exc, pos);
            }
            let mut lpc = [0f32; MAX_LSPS];
            let fac = ((n as f64 + 0.5) / ft.blocks as f64) as f32;
            lsp::interpolated_lpc(&prev[..l], &lsf[..l], fac, &mut lpc[..l]);
            let spos = l + f * FRAME + n * bsize;
            synth::synthesis(&mut w.synth, spos, &w.exc[pos..pos + bsize], &lpc[..l]);
        }
        let out = &mut w.samples[f * FRAME..(f + 1) * FRAME];
        let s0 = l + f * FRAME;
        if self.p.do_apf {
            // First half: LPCs of the LSF midpoint; second half: of this frame's LSFs.
            let mut c = [0f64; MAX_LSPS];
            let mut lpc = [0f32; MAX_LSPS];
            for half in 0..2 {
                for m in 0..l {
                    c[m] = if half == 0 {
                        (0.5 * (prev[m] + lsf[m])).cos()
                    } else {
                        lsf[m].cos()
                    };
                }
                lsp::cos_to_lpc(&c[..l], &mut lpc[..l]);
                let off = half * postfilter::SIZE;
                self.pf.run(
                    &self.p,
                    &w.synth,
                    s0 + off,
                    &lpc[..l],
                    &mut self.residual,
                    h + f * FRAME + off,
                    ft.fcb,
                    pitch[0],
                    &mut out[off..off + postfilter::SIZE],
                );
            }
        } else {
            out.copy_from_slice(&w.synth[s0..s0 + FRAME]);
        }
        self.frame_cntr += 1;
        if self.frame_cntr >= 0xFFFF {
            self.frame_cntr -= 0xFFFF;
        }
        self.last_acb = ft.acb;
        self.last_pitch = match ft.acb {
            Acb::None => 0,
            Acb::Asymmetric => cur_pitch,
            Acb::Hamming => pitch[ft.blocks - 1],
        };
        Ok(())
    }

    /// A block pitch in quarter samples: absolute in the first block, a delta after; the
    /// coded value is on a semi-logarithmic scale (quarter, half, then whole samples).
    fn block_pitch(&self, br: &mut BitReader, n: usize, last: &mut i32) -> i32 {
        let p = &self.p;
        let c = p.conv;
        let t1 = (c[1] - c[0]) << 2;
        let t2 = (c[2] - c[1]) << 1;
        let t3 = c[3] - c[2] + 1;
        let v = if n == 0 {
            br.read(p.block_pitch_nbits) as i32
        } else {
            *last - p.delta_hrange + br.read(p.delta_nbits) as i32
        };
        *last = v.clamp(
            p.delta_hrange,
            (p.block_pitch_range - p.delta_hrange).max(p.delta_hrange),
        );
        if v < t1 {
            (c[0] << 2) + v
        } else if v - t1 < t2 {
            (c[1] << 2) + ((v - t1) << 1)
        } else if v - t1 - t2 < t3 {
            (c[2] + v - t1 - t2) << 2
        } else {
            c[3] << 2
        }
    }

    /// A block without pitch: stored noise at a coded (or, for silence, pseudo-random) offset.
    fn noise_block(
        &mut self,
        br: &mut BitReader,
        ft: &FrameType,
        n: usize,
        bsize: usize,
        exc: &mut [f32],
    ) {
        let (start, gain) = if ft.fcb == Fcb::Silence {
            (
                excitation::prng(self.frame_cntr, n, bsize),
                self.silence_gain,
            )
        } else {
            let start = br.read(8) as usize;
            (start, tables::GAIN_UNIVERSAL[br.read(6) as usize])
        };
        self.gain_pred = [0.0; 6];
        excitation::noise_block(start, gain, exc);
    }

    /// A block with pitch: fixed-codebook pulses, gains, the adaptive codebook, and their mix.
    #[allow(clippy::too_many_arguments)]
    fn pitch_block(
        &mut self,
        br: &mut BitReader,
        ft: &FrameType,
        aw: &AwCoords,
        n: usize,
        bsize: usize,
        pitch4: i32,
        exc: &mut [f32; EXC_LEN],
        pos: usize,
    ) {
        let mut pulses = Pulses::new((pitch4 >> 2).max(0) as usize);
        if ft.fcb == Fcb::AwPulses {
            aw.read_set1(br, n, &mut pulses);
            if aw
                .read_set2(br, n, &mut pulses, &mut self.aw_next_off)
                .is_err()
            {
                // No room for the second pulse: conceal with comfort noise, skip the gain.
                let start = excitation::prng(self.frame_cntr, n, bsize);
                excitation::noise_block(start, self.silence_gain, &mut exc[pos..pos + bsize]);
                br.skip(8);
                return;
            }
        } else {
            excitation::read_track_pulses(br, ft, &mut pulses);
        }
        let mut fcb = [0f32; FRAME / 2];
        pulses.render(&mut fcb[..bsize]);
        let idx = br.read(7) as usize;
        let (acb_gain, fcb_gain) = excitation::gains(idx, ft.log_blocks, &mut self.gain_pred);
        if ft.acb == Acb::Asymmetric {
            excitation::acb_sliding_pitch(exc, pos, n, bsize, self.last_pitch, self.pdiff16);
        } else {
            excitation::acb_block_pitch(exc, pos, bsize, pitch4);
        }
        for k in 0..bsize {
            exc[pos + k] = acb_gain * exc[pos + k] + fcb_gain * fcb[k];
        }
    }
}
