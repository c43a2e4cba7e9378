//! `--start` on local files, against ffmpeg's decoding of the same file.
//!
//! The comparison rule: mmsplay's output must equal ffmpeg's *full* decode of the file from the
//! position the `seek` event reports. That event gives milliseconds, so the first sample lies
//! within one millisecond's worth of samples after it; the test takes the best offset in that
//! window. (`ffmpeg -ss` is not the oracle: its decoder starts cold at the packet it lands on,
//! so its first frame lacks the previous frame's overlap; ours is entered a second early and
//! dropped up to the target, which is what the full decode has there.) The reported position
//! must be within one codec frame of the target.

mod network;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;

/// A 20 s stereo WMA v2 file made by ffmpeg (which writes no index for audio-only files, so
/// the player bisects by send time).
fn wma_file(dir: &Path) -> PathBuf {
    wma_file_of(dir, 20)
}

/// The same tones, `secs` long.
fn wma_file_of(dir: &Path, secs: u32) -> PathBuf {
    let path = dir.join("tones.wma");
    let out = run_with_deadline(
        std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=440:duration={secs}"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=650:duration={secs}"))
            .args(["-filter_complex", "[0][1]amerge=inputs=2,volume=0.5"])
            .args(["-c:a", "wmav2", "-b:a", "128k", "-ar", "44100"])
            .arg(&path),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// SNR of `ours` against `reference` from frame `at` on, over their common length.
fn snr_at(reference: &Audio, ours: &Audio, at: usize) -> f64 {
    let ch = usize::from(ours.channels);
    let r = &reference.samples[(at * ch).min(reference.samples.len())..];
    snr_db(r, &ours.samples)
}

/// Plays `file` from `start` seconds and checks it against ffmpeg's full decode; returns the
/// reported position in ms.
fn check_start(file: &Path, reference: &Audio, start: f64, frame_len: usize) -> u64 {
    check_start_of(file.to_str().unwrap(), &[], reference, start, frame_len)
}

/// [`check_start`] for any target (a URL), with more player options.
fn check_start_of(
    target: &str,
    extra: &[&str],
    reference: &Audio,
    start: f64,
    frame_len: usize,
) -> u64 {
    let arg = start.to_string();
    let mut args = vec!["--start", &arg];
    args.extend_from_slice(extra);
    let (ours, events) = play_to_wav(target, &args);
    let seek = events
        .iter()
        .find(|e| e["event"] == "seek")
        .unwrap_or_else(|| panic!("--start {start}: no seek event in {events:?}"));
    let pos = seek["position_ms"].as_u64().unwrap();
    let rate = u64::from(ours.rate);
    let target = (start.max(0.0) * rate as f64).round() as u64;
    let reported = pos * rate / 1000;
    assert!(
        reported.abs_diff(target) <= frame_len as u64,
        "--start {start}: resumed at {pos} ms, more than a frame from the target"
    );
    let window = reported as usize..=((pos + 1) * rate / 1000) as usize;
    let (snr, at) = window
        .map(|at| (snr_at(reference, &ours, at), at))
        .fold((f64::NEG_INFINITY, 0), |b, x| if x.0 > b.0 { x } else { b });
    let rest = reference.frames().saturating_sub(at);
    println!(
        "--start {start}: resumed at {pos} ms (frame {at}), SNR {snr:.1} dB, {} frames vs {rest}",
        ours.frames()
    );
    assert!(snr >= 90.0, "--start {start}: SNR {snr:.1} dB below 90 dB");
    assert!(
        ours.frames().abs_diff(rest) <= frame_len,
        "--start {start}: {} frames, ffmpeg has {rest} from there",
        ours.frames()
    );
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let seek_at = kinds.iter().position(|k| *k == "seek").unwrap();
    let audio_at = kinds.iter().position(|k| *k == "first_audio").unwrap();
    assert!(
        seek_at < audio_at,
        "seek comes as playback resumes: {kinds:?}"
    );
    pos
}

#[test]
fn start_matches_ffmpeg_at_several_positions() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = wma_file(dir.path());
    let reference = ffmpeg_decode(file.to_str().unwrap(), 44100, 2);
    // One WMA v2 frame at 44.1 kHz is 2048 samples.
    assert_eq!(check_start(&file, &reference, 0.0, 2048), 0);
    check_start(&file, &reference, 5.0, 2048);
    check_start(&file, &reference, 10.092, 2048);
    check_start(&file, &reference, 12.345, 2048);
    check_start(&file, &reference, 19.5, 2048);
    // Before the start is the start.
    assert_eq!(check_start(&file, &reference, -3.0, 2048), 0);
}

#[test]
fn start_is_sample_accurate_on_pcm() {
    if !have_tool("ffmpeg") {
        return;
    }
    let file = asset("pcm_s16_8k_mono.asf");
    let reference = ffmpeg_decode(file.to_str().unwrap(), 8000, 1);
    // 8 kHz: one millisecond is 8 whole samples, so the position is exact.
    let pos = check_start(&file, &reference, 0.7, 1);
    assert_eq!(pos, 700);
}

