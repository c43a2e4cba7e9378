//! The whole Windows Media ladder against `mmsplay serve`, with transports refused or
//! blackholed: the player must end on the first transport that works, in Windows Media
//! Player's order, and play the same audio as local playback.

use std::sync::OnceLock;
use std::time::Duration;

use crate::common::*;

const LADDER: [&str; 5] = ["rtspu", "rtspt", "mmsu", "mmst", "mmsh"];

/// Local playback of the demo asset: what every transport must reproduce.
fn local_reference() -> &'static Audio {
    static REF: OnceLock<Audio> = OnceLock::new();
    REF.get_or_init(|| play_to_wav(asset_path().to_str().unwrap(), &[]).0)
}

fn asset_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo.wma")
}

/// Serves the demo with the given faults, plays `mms://` and checks the winner and the audio.
fn ladder(faults: &[&str], winner: Option<&str>) {
    let mut args = vec!["--fast"];
    args.extend_from_slice(faults);
    let server = ServeProcess::start(&[&asset_path()], &args);
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let out = run_with_deadline(
        mmsplay()
            .args(["--headless", "--events", "json", "--output"])
            .arg(format!("wav:{}", wav.display()))
            .args(server.port_args())
            .arg("mms://127.0.0.1/demo.wma"),
        Duration::from_secs(60),
    );
    let ev = events(&out.stdout);
    let attempts: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "attempt")
        .map(|e| e["transport"].as_str().unwrap())
        .collect();
    // Steps start in Windows Media Player's order.
    assert_eq!(attempts, LADDER[..attempts.len()].to_vec(), "{faults:?}");
    let connected: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "connected")
        .map(|e| e["transport"].as_str().unwrap())
        .collect();
    match winner {
        Some(w) => {
            assert!(
                out.status.success(),
                "{faults:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(connected, vec![w], "{faults:?}");
            // Every step before the winner failed, with a reason.
            let pos = LADDER.iter().position(|t| t == &w).unwrap();
            for t in &LADDER[..pos] {
                let failed = ev
                    .iter()
                    .find(|e| e["event"] == "attempt_failed" && e["transport"] == *t);
                let reason = failed
                    .unwrap_or_else(|| panic!("{faults:?}: no attempt_failed for {t}"))["reason"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert!(!reason.is_empty());
            }
            let audio = read_wav(&wav);
            let reference = local_reference();
            assert_eq!(
                (audio.rate, audio.channels),
                (reference.rate, reference.channels)
            );
            assert_eq!(
                audio.frames(),
                reference.frames(),
                "{faults:?}: length differs from local playback"
            );
            assert_eq!(
                max_abs_diff(&audio.samples, &reference.samples),
                0.0,
                "{faults:?}: audio differs"
            );
        }
        None => {
            assert_eq!(out.status.code(), Some(1), "{faults:?}");
            assert!(connected.is_empty());
            assert_eq!(attempts, LADDER.to_vec());
            let failed = ev.iter().filter(|e| e["event"] == "attempt_failed").count();
            assert_eq!(failed, 5);
            assert_eq!(ev.last().unwrap()["event"], "error");
        }
    }
}

#[test]
fn healthy_server_plays_over_rtsp_udp() {
    ladder(&[], Some("rtspu"));
}

#[test]
fn blackholed_rtsp_udp_falls_to_rtsp_tcp() {
    ladder(&["--blackhole", "rtspu"], Some("rtspt"));
}

#[test]
fn refused_rtsp_udp_falls_to_rtsp_tcp() {
    ladder(&["--refuse", "rtspu"], Some("rtspt"));
}

#[test]
fn no_rtsp_falls_to_mms_udp() {
    ladder(&["--blackhole", "rtspu", "--refuse", "rtspt"], Some("mmsu"));
}

#[test]
fn no_udp_and_no_rtsp_falls_to_mms_tcp() {
    ladder(
        &["--blackhole", "rtspu,mmsu", "--refuse", "rtspt"],
        Some("mmst"),
    );
}

#[test]
fn only_mmsh_works() {
    ladder(
        &["--blackhole", "rtspu,mmsu", "--refuse", "rtspt,mmst"],
        Some("mmsh"),
    );
}

#[test]
fn every_other_step_silently_blocked_still_reaches_mmsh() {
    ladder(&["--blackhole", "rtspu,rtspt,mmsu,mmst"], Some("mmsh"));
}

#[test]
fn everything_refused_is_one_clear_error() {
    ladder(&["--refuse", "rtspu,rtspt,mmsu,mmst,mmsh"], None);
}

/// A user's one-line error from each transport names the transport, the server and why.
#[test]
fn each_transports_error_names_the_transport_the_peer_and_the_cause() {
    let server = ServeProcess::start(
        &[&asset_path()],
        &["--refuse", "rtspu,rtspt,mmsu,mmst,mmsh"],
    );
    for (t, port, cause) in [
        ("rtspu", server.rtsp, "503"),
        ("rtspt", server.rtsp, "503"),
        ("mmsu", server.mms, "access was denied"),
        ("mmst", server.mms, "access was denied"),
        ("mmsh", server.http, "503"),
    ] {
        let out = run_with_deadline(
            mmsplay()
                .args(["--headless", "--output", "null", "--transports", t])
                .args(server.port_args())
                .arg("mms://127.0.0.1/demo.wma"),
            Duration::from_secs(30),
        );
        assert!(!out.status.success(), "{t}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr.lines().last().unwrap_or_default();
        let peer = format!("127.0.0.1:{port}");
        assert!(
            line.starts_with(&format!("mmsplay: {t} {peer}: connecting: ")),
            "{line}"
        );
        assert!(line.contains(cause), "{line}");
        assert_eq!(
            line.matches(cause).count(),
            1,
            "the cause said once: {line}"
        );
    }
}
