//! WMA Pro test support: decoding an ASF file with our decoder, the parity check against
//! ffmpeg, and a syntax generator that writes random *valid* WMA Pro streams.
//!
//! The generator is not an encoder: at every point of the frame syntax it makes a random
//! legal choice (tilings, channel groups and transforms, quantiser escapes, DPCM and
//! run-level scale factors, vector and run-level coefficients with their escapes, fill bits,
//! trims) and writes the bits. Frames are packed into packets of `nBlockAlign` bytes with the
//! packet header and the cross-packet bit counts, the packets into an ASF file. Any valid
//! stream has one deterministic decoding, so ours must match ffmpeg's on it. This covers what
//! no reachable Microsoft-made file does: multichannel layouts, 24-bit, 96 kHz, streams
//! without length prefixes, rotations and default matrices.
#![allow(dead_code)]

use std::path::Path;

use mmsplay_asf::{AudioStreamSpec, HeaderSpec, Packetizer, WaveFormatEx, write_header};
use mmsplay_wma::pro_syntax::{self, Layout};
use mmsplay_wma::{ProStats, WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

use crate::common::{append_planes, compare, demux};

/// Our decoding of every media object of an ASF file's first audio stream (one decode call
/// per object, as FFmpeg's ASF demuxer feeds its decoder), with the per-object results.
pub struct ProDecoded {
    pub planes: Vec<Vec<f32>>,
    pub results: Vec<Result<usize, String>>,
    pub stats: ProStats,
}

/// Decodes `objects` (media objects of a stream whose WAVEFORMATEX is `wfx`) without any
/// gapless trimming.
pub fn decode_objects(wfx: &[u8], objects: &[Vec<u8>]) -> ProDecoded {
    let params = codec_params_from_waveformatex(wfx).expect("codec parameters");
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let mut dec = WmaDecoder::try_new(&params, &opts).expect("decoder");
    let channels = dec
        .codec_params()
        .channels
        .as_ref()
        .expect("channels")
        .count();
    let mut planes = vec![Vec::new(); channels];
    let mut results = Vec::new();
    for obj in objects {
        let pkt = Packet::new(0, Timestamp::new(0), Duration::new(0), obj.clone());
        match dec.decode(&pkt) {
            Ok(buf) => {
                results.push(Ok(buf.frames()));
                append_planes(&buf, &mut planes);
            }
            Err(e) => results.push(Err(e.to_string())),
        }
    }
    let tail = dec.flush();
    assert_eq!(tail.frames(), 0, "WMA Pro holds nothing back at the end");
    ProDecoded {
        planes,
        results,
        stats: dec.pro_stats().expect("a WMA Pro stream").clone(),
    }
}

/// The WAVEFORMATEX of an ASF file's first audio stream and its WMA packets (the media
/// objects cut into `nBlockAlign` pieces).
pub fn wma_packets(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let file = std::fs::read(path).expect("read file");
    let asf = demux(&file, 0);
    let ba = usize::from(u16::from_le_bytes([asf.wfx[12], asf.wfx[13]]));
    let packets = asf
        .objects
        .concat()
        .chunks(ba)
        .map(<[u8]>::to_vec)
        .collect();
    (asf.wfx, packets)
}

pub fn decode_pro(path: &Path) -> ProDecoded {
    let file = std::fs::read(path).expect("read file");
    let asf = demux(&file, 0);
    decode_objects(&asf.wfx, &asf.objects)
}

/// Equal channel count and length, and per channel ≥ `min_snr` dB against ffmpeg (exactly
/// equal silent channels count as infinite). Returns the worst SNR.
pub fn assert_pro_parity(
    name: &str,
    ours: &[Vec<f32>],
    reference: &[Vec<f32>],
    min_snr: f64,
) -> f64 {
    assert_eq!(ours.len(), reference.len(), "{name}: channel count");
    let mut worst = f64::INFINITY;
    for (ch, (snr, max)) in compare(ours, reference).into_iter().enumerate() {
        println!(
            "{name} ch{ch}: SNR {snr:.1} dB, max |diff| {max:.3e}, {} vs {} samples",
            ours[ch].len(),
            reference[ch].len()
        );
        assert_eq!(ours[ch].len(), reference[ch].len(), "{name} ch{ch}: length");
        assert!(
            snr >= min_snr,
            "{name} ch{ch}: SNR {snr:.1} dB, max {max:.3e}"
        );
        worst = worst.min(snr);
    }
    worst
}

/// xorshift64*: deterministic test randomness without dependencies.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// MSB-first bit writer.
#[derive(Default, Clone)]
pub struct Bits {
    pub bytes: Vec<u8>,
    pub len: usize,
}

impl Bits {
    pub fn put(&mut self, n: u32, v: u64) {
        for i in (0..n).rev() {
            self.push_bit((v >> i) & 1 != 0);
        }
    }
    pub fn push_bit(&mut self, b: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if b {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> (self.len & 7);
        }
        self.len += 1;
    }
    pub fn get(&self, i: usize) -> bool {
        (self.bytes[i >> 3] >> (7 - (i & 7))) & 1 != 0
    }
    pub fn set(&mut self, i: usize, b: bool) {
        let m = 0x80 >> (i & 7);
        if b {
            self.bytes[i >> 3] |= m;
        } else {
            self.bytes[i >> 3] &= !m;
        }
    }
    /// Overwrites `n` bits at `at` with `v`.
    pub fn patch(&mut self, at: usize, n: u32, v: u64) {
        for i in 0..n as usize {
            self.set(at + i, (v >> (n as usize - 1 - i)) & 1 != 0);
        }
    }
}

/// A stream layout: (sample rate, nChannels, channel mask, bits per sample, decode flags,
/// block align).
pub type StreamLayout = (u32, u16, u32, u16, u16, u16);

/// The parameters of one synthetic stream.
#[derive(Clone, Debug)]
pub struct StreamSpec {
    pub rate: u32,
    pub channels: u16,
    pub mask: u32,
    pub bits: u16,
    pub flags: u16,
    pub block_align: u16,
    pub frames: usize,
    pub seed: u64,
}

impl StreamSpec {
    /// WAVEFORMATEX (tag 0x0162) with the 18-byte extradata.
    pub fn wave_format(&self) -> WaveFormatEx {
        let mut extra = vec![0u8; 18];
        extra[0..2].copy_from_slice(&self.bits.to_le_bytes());
        extra[2..6].copy_from_slice(&self.mask.to_le_bytes());
        extra[14..16].copy_from_slice(&self.flags.to_le_bytes());
        WaveFormatEx {
            format_tag: 0x0162,
            channels: self.channels,
            sample_rate: self.rate,
            avg_bytes_per_sec: 16000,
            block_align: self.block_align,
            bits_per_sample: self.bits,
            extra,
        }
    }

    pub fn wfx_bytes(&self) -> Vec<u8> {
        self.wave_format().to_bytes()
    }

    /// A stream of `layout` = (rate, channels, mask, bits, flags, block align).
    pub fn new(layout: StreamLayout, frames: usize, seed: u64) -> StreamSpec {
        let (rate, channels, mask, bits, flags, block_align) = layout;
        StreamSpec {
            rate,
            channels,
            mask,
            bits,
            flags,
            block_align,
            frames,
            seed,
        }
    }

    fn len_prefix(&self) -> bool {
        self.flags & 0x40 != 0
    }
}

/// A Huffman code table: codes and lengths by symbol.
struct Code<'a> {
    codes: &'a [u32],
    bits: &'a [u8],
}

