//! ASF/WMA files that no one here made: the test data of the mutagen tag library and of the
//! Audio::Scan Perl module (GPL-2.0, so not committed here; `.ci/run` fetches their source
//! releases into `target/third-party/`). Each either plays, or fails with one clear line naming
//! its codec.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;

fn third_party_dir() -> Option<PathBuf> {
    unpacked("mutagen-1.48.1/tests/data")
}

/// A directory `.ci/run` unpacks under `target/third-party/`; missing: fails under CI=true,
/// skipped with a reason otherwise.
fn unpacked(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/third-party")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing: .ci/run fetches it", dir.display());
    }
    eprintln!(
        "skipping: {} is missing (bash .ci/run fetches it)",
        dir.display()
    );
    None
}

#[test]
fn files_made_elsewhere_play_or_name_their_codec() {
    let Some(dir) = third_party_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wma") {
            continue;
        }
        seen += 1;
        let probe = run_with_deadline(
            std::process::Command::new("ffprobe")
                .args([
                    "-v",
                    "error",
                    "-select_streams",
                    "a:0",
                    "-show_entries",
                    "stream=codec_name,channel_layout",
                    "-of",
                    "csv=p=0",
                ])
                .arg(&path),
            Duration::from_secs(20),
        );
        let probed = String::from_utf8_lossy(&probe.stdout).trim().to_string();
        let (codec, layout) = probed.split_once(',').unwrap_or((&probed, ""));
        let codec = codec.to_string();
        let out = run_with_deadline(
            mmsplay()
                .args(["--headless", "--events", "json", "--output", "null"])
                .arg(&path),
            Duration::from_secs(30),
        );
        let ev = events(&out.stdout);
        let stream = ev
            .iter()
            .find(|e| e["event"] == "stream")
            .unwrap_or_else(|| {
                panic!(
                    "{}: no stream event: {}",
                    path.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        assert_eq!(stream["codec"], codec.as_str(), "{}", path.display());
        // The header's description of the audio, as ffmpeg reads it where it says.
        if layout != "unknown" && !layout.is_empty() {
            assert_eq!(stream["channel_layout"], layout, "{}", path.display());
        }
        assert_eq!(
            stream["lossless"].as_bool().unwrap_or(false),
            codec == "wmalossless",
            "{}",
            path.display()
        );
        if matches!(codec.as_str(), "wmapro" | "wmalossless") {
            // The output depth these declare (silence-2.wma is 24-bit WMA Pro).
            let bits = stream["bits_per_sample"].as_u64();
            assert!(
                matches!(bits, Some(16 | 24)),
                "{}: {bits:?}",
                path.display()
            );
        }
        if matches!(codec.as_str(), "wmav1" | "wmav2" | "wmapro") {
            // Microsoft-encoded WMA: it plays, and sounds as ffmpeg decodes it.
            let (ours, ev) = play_to_wav(path.to_str().unwrap(), &[]);
            assert_eq!(ev.last().unwrap()["event"], "end");
            let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
            assert_eq!(ours.frames(), reference.frames(), "{}", path.display());
            let snr = snr_db(&reference.samples, &ours.samples);
            println!("{}: {snr:.1} dB", path.display());
            assert!(snr > 90.0, "{}: {snr:.1} dB", path.display());
        } else if codec == "wmalossless" {
            // Microsoft-encoded WMA Lossless: every sample as ffmpeg decodes it.
            let (ours, ev) = play_to_wav(path.to_str().unwrap(), &[]);
            assert_eq!(ev.last().unwrap()["event"], "end");
            let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
            assert_eq!(ours.frames(), reference.frames(), "{}", path.display());
            assert!(
                ours.samples == reference.samples,
                "{}: samples differ from ffmpeg's",
                path.display()
            );
        } else {
            assert_eq!(out.status.code(), Some(1), "{}", path.display());
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("");
            assert!(
                last.starts_with("mmsplay: unsupported codec: WMA"),
                "{}: {last}",
                path.display()
            );
        }
    }
    assert!(
        seen >= 4,
        "expected the four mutagen WMA files, found {seen}"
    );
}

/// A Microsoft-encoded WMA Pro file (Audio::Scan's test data, GPL-2.0, fetched by `.ci/run`)
/// plays headless to a WAV file exactly as long as ffmpeg's decoding and sounds the same.
#[test]
fn wma_pro_plays_like_ffmpeg() {
    let Some(dir) = unpacked("Audio-Scan-1.01/t/asf") else {
        return;
    };
    let path = dir.join("wma92-48k-pro.wma");
    let (ours, ev) = play_to_wav(path.to_str().unwrap(), &[]);
    let stream = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["codec"], "wmapro");
    assert_eq!(ev.last().unwrap()["event"], "end");
    assert_eq!((ours.rate, ours.channels), (44100, 2));
    let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
    assert_eq!(ours.frames(), reference.frames());
    assert_eq!(ours.frames(), 44463);
    let snr = snr_db(&reference.samples, &ours.samples);
    println!("wma92-48k-pro.wma: {snr:.1} dB");
    assert!(snr > 90.0, "{snr:.1} dB");
}

