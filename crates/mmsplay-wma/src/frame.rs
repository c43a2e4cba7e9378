//! Frames and blocks: block-length switching, block headers, and reconstruction of one frame
//! of `frame_len` samples per channel (wma-decoder.md §4, §5).

// Channel loops index several parallel per-channel arrays (coded flags, band flags, buffers);
// an index reads more plainly than zipping four iterators.
#![allow(clippy::needless_range_loop)]

use crate::bitreader::BitReader;
use crate::codebooks::{COEF_CODEBOOKS, HGAIN_VLC};
use crate::coefficients::{NoiseParams, Reconstruct, exp10, read_run_levels};
use crate::exponents::{decode_vlc, pow_table};
use crate::lsp::LspTables;
use crate::noise::noise_table;
use crate::setup::Setup;
use crate::stereo::mid_side_to_left_right;
use crate::window::{BlockImdct, Transition, sine_window, window_add};

/// Why a frame could not be decoded (the whole superframe is then dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    BlockLength,
    FrameOverflow,
    TotalGain,
    Exponent,
    ExponentsMissing,
    SpectralOverflow,
    HighGain,
}

impl FrameError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            FrameError::BlockLength => "wma: invalid block length",
            FrameError::FrameOverflow => "wma: blocks overflow the frame",
            FrameError::TotalGain => "wma: total gain past end of data",
            FrameError::Exponent => "wma: exponent out of range",
            FrameError::ExponentsMissing => "wma: exponents reused before being sent",
            FrameError::SpectralOverflow => "wma: overflow in spectral run-length data",
            FrameError::HighGain => "wma: invalid noise band gain",
        }
    }
}

/// Counts of the coding tools met so far; for diagnostics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames decoded.
    pub frames: u64,
    /// Frames completed from the bit reservoir (begun in an earlier superframe).
    pub reservoir_frames: u64,
    /// Blocks decoded per block size index (0 = frame length, k = frame length >> k).
    pub blocks_per_size: [u64; 5],
    /// Channel exponent sets decoded with the Huffman code.
    pub exponents_vlc: u64,
    /// Channel exponent sets decoded from LSP coefficients.
    pub exponents_lsp: u64,
    /// Coded blocks (per channel) that reused earlier exponents.
    pub exponents_reused: u64,
    /// High bands replaced by noise (per channel).
    pub noise_bands: u64,
    /// Blocks coded as mid/side stereo.
    pub mid_side_blocks: u64,
}

/// Most high bands a block can have (25 bands, at most 16 above the noise start).
const HIGH_BAND_MAX: usize = 25;

/// Decoding state that persists from block to block and frame to frame.
pub(crate) struct FrameDecoder {
    pub(crate) s: Setup,
    windows: Vec<Vec<f32>>,
    imdcts: Vec<BlockImdct>,
    pow_tab: Vec<f32>,
    noise: Vec<f32>,
    noise_index: usize,
    lsp: Option<LspTables>,

    exponents: Vec<Vec<f32>>,
    exponents_bsize: [usize; 2],
    exponents_initialised: [bool; 2],
    max_exponent: [f32; 2],
    /// Scaled spectra; persistent on purpose (see `Reconstruct::with_noise`).
    coefs: Vec<Vec<f32>>,
    /// Run/level values of the current block.
    quant: Vec<Vec<f32>>,
    /// Overlap-add buffer of 2·frame_len samples per channel.
    frame_out: Vec<Vec<f32>>,
    /// IMDCT output, shared by the channels: an uncoded side channel reuses channel 0's.
    output: Vec<f32>,

    prev_bits: u32,
    cur_bits: u32,
    next_bits: u32,
    /// The next frame starts with explicit previous/current block length codes.
    pub(crate) reset_block_lengths: bool,
    ms_stereo: bool,
    block_pos: usize,
    pub(crate) stats: DecodeStats,
}

