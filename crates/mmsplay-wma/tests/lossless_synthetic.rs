//! WMA Lossless streams the real files do not cover (raw PCM tiles, 24-bit, mono and up to
//! eight channels, other frame lengths, uneven tile lengths and tilings that differ between
//! channels, length-prefixed frames, transmitted filter coefficients,
//! quantiser steps, padding shifts, DRC and LPC fields, skip fields), made by a test-only
//! bitstream *writer* with random legal parameters and random residuals, then decoded both by
//! us and by ffmpeg (the stream wrapped in a WAV file, which ffmpeg decodes exactly like ASF).
//! Every sample must be equal, and so must the length.
//!
//! The writer is not an encoder: it emits syntax with arbitrary residuals, so the decoded
//! "audio" is whatever the filters make of them, wrapping arithmetic included. Any valid
//! syntax has one deterministic output, which is what is compared.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::lossless::{decode_packets, ffmpeg_packets};
use common::require_ffmpeg;

/// xorshift64*: deterministic test randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// MSB-first bit string.
#[derive(Default)]
struct Bits {
    bits: Vec<bool>,
}

impl Bits {
    fn put(&mut self, n: u32, v: u64) {
        for i in (0..n).rev() {
            self.bits.push(v >> i & 1 != 0);
        }
    }
    fn flag(&mut self, b: bool) {
        self.bits.push(b);
    }
}

fn ilog2(v: u64) -> u32 {
    63u32.saturating_sub(v.leading_zeros())
}

fn ceil_log2(v: u64) -> u32 {
    if v <= 1 {
        0
    } else {
        64 - (v - 1).leading_zeros()
    }
}

/// One stream's fixed parameters.
#[derive(Clone, Debug)]
struct Stream {
    channels: usize,
    bits: u32,
    rate: u32,
    block_align: usize,
    flags: u16,
}

impl Stream {
    fn frame_len(&self) -> usize {
        let base = match self.rate {
            0..=16000 => 9,
            16001..=22050 => 10,
            22051..=48000 => 11,
            48001..=96000 => 12,
            _ => 13,
        };
        let bits = match self.flags & 6 {
            2 => base + 1,
            4 => base - 1,
            6 => base - 2,
            _ => base,
        };
        1 << bits
    }
    fn max_tiles(&self) -> usize {
        1 << ((self.flags & 0x38) >> 3)
    }
    fn len_prefix(&self) -> bool {
        self.flags & 0x40 != 0
    }
    fn drc(&self) -> bool {
        self.flags & 0x80 != 0
    }
    fn v3rtm(&self) -> bool {
        self.flags & 0x100 != 0
    }
    /// The complete WAVEFORMATEX (18 bytes + 18 extra bytes).
    fn waveformatex(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(&0x0163u16.to_le_bytes());
        w.extend_from_slice(&(self.channels as u16).to_le_bytes());
        w.extend_from_slice(&self.rate.to_le_bytes());
        w.extend_from_slice(&(self.block_align as u32 * 10).to_le_bytes());
        w.extend_from_slice(&(self.block_align as u16).to_le_bytes());
        w.extend_from_slice(&(self.bits as u16).to_le_bytes());
        w.extend_from_slice(&18u16.to_le_bytes());
        let mut extra = [0u8; 18];
        extra[0..2].copy_from_slice(&(self.bits as u16).to_le_bytes());
        extra[14..16].copy_from_slice(&self.flags.to_le_bytes());
        w.extend_from_slice(&extra);
        w
    }
}

/// What the writer must remember across tiles, as the decoder does.
struct WriterState {
    icd: bool,
    movave_shift: u32,
    ave_sum: Vec<u32>,
    started: bool,
}

/// Residual of one sample: mostly small, sometimes large (exercising escapes and wraps).
fn residual(rng: &mut Rng, bits: u32) -> i32 {
    match rng.below(100) {
        0 => (rng.next() as i32) >> (32 - bits - 1),
        1..=10 => rng.below(1 << 12) as i32 - (1 << 11),
        _ => rng.below(64) as i32 - 32,
    }
}

