//! WMA Pro parity with FFmpeg on the Microsoft-encoded files CI can fetch (into
//! target/third-party by .ci/run; provenance in tests/data/SOURCES.md): equal length and
//! ≥ 90 dB SNR per channel (we reach far more; the remaining difference is the IMDCT's
//! rounding).

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;
mod pro_support;

use common::*;
use pro_support::{assert_pro_parity, decode_pro};

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
        assert_pro_parity("wma92-48k-pro", &d.planes, &reference, 120.0);
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