impl FrameDecoder {
    pub(crate) fn new(s: Setup) -> FrameDecoder {
        let fl = s.frame_len;
        let windows = (0..s.nb_block_sizes)
            .map(|k| sine_window(fl >> k))
            .collect();
        let imdcts = (0..s.nb_block_sizes)
            .map(|k| BlockImdct::new(fl >> k))
            .collect();
        let noise = if s.use_noise_coding {
            noise_table(s.noise_mult)
        } else {
            Vec::new()
        };
        let lsp = if s.flags.use_exp_vlc {
            None
        } else {
            Some(LspTables::new(fl))
        };
        let ch = s.channels;
        FrameDecoder {
            windows,
            imdcts,
            pow_tab: pow_table(),
            noise,
            noise_index: 0,
            lsp,
            exponents: vec![vec![0.0; fl]; ch],
            exponents_bsize: [0; 2],
            exponents_initialised: [false; 2],
            max_exponent: [1.0; 2],
            coefs: vec![vec![0.0; fl]; ch],
            quant: vec![vec![0.0; fl]; ch],
            frame_out: vec![vec![0.0; 2 * fl]; ch],
            output: vec![0.0; 2 * fl],
            prev_bits: s.frame_len_bits,
            cur_bits: s.frame_len_bits,
            next_bits: s.frame_len_bits,
            reset_block_lengths: true,
            ms_stereo: false,
            block_pos: 0,
            stats: DecodeStats::default(),
            s,
        }
    }

    /// The pending overlap (the windowed tail of the last block) as FFmpeg emits it at end of
    /// stream: the first frame_len samples of the overlap buffer per channel.
    pub(crate) fn tail(&self) -> impl Iterator<Item = &[f32]> {
        self.frame_out.iter().map(|f| &f[..self.s.frame_len])
    }

    /// Decodes one frame and appends frame_len samples per channel to `out`.
    pub(crate) fn decode_frame(
        &mut self,
        r: &mut BitReader<'_>,
        out: &mut [Vec<f32>],
    ) -> Result<(), FrameError> {
        self.block_pos = 0;
        while self.block_pos < self.s.frame_len {
            self.decode_block(r)?;
        }
        self.stats.frames += 1;
        let fl = self.s.frame_len;
        for (fo, o) in self.frame_out.iter_mut().zip(out.iter_mut()) {
            o.extend_from_slice(&fo[..fl]);
            fo.copy_within(fl.., 0);
        }
        Ok(())
    }