/// Writes one coded channel's residuals with the adaptive Rice code (decoder's rules).
fn write_residuals(
    b: &mut Bits,
    rng: &mut Rng,
    st: &Stream,
    ws: &mut WriterState,
    ch: usize,
    len: usize,
    seekable: bool,
) {
    if rng.chance(5) {
        b.flag(true);
        b.put(ilog2(len as u64), rng.below(len as u64));
    } else {
        b.flag(false);
    }
    let s = ws.movave_shift;
    let mut start = 0;
    if seekable {
        let mean = rng.below(1 << 10);
        b.put(st.bits, mean);
        ws.ave_sum[ch] = (mean as u32) << (s + 1);
        let w = if ws.icd { st.bits + 1 } else { st.bits };
        let first = residual(rng, st.bits) as i64;
        b.put(w, (first as u64) & ((1u64 << w) - 1));
        start = 1;
    }
    for _ in start..len {
        let x = residual(rng, st.bits);
        let u = ((x << 1) ^ (x >> 31)) as u32;
        let sum = ws.ave_sum[ch];
        let mean = sum.wrapping_add(1 << s) >> (s + 1);
        let (q, low, k) = if mean <= 1 {
            (u, 0, 0)
        } else {
            let k = ceil_log2(u64::from(mean));
            (u >> k, u & ((1u64 << k) - 1) as u32, k)
        };
        if q >= 32 {
            b.put(32, u64::from(u32::MAX));
            b.flag(false);
            let extra = q - 32;
            let n = (32 - extra.leading_zeros()).max(1);
            b.put(5, u64::from(n - 1));
            b.put(n, u64::from(extra));
        } else {
            b.put(q, (1u64 << q) - 1);
            b.flag(false);
        }
        b.put(k, u64::from(low));
        ws.ave_sum[ch] = sum.wrapping_add(u).wrapping_sub(sum >> s);
    }
}

/// The parameters of a seekable tile (random coding tools and filters).
fn write_seekable_params(b: &mut Bits, rng: &mut Rng, st: &Stream, ws: &mut WriterState) {
    let nch = st.channels;
    ws.ave_sum.iter_mut().for_each(|a| *a = 0);
    b.flag(false); // no arithmetic coding
    let do_ac = rng.chance(70);
    ws.icd = rng.chance(70);
    let do_mclms = rng.chance(60);
    b.flag(do_ac);
    b.flag(ws.icd);
    b.flag(do_mclms);
    if do_ac {
        let order = rng.below(16);
        let shift = rng.below(16) as u32;
        b.put(4, order);
        b.put(4, u64::from(shift));
        for _ in 0..=order {
            b.put(shift, rng.below(1 << shift));
        }
    }
    if do_mclms {
        let order = 2 * (rng.below(16) as usize + 1);
        let shift = rng.below(16) as u32;
        b.put(4, (order / 2 - 1) as u64);
        b.put(4, u64::from(shift));
        let send = rng.chance(50);
        b.flag(send);
        if send {
            let cbits = ceil_log2(u64::from(shift) + 1);
            let field = rng.below(1 << cbits);
            b.put(cbits, field);
            let w = field as u32 + 2;
            for _ in 0..order * nch * nch + nch * (nch - 1) / 2 {
                b.put(w, rng.below(1 << w));
            }
        }
    }
    let send = rng.chance(50);
    b.flag(send);
    for _ in 0..nch {
        let ttl = rng.below(8) as usize + 1;
        b.put(3, (ttl - 1) as u64);
        let mut orders = Vec::new();
        for _ in 0..ttl {
            // Mostly short filters (fast tests), sometimes up to 256.
            let o = if rng.chance(15) {
                rng.below(32)
            } else {
                rng.below(4)
            };
            b.put(7, o);
            orders.push((o as u32 + 1) * 8);
        }
        let mut shifts = Vec::new();
        for _ in 0..ttl {
            let s = rng.below(16) as u32;
            b.put(4, u64::from(s));
            shifts.push(s);
        }
        if send {
            for (o, s) in orders.iter().zip(&shifts) {
                let cbits = ceil_log2(u64::from(*o));
                let n = rng.below(1 << cbits);
                b.put(cbits, n);
                let wbits = ceil_log2(u64::from(*s) + 1);
                let w = rng.below(1 << wbits);
                b.put(wbits, w);
                for _ in 0..=n {
                    b.put(w as u32 + 2, rng.below(1 << (w + 2)));
                }
            }
        }
    }
    ws.movave_shift = rng.below(8) as u32;
    b.put(3, u64::from(ws.movave_shift));
    // Quantiser step: usually 1.
    let q = if rng.chance(20) { rng.below(256) } else { 0 };
    b.put(8, q);
}

