//! WMA Lossless: bit-exact parity with FFmpeg's integer output on every Microsoft-encoded
//! file the CI can fetch (see tests/data/SOURCES.md), plus behaviour on damaged and truncated
//! input.
//!
//! Our output is planar f32 scaled by 2^-(bits-1); every value must convert back to exactly
//! the integer FFmpeg writes with `-c:a pcm_s16le` (`pcm_s24le` for 24-bit streams).

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::lossless::*;
// The lossless helper, not the generic one of `common` (both are globbed in).
use common::lossless::decode_packets;
use common::*;
use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

fn raw() -> AudioDecoderOptions {
    let mut o = AudioDecoderOptions::default();
    o.gapless = false;
    o
}

/// Audio::Scan's `bug17355-picture-offset.wma` ends inside its only ASF data packet, which
/// our ASF reader (whole packets only) skips. FFmpeg hands the decoder what is there of that
/// packet's single payload: bytes 94583..97440 of the file (2857 of 13375).
const BUG17355_PAYLOAD: std::ops::Range<usize> = 94583..97440;

fn decode_lossless(path: &Path) -> Lossless {
    let file = std::fs::read(path).unwrap();
    let mut asf = demux(&file, 0);
    if asf.objects.is_empty() && path.ends_with("bug17355-picture-offset.wma") {
        assert_eq!(
            file.len(),
            BUG17355_PAYLOAD.end,
            "not the known bug17355 file"
        );
        asf.objects.push(file[BUG17355_PAYLOAD].to_vec());
    }
    assert_eq!(u16::from_le_bytes([asf.wfx[0], asf.wfx[1]]), 0x0163);
    decode_packets(&asf.wfx, &asf.objects)
}

/// Decodes a fetched Microsoft file, checks its length, and requires every sample to equal
/// FFmpeg's (when ffmpeg is there).
fn check_file(name: &str, samples: usize) -> Option<Lossless> {
    let path = ms_file(name)?;
    let ours = decode_lossless(&path);
    for (ch, p) in ours.planes.iter().enumerate() {
        assert_eq!(p.len(), samples, "{name} ch{ch}: sample count");
    }
    if require_ffmpeg().is_some() {
        let reference = ffmpeg_ints(&path, ours.planes.len(), ours.bits);
        for (ch, (a, b)) in ours.planes.iter().zip(&reference).enumerate() {
            assert_eq!(a.len(), b.len(), "{name} ch{ch}: length vs ffmpeg");
            if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
                panic!(
                    "{name} ch{ch}: first difference at sample {i}: {} vs ffmpeg {}",
                    a[i], b[i]
                );
            }
        }
        println!("{name}: {samples} samples/channel, bit-exact with ffmpeg");
    }
    Some(ours)
}

/// Audio::Scan's music sample: MCLMS, CDLMS cascades, stereo decorrelation, AC filter;
/// 6 packets, the last frame shortened by its end-skip field.
#[test]
fn wma92_lossless_bit_exact() {
    let Some(d) = check_file("wma92-lossless.wma", 44975) else {
        return;
    };
    assert!(d.packets.iter().all(|p| p.is_ok()), "{:?}", d.packets);
}

/// Audio::Scan's truncated file: one short packet whose last frames read past the data.
#[test]
fn bug17355_truncated_packet_bit_exact() {
    check_file("bug17355-picture-offset.wma", 18432);
}

/// taglib's 440 Hz sine from WMFSDK 12: the second channel is never coded.
#[test]
fn taglib_lossless_bit_exact() {
    let Some(d) = check_file("lossless.wma", 156556) else {
        return;
    };
    assert!(d.packets.iter().all(|p| p.is_ok()), "{:?}", d.packets);
}

/// mutagen's digital silence: both channels uncoded.
#[test]
fn mutagen_silence_bit_exact() {
    let Some(d) = check_file("silence-3.wma", 162496) else {
        return;
    };
    assert!(d.planes.iter().flatten().all(|&v| v == 0));
}

/// A lost packet (a sequence gap): the frames crossing it are dropped, later frames decode
/// with whatever filter state there is until the next seekable tile, exactly as in ffmpeg,
/// and no packet fails.
#[test]
fn lost_packet_resynchronises_like_ffmpeg() {
    for name in ["wma92-lossless.wma", "lossless.wma"] {
        let Some(path) = ms_file(name) else {
            return;
        };
        let file = std::fs::read(&path).unwrap();
        let asf = demux(&file, 0);
        let full = decode_packets(&asf.wfx, &asf.objects);
        let mut objects = asf.objects.clone();
        objects.remove(2);
        let ours = decode_packets(&asf.wfx, &objects);
        assert!(
            ours.packets.iter().all(|p| p.is_ok()),
            "{name}: {:?}",
            ours.packets
        );
        assert!(ours.planes[0].len() < full.planes[0].len());
        // After the gap and the next seekable tile, the output is the undamaged one again.
        let n = 4096;
        let tail = |p: &Vec<i32>| p[p.len() - n..].to_vec();
        assert_eq!(tail(&ours.planes[0]), tail(&full.planes[0]), "{name}");
        if require_ffmpeg().is_none() {
            return;
        }
        let reference = ffmpeg_packets(&asf.wfx, &objects);
        assert!(
            ours.planes == reference,
            "{name}: differs from ffmpeg after a lost packet"
        );
    }
}