    /// Reads the block length codes (wma-decoder.md §4.1).
    fn read_block_lengths(&mut self, r: &mut BitReader<'_>) -> Result<(), FrameError> {
        let s = &self.s;
        let fl_bits = s.frame_len_bits;
        let nbs = s.nb_block_sizes as u32;
        if s.flags.use_variable_block_len {
            let n = (nbs - 1).ilog2() + 1;
            let code = |r: &mut BitReader<'_>| {
                let v = r.read(n);
                if v >= nbs {
                    Err(FrameError::BlockLength)
                } else {
                    Ok(fl_bits - v)
                }
            };
            if self.reset_block_lengths {
                self.reset_block_lengths = false;
                self.prev_bits = code(r)?;
                self.cur_bits = code(r)?;
            } else {
                self.prev_bits = self.cur_bits;
                self.cur_bits = self.next_bits;
            }
            self.next_bits = code(r)?;
        } else {
            self.prev_bits = fl_bits;
            self.cur_bits = fl_bits;
            self.next_bits = fl_bits;
        }
        if fl_bits - self.cur_bits >= nbs {
            return Err(FrameError::BlockLength);
        }
        if self.block_pos + (1usize << self.cur_bits) > s.frame_len {
            return Err(FrameError::FrameOverflow);
        }
        Ok(())
    }

    fn decode_block(&mut self, r: &mut BitReader<'_>) -> Result<(), FrameError> {
        self.read_block_lengths(r)?;
        let channels = self.s.channels;
        let block_len = 1usize << self.cur_bits;
        let bsize = (self.s.frame_len_bits - self.cur_bits) as usize;

        if let Some(n) = self.stats.blocks_per_size.get_mut(bsize) {
            *n += 1;
        }
        if channels == 2 {
            self.ms_stereo = r.read_bit();
            self.stats.mid_side_blocks += u64::from(self.ms_stereo);
        }
        let mut coded = [false; 2];
        for c in coded.iter_mut().take(channels) {
            *c = r.read_bit();
        }

        if coded.iter().any(|&c| c) {
            self.decode_spectra(r, &mut coded, block_len, bsize)?;
        }

        // Inverse MDCT, window and overlap-add, for every channel.
        let fl = self.s.frame_len;
        let index = fl / 2 + self.block_pos - block_len / 2;
        let t = Transition {
            prev_bits: self.prev_bits,
            cur_bits: self.cur_bits,
            next_bits: self.next_bits,
        };
        let fl_bits = self.s.frame_len_bits;
        for ch in 0..channels {
            let y = &mut self.output[..2 * block_len];
            if coded[ch] {
                if let (Some(m), Some(c)) = (self.imdcts.get_mut(bsize), self.coefs.get(ch)) {
                    m.run(&c[..block_len], y);
                }
            } else if !(self.ms_stereo && ch == 1) {
                y.fill(0.0);
            }
            let windows = &self.windows;
            let win = |bits: u32| -> &[f32] {
                windows
                    .get((fl_bits - bits) as usize)
                    .map_or(&[][..], |w| &w[..])
            };
            if let Some(out) = self.frame_out.get_mut(ch).and_then(|f| f.get_mut(index..)) {
                window_add(out, y, t, win);
            }
        }
        self.block_pos += block_len;
        Ok(())
    }

    /// Block header after the coded flags, exponents, coefficients and reconstruction of the
    /// spectra of the coded channels (wma-decoder.md §4.2–§5.4).
    fn decode_spectra(
        &mut self,
        r: &mut BitReader<'_>,
        coded: &mut [bool; 2],
        block_len: usize,
        bsize: usize,
    ) -> Result<(), FrameError> {
        let channels = self.s.channels;

        let mut total_gain: i32 = 1;
        loop {
            if r.bits_left() < 7 {
                return Err(FrameError::TotalGain);
            }
            let a = r.read(7) as i32;
            total_gain += a;
            if a != 127 {
                break;
            }
        }
        let coef_nb_bits = match total_gain {
            ..15 => 13,
            15..32 => 12,
            32..40 => 11,
            40..45 => 10,
            _ => 9,
        };

        let coefs_start = self.s.coefs_start;
        let coefs_end = self.s.coefs_end.get(bsize).copied().unwrap_or(0);
        let mut nb_coefs = [coefs_end.saturating_sub(coefs_start); 2];

        // Noise-coding side info: all flags of all channels, then all gains.
        let mut band_coded = [[false; HIGH_BAND_MAX]; 2];
        let mut band_values = [[0i32; HIGH_BAND_MAX]; 2];
        let high_bands: &[u16] = if self.s.use_noise_coding {
            self.s.high_bands.get(bsize).map_or(&[][..], |h| &h[..])
        } else {
            &[]
        };
        if self.s.use_noise_coding {
            for ch in 0..channels {
                if coded[ch] {
                    for (j, &w) in high_bands.iter().enumerate().take(HIGH_BAND_MAX) {
                        let a = r.read_bit();
                        band_coded[ch][j] = a;
                        if a {
                            self.stats.noise_bands += 1;
                            nb_coefs[ch] = nb_coefs[ch].saturating_sub(usize::from(w));
                        }
                    }
                }
            }
            for ch in 0..channels {
                if coded[ch] {
                    let mut val: Option<i32> = None;
                    for j in 0..high_bands.len().min(HIGH_BAND_MAX) {
                        if band_coded[ch][j] {
                            let v = match val {
                                None => r.read(7) as i32 - 19,
                                Some(v) => {
                                    let d = HGAIN_VLC.read(r).ok_or(FrameError::HighGain)?;
                                    v + d as i32 - 18
                                }
                            };
                            val = Some(v);
                            band_values[ch][j] = v;
                        }
                    }
                }
            }
        }

        // Exponents: always sent for full-size blocks, optionally reused for shorter ones.
        let fresh = block_len == self.s.frame_len || r.read_bit();
        if !fresh {
            self.stats.exponents_reused += coded.iter().filter(|&&c| c).count() as u64;
        }
        if fresh {
            for ch in 0..channels {
                if !coded[ch] {
                    continue;
                }
                let out = &mut self.exponents[ch][..block_len];
                let max = match &self.lsp {
                    Some(lsp) => {
                        self.stats.exponents_lsp += 1;
                        lsp.decode(r, out)
                    }
                    None => {
                        self.stats.exponents_vlc += 1;
                        let bands = self.s.exponent_bands.get(bsize).map_or(&[][..], |b| &b[..]);
                        decode_vlc(r, self.s.version, bands, &self.pow_tab, out)
                            .ok_or(FrameError::Exponent)?
                    }
                };
                self.max_exponent[ch] = max;
                self.exponents_bsize[ch] = bsize;
                self.exponents_initialised[ch] = true;
            }
        }
        for ch in 0..channels {
            if coded[ch] && !self.exponents_initialised[ch] {
                return Err(FrameError::ExponentsMissing);
            }
        }

        // Run/level coded values; the M/S side channel has its own code book.
        let pair = self.s.coef_pair;
        for ch in 0..channels {
            if coded[ch] {
                let t = 2 * pair + usize::from(ch == 1 && self.ms_stereo);
                let book = &COEF_CODEBOOKS[t.min(5)];
                read_run_levels(
                    r,
                    book,
                    &mut self.quant[ch][..block_len],
                    nb_coefs[ch],
                    self.s.frame_len_bits,
                    coef_nb_bits,
                )
                .map_err(|_| FrameError::SpectralOverflow)?;
            }
            if self.s.version == 1 && channels >= 2 {
                r.align();
            }
        }

        let n4 = (block_len / 2) as f32;
        let mut mdct_norm = (1.0 / f64::from(n4)) as f32;
        if self.s.version == 1 {
            mdct_norm = (f64::from(mdct_norm) * f64::from(n4).sqrt()) as f32;
        }

        for ch in 0..channels {
            if !coded[ch] {
                continue;
            }
            let mut mult =
                (exp10(f64::from(total_gain) * 0.05) / f64::from(self.max_exponent[ch])) as f32;
            mult *= mdct_norm;
            let rec = Reconstruct {
                block_len,
                bsize,
                coefs_start,
                coefs_end,
                nb_coefs: nb_coefs[ch],
                exponents: &self.exponents[ch],
                exponents_bsize: self.exponents_bsize[ch],
                mult,
                mdct_norm,
                max_exponent: self.max_exponent[ch],
            };
            let q = &self.quant[ch][..block_len];
            let c = &mut self.coefs[ch];
            if self.s.use_noise_coding {
                let np = NoiseParams {
                    noise: &self.noise,
                    noise_index: &mut self.noise_index,
                    noise_mult: self.s.noise_mult,
                    high_band_start: self.s.high_band_start.get(bsize).copied().unwrap_or(0),
                    high_bands,
                    band_coded: &band_coded[ch],
                    band_values: &band_values[ch],
                };
                rec.with_noise(q, c, np);
            } else {
                rec.plain(q, c);
            }
        }

        if self.ms_stereo && coded[1] {
            if !coded[0] {
                self.coefs[0][..block_len].fill(0.0);
                coded[0] = true;
            }
            let (c0, c1) = self.coefs.split_at_mut(1);
            mid_side_to_left_right(&mut c0[0][..block_len], &mut c1[0][..block_len]);
        }
        Ok(())
    }
}