/// One tile of `len` samples for every channel.
fn write_tile(b: &mut Bits, rng: &mut Rng, st: &Stream, ws: &mut WriterState, len: usize) {
    let nch = st.channels;
    let seekable = !ws.started || rng.chance(10);
    ws.started = true;
    b.flag(seekable);
    if seekable {
        write_seekable_params(b, rng, st, ws);
    }
    // Raw tiles of long stereo frames would outgrow the reservoir (a frame larger than
    // 32 KiB per channel is dropped as damaged by both decoders).
    let raw = st.frame_len() * st.bits as usize <= 100_000 && rng.chance(8);
    b.flag(raw);
    let mut coded = vec![true; nch];
    if !raw {
        for c in &mut coded {
            *c = rng.chance(85);
            b.flag(*c);
        }
        if st.v3rtm() {
            let lpc = rng.chance(5);
            b.flag(lpc);
            if lpc {
                let order = rng.below(32);
                let shift = rng.below(16);
                let int_bits = rng.below(8);
                b.put(5, order);
                b.put(4, shift);
                b.put(3, int_bits);
                for _ in 0..nch * (order as usize + 1) {
                    let w = (shift + int_bits + 1) as u32;
                    b.put(w, rng.below(1 << w));
                }
            }
        }
    }
    let pad = if rng.chance(15) {
        rng.below(if raw { 4 } else { 5 }) as u32
    } else {
        0
    };
    b.flag(pad > 0);
    if pad > 0 {
        b.put(5, u64::from(pad));
    }
    if raw {
        let w = st.bits - pad;
        for _ in 0..nch * len {
            b.put(w, rng.below(1 << w));
        }
    } else {
        for (ch, _) in coded.iter().enumerate().filter(|(_, c)| **c) {
            write_residuals(b, rng, st, ws, ch, len, seekable);
        }
    }
}

/// A random tile length (in shortest tiles) for a tile starting at `at`: mostly the rest of
/// the frame or the longest allowed.
fn tile_units(rng: &mut Rng, st: &Stream, at: usize) -> usize {
    let min = st.frame_len() / st.max_tiles();
    let max_units = ((st.frame_len() - at) / min).min(st.max_tiles());
    if rng.chance(50) {
        max_units
    } else {
        rng.below(max_units as u64) as usize + 1
    }
}

