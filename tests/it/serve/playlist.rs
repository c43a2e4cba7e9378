//! Server-side playlists (`serve --playlist`): three different files (WMA v2, MP3 in ASF, WMA
//! at another sample rate and channel count) served as one stream play entry after entry over
//! each transport that carries the change, each entry's audio equal to ffmpeg's decoding of
//! its file, with an `entry` and a `stream` event naming each title, and a recording split into
//! one file an entry.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::*;

/// The entries: file name, title, and ffmpeg's encoding arguments.
const ENTRIES: [(&str, &str, &[&str]); 3] = [
    (
        "one.wma",
        "First Tone",
        &["-ar", "44100", "-ac", "2", "-c:a", "wmav2", "-b:a", "64k"],
    ),
    (
        "two.asf",
        "Second Tone",
        &[
            "-ar",
            "22050",
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "48k",
        ],
    ),
    (
        "three.wma",
        "Third Tone",
        &["-ar", "32000", "-ac", "1", "-c:a", "wmav2", "-b:a", "32k"],
    ),
];

/// Our decoders differ from ffmpeg's only in the last bits of a float (above 120 dB here); a
/// lost or misplaced frame would bring this far below.
const MIN_SNR_DB: f64 = 100.0;

/// Makes the three entries (1.2 s of tone each, titled) in `dir`.
fn make_entries(dir: &Path) -> Vec<PathBuf> {
    ENTRIES
        .iter()
        .enumerate()
        .map(|(i, (name, title, args))| {
            let path = dir.join(name);
            let ok = Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
                .arg(format!("sine=f={}:d=1.2", 330 + 110 * i))
                .args(*args)
                .args(["-metadata", &format!("title={title}"), "-f", "asf"])
                .arg(&path)
                .status()
                .unwrap()
                .success();
            assert!(ok, "ffmpeg could not make {name}");
            path
        })
        .collect()
}

fn playlist_server(files: &[PathBuf]) -> ServeProcess {
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    ServeProcess::start(
        &[],
        &["--fast", "--playlist", &format!("show={}", list.join(","))],
    )
}

fn url(server: &ServeProcess, scheme: &str) -> String {
    let port = match scheme {
        "mmst" | "mmsu" => server.mms,
        "rtspt" | "rtspu" => server.rtsp,
        _ => server.http,
    };
    format!("{scheme}://127.0.0.1:{port}/show")
}

/// Plays the playlist over `scheme` into `dir/out.wav` (later entries: `out.2.wav`,
/// `out.3.wav`) and records it to `dir/rec.asf`; returns the events.
fn play(url: &str, dir: &Path) -> Vec<serde_json::Value> {
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", dir.join("out.wav").display()))
            .arg("--record")
            .arg(dir.join("rec.asf"))
            .arg(url),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{url}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    events(&out.stdout)
}

fn check_transport(scheme: &str, server: &ServeProcess, files: &[PathBuf]) {
    let dir = tempfile::tempdir().unwrap();
    let url = url(server, scheme);
    let events = play(&url, dir.path());
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["event"] == kind).collect()
    };
    // One stream event an entry, titled; an entry event at each change.
    let titles: Vec<&str> = of("stream")
        .iter()
        .map(|e| e["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        titles,
        ["First Tone", "Second Tone", "Third Tone"],
        "{scheme}"
    );
    let entries: Vec<(u64, &str)> = of("entry")
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["title"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(entries, [(1, "Second Tone"), (2, "Third Tone")], "{scheme}");
    let codecs: Vec<&str> = of("stream")
        .iter()
        .map(|e| e["codec"].as_str().unwrap())
        .collect();
    assert_eq!(codecs, ["wmav2", "mp3", "wmav2"], "{scheme}");
    assert_eq!(events.last().unwrap()["reason"], "eos", "{scheme}");
    // Each entry's audio, in its own WAV file, equals ffmpeg's decoding of its file.
    for (i, file) in files.iter().enumerate() {
        let wav = if i == 0 {
            dir.path().join("out.wav")
        } else {
            dir.path().join(format!("out.{}.wav", i + 1))
        };
        let audio = read_wav(&wav);
        let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
        assert_eq!(
            (audio.rate, audio.channels),
            (reference.rate, reference.channels)
        );
        assert_eq!(audio.frames(), reference.frames(), "{scheme} entry {i}");
        let snr = snr_db(&reference.samples, &audio.samples);
        println!("{scheme} entry {i}: SNR {snr:.1} dB against ffmpeg's decoding");
        assert!(
            snr >= MIN_SNR_DB,
            "{scheme}: entry {i}'s audio differs from ffmpeg's decoding of its file ({snr:.1} dB)"
        );
        // The recording is split the same way, each part a file ffmpeg decodes alike.
        let rec = if i == 0 {
            dir.path().join("rec.asf")
        } else {
            dir.path().join(format!("rec.{}.asf", i + 1))
        };
        let recorded = ffmpeg_decode(rec.to_str().unwrap(), audio.rate, audio.channels);
        assert!(
            snr_db(&reference.samples, &recorded.samples) >= MIN_SNR_DB,
            "{scheme}: the recording of entry {i} differs from its file"
        );
    }
}

/// Serves the three entries as one playlist and plays it over each of `schemes`.
fn plays_every_entry_over(schemes: &[&str]) {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = make_entries(dir.path());
    let server = playlist_server(&files);
    for scheme in schemes {
        check_transport(scheme, &server, &files);
    }
}

#[test]
fn a_server_side_playlist_plays_every_entry_over_mmsh() {
    plays_every_entry_over(&["mmsh"]);
}

#[test]
fn a_server_side_playlist_plays_every_entry_over_mms_tcp_and_udp() {
    plays_every_entry_over(&["mmst", "mmsu"]);
}

#[test]
fn a_server_side_playlist_plays_every_entry_over_rtsp_tcp_and_udp() {
    plays_every_entry_over(&["rtspt", "rtspu"]);
}