/// The Microsoft-encoded WMA Pro, Lossless and Voice files, served by `mmsplay serve`, play
/// over each of the five transports exactly as they play from the file.
#[test]
fn new_wma_codecs_play_over_every_transport() {
    let Some(dir) = unpacked("Audio-Scan-1.01/t/asf") else {
        return;
    };
    let files = [
        ("wma92-48k-pro.wma", "wmapro"),
        ("wma92-lossless.wma", "wmalossless"),
        ("wma92-voice.wma", "wmavoice"),
    ];
    let paths: Vec<PathBuf> = files.iter().map(|(f, _)| dir.join(f)).collect();
    let served: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let server = ServeProcess::start(&served, &["--fast"]);
    for ((name, codec), path) in files.iter().zip(&paths) {
        let (local, _) = play_to_wav(path.to_str().unwrap(), &[]);
        for (transport, port) in [
            ("mmsh", server.http),
            ("mmst", server.mms),
            ("mmsu", server.mms),
            ("rtspt", server.rtsp),
            ("rtspu", server.rtsp),
        ] {
            let url = format!("{transport}://127.0.0.1:{port}/{name}");
            let (audio, ev) = play_to_wav(&url, &[]);
            let connected = ev.iter().find(|e| e["event"] == "connected").unwrap();
            assert_eq!(connected["transport"], transport, "{url}");
            let stream = ev.iter().find(|e| e["event"] == "stream").unwrap();
            assert_eq!(stream["codec"], *codec, "{url}");
            assert_eq!(ev.last().unwrap()["event"], "end", "{url}");
            assert_eq!(audio.frames(), local.frames(), "{url}");
            assert!(
                audio.samples == local.samples,
                "{url}: audio differs from the file's"
            );
        }
    }
}

/// Audio::Scan's Microsoft-encoded WMA Lossless music sample (GPL-2.0, fetched by `.ci/run`)
/// plays headless to a WAV file with every sample equal to ffmpeg's decoding.
#[test]
fn wma_lossless_plays_like_ffmpeg() {
    let Some(dir) = unpacked("Audio-Scan-1.01/t/asf") else {
        return;
    };
    let path = dir.join("wma92-lossless.wma");
    let (ours, ev) = play_to_wav(path.to_str().unwrap(), &[]);
    let stream = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["codec"], "wmalossless");
    assert_eq!(ev.last().unwrap()["event"], "end");
    assert_eq!((ours.rate, ours.channels), (44100, 2));
    let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
    assert_eq!(ours.frames(), 44975);
    assert_eq!(ours.frames(), reference.frames());
    assert!(
        ours.samples == reference.samples,
        "samples differ from ffmpeg's"
    );
}

/// WMA 9 Voice (22.05 kHz mono, from Audio::Scan's tests, fetched by `.ci/run`): played
/// headless to a WAV file it sounds as ffmpeg decodes it, sample for sample in length.
#[test]
fn wma_voice_plays_as_ffmpeg_decodes_it() {
    let Some(dir) = unpacked("Audio-Scan-1.01/t/asf") else {
        return;
    };
    let path = dir.join("wma92-voice.wma");
    let target = path.to_str().unwrap();
    let (ours, ev) = play_to_wav(target, &[]);
    let stream = ev.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["codec"], "wmavoice");
    assert_eq!(stream["sample_rate"], 22050);
    assert_eq!(ev.last().unwrap()["event"], "end");
    assert_eq!((ours.rate, ours.channels), (22050, 1));
    let reference = ffmpeg_decode(target, ours.rate, ours.channels);
    assert_eq!(ours.frames(), reference.frames());
    assert_eq!(ours.frames(), 47 * 480);
    let snr = snr_db(&reference.samples, &ours.samples);
    println!("wma92-voice.wma through the player: {snr:.1} dB");
    assert!(snr >= 60.0, "{snr:.1} dB");
}