thread_local! {
    /// Frames this test thread wrote with channel-specific tilings (so a test can check
    /// that they occurred).
    static UNALIGNED_FRAMES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The tile header, and the tile lengths in the order the decoder takes the tiles. Usually
/// aligned (all channels share every tile); otherwise the header walk of the decoder is
/// mirrored, choosing at random which of the channels at the lowest position take the next
/// tile, so that channels get different tilings.
fn write_tiling(b: &mut Bits, rng: &mut Rng, st: &Stream) -> Vec<usize> {
    let (spf, nch) = (st.frame_len(), st.channels);
    let min = spf / st.max_tiles();
    let field = ilog2(st.max_tiles() as u64 - 1) + 1;
    // Every tile codes every channel, so unaligned tilings make frames longer; long frames
    // stay aligned to keep within the reservoir (32 KiB per channel).
    let aligned = st.max_tiles() == 1 || nch == 1 || spf > 4096 || rng.chance(60);
    b.flag(aligned);
    if !aligned {
        UNALIGNED_FRAMES.set(UNALIGNED_FRAMES.get() + 1);
    }
    let mut lens: Vec<Vec<usize>> = vec![Vec::new(); nch];
    let mut assigned = vec![0usize; nch];
    let (mut min_len, mut at_min) = (0usize, nch);
    while min_len < spf {
        let mut contains = vec![false; nch];
        let candidates: Vec<usize> = (0..nch).filter(|&c| assigned[c] == min_len).collect();
        for (i, &c) in candidates.iter().enumerate() {
            contains[c] = if aligned || at_min == 1 || min_len == spf - min {
                true
            } else {
                // At least one channel takes the tile.
                let none_yet = !candidates[..i].iter().any(|&p| contains[p]);
                let v = (none_yet && i + 1 == candidates.len()) || rng.chance(50);
                b.flag(v);
                v
            };
        }
        let len = if min_len == spf - min {
            min
        } else {
            let units = tile_units(rng, st, min_len);
            b.put(field, (units - 1) as u64);
            units * min
        };
        min_len += len;
        for c in 0..nch {
            if contains[c] {
                lens[c].push(len);
                assigned[c] += len;
            } else if assigned[c] <= min_len {
                if assigned[c] < min_len {
                    at_min = 0;
                    min_len = assigned[c];
                }
                at_min += 1;
            }
        }
    }
    // The decoder's order: the tile at the lowest position (the first such channel's).
    let mut done = vec![0usize; nch];
    let mut next = vec![0usize; nch];
    let mut order = Vec::new();
    while done.iter().any(|&d| d < spf) {
        let mut offset = spf;
        let mut len = spf;
        for c in 0..nch {
            if done[c] < offset {
                offset = done[c];
                len = lens[c][next[c]];
            }
        }
        for c in 0..nch {
            if done[c] == offset && lens[c].get(next[c]) == Some(&len) {
                done[c] += len;
                next[c] += 1;
            }
        }
        order.push(len);
    }
    order
}

/// One frame (without its trailer bit): aligned tiling with random tile lengths.
fn write_frame(
    b: &mut Bits,
    rng: &mut Rng,
    st: &Stream,
    ws: &mut WriterState,
    last: bool,
) -> usize {
    let spf = st.frame_len();
    // With length prefixes (flag 0x40) the frame starts with its length in bits, trailer
    // included; filled in at the end.
    let start = b.bits.len();
    let log2 = ilog2(st.block_align as u64) + 4;
    if st.len_prefix() {
        b.put(log2, 0);
    }
    let tiles = write_tiling(b, rng, st);
    if st.drc() {
        b.put(8, rng.below(256));
    }
    let mut out = spf;
    let skip_bits = ilog2(2 * spf as u64);
    let start_skip = rng.chance(5);
    let end_skip = last && rng.chance(70);
    b.flag(start_skip || end_skip);
    if start_skip || end_skip {
        b.flag(start_skip);
        if start_skip {
            b.put(skip_bits, rng.below(spf as u64));
        }
        b.flag(end_skip);
        if end_skip {
            let n = rng.below(spf as u64 - 1) + 1;
            b.put(skip_bits, n);
            out -= n as usize;
        }
    }
    for len in tiles {
        write_tile(b, rng, st, ws, len);
    }
    if st.len_prefix() {
        // One bit the decoder skips before the trailer bit.
        b.flag(false);
        let total = b.bits.len() - start + 1;
        assert!(total < 1 << log2, "frame too long for its length field");
        for i in 0..log2 {
            b.bits[start + i as usize] = total >> (log2 - 1 - i) & 1 != 0;
        }
    }
    out
}

/// Cuts frames into packets: header (sequence, seekable, spliced, bits finishing the
/// previous frame), payload, zero padding. A frame's trailer bit says whether the next frame
/// starts in the same packet as it does.
fn packetize(frames: &[Bits], st: &Stream) -> Vec<Vec<u8>> {
    let log2 = ilog2(st.block_align as u64) + 4;
    let payload = st.block_align * 8 - 6 - log2 as usize;
    let mut stream: Vec<bool> = Vec::new();
    let mut starts = Vec::new();
    for f in frames {
        starts.push(stream.len());
        stream.extend(&f.bits);
        stream.push(false);
    }
    // Trailer bits.
    for i in 0..frames.len() {
        let trailer = starts[i] + frames[i].bits.len();
        let same = starts
            .get(i + 1)
            .is_some_and(|&n| n / payload == starts[i] / payload);
        stream[trailer] = same;
    }
    let mut packets = Vec::new();
    for (k, chunk) in stream.chunks(payload).enumerate() {
        let pos = k * payload;
        let first = starts.iter().copied().find(|&s| s >= pos);
        let prev = match first {
            Some(s) if s < pos + payload => s - pos,
            _ => payload,
        };
        let mut b = Bits::default();
        b.put(4, (k & 15) as u64);
        b.flag(false);
        b.flag(false);
        b.put(log2, prev as u64);
        b.bits.extend(chunk);
        b.bits.resize(st.block_align * 8, false);
        packets.push(
            b.bits
                .chunks(8)
                .map(|c| c.iter().fold(0u8, |a, &x| a << 1 | u8::from(x)))
                .collect(),
        );
    }
    packets
}

fn make_stream(st: &Stream, frames: usize, seed: u64) -> (Vec<Vec<u8>>, usize) {
    let mut rng = Rng(seed | 1);
    let mut ws = WriterState {
        icd: false,
        movave_shift: 0,
        ave_sum: vec![0; st.channels],
        started: false,
    };
    let mut written = Vec::new();
    let mut samples = 0;
    for i in 0..frames {
        let mut b = Bits::default();
        samples += write_frame(&mut b, &mut rng, st, &mut ws, i + 1 == frames);
        written.push(b);
    }
    (packetize(&written, st), samples)
}

fn check(st: &Stream, frames: usize, seed: u64) {
    let (packets, samples) = make_stream(st, frames, seed);
    let wfx = st.waveformatex();
    let d = decode_packets(&wfx, &packets);
    assert!(
        d.packets.iter().all(|p| p.is_ok()),
        "{st:?} seed {seed}: {:?}",
        d.packets
    );
    let a = d.planes;
    // A mono stream with length prefixes ends with one frame more than was written: at the
    // end of the stream the last packet's zero padding decodes as a frame (a one-channel
    // tile header needs no bits), whose length check then fails after its samples are out.
    // ffmpeg does the same.
    let extra = if st.len_prefix() && st.channels == 1 {
        st.frame_len()
    } else {
        0
    };
    assert_eq!(
        a[0].len(),
        samples + extra,
        "{st:?} seed {seed}: our length"
    );
    let Some(()) = require_ffmpeg() else {
        return;
    };
    let b = ffmpeg_packets(&wfx, &packets);
    let nonzero = b.iter().flatten().filter(|&&v| v != 0).count();
    println!(
        "{} ch {}-bit {} Hz flags {:#06x} seed {seed}: {} packets, {samples} samples/channel, \
         {nonzero} non-zero, bit-exact with ffmpeg",
        st.channels,
        st.bits,
        st.rate,
        st.flags,
        packets.len()
    );
    assert!(
        nonzero > samples / 2,
        "the stream decodes to (nearly) nothing"
    );
    for (ch, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            x.len(),
            y.len(),
            "{st:?} seed {seed} ch{ch}: length vs ffmpeg"
        );
        if let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) {
            panic!(
                "{st:?} seed {seed} ch{ch}: sample {i}: {} vs ffmpeg {}",
                x[i], y[i]
            );
        }
    }
}

