//! ASF/WMA files that no one here made: the test data of the mutagen tag library (GPL-2.0, so
//! not committed here; `.ci/run` fetches its source release from PyPI into
//! `target/third-party/`). Each either plays, or fails with one clear line naming its codec.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::*;

fn third_party_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/third-party/mutagen-1.48.1/tests/data");
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
        if matches!(codec.as_str(), "wmav1" | "wmav2") {
            // Microsoft-encoded WMA: it plays, and sounds as ffmpeg decodes it.
            let (ours, ev) = play_to_wav(path.to_str().unwrap(), &[]);
            assert_eq!(ev.last().unwrap()["event"], "end");
            let reference = ffmpeg_decode(path.to_str().unwrap(), ours.rate, ours.channels);
            assert_eq!(ours.frames(), reference.frames(), "{}", path.display());
            let snr = snr_db(&reference.samples, &ours.samples);
            println!("{}: {snr:.1} dB", path.display());
            assert!(snr > 90.0, "{}: {snr:.1} dB", path.display());
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
