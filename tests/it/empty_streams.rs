//! Streams with nothing to play: a header-only file (header, a Data Object with zero packets,
//! common in tag libraries' test data) is a normal end of stream, said plainly; a header whose
//! data packet size is 0 is an error that says so.
//!
//! Header-only is `eos` (exit 0), not an error: the file is valid ASF that holds no audio, as
//! a zero-length WAV is, and players and ffmpeg finish such files without failing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mmsplay_asf::writer::data_object_prefix;
use mmsplay_asf::{header_object_len, parse_header};

use crate::common::*;

/// `source`'s header followed by an empty Data Object, with the header's packet count at 0.
fn header_only(source: &Path, dir: &Path) -> PathBuf {
    let file = std::fs::read(source).unwrap();
    let hlen = header_object_len(&file).unwrap();
    let header = parse_header(&file[..hlen]).unwrap();
    let mut out = file[..hlen].to_vec();
    // File Properties is the first header child (at 30): its Data Packets Count is at 56.
    out[30 + 56..30 + 64].copy_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&data_object_prefix(
        header.file.file_id,
        0,
        header.packet_size(),
    ));
    let path = dir.join(format!(
        "header_only_{}",
        source.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn header_only_files_end_cleanly_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "pcm_s16_8k_mono.asf",
        "mp3_22k_mono.asf",
        "adpcm_ms_8k_mono.asf",
    ] {
        let input = header_only(&asset(name), dir.path());
        for output in [
            "null".to_string(),
            format!("wav:{}", dir.path().join("out.wav").display()),
        ] {
            let out = run_with_deadline(
                mmsplay()
                    .args(["--headless", "--events", "json", "--output", &output])
                    .arg(&input),
                Duration::from_secs(20),
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{name} to {output}: {stderr}");
            let ev = events(&out.stdout);
            assert!(ev.iter().any(|e| e["event"] == "stream"), "{name}: {ev:?}");
            assert!(
                !ev.iter().any(|e| e["event"] == "first_audio"),
                "{name}: {ev:?}"
            );
            let last = ev.last().unwrap();
            assert_eq!(last["event"], "end", "{name}: {ev:?}");
            assert_eq!(last["reason"], "eos", "{name}: {ev:?}");
            assert!(
                stderr.contains("the stream has no audio data"),
                "{name} to {output}: {stderr}"
            );
            assert!(!stderr.contains("not started"), "{name}: {stderr}");
        }
    }
}

#[test]
fn a_header_only_wma_file_ends_cleanly() {
    // The WMA decoder has a final overlap to flush at the end: with no frame decoded there is
    // none, and nothing may be written to a sink that never started.
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma");
    let input = header_only(&demo, dir.path());
    let wav = dir.path().join("out.wav");
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", wav.display()))
            .arg(&input),
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the stream has no audio data"), "{stderr}");
    let ev = events(&out.stdout);
    assert_eq!(ev.last().unwrap()["reason"], "eos", "{ev:?}");
}

#[test]
fn a_zero_packet_size_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(asset("pcm_s16_8k_mono.asf")).unwrap();
    // Minimum and maximum data packet size, at 92..100 of File Properties.
    bytes[30 + 92..30 + 100].copy_from_slice(&[0; 8]);
    let input = dir.path().join("zero_packet_size.asf");
    std::fs::write(&input, bytes).unwrap();
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--output", "null"])
            .arg(&input),
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert!(last.contains("data packet size is 0"), "{stderr}");
    assert!(!stderr.contains("exceeds the limit"), "{stderr}");
}