#[test]
fn stereo_16_bit_all_tools() {
    for seed in 1..=4 {
        let st = Stream {
            channels: 2,
            bits: 16,
            rate: 44100,
            block_align: 5000,
            flags: 0x1A1,
        };
        check(&st, 12, seed);
    }
    // Some frames had tilings that differ between the channels.
    assert!(UNALIGNED_FRAMES.get() > 0);
}

#[test]
fn bit_depth_24() {
    for (seed, channels) in [(11, 1), (12, 2), (13, 3)] {
        let st = Stream {
            channels,
            bits: 24,
            rate: 96000,
            block_align: 6000,
            flags: 0x1A1,
        };
        check(&st, 8, seed);
    }
}

#[test]
fn mono_and_multichannel() {
    for (seed, channels) in [(21, 1), (22, 3), (23, 6), (24, 8)] {
        let st = Stream {
            channels,
            bits: 16,
            rate: 48000,
            block_align: 7000,
            flags: 0x121,
        };
        check(&st, 6, seed);
    }
}

/// Frames that start with their length (flag 0x40): decoded in the packet they start in.
#[test]
fn length_prefixed_frames() {
    for (seed, channels, rate) in [(41, 2, 16000), (42, 1, 22050), (43, 3, 8000)] {
        let st = Stream {
            channels,
            bits: 16,
            rate,
            block_align: 5000,
            flags: 0x1E1,
        };
        check(&st, 10, seed);
    }
}

#[test]
fn frame_lengths_tile_counts_and_old_update_rule() {
    // Rates and length modifiers give 128..16384-sample frames; 1 to 32 tiles per frame;
    // without the 0x100 flag the update-speed rescaling uses the older rule.
    for (seed, rate, flags) in [
        (31, 8000, 0x0006 | 0x28),
        (32, 16000, 0x0004),
        (33, 22050, 0x0002 | 0x10),
        (34, 192000, 0x0002 | 0x18 | 0x100),
        (35, 44100, 0x0020 | 0x80),
    ] {
        let st = Stream {
            channels: 2,
            bits: 16,
            rate,
            block_align: 4500,
            flags,
        };
        check(&st, 5, seed);
    }
}
