//! Parity with FFmpeg on synthetic streams, for what the one real file does not reach: every
//! frame type (silence, hard-coded, AW pulses, both pitch codebooks, all pulse layouts), 10
//! LSPs, independently coded LSPs, 8/11.025/16 kHz, the postfilter off and on with other
//! strengths, tilt correction and the DC filter, `n_out` < 480 and the statistics trailer.
//!
//! Almost every field value is legal, so a superframe is a speech flag, an optional sample
//! count, then random bits; our decoder tells how many of them the superframe used (a wrong
//! field width in our decoder would desynchronise FFmpeg, so this stays a real test). The
//! superframes are packed into packets with the spill-over layout, wrapped in a WAV file
//! (format tag 0x000A) and decoded by both decoders.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use super::VoiceEngine;
use super::decoder::VoiceDecoder;
use super::params::{Params, tests::wfx};
use crate::bitreader::BitReader;
use crate::engine::Engine;
use crate::extradata::WaveFormatEx;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    fn put(&mut self, v: u32, n: u32) {
        for i in (0..n).rev() {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if (v >> i) & 1 != 0 {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }

    fn put_bits_of(&mut self, src: &[u8], from: usize, n: usize) {
        let mut br = BitReader::new(src);
        br.seek(from);
        for _ in 0..n {
            self.put(br.read(1), 1);
        }
    }
}

/// A stream of `count` random superframes packed into `block_align`-byte packets.
fn random_stream(
    w: &WaveFormatEx,
    resid: bool,
    count: usize,
    seed: u64,
) -> (Vec<Vec<u8>>, [u32; 17]) {
    let p = Params::new(w).unwrap();
    let mut rng = Rng(seed);
    let mut dec = VoiceDecoder::new(p.clone());
    let header = 4 + 1 + 6 + p.spill_bits as usize;
    let cap = p.block_align * 8 - header;
    // The superframes as one continuous bit string, and where each starts.
    let mut stream = BitWriter::default();
    let mut starts = Vec::new();
    let mut out = Vec::new();
    while starts.len() < count {
        let mut sf = BitWriter::default();
        sf.put(1, 1);
        if rng.next().is_multiple_of(8) {
            sf.put(1, 1);
            sf.put(rng.next() % 481, 12);
        } else {
            sf.put(0, 1);
        }
        for _ in 0..cap / 16 + 1 {
            sf.put(rng.next() & 0xFFFF, 16);
        }
        let mut trial = dec.clone();
        let mut br = BitReader::with_bit_len(&sf.bytes, sf.len);
        out.clear();
        if trial.superframe(&mut br, resid, &mut out).is_err() || br.pos() >= cap {
            continue; // an unused frame-type code, or too long for a packet: draw again
        }
        dec = trial;
        starts.push(stream.len);
        stream.put_bits_of(&sf.bytes, 0, br.pos());
    }
    let mut packets = Vec::new();
    let mut k = 0;
    let mut at = 0;
    while at < stream.len {
        let end = at + cap;
        let first = starts[k..].iter().position(|&s| s >= at).map(|i| k + i);
        let n_start = starts[k..].iter().filter(|&&s| s >= at && s < end).count();
        // Only the last packet may hold nothing but the end of the last superframe.
        assert!(n_start < 63 && (n_start > 0 || end >= stream.len));
        let spill = first.map_or(stream.len, |i| starts[i]) - at;
        let mut pk = BitWriter::default();
        pk.put(packets.len() as u32 & 15, 4);
        pk.put(u32::from(resid), 1);
        pk.put(n_start as u32, 6);
        pk.put(spill as u32, p.spill_bits);
        let n = cap.min(stream.len - at);
        pk.put_bits_of(&stream.bytes, at, n);
        pk.bytes.resize(p.block_align, 0);
        packets.push(pk.bytes);
        k += n_start;
        at = end;
    }
    (packets, dec.type_counts)
}

fn wav(w: &WaveFormatEx, packets: &[Vec<u8>]) -> Vec<u8> {
    let data: Vec<u8> = packets.concat();
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&w.format_tag.to_le_bytes());
    fmt.extend_from_slice(&w.channels.to_le_bytes());
    fmt.extend_from_slice(&w.sample_rate.to_le_bytes());
    fmt.extend_from_slice(&w.avg_bytes_per_sec.to_le_bytes());
    fmt.extend_from_slice(&w.block_align.to_le_bytes());
    fmt.extend_from_slice(&16u16.to_le_bytes());
    fmt.extend_from_slice(&(w.extra.len() as u16).to_le_bytes());
    fmt.extend_from_slice(&w.extra);
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&((4 + 8 + fmt.len() + 8 + data.len()) as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    v.extend_from_slice(&fmt);
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

/// FFmpeg's decoding of a WAV file; `None` (test skipped) without ffmpeg, except under CI.
fn ffmpeg_decode(bytes: &[u8], name: &str) -> Option<Vec<f32>> {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ffmpeg is required under CI=true"
        );
        eprintln!("skipped: ffmpeg not found");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("mmsplay-wmavoice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-cpuflags", "0", "-i"])
        .arg(&path)
        .args(["-f", "f32le", "-c:a", "pcm_f32le", "-"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        out.stdout
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

fn snr(ours: &[f32], reference: &[f32]) -> f64 {
    let (mut sig, mut err) = (0f64, 0f64);
    for (&a, &b) in ours.iter().zip(reference) {
        sig += f64::from(b) * f64::from(b);
        err += (f64::from(a) - f64::from(b)).powi(2);
    }
    if err == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (sig / err).log10()
    }
}

/// Frame-type groups that put types `3i..3i+3` (mod 17) on the three 2-bit codes, the next
/// three on the 4-bit codes, and so on, so each case favours other types.
fn rotated_groups(i: usize) -> [u8; 17] {
    let mut g = [0u8; 17];
    for k in 0..17 {
        g[(3 * i + k) % 17] = (k / 3) as u8;
    }
    g
}

#[test]
fn synthetic_streams_match_ffmpeg() {
    // rate, flags (bit 0 postfilter, 2-5 strength, 6 tilt, 7-10 DC level, 12 16 LSPs, 13 q mode,
    // 14 def mode), residual LSPs.
    let cases: [(u32, u32, bool); 8] = [
        (8000, 0, false),
        (11025, 1 | 0x40 | (9 << 7) | 0x1000, true),
        (16000, 1 | (11 << 2) | 0x40, true),
        (
            22050,
            1 | (5 << 2) | (12 << 7) | 0x1000 | 0x2000 | 0x4000,
            false,
        ),
        (8000, 1 | (3 << 2) | 0x4000, true),
        (16000, 0x1000 | 0x2000, true),
        (11025, 1 | (11 << 2) | (15 << 7), false),
        (22050, 1 | (7 << 2) | 0x40 | 0x1000, true),
    ];
    let mut counts = [0u32; 17];
    for (i, &(rate, flags, resid)) in cases.iter().enumerate() {
        let w = wfx(rate, 256, flags, &rotated_groups(i));
        let (packets, c) = random_stream(&w, resid, 60, 0x5EED + i as u64);
        for (a, b) in counts.iter_mut().zip(c) {
            *a += b;
        }
        let mut engine = VoiceEngine::new(&w).unwrap();
        let mut planes = vec![Vec::new()];
        for pk in &packets {
            engine.decode(pk, &mut planes).unwrap();
        }
        engine.flush(&mut planes);
        let Some(reference) = ffmpeg_decode(&wav(&w, &packets), &format!("case{i}.wav")) else {
            return;
        };
        let s = snr(&planes[0], &reference);
        println!(
            "case {i}: {rate} Hz flags {flags:#06x} resid {resid}: {} vs {} samples, SNR {s:.1} dB",
            planes[0].len(),
            reference.len()
        );
        assert_eq!(planes[0].len(), reference.len(), "case {i}: length");
        // Bit-exact in practice (same f32 operations, glibc's libm); 120 dB leaves room for
        // another libm's last-bit differences.
        assert!(s >= 120.0, "case {i}: SNR {s:.1} dB");
    }
    println!("frames per type: {counts:?}");
    assert!(
        counts.iter().all(|&c| c >= 5),
        "frame types not all covered: {counts:?}"
    );
}

/// Damage never panics: every packet of a valid stream overwritten in turn, random packets,
/// truncated and oversized packets, resets in the middle. Damaged packets are errors; the
/// packets after them decode again.
#[test]
fn damaged_packets_are_errors_and_decoding_goes_on() {
    let w = wfx(
        16000,
        256,
        1 | (4 << 2) | 0x40 | (10 << 7),
        &rotated_groups(1),
    );
    let (packets, _) = random_stream(&w, true, 40, 99);
    let mut rng = Rng(7);
    for victim in 0..packets.len() {
        let mut engine = VoiceEngine::new(&w).unwrap();
        let mut planes = vec![Vec::new()];
        let mut ok_after = 0;
        for (k, pk) in packets.iter().enumerate() {
            let mut pk = pk.clone();
            if k == victim {
                for b in &mut pk {
                    *b = rng.next() as u8;
                }
            }
            let before = planes[0].len();
            match engine.decode(&pk, &mut planes) {
                Ok(()) => {
                    if k > victim + 1 {
                        ok_after += 1;
                    }
                }
                // Nothing is appended for a failed packet.
                Err(_) => assert_eq!(planes[0].len(), before),
            }
            if k == victim + 3 {
                engine.reset();
            }
        }
        engine.flush(&mut planes);
        if victim + 3 < packets.len() {
            assert!(ok_after > 0, "no recovery after packet {victim}");
        }
    }
    // Sizes that are not whole blocks are refused without touching the state.
    let mut engine = VoiceEngine::new(&w).unwrap();
    let mut planes = vec![Vec::new()];
    assert!(engine.decode(&packets[0][..100], &mut planes).is_err());
    assert!(engine.decode(&[], &mut planes).is_ok());
    // Two blocks in one packet decode like two packets.
    let two = [packets[0].clone(), packets[1].clone()].concat();
    engine.decode(&two, &mut planes).unwrap();
    let mut one_by_one = VoiceEngine::new(&w).unwrap();
    let mut planes2 = vec![Vec::new()];
    one_by_one.decode(&packets[0], &mut planes2).unwrap();
    one_by_one.decode(&packets[1], &mut planes2).unwrap();
    assert_eq!(planes, planes2);
}

/// Headers: a superframe count continues in 6-bit pieces while they read 63; a header that
/// runs out of bits is an error.
#[test]
fn packet_header_count_and_truncation() {
    let w = wfx(8000, 16, 0, &rotated_groups(0));
    let mut engine = VoiceEngine::new(&w).unwrap();
    let mut planes = vec![Vec::new()];
    // seq 0, resid 0, then 63, 63, ... to the end: the count never ends.
    let mut pk = BitWriter::default();
    pk.put(0, 5);
    while pk.len + 6 <= 16 * 8 {
        pk.put(63, 6);
    }
    pk.bytes.resize(16, 0xFF);
    assert!(engine.decode(&pk.bytes, &mut planes).is_err());
    // Count 0 and no spill: nothing to decode, not an error.
    let zero = vec![0u8; 16];
    assert!(engine.decode(&zero, &mut planes).is_ok());
    assert!(planes[0].is_empty());
}

/// Random bytes as packets, for every rate and LSP layout, never panic and never give more
/// samples than declared.
#[test]
fn random_packets_never_panic() {
    let mut rng = Rng(0xDEAD_BEEF);
    for (i, &(rate, flags)) in [
        (8000u32, 0x0001u32 | (11 << 2) | 0x40 | (15 << 7)),
        (11025, 0x1000),
        (16000, 0x1001 | 0x2000),
        (22050, 0x0F99F205),
    ]
    .iter()
    .enumerate()
    {
        let w = wfx(rate, 64 + 50 * i as u16, flags, &rotated_groups(i));
        let mut engine = VoiceEngine::new(&w).unwrap();
        let max = engine.max_frames_per_packet();
        for _ in 0..300 {
            let pk: Vec<u8> = (0..w.block_align).map(|_| rng.next() as u8).collect();
            let mut planes = vec![Vec::new()];
            let _ = engine.decode(&pk, &mut planes);
            assert!(planes[0].len() <= max);
        }
    }
}
