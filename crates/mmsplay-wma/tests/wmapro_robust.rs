//! WMA Pro on damaged input: bit errors and lost packets in the real file give the same
//! output length as ffmpeg; random payloads never panic, hang or grow without bound; a short
//! packet is an error for that packet only.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;
mod pro_support;

use common::{demux, ffmpeg_pcm, ms_file, require_ffmpeg};
use pro_support::*;

/// Flips `n` random bits of the WMA packets (not their headers' sequence numbers, which
/// would just be a lost packet) of the real file, many times; output length and frame
/// layout must follow ffmpeg's.
#[test]
fn bit_errors_give_ffmpegs_output_length() {
    let Some(path) = ms_file("wma92-48k-pro.wma") else {
        return;
    };
    if require_ffmpeg().is_none() {
        return;
    }
    let file = std::fs::read(&path).unwrap();
    let asf = demux(&file, 0);
    let format = parse_wave_format(&asf.wfx);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(42);
    let mut same_samples = 0;
    let trials = 30;
    for trial in 0..trials {
        let mut objects = asf.objects.clone();
        for _ in 0..1 + rng.below(3) {
            let o = rng.below(objects.len() as u64) as usize;
            let byte = 1 + rng.below(objects[o].len() as u64 - 1) as usize;
            objects[o][byte] ^= 1 << rng.below(8);
        }
        let damaged = asf_with_format(format.clone(), &objects, 1000);
        let p = dir.path().join(format!("flip{trial}.wma"));
        std::fs::write(&p, &damaged).unwrap();
        let ours = decode_objects(&asf.wfx, &objects);
        let reference = ffmpeg_pcm(&p, 0, 2, false);
        assert_eq!(
            ours.planes[0].len(),
            reference[0].len(),
            "trial {trial}: {:?}",
            ours.results
        );
        if ours.planes == reference
            || common::compare(&ours.planes, &reference)
                .iter()
                .all(|&(snr, _)| snr > 120.0)
        {
            same_samples += 1;
        }
    }
    // Frames that read past their data may differ (ffmpeg reads stale bytes there).
    println!("{same_samples} of {trials} damaged decodings match ffmpeg's samples");
    assert!(same_samples * 2 > trials);
}

/// A WMA packet missing from the middle: the frames crossing into and out of it are lost,
/// decoding resumes with the next frame that starts in a packet, as in ffmpeg.
#[test]
fn lost_packet_resynchronises_like_ffmpeg() {
    let Some(path) = ms_file("wma92-48k-pro.wma") else {
        return;
    };
    let (wfx, packets) = wma_packets(&path);
    assert_eq!(packets.len(), 4);
    let full = decode_objects(&wfx, &packets);
    let mut kept = packets.clone();
    kept.remove(1);
    let ours = decode_objects(&wfx, &kept);
    assert!(ours.results.iter().all(Result::is_ok), "{:?}", ours.results);
    assert!(ours.planes[0].len() < full.planes[0].len());
    // The last packet's frames decode as before; after the gap the overlap is stale for one
    // frame, so compare the final 1455 + 2048 samples only.
    let tail = 1455 + 2048;
    let (a, b) = (&ours.planes[0], &full.planes[0]);
    assert_eq!(a[a.len() - tail..], b[b.len() - tail..]);
    if require_ffmpeg().is_some() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lost.wma");
        std::fs::write(&p, asf_with_format(parse_wave_format(&wfx), &kept, 1000)).unwrap();
        let reference = ffmpeg_pcm(&p, 0, 2, false);
        assert_pro_parity("lost packet", &ours.planes, &reference, 120.0);
    }
}

/// A packet shorter than the block size is an error for that packet; the next decodes.
#[test]
fn short_packet_is_an_error_and_decoding_goes_on() {
    let spec = StreamSpec::new((44100, 2, 3, 16, 0xE0, 1000), 24, 7);
    let g = generate(&spec);
    let mut objects = g.packets.clone();
    assert!(objects.len() > 5);
    let full = decode_objects(&spec.wfx_bytes(), &objects);
    objects[2].truncate(500);
    let d = decode_objects(&spec.wfx_bytes(), &objects);
    assert!(d.results[2].is_err());
    assert!(d.results[3..].iter().all(Result::is_ok));
    assert!(d.planes[0].len() < full.planes[0].len());
    let n = 2048;
    assert_eq!(
        d.planes[0][d.planes[0].len() - n..],
        full.planes[0][full.planes[0].len() - n..]
    );
}

/// Random bytes as packets of many stream layouts: no panic, bounded output.
#[test]
fn random_payloads_never_panic() {
    let layouts: &[StreamLayout] = &[
        (44100, 2, 3, 16, 0xE0, 2230),
        (48000, 6, 0x3F, 24, 0x58, 1500),
        (96000, 8, 0x63F, 24, 0x50, 4000),
        (22050, 1, 4, 16, 0x18, 300),
        (32000, 4, 0x33, 16, 0x6A, 700),
        (44100, 2, 0, 16, 0x40, 64),
    ];
    let mut rng = Rng::new(3);
    for &layout in layouts {
        let spec = StreamSpec::new(layout, 0, 0);
        let block_align = layout.5;
        let ba = usize::from(block_align);
        let mut objects = Vec::new();
        for k in 0..60u64 {
            let mut p: Vec<u8> = (0..ba).map(|_| rng.below(256) as u8).collect();
            // Mostly consecutive sequence numbers, so frames do get decoded.
            p[0] = (p[0] & 0x0F) | ((k as u8 & 15) << 4);
            objects.push(p);
        }
        let d = decode_objects(&spec.wfx_bytes(), &objects);
        let max = objects.len() * (1 << 20);
        assert!(d.planes[0].len() <= max);
        assert!(d.planes.iter().all(|p| p.len() == d.planes[0].len()));
    }
}

/// After a seek (`reset`), the frame crossing into the next packet is dropped and the first
/// frame that starts in it only primes the overlap (as FFmpeg's flush does); every later
/// sample is the same as in an uninterrupted decoding.
#[test]
fn reset_resumes_two_frames_later_with_identical_samples() {
    use mmsplay_wma::{WmaDecoder, codec_params_from_waveformatex};
    use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
    use symphonia_core::packet::Packet;
    use symphonia_core::units::{Duration, Timestamp};
    let Some(path) = ms_file("wma92-48k-pro.wma") else {
        return;
    };
    let (wfx, packets) = wma_packets(&path);
    let params = codec_params_from_waveformatex(&wfx).unwrap();
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let mut dec = WmaDecoder::try_new(&params, &opts).unwrap();
    let decode = |dec: &mut WmaDecoder, p: &[u8]| {
        let pkt = Packet::new(0, Timestamp::new(0), Duration::new(0), p.to_vec());
        let buf = dec.decode(&pkt).unwrap();
        let mut planes = vec![Vec::new(); 2];
        common::append_planes(&buf, &mut planes);
        planes.swap_remove(0)
    };
    let mut full_tail = Vec::new();
    for (k, p) in packets.iter().enumerate() {
        let out = decode(&mut dec, p);
        if k >= 2 {
            full_tail.extend(out);
        }
    }
    let mut dec = WmaDecoder::try_new(&params, &opts).unwrap();
    decode(&mut dec, &packets[0]);
    decode(&mut dec, &packets[1]);
    dec.reset();
    let mut after = decode(&mut dec, &packets[2]);
    after.extend(decode(&mut dec, &packets[3]));
    assert_eq!(after.len() + 2 * 2048, full_tail.len());
    assert_eq!(after[..], full_tail[2 * 2048..]);
}
