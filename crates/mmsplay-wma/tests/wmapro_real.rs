//! WMA Pro parity with FFmpeg on the Microsoft-encoded files CI can fetch (into
//! target/third-party by .ci/run; provenance in tests/data/SOURCES.md): equal length and
//! ≥ 90 dB SNR per channel (we reach far more; the remaining difference is the IMDCT's
//! rounding).

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use mmsplay_wma::{ProStats, WmaDecoder, codec_params_from_waveformatex};
use symphonia_core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::Packet;
use symphonia_core::units::{Duration, Timestamp};

/// Our decoding of every media object (one decode call each, as FFmpeg's ASF demuxer feeds
/// its decoder), the per-object results and the decoder's counters.
struct ProDecoded {
    planes: Vec<Vec<f32>>,
    results: Vec<Result<usize, String>>,
    stats: ProStats,
}

fn decode_pro(path: &Path) -> ProDecoded {
    let file = std::fs::read(path).unwrap();
    let asf = demux(&file, 0);
    let params = codec_params_from_waveformatex(&asf.wfx).unwrap();
    let mut opts = AudioDecoderOptions::default();
    opts.gapless = false;
    let mut dec = WmaDecoder::try_new(&params, &opts).unwrap();
    let channels = dec.codec_params().channels.as_ref().unwrap().count();
    let mut planes = vec![Vec::new(); channels];
    let mut results = Vec::new();
    for obj in &asf.objects {
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
        stats: dec.pro_stats().unwrap().clone(),
    }
}

/// Equal length and per channel ≥ 90 dB (or exact silence); returns the worst SNR.
fn assert_pro_parity(name: &str, ours: &[Vec<f32>], reference: &[Vec<f32>]) -> f64 {
    assert_eq!(ours.len(), reference.len(), "{name}: channel count");
    let mut worst = f64::INFINITY;
    for (ch, (snr, max)) in compare(ours, reference).into_iter().enumerate() {
        println!(
            "{name} ch{ch}: SNR {snr:.1} dB, max |diff| {max:.3e}, {} vs {} samples",
            ours[ch].len(),
            reference[ch].len()
        );
        assert_eq!(ours[ch].len(), reference[ch].len(), "{name} ch{ch}: length");
        assert!(snr >= 90.0, "{name} ch{ch}: SNR {snr:.1} dB, max {max:.3e}");
        worst = worst.min(snr);
    }
    worst
}

/// 44.1 kHz stereo 16-bit, WMA 10 Pro low-bit-rate mode (its extension data is skipped):
/// M/S, subframes from 128 to 2048, scale-factor resampling, frames across packets.
#[test]
fn wma92_48k_pro() {
    let Some(path) = ms_file("wma92-48k-pro.wma") else {
        return;
    };
    let d = decode_pro(&path);
    assert!(d.results.iter().all(Result::is_ok), "{:?}", d.results);
    println!("{:?}", d.stats);
    // 23 frames decoded, the first dropped, 21 whole frames and one of 2048 − 593.
    assert_eq!(d.stats.frames, 23);
    assert_eq!(d.planes[0].len(), 44463);
    assert!(d.stats.extended_headers > 0);
    if require_ffmpeg().is_some() {
        let reference = ffmpeg_pcm(&path, 0, 2, false);
        assert_pro_parity("wma92-48k-pro", &d.planes, &reference);
    }
}

/// 44.1 kHz stereo 24-bit with DRC fields: digital silence, 81 frames.
#[test]
fn silence_2_24bit_drc() {
    let Some(path) = ms_file("silence-2.wma") else {
        return;
    };
    let d = decode_pro(&path);
    assert!(d.results.iter().all(Result::is_ok), "{:?}", d.results);
    assert_eq!(d.stats.frames, 81);
    assert_eq!(d.planes[0].len(), 162496);
    assert!(d.planes.iter().flatten().all(|&s| s == 0.0));
    if require_ffmpeg().is_some() {
        let reference = ffmpeg_pcm(&path, 0, 2, false);
        assert_eq!(reference[0].len(), d.planes[0].len());
        assert_eq!(reference, d.planes);
    }
}
