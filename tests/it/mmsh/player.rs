//! The whole program over MMSH: `mmsplay serve` as a process, `mmsplay --headless --events
//! json` playing from it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// `mmsplay serve` with the given extra options; returns the guard, the HTTP port and the
/// reader of its remaining stdout lines.
fn serve(
    files: &[&std::path::Path],
    extra: &[&str],
) -> (ChildGuard, u16, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmsplay"))
        .arg("serve")
        .args(files)
        .args(["--rtsp-port", "0", "--mms-port", "0", "--http-port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let guard = ChildGuard(child);
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["event"], "listening");
    let port = v["http"].as_u64().unwrap() as u16;
    (guard, port, out)
}

fn kinds(events: &[serde_json::Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["event"].as_str()).collect()
}

#[test]
fn headless_player_plays_mmsh_on_demand() {
    if !have_tool("ffmpeg") {
        return;
    }
    let file = asset("pcm_s16_44k_stereo.asf");
    let (_server, port, mut out) = serve(&[&file], &["--fast"]);
    for scheme in ["mmsh", "http"] {
        let url = format!("{scheme}://127.0.0.1:{port}/pcm_s16_44k_stereo.asf");
        let (audio, events) = play_to_wav(&url, &[]);
        let k = kinds(&events);
        for want in [
            "attempt",
            "connected",
            "stream",
            "first_audio",
            "stats",
            "end",
        ] {
            assert!(k.contains(&want), "no {want} event in {k:?}");
        }
        let attempt = events.iter().find(|e| e["event"] == "attempt").unwrap();
        assert_eq!(attempt["transport"], "mmsh");
        let connected = events.iter().find(|e| e["event"] == "connected").unwrap();
        assert_eq!(connected["transport"], "mmsh");
        let stream = events.iter().find(|e| e["event"] == "stream").unwrap();
        assert_eq!(stream["codec"], "pcm");
        assert_eq!(stream["live"], false);
        let stats = events.iter().rev().find(|e| e["event"] == "stats").unwrap();
        assert!(stats["packets_received"].as_u64().unwrap() > 0);
        assert_eq!(stats["packets_lost"], 0);
        assert_eq!(events.last().unwrap()["reason"], "eos");
        let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
        assert_eq!(audio.frames(), reference.frames());
        assert!(
            audio.samples == reference.samples,
            "audio over {scheme} differs from the file's"
        );
        // The server reports the session with every packet sent.
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let end: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(end["event"], "session_end");
        assert_eq!(end["transport"], "mmsh");
        assert_eq!(end["packets_sent"], stats["packets_received"]);
    }
}

#[test]
fn headless_player_plays_mmsh_live_and_refused_is_reported() {
    let file = asset("pcm_s16_8k_mono.asf");
    let (_server, port, _out) = serve(&[&file], &["--live"]);
    let url = format!("mmsh://127.0.0.1:{port}/pcm_s16_8k_mono.asf");
    let (audio, live_events) = play_to_wav(&url, &["--duration", "1"]);
    assert_eq!(audio.frames(), 8000);
    let stream = live_events.iter().find(|e| e["event"] == "stream").unwrap();
    assert_eq!(stream["live"], true);
    assert_eq!(live_events.last().unwrap()["reason"], "duration");

    let (_refusing, port, _out) = serve(&[&file], &["--refuse", "mmsh"]);
    let url = format!("mmsh://127.0.0.1:{port}/pcm_s16_8k_mono.asf");
    let out = run_with_deadline(
        mmsplay().args(["--headless", "--events", "json", "--output", "null", &url]),
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    let ev = events(&out.stdout);
    let failed = ev.iter().find(|e| e["event"] == "attempt_failed").unwrap();
    assert_eq!(failed["transport"], "mmsh");
    assert!(
        failed["reason"].as_str().unwrap().contains("503"),
        "{failed}"
    );
}
