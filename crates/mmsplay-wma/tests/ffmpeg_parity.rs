//! Parity with FFmpeg's wmav1/wmav2 decoder on ffmpeg-encoded fixtures (tests/data, made by
//! tests/data/make_fixtures.sh; see SOURCES.md). The reference PCM is computed at test time.

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn check(name: &str) {
    if require_ffmpeg().is_none() {
        return;
    }
    let path = data_path(name);
    let ours = decode_file(&path);
    assert!(
        ours.superframes.iter().all(|s| s.is_ok()),
        "{name}: {:?}",
        ours.superframes
    );
    let reference = ffmpeg_reference(&path, ours.planes.len());
    assert_parity(name, &ours, &reference);
}

macro_rules! parity {
    ($($test:ident => $file:literal,)*) => {
        $(#[test] fn $test() { check($file); })*
    };
}

parity! {
    v2_8k_mono_24k_tone => "wmav2_8000_1ch_24k_tone.wma",
    v2_8k_stereo_32k_music => "wmav2_8000_2ch_32k_music.wma",
    v2_11k_mono_24k_noise => "wmav2_11025_1ch_24k_noise.wma",
    v2_11k_stereo_48k_music => "wmav2_11025_2ch_48k_music.wma",
    v2_16k_mono_24k_music => "wmav2_16000_1ch_24k_music.wma",
    v2_16k_stereo_64k_noise => "wmav2_16000_2ch_64k_noise.wma",
    v2_22k_mono_24k_noise => "wmav2_22050_1ch_24k_noise.wma",
    v2_22k_stereo_32k_music => "wmav2_22050_2ch_32k_music.wma",
    v2_32k_stereo_28800_music => "wmav2_32000_2ch_28800_music.wma",
    v2_32k_mono_64k_tone => "wmav2_32000_1ch_64k_tone.wma",
    v2_44k_mono_24k_music => "wmav2_44100_1ch_24k_music.wma",
    v2_44k_stereo_56k_noise => "wmav2_44100_2ch_56k_noise.wma",
    v2_44k_stereo_128k_music => "wmav2_44100_2ch_128k_music.wma",
    v2_48k_stereo_64k_music => "wmav2_48000_2ch_64k_music.wma",
    v2_48k_mono_160k_noise => "wmav2_48000_1ch_160k_noise.wma",
    v1_8k_mono_24k_music => "wmav1_8000_1ch_24k_music.wma",
    v1_11k_mono_24k_tone => "wmav1_11025_1ch_24k_tone.wma",
    v1_16k_stereo_48k_music => "wmav1_16000_2ch_48k_music.wma",
    v1_22k_stereo_64k_noise => "wmav1_22050_2ch_64k_noise.wma",
    v1_32k_stereo_48k_music => "wmav1_32000_2ch_48k_music.wma",
    v1_44k_mono_24k_noise => "wmav1_44100_1ch_24k_noise.wma",
    v1_44k_stereo_128k_music => "wmav1_44100_2ch_128k_music.wma",
    v1_48k_stereo_96k_tone => "wmav1_48000_2ch_96k_tone.wma",
}

/// What `ffmpeg -i` plays is our raw output without its first `codec_delay()` samples, and
/// ends with the `flush()` frame.
#[test]
fn default_output_is_raw_minus_codec_delay() {
    if require_ffmpeg().is_none() {
        return;
    }
    let path = data_path("wmav2_22050_2ch_32k_music.wma");
    let ours = decode_file(&path);
    let delay = 2 * ours.frame_len;
    let trimmed: Vec<Vec<f32>> = ours.planes.iter().map(|p| p[delay..].to_vec()).collect();
    let heard = ffmpeg_pcm(&path, 0, 2, false);
    assert_eq!(trimmed[0].len(), heard[0].len());
    for (ch, (snr, max)) in compare(&trimmed, &heard).into_iter().enumerate() {
        assert!(snr >= 90.0, "ch{ch}: SNR {snr:.1} dB, max {max:.3e}");
    }
}