#[test]
fn start_past_the_end_ends_cleanly() {
    let (audio, events) = play_to_wav(
        asset("pcm_s16_8k_mono.asf").to_str().unwrap(),
        &["--start", "30"],
    );
    let (far, _) = play_to_wav(
        asset("pcm_s16_8k_mono.asf").to_str().unwrap(),
        &["--start", "1e300"],
    );
    assert_eq!(far.frames(), 0, "a start beyond any clock ends as cleanly");
    assert_eq!(audio.frames(), 0, "nothing from before the target");
    assert!(!events.iter().any(|e| e["event"] == "seek"));
    assert!(events.iter().any(|e| e["event"] == "log"
        && e["message"].as_str().unwrap().contains("past the end")));
    assert_eq!(events.last().unwrap()["event"], "end");
    assert_eq!(events.last().unwrap()["reason"], "eos");
}

#[test]
fn start_uses_the_files_index_where_there_is_one() {
    // A file made by Windows Media tools, with a Simple Index and an Index Object: part of the
    // mutagen test data that `.ci/run` fetches.
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/third-party/mutagen-1.48.1/tests/data/silence-2.wma");
    if !file.is_file() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{} is missing: .ci/run fetches it", file.display());
        }
        eprintln!("skipping: {} is missing", file.display());
        return;
    }
    // Its codec (WMA Pro) is not decoded yet: the seek is what this test is about.
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output", "null"])
            .args(["--start", "1.5"])
            .arg(&file),
        Duration::from_secs(30),
    );
    let events = events(&out.stdout);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "log"
                && e["message"].as_str().unwrap().contains("the file's index")),
        "{events:?}"
    );
}

/// Plays `target` through the library with a seek of `by_ms` asked for before it starts: the
/// player carries it out as soon as the first audio is written. Returns the audio and events.
async fn play_with_seek(
    target: mmsplay::player::Target,
    by_ms: i64,
) -> (Audio, Vec<mmsplay::events::PlayerEvent>) {
    use mmsplay::player::{Events, PlayOptions, play};
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let opts = PlayOptions {
        output: mmsplay::audio::OutputSpec::Wav(wav.clone()),
        ..PlayOptions::default()
    };
    opts.seek.request(by_ms);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let control = std::sync::Arc::new(mmsplay::audio::AudioControl::default());
    let end = play(target, opts, control, Events::new(tx), stop_rx).await;
    assert!(end.is_ok(), "{end:?}");
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (read_wav(&wav), events)
}

/// A seek during playback: what follows the seek equals ffmpeg's full decode from the position
/// the `seek` event reports (the same rule as for `--start`), and what comes before is the
/// little that was written before the seek was taken.
async fn check_seek(file: &Path, reference: &Audio, by_ms: i64, expect_ms: Option<u64>) {
    let target = mmsplay::player::Target::File(file.to_path_buf());
    check_seek_of(target, reference, by_ms, expect_ms).await;
}

/// The SNR of what `ours` plays after a seek that resumed at `pos` ms, against ffmpeg's full
/// decode from there, and how many frames came before the seek. The first sample after the
/// seek is ffmpeg's sample `at`, within the millisecond the event reports; from there to the
/// end the lengths agree, which places it in our output.
fn snr_after_seek(reference: &Audio, ours: &Audio, pos: u64) -> (f64, usize) {
    let rate = u64::from(ours.rate);
    let ch = usize::from(ours.channels);
    let window = (pos * rate / 1000) as usize..=((pos + 1) * rate / 1000) as usize;
    window
        .map(|at| {
            let before = ours.frames().saturating_sub(reference.frames() - at);
            let tail = Audio {
                samples: ours.samples[before * ch..].to_vec(),
                ..ours.clone()
            };
            (snr_at(reference, &tail, at), before)
        })
        .fold((f64::NEG_INFINITY, 0), |b, x| if x.0 > b.0 { x } else { b })
}

/// [`check_seek`] for any target (a URL).
async fn check_seek_of(
    target: mmsplay::player::Target,
    reference: &Audio,
    by_ms: i64,
    expect_ms: Option<u64>,
) {
    use mmsplay::events::PlayerEvent;
    let (ours, events) = play_with_seek(target, by_ms).await;
    let pos = events
        .iter()
        .find_map(|e| match e {
            PlayerEvent::Seek { position_ms } => Some(*position_ms),
            _ => None,
        })
        .unwrap_or_else(|| panic!("seek {by_ms}: no seek event in {events:?}"));
    if let Some(want) = expect_ms {
        assert_eq!(pos, want);
    }
    let (snr, before) = snr_after_seek(reference, &ours, pos);
    assert!(
        before > 0 && before < ours.rate as usize,
        "seek {by_ms}: {before} frames before the seek"
    );
    println!("seek {by_ms}: resumed at {pos} ms after {before} frames, SNR {snr:.1} dB");
    assert!(snr >= 90.0, "seek {by_ms}: SNR {snr:.1} dB below 90 dB");
}

#[tokio::test(flavor = "multi_thread")]
async fn seeking_during_playback_of_a_file_matches_ffmpeg() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = wma_file(dir.path());
    let reference = ffmpeg_decode(file.to_str().unwrap(), 44100, 2);
    check_seek(&file, &reference, 10_000, None).await;
    // Back past the start: the start.
    check_seek(&file, &reference, -60_000, Some(0)).await;
}