impl Code<'_> {
    fn put(&self, b: &mut Bits, sym: usize) {
        b.put(u32::from(self.bits[sym]), u64::from(self.codes[sym]));
    }
}

const SCALE: Code = Code {
    codes: &pro_syntax::SCALE_CODES,
    bits: &pro_syntax::SCALE_BITS,
};
const SCALE_RL: Code = Code {
    codes: &pro_syntax::SCALE_RL_CODES,
    bits: &pro_syntax::SCALE_RL_BITS,
};
const COEF: [Code; 2] = [
    Code {
        codes: &pro_syntax::COEF0_CODES,
        bits: &pro_syntax::COEF0_BITS,
    },
    Code {
        codes: &pro_syntax::COEF1_CODES,
        bits: &pro_syntax::COEF1_BITS,
    },
];
const VEC4: Code = Code {
    codes: &pro_syntax::VEC4_CODES,
    bits: &pro_syntax::VEC4_BITS,
};
const VEC2: Code = Code {
    codes: &pro_syntax::VEC2_CODES,
    bits: &pro_syntax::VEC2_BITS,
};
const VEC1: Code = Code {
    codes: &pro_syntax::VEC1_CODES,
    bits: &pro_syntax::VEC1_BITS,
};

/// Writes frames of random valid syntax for one stream.
pub struct Generator {
    spec: StreamSpec,
    lay: Layout,
    rng: Rng,
    vec4: Vec<[u8; 4]>,
    vec2: Vec<[u8; 2]>,
}

