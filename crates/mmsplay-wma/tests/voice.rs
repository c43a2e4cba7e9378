//! WMA 9 Voice parity with FFmpeg 5.1.9 on Microsoft-encoded files (fetched by .ci/run into
//! target/third-party; provenance in tests/data/SOURCES.md).

// Tests may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

/// 22.05 kHz mono 20 kb/s from Audio::Scan's tests: 16 residual-coded LSPs, the postfilter on
/// (denoise strength 1, no tilt correction, no DC filter), frame types 8 and 13.
#[test]
fn wma92_voice_matches_ffmpeg() {
    let Some(path) = ms_file("wma92-voice.wma") else {
        return;
    };
    let (planes, packets) = decode_packets(&path, 0);
    assert!(packets.iter().all(|p| p.is_ok()), "{packets:?}");
    // 47 superframes: 13 + 13 + 13 + 7 from the packets, the last one at end of stream.
    assert_eq!(planes[0].len(), 47 * 480);
    if require_ffmpeg().is_none() {
        return;
    }
    let reference = ffmpeg_reference(&path, 1);
    assert_eq!(planes[0].len(), reference[0].len(), "length");
    let (snr, max) = compare(&planes, &reference)[0];
    // Per superframe, to show where any divergence starts.
    let mut worst = f64::INFINITY;
    for (i, (a, b)) in planes[0]
        .chunks(480)
        .zip(reference[0].chunks(480))
        .enumerate()
    {
        let (s, m) = compare(&[a.to_vec()], &[b.to_vec()])[0];
        if s < 90.0 {
            println!("superframe {i}: SNR {s:.1} dB, max {m:.2e}");
        }
        worst = worst.min(s);
    }
    println!(
        "wma92-voice.wma: SNR {snr:.1} dB (worst superframe {worst:.1} dB), max |diff| {max:.3e}"
    );
    // The decoder repeats the reference's f32 operations (and glibc's libm), so this is
    // bit-exact in practice; 90 dB leaves room for another libm's last-bit differences.
    assert!(snr >= 90.0, "SNR {snr:.1} dB");
}

/// The same real speech through the other postfilter settings, by editing the extradata
/// flags in a copy of the file (ffmpeg honours the edit the same way): postfilter off,
/// the DC filter, tilt correction, other denoise strengths.
#[test]
fn wma92_voice_with_other_postfilter_settings_matches_ffmpeg() {
    let Some(path) = ms_file("wma92-voice.wma") else {
        return;
    };
    if require_ffmpeg().is_none() {
        return;
    }
    let file = std::fs::read(&path).unwrap();
    // The extradata's flags word, little-endian; it occurs once in the file.
    let flags = 0x0F99_F205u32;
    let at = file
        .windows(4)
        .position(|w| w == flags.to_le_bytes())
        .expect("flags word");
    let dir = tempfile::tempdir().unwrap();
    for (name, new) in [
        ("postfilter off", flags & !1),
        ("DC filter", (flags & !(0xF << 7)) | (12 << 7)),
        ("tilt correction", flags | 0x40),
        ("strength 0", flags & !(0xF << 2)),
        ("strength 11", (flags & !(0xF << 2)) | (11 << 2)),
    ] {
        let mut edited = file.clone();
        edited[at..at + 4].copy_from_slice(&new.to_le_bytes());
        let p = dir.path().join("edited.wma");
        std::fs::write(&p, &edited).unwrap();
        let (planes, packets) = decode_packets(&p, 0);
        assert!(packets.iter().all(|r| r.is_ok()), "{name}: {packets:?}");
        let reference = ffmpeg_reference(&p, 1);
        assert_eq!(planes[0].len(), reference[0].len(), "{name}: length");
        let (snr, max) = compare(&planes, &reference)[0];
        println!("{name} (flags {new:#010x}): SNR {snr:.1} dB, max |diff| {max:.3e}");
        assert!(snr >= 90.0, "{name}: SNR {snr:.1} dB");
    }
}
