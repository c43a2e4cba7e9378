//! The player (`mmsplay --headless --events json`) over MMS: events and decoded audio, and the
//! rollover step past a blackholed UDP path.

use std::time::Duration;

use mmsplay_net::Transport;

use super::util::{TestServer, faults, have_tool};
use crate::common::{
    asset, events, ffmpeg_decode, mmsplay, play_to_wav, read_wav, run_with_deadline,
};

const FILE: &str = "pcm_s16_44k_stereo.asf";

fn by_name<'a>(ev: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    ev.iter().filter(|e| e["event"] == name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_reports_and_plays_mmst_and_mmsu() {
    if !have_tool("ffmpeg", "reference decode") {
        return;
    }
    let srv =
        TestServer::start_files(vec![asset(FILE)], faults(&[], &[], 0.0, 0), false, true).await;
    let port = srv.bound.mms.port();
    for scheme in ["mmst", "mmsu"] {
        let url = format!("{scheme}://127.0.0.1:{port}/{FILE}");
        let (audio, ev) = tokio::task::spawn_blocking(move || play_to_wav(&url, &[]))
            .await
            .unwrap();
        let attempt = by_name(&ev, "attempt");
        assert_eq!(attempt.len(), 1, "{ev:?}");
        assert_eq!(attempt[0]["transport"], scheme);
        assert_eq!(by_name(&ev, "connected")[0]["transport"], scheme);
        assert_eq!(by_name(&ev, "stream")[0]["codec"], "pcm");
        let stats = by_name(&ev, "stats");
        let last = stats.last().expect("stats");
        assert!(last["packets_received"].as_u64().unwrap() > 0);
        assert_eq!(last["packets_lost"], 0);
        assert_eq!(by_name(&ev, "end")[0]["reason"], "eos");
        // PCM: what we decode over MMS is exactly ffmpeg's decode of the file.
        let reference = ffmpeg_decode(asset(FILE).to_str().unwrap(), audio.rate, audio.channels);
        assert_eq!(audio.samples.len(), reference.samples.len(), "{scheme}");
        assert!(audio.samples == reference.samples, "{scheme}: sample-exact");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollover_leaves_blackholed_udp_within_a_second() {
    let srv = TestServer::start_files(
        vec![asset(FILE)],
        faults(&[], &[Transport::Mmsu], 0.0, 0),
        false,
        true,
    )
    .await;
    let port = srv.bound.mms.port();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let wav2 = wav.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_with_deadline(
            mmsplay()
                .args(["--headless", "--events", "json", "--output"])
                .arg(format!("wav:{}", wav2.display()))
                .args([
                    "--transports",
                    "mmsu,mmst",
                    "--port",
                    &format!("mms={port}"),
                ])
                .arg(format!("mms://127.0.0.1/{FILE}")),
            Duration::from_secs(30),
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out.stdout);
    let attempts = by_name(&ev, "attempt");
    assert_eq!(attempts[0]["transport"], "mmsu");
    assert_eq!(attempts[1]["transport"], "mmst");
    let failed = by_name(&ev, "attempt_failed");
    assert_eq!(failed[0]["transport"], "mmsu");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("UDP"),
        "{failed:?}"
    );
    let dt = attempts[1]["t_ms"].as_u64().unwrap() - attempts[0]["t_ms"].as_u64().unwrap();
    assert!(dt < 1600, "the UDP step took {dt} ms");
    assert_eq!(by_name(&ev, "connected")[0]["transport"], "mmst");
    assert_eq!(by_name(&ev, "end")[0]["reason"], "eos");
    assert!(read_wav(&wav).frames() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_plays_through_udp_loss_and_accounts_for_it() {
    let Some(f) = super::util::fixture() else {
        return;
    };
    let srv = TestServer::start(f, faults(&[], &[], 0.1, 11), false, true).await;
    let url = format!("mmsu://127.0.0.1:{}/{}", srv.bound.mms.port(), f.name);
    let (audio, ev) = tokio::task::spawn_blocking(move || play_to_wav(&url, &[]))
        .await
        .unwrap();
    assert_eq!(by_name(&ev, "connected")[0]["transport"], "mmsu");
    assert_eq!(by_name(&ev, "end")[0]["reason"], "eos");
    let last = *by_name(&ev, "stats").last().expect("stats");
    let ends = srv.wait_session_ends(1).await;
    let dropped = ends[0]["packets_dropped"].as_u64().unwrap();
    assert!(dropped > 0);
    let lost = last["packets_lost"].as_u64().unwrap();
    let recovered = last["packets_recovered"].as_u64().unwrap();
    assert_eq!(lost + recovered, dropped, "{last}");
    // Most of the 6 s made it to the WAV.
    assert!(audio.frames() > 44100 * 4, "{} frames", audio.frames());
}