/// Per-channel state the writer mirrors from the reader.
#[derive(Clone, Default)]
struct ChanState {
    lens: Vec<usize>,
    decoded: usize,
    cur: usize,
    reuse_sf: bool,
}

impl Generator {
    pub fn new(spec: &StreamSpec) -> Generator {
        let lay = pro_syntax::layout(&spec.wfx_bytes()).expect("a valid WMA Pro setup");
        Generator {
            rng: Rng::new(spec.seed),
            spec: spec.clone(),
            lay,
            vec4: pro_syntax::vec4_values(),
            vec2: pro_syntax::vec2_values(),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.lay
    }

    /// One frame without its trailer bit. `first`: marked fully trimmed at the start (as
    /// encoders do); `trim_end`: samples to drop at the end (0 = none).
    pub fn frame(&mut self, first: bool, trim_end: usize) -> Bits {
        let spf = self.lay.samples_per_frame;
        let nch = self.lay.channels;
        let mut f = Bits::default();
        if self.spec.len_prefix() {
            f.put(self.lay.log2_frame_size, 0);
        }
        let mut ch = self.tiling(&mut f);
        if nch > 1 {
            if self.rng.chance(10) {
                f.put(1, 1);
                if self.rng.chance(50) {
                    f.put(1, 1);
                    for _ in 0..nch * nch {
                        let v = self.rng.below(16);
                        f.put(4, v);
                    }
                } else {
                    f.put(1, 0);
                }
            } else {
                f.put(1, 0);
            }
        }
        if self.spec.flags & 0x80 != 0 {
            let g = self.rng.below(256);
            f.put(8, g);
        }
        let width = spf.ilog2() + 1;
        if first || trim_end > 0 {
            f.put(1, 1);
            f.put(1, u64::from(first));
            if first {
                f.put(width, spf as u64);
            }
            f.put(1, u64::from(trim_end > 0));
            if trim_end > 0 {
                f.put(width, trim_end as u64);
            }
        } else {
            f.put(1, 0);
        }
        // The reader's subframe schedule: the earliest unfinished offset, every channel whose
        // next subframe starts there with the same length.
        while ch.iter().any(|c| c.decoded < spf) {
            let mut offset = spf;
            let mut len = spf;
            for c in &ch {
                if c.decoded < offset {
                    offset = c.decoded;
                    len = c.lens[c.cur];
                }
            }
            let chans: Vec<usize> = (0..nch)
                .filter(|&c| ch[c].decoded == offset && ch[c].lens.get(ch[c].cur) == Some(&len))
                .collect();
            self.subframe(&mut f, &mut ch, &chans, len);
            for &c in &chans {
                ch[c].decoded += len;
                ch[c].cur += 1;
            }
        }
        if self.spec.len_prefix() {
            let total = f.len + 2;
            f.patch(0, self.lay.log2_frame_size, total as u64);
        } else {
            // Zero padding before the terminating 1 is allowed without length prefixes.
            let pad = self.rng.below(3) as u32;
            f.put(pad, 0);
        }
        f.put(1, 1);
        f
    }

    /// Writes a tile header, mirroring the reader's loop; returns each channel's lengths.
    fn tiling(&mut self, f: &mut Bits) -> Vec<ChanState> {
        let nch = self.lay.channels;
        let spf = self.lay.samples_per_frame;
        let min = self.lay.min_subframe;
        let max_shift = self.lay.max_subframes.ilog2();
        let mut ch = vec![ChanState::default(); nch];
        let mut num = vec![0usize; nch];
        let mut behind = nch;
        let fixed = self.lay.max_subframes == 1 || {
            let b = self.rng.chance(30);
            f.put(1, u64::from(b));
            b
        };
        let mut m = 0usize;
        while m < spf {
            let last_slot = m == spf - min;
            let at_m: Vec<usize> = (0..nch).filter(|&c| num[c] == m).collect();
            let implied = fixed || behind == 1 || last_slot;
            let mut contains = vec![false; nch];
            if implied {
                for &c in &at_m {
                    contains[c] = true;
                }
            } else {
                // A random non-empty subset, written in channel order.
                let pick = at_m[self.rng.below(at_m.len() as u64) as usize];
                for &c in &at_m {
                    let b = c == pick || self.rng.chance(50);
                    contains[c] = b;
                    f.put(1, u64::from(b));
                }
            }
            let len = if last_slot {
                min
            } else {
                let shifts: Vec<u32> = (0..=max_shift).filter(|&s| m + (spf >> s) <= spf).collect();
                let shift = shifts[self.rng.below(shifts.len() as u64) as usize];
                if self.lay.subframe_len_bit {
                    if shift == 0 {
                        f.put(1, 0);
                    } else {
                        f.put(1, 1);
                        f.put(self.lay.subframe_len_bits - 1, u64::from(shift - 1));
                    }
                } else {
                    f.put(self.lay.subframe_len_bits, u64::from(shift));
                }
                spf >> shift
            };
            m += len;
            for c in 0..nch {
                if contains[c] {
                    ch[c].lens.push(len);
                    num[c] += len;
                } else if num[c] <= m {
                    if num[c] < m {
                        behind = 0;
                        m = num[c];
                    }
                    behind += 1;
                }
            }
        }
        ch
    }

    fn subframe(&mut self, f: &mut Bits, ch: &mut [ChanState], chans: &[usize], len: usize) {
        let rng = &mut self.rng;
        let nch = self.lay.channels;
        let t = (self.lay.samples_per_frame / len).ilog2() as usize;
        let nb = self.lay.band_edges[t].len() - 1;
        // Fill bits ("extended header").
        if rng.chance(15) {
            f.put(1, 1);
            if rng.chance(50) {
                let n = 1 + rng.below(3);
                f.put(2, n);
                let v = rng.below(1 << n);
                f.put(n as u32, v);
            } else {
                f.put(2, 0);
                let k = rng.below(9) as u32;
                let v = rng.below(1 << k);
                f.put(4, u64::from(k));
                f.put(k, v);
                for _ in 0..=v {
                    let b = rng.below(2);
                    f.put(1, b);
                }
            }
        } else {
            f.put(1, 0);
        }
        f.put(1, 0); // reserved
        if nch > 1 {
            f.put(1, 0); // no "channel transform bit"
            let mut grouped = vec![false; nch];
            let mut remaining = chans.len();
            let mut groups = 0;
            while remaining > 0 && groups < chans.len() {
                let mut n = 0;
                for &c in chans {
                    if grouped[c] {
                        continue;
                    }
                    let take = remaining <= 2 || {
                        let b = rng.chance(60);
                        f.put(1, u64::from(b));
                        b
                    };
                    if take {
                        grouped[c] = true;
                        n += 1;
                    }
                }
                let mut transform = false;
                if n == 2 {
                    if rng.chance(70) {
                        f.put(1, 0);
                        transform = true;
                    } else {
                        f.put(2, 0b10);
                    }
                } else if n > 2 {
                    if rng.chance(70) {
                        f.put(1, 1);
                        transform = true;
                        if n > 6 || rng.chance(50) {
                            f.put(1, 1);
                            for _ in 0..n * (n - 1) / 2 {
                                let a = rng.below(64);
                                f.put(6, a);
                            }
                            for _ in 0..n {
                                let s = rng.below(2);
                                f.put(1, s);
                            }
                        } else {
                            f.put(1, 0);
                        }
                    } else {
                        f.put(1, 0);
                    }
                }
                if transform {
                    if rng.chance(50) {
                        f.put(1, 1);
                    } else {
                        f.put(1, 0);
                        for _ in 0..nb {
                            let b = rng.below(2);
                            f.put(1, b);
                        }
                    }
                }
                remaining -= n;
                groups += 1;
            }
        }
        let transmit: Vec<bool> = chans.iter().map(|_| rng.chance(85)).collect();
        for &t in &transmit {
            f.put(1, u64::from(t));
        }
        let any = transmit.iter().any(|&t| t);
        let mut explicit = false;
        let mut num_vec = vec![len; chans.len()];
        if any {
            explicit = rng.chance(30);
            f.put(1, u64::from(explicit));
            if explicit {
                let width = len.div_ceil(4).ilog2() + 1;
                for nv in &mut num_vec {
                    let v = rng.below(len as u64 / 16 + 1);
                    f.put(width, v);
                    *nv = v as usize * 4;
                }
            }
            // Quantiser step: mostly a small change, sometimes an escape.
            match rng.below(10) {
                0 => {
                    f.put(6, 31);
                    for _ in 0..rng.below(2) {
                        f.put(5, 31);
                    }
                    let last = rng.below(8);
                    f.put(5, last);
                }
                1 => {
                    f.put(6, 32); // −32
                    let last = rng.below(31);
                    f.put(5, last);
                }
                _ => {
                    let step = rng.below(17) as i64 - 8;
                    f.put(6, (step & 63) as u64);
                }
            }
            if chans.len() > 1 {
                let mlen = rng.below(8) as u32;
                f.put(3, u64::from(mlen));
                for _ in chans {
                    if rng.chance(30) {
                        f.put(1, 1);
                        let v = rng.below(1 << mlen);
                        f.put(mlen, v);
                    } else {
                        f.put(1, 0);
                    }
                }
            }
            for &c in chans {
                let send = ch[c].cur == 0 || {
                    let b = rng.chance(50);
                    f.put(1, u64::from(b));
                    b
                };
                if !send {
                    continue;
                }
                if !ch[c].reuse_sf {
                    let step = rng.below(4);
                    f.put(2, step);
                    for _ in 0..nb {
                        let delta = if rng.chance(90) {
                            rng.below(7) as i64 - 3
                        } else {
                            rng.below(121) as i64 - 60
                        };
                        SCALE.put(f, (delta + 60) as usize);
                    }
                } else {
                    let mut b = 0;
                    while b < nb {
                        if rng.chance(20) {
                            SCALE_RL.put(f, 1);
                            break;
                        }
                        let room = (nb - 1 - b) as u64;
                        let run = if rng.chance(10) {
                            let run = rng.below(room.min(31) + 1);
                            let level = rng.below(256);
                            SCALE_RL.put(f, 0);
                            let sign = rng.below(2);
                            f.put(14, level << 6 | run << 1 | sign);
                            run
                        } else {
                            let sym = loop {
                                let s = 2 + rng.below(118) as usize;
                                if u64::from(pro_syntax::SCALE_RL_RUN[s]) <= room {
                                    break s;
                                }
                            };
                            SCALE_RL.put(f, sym);
                            let sign = rng.below(2);
                            f.put(1, sign);
                            u64::from(pro_syntax::SCALE_RL_RUN[sym])
                        };
                        b += run as usize + 1;
                    }
                }
                ch[c].reuse_sf = true;
            }
        }
        for (i, &c) in chans.iter().enumerate() {
            let _ = c;
            if transmit[i] {
                self.coefficients(f, len, num_vec[i], explicit);
            }
        }
    }

    /// One channel's coefficients, mirroring the reader's switch to run-level coding.
    fn coefficients(&mut self, f: &mut Bits, len: usize, num_vec: usize, explicit: bool) {
        let rng = &mut self.rng;
        let table = rng.below(2) as usize;
        f.put(1, table as u64);
        let zero_limit = len >> 8;
        // Like a real spectrum, the signal ends somewhere; zeros follow until the reader
        // switches to run-level coding.
        let bandwidth = rng.below(len as u64 / 4 + 1) as usize;
        let (mut cur, mut zeros, mut rl) = (0usize, 0usize, false);
        while (explicit || !rl) && cur + 3 < num_vec {
            let mut vals = [0u64; 4];
            if cur >= bandwidth {
                VEC4.put(f, 0);
            } else if rng.chance(80) {
                // Small tuples are the common case.
                let sym = if rng.chance(60) {
                    rng.below(15) as usize
                } else {
                    rng.below(126) as usize
                };
                VEC4.put(f, sym);
                for (v, &x) in vals.iter_mut().zip(&self.vec4[sym]) {
                    *v = u64::from(x);
                }
            } else {
                VEC4.put(f, 126);
                for half in 0..2 {
                    if rng.chance(70) {
                        let p = rng.below(136) as usize;
                        VEC2.put(f, p);
                        vals[2 * half] = u64::from(self.vec2[p][0]);
                        vals[2 * half + 1] = u64::from(self.vec2[p][1]);
                    } else {
                        VEC2.put(f, 136);
                        for k in 0..2 {
                            let v = if rng.chance(90) {
                                let v = rng.below(100);
                                VEC1.put(f, v as usize);
                                v
                            } else {
                                VEC1.put(f, 100);
                                100 + large_value(f, rng)
                            };
                            vals[2 * half + k] = v;
                        }
                    }
                }
            }
            for v in vals {
                if v != 0 {
                    let s = rng.below(2);
                    f.put(1, s);
                    zeros = 0;
                } else {
                    zeros += 1;
                    if zeros > zero_limit {
                        rl = true;
                    }
                }
                cur += 1;
            }
        }
        if cur >= len {
            return;
        }
        let runs: &[u16] = if table == 0 {
            &pro_syntax::COEF0_RUN
        } else {
            &pro_syntax::COEF1_RUN
        };
        let esc_len = len.ilog2();
        let mut p = cur;
        while p < len {
            if rng.chance(6) {
                COEF[table].put(f, 1); // end of block
                break;
            }
            let room = (len - 1 - p) as u64;
            if rng.chance(8) {
                COEF[table].put(f, 0);
                large_value(f, rng);
                let run = match rng.below(3) {
                    0 => {
                        f.put(1, 0);
                        0
                    }
                    1 if room >= 1 => {
                        let r = 1 + rng.below(room.min(4));
                        f.put(2, 0b10);
                        f.put(2, r - 1);
                        r
                    }
                    _ if room >= 4 => {
                        let r = 4 + rng.below((room - 4).min((1 << esc_len) - 1) + 1);
                        f.put(3, 0b110);
                        f.put(esc_len, r - 4);
                        r
                    }
                    _ => {
                        f.put(1, 0);
                        0
                    }
                };
                let s = rng.below(2);
                f.put(1, s);
                p += run as usize + 1;
            } else {
                let sym = loop {
                    let s = 2 + rng.below(runs.len() as u64 - 2) as usize;
                    if u64::from(runs[s]) <= room {
                        break s;
                    }
                };
                COEF[table].put(f, sym);
                let s = rng.below(2);
                f.put(1, s);
                p += usize::from(runs[sym]) + 1;
            }
        }
    }
}

/// Writes a random "large value" (8, 16, 24 or 31 bits, small values mostly) and returns it.
fn large_value(f: &mut Bits, rng: &mut Rng) -> u64 {
    let (prefix, n): (&[u64], u32) = match rng.below(10) {
        0 => (&[1, 1, 0], 24),
        1 => (&[1, 0], 16),
        _ => (&[0], 8),
    };
    for &b in prefix {
        f.put(1, b);
    }
    let v = rng.below(1 << n.min(12));
    f.put(n, v);
    v
}

/// A generated stream: its WMA packets (block_align bytes each) and how many frames it has.
pub struct GeneratedStream {
    pub packets: Vec<Vec<u8>>,
    pub frames: usize,
}

/// Generates `spec.frames` frames and packs them into packets. Frames too large for one
/// packet's payload are generated again.
pub fn generate(spec: &StreamSpec) -> GeneratedStream {
    let mut g = Generator::new(spec);
    let lay = g.layout().clone();
    let ba = usize::from(spec.block_align);
    let payload = ba * 8 - 6 - lay.log2_frame_size as usize;
    let mut frames = Vec::new();
    for i in 0..spec.frames {
        let trim_end = if i + 1 == spec.frames {
            1 + (spec.seed as usize * 7919) % (lay.samples_per_frame - 1)
        } else {
            0
        };
        let f = (0..100)
            .map(|_| g.frame(i == 0, trim_end))
            .find(|f| f.len < payload)
            .expect("frames that fit the block size: raise block_align");
        frames.push(f);
    }
    // One bit string: each frame followed by its trailer bit.
    let mut stream = Bits::default();
    let mut starts = Vec::new();
    let mut trailers = Vec::new();
    for f in &frames {
        starts.push(stream.len);
        for i in 0..f.len {
            stream.push_bit(f.get(i));
        }
        trailers.push(stream.len);
        stream.push_bit(false);
    }
    let mut packets = Vec::new();
    let mut pos = 0;
    let mut seq = 0u64;
    while pos < stream.len {
        let end = (pos + payload).min(stream.len);
        let first = starts
            .iter()
            .copied()
            .find(|&s| s >= pos)
            .unwrap_or(end)
            .min(end);
        // Trailer 1: another frame starts in this same packet.
        for (i, &t) in trailers.iter().enumerate() {
            if t >= pos && t < end {
                let more = starts.get(i + 1).is_some_and(|&s| s < end);
                stream.set(t, more);
            }
        }
        let mut p = Bits::default();
        p.put(4, seq & 15);
        p.put(2, 0b10);
        p.put(lay.log2_frame_size, (first - pos) as u64);
        for i in pos..end {
            p.push_bit(stream.get(i));
        }
        while p.len < ba * 8 {
            p.push_bit(false);
        }
        packets.push(p.bytes);
        pos = end;
        seq += 1;
    }
    GeneratedStream {
        packets,
        frames: frames.len(),
    }
}

/// Media objects of 1 to 3 WMA packets each (a demuxer packet may carry several).
pub fn group_objects(packets: &[Vec<u8>], seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed ^ 0x5A5A);
    let mut objects = Vec::new();
    let mut i = 0;
    while i < packets.len() {
        let n = (1 + rng.below(3) as usize).min(packets.len() - i);
        objects.push(packets[i..i + n].concat());
        i += n;
    }
    objects
}

