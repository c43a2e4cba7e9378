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

/// The channel layout comes from the WAVEFORMATEXTENSIBLE mask in the extradata: positioned
/// when symphonia knows every speaker, else discrete; its speaker count is the channel count
/// (a mask of fewer speakers than nChannels decodes that many channels, as in FFmpeg).
#[test]
fn channel_layout_from_the_mask() {
    use mmsplay_wma::codec_params_from_waveformatex;
    use symphonia_core::audio::{Channels, Position};
    let layout = |channels: u16, mask: u32| {
        let spec = pro_support::StreamSpec::new((48000, channels, mask, 24, 0x58, 2000), 0, 0);
        codec_params_from_waveformatex(&spec.wfx_bytes())
            .unwrap()
            .channels
            .unwrap()
    };
    let surround = Position::FRONT_LEFT
        | Position::FRONT_RIGHT
        | Position::FRONT_CENTER
        | Position::LFE1
        | Position::REAR_LEFT
        | Position::REAR_RIGHT;
    assert_eq!(layout(6, 0x3F), Channels::Positioned(surround));
    assert_eq!(
        layout(8, 0x63F),
        Channels::Positioned(surround | Position::SIDE_LEFT | Position::SIDE_RIGHT)
    );
    assert_eq!(layout(8, 0x3F).count(), 6);
    assert_eq!(layout(1, 0x4), Channels::Positioned(Position::FRONT_CENTER));
    assert_eq!(layout(4, 0), Channels::Discrete(4));
    assert_eq!(layout(3, 0x4_0003), Channels::Discrete(3));
    // The decoder makes as many planes as the layout has channels.
    let spec = pro_support::StreamSpec::new((48000, 8, 0x3F, 16, 0x58, 6000), 3, 9);
    let g = pro_support::generate(&spec);
    let d = pro_support::decode_objects(&spec.wfx_bytes(), &g.packets);
    assert_eq!(d.planes.len(), 6);
    assert!(!d.planes[0].is_empty());
}