/// After a seek (`reset`), packets fail until a frame with a seekable tile starts a packet's
/// frames; from there on the output equals the undamaged decode.
#[test]
fn reset_waits_for_a_seekable_tile() {
    let Some(path) = ms_file("wma92-lossless.wma") else {
        return;
    };
    let file = std::fs::read(&path).unwrap();
    let asf = demux(&file, 0);
    let full = decode_packets(&asf.wfx, &asf.objects);
    let params = codec_params_from_waveformatex(&asf.wfx).unwrap();
    let mut dec = WmaDecoder::try_new(&params, &raw()).unwrap();
    let mut planes = vec![Vec::new(); 2];
    for (k, obj) in asf.objects.iter().enumerate() {
        if k == 2 {
            dec.reset();
            planes.iter_mut().for_each(Vec::clear);
        }
        let pkt = Packet::new(0, Timestamp::new(0), Duration::new(0), obj.clone());
        if let Ok(buf) = dec.decode(&pkt) {
            append_planes(&buf, &mut planes);
        }
    }
    append_planes(&dec.flush(), &mut planes);
    let ours = to_int(&planes, 16);
    let n = ours[0].len();
    assert!(n > 2048, "nothing decoded after the reset");
    assert_eq!(ours[0][..], full.planes[0][full.planes[0].len() - n..]);
    assert_eq!(ours[1][..], full.planes[1][full.planes[1].len() - n..]);
}

/// Damaged packets (bits flipped, payloads cut short, garbage) are decode errors for those
/// packets only, and nothing panics. The entropy coder's state runs from tile to tile, so a
/// stream resynchronises only at a seekable tile: here the undamaged file follows the damaged
/// one, and must then decode exactly.
#[test]
fn damage_is_a_per_packet_error() {
    let Some(path) = ms_file("wma92-lossless.wma") else {
        return;
    };
    let file = std::fs::read(&path).unwrap();
    let asf = demux(&file, 0);
    let full = decode_packets(&asf.wfx, &asf.objects);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..8 {
        let mut objects = asf.objects.clone();
        let k = 1 + round % 3;
        match round % 4 {
            0 => {
                for _ in 0..8 {
                    let at = (rand() as usize) % objects[k].len();
                    objects[k][at] ^= 1 << (rand() % 8);
                }
            }
            1 => {
                let keep = (rand() as usize) % objects[k].len();
                objects[k].truncate(keep);
            }
            2 => objects[k].iter_mut().for_each(|b| *b = rand() as u8),
            _ => objects[k].iter_mut().skip(100).for_each(|b| *b = 0xFF),
        }
        let damaged = objects.len();
        objects.extend(asf.objects.iter().cloned());
        let d = decode_packets(&asf.wfx, &objects);
        assert!(
            d.packets[..k].iter().all(|p| p.is_ok()),
            "round {round}: {:?}",
            d.packets
        );
        assert!(
            d.packets[damaged..].iter().all(|p| p.is_ok()),
            "round {round}: {:?}",
            d.packets
        );
        for (ch, (a, b)) in d.planes.iter().zip(&full.planes).enumerate() {
            assert!(
                a.ends_with(b),
                "round {round} ch{ch}: the clean copy decodes differently"
            );
        }
    }
}

/// Random stream parameters and random packets: never a panic, and every decoded value an
/// exact sample of the stream's bit depth (the fuzz target does the same at length).
#[test]
fn random_streams_never_panic() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let rates = [8000u32, 16000, 22050, 44100, 48000, 96000, 192000];
    let mut with_output = 0;
    for _ in 0..300 {
        let channels = (rand() % 8 + 1) as u16;
        let bits: u16 = if rand() % 2 == 0 { 16 } else { 24 };
        let block_align = (rand() % 3000 + 1) as u16;
        let flags = rand() as u16;
        let mut w = Vec::new();
        w.extend_from_slice(&0x0163u16.to_le_bytes());
        w.extend_from_slice(&channels.to_le_bytes());
        w.extend_from_slice(&rates[(rand() % 7) as usize].to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&block_align.to_le_bytes());
        w.extend_from_slice(&bits.to_le_bytes());
        w.extend_from_slice(&18u16.to_le_bytes());
        let mut extra = [0u8; 18];
        extra[0..2].copy_from_slice(&bits.to_le_bytes());
        extra[14..16].copy_from_slice(&flags.to_le_bytes());
        w.extend_from_slice(&extra);
        if codec_params_from_waveformatex(&w)
            .and_then(|p| WmaDecoder::try_new(&p, &raw()))
            .is_err()
        {
            continue;
        }
        let packets: Vec<Vec<u8>> = (0..4)
            .map(|k| {
                let len = usize::from(block_align) + (rand() % 2) as usize * 7;
                let mut p: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
                // Consecutive sequence numbers and a seekable first tile often enough that
                // decoding gets past the packet and tile headers.
                p[0] = (k << 4) as u8 | (p[0] & 0x0F);
                p
            })
            .collect();
        // `decode_packets` checks that every value is an exact sample.
        let d = decode_packets(&w, &packets);
        assert_eq!(d.packets.len(), packets.len());
        with_output += usize::from(!d.planes[0].is_empty());
    }
    // Random bits do reach the reconstruction now and then.
    println!("{with_output} of 300 random streams decoded to samples");
    assert!(with_output > 0);
}