/// An ASF file with one WMA Pro stream carrying `objects`.
pub fn asf_file(spec: &StreamSpec, objects: &[Vec<u8>]) -> Vec<u8> {
    let spf = pro_syntax::layout(&spec.wfx_bytes())
        .expect("layout")
        .samples_per_frame as u64;
    let total_ms = (spec.frames as u64 * spf * 1000 / u64::from(spec.rate)).max(1);
    asf_with_format(spec.wave_format(), objects, total_ms)
}

/// The WAVEFORMATEX of raw WAVEFORMATEX bytes, for `asf_with_format`.
pub fn parse_wave_format(wfx: &[u8]) -> WaveFormatEx {
    WaveFormatEx::parse(wfx).expect("a WAVEFORMATEX")
}

/// An ASF file with one audio stream of `format` carrying `objects`, lasting `total_ms`.
pub fn asf_with_format(format: WaveFormatEx, objects: &[Vec<u8>], total_ms: u64) -> Vec<u8> {
    let packet_size = 16_000u32;
    let mut p = Packetizer::new(packet_size);
    for (i, o) in objects.iter().enumerate() {
        let pts = 100 + (i as u64 * total_ms / objects.len() as u64) as u32;
        p.push_object(1, pts, true, o);
    }
    p.flush();
    let packets = p.take_packets();
    let header = HeaderSpec {
        packet_size,
        data_packets: packets.len() as u64,
        play_duration: (total_ms + 100) * 10_000,
        preroll_ms: 100,
        streams: vec![AudioStreamSpec {
            number: 1,
            format,
            spread: None,
            bitrate: 128_000,
        }],
        ..Default::default()
    };
    let mut file = write_header(&header);
    for pk in packets {
        file.extend_from_slice(&pk);
    }
    file
}
