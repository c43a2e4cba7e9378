//! The player (`mmsplay --headless --events json`) over RTSP: the rollover steps `rtspu` and
//! `rtspt` in its events, and the decoded audio.

use std::time::Duration;

use mmsplay_net::Transport;
use mmsplay_server::Faults;

use super::support::{Server, chirp_asf};
use crate::common::{ffmpeg_decode, mmsplay, play_to_wav, read_wav, run_with_deadline};

fn by_name<'a>(ev: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    ev.iter().filter(|e| e["event"] == name).collect()
}

/// `rtsp://` tries `rtspu` first and plays on it; `rtspt://` plays on TCP. Both decode what
/// ffmpeg decodes from the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_reports_and_plays_rtspu_and_rtspt() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "play.asf", 3) else {
        return;
    };
    let server = Server::start(&file, Faults::default(), false, true).await;
    for (scheme, transport) in [("rtsp", "rtspu"), ("rtspt", "rtspt")] {
        let url = server.url(scheme, "play.asf");
        let (audio, ev) = tokio::task::spawn_blocking(move || play_to_wav(&url, &[]))
            .await
            .unwrap();
        let attempt = by_name(&ev, "attempt");
        assert_eq!(attempt[0]["transport"], transport, "{ev:?}");
        assert_eq!(
            by_name(&ev, "connected")[0]["transport"],
            transport,
            "{ev:?}"
        );
        assert!(by_name(&ev, "attempt_failed").is_empty(), "{ev:?}");
        let stream = by_name(&ev, "stream");
        assert_eq!(stream[0]["codec"], "wmav2");
        assert_eq!(stream[0]["channels"], 2);
        let last = *by_name(&ev, "stats").last().expect("stats");
        assert!(last["packets_received"].as_u64().unwrap() > 0);
        assert_eq!(last["packets_lost"], 0);
        assert_eq!(by_name(&ev, "end")[0]["reason"], "eos");
        let reference = ffmpeg_decode(file.to_str().unwrap(), audio.rate, audio.channels);
        assert_eq!(audio.samples.len(), reference.samples.len(), "{scheme}");
        let snr = crate::common::snr_db(&reference.samples, &audio.samples);
        assert!(snr >= 90.0, "{scheme}: SNR {snr} dB");
    }
}

/// With UDP blackholed, the rollover leaves `rtspu` about a second after PLAY and lands on
/// `rtspt`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollover_leaves_blackholed_rtspu_for_rtspt() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "roll.asf", 3) else {
        return;
    };
    let faults = Faults {
        blackhole: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let url = server.url("rtsp", "roll.asf");
    let wav = dir.path().join("out.wav");
    let wav2 = wav.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_with_deadline(
            mmsplay()
                .args(["--headless", "--events", "json", "--output"])
                .arg(format!("wav:{}", wav2.display()))
                .arg(&url),
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
    let ev = crate::common::events(&out.stdout);
    let failed = by_name(&ev, "attempt_failed");
    assert_eq!(failed[0]["transport"], "rtspu", "{ev:?}");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("UDP"), "{reason}");
    let connected = by_name(&ev, "connected");
    assert_eq!(connected[0]["transport"], "rtspt", "{ev:?}");
    // Left within about a second of the failed step's start.
    let t_fail = failed[0]["t_ms"].as_u64().unwrap();
    assert!(t_fail < 3000, "rtspu failed only at {t_fail} ms");
    assert_eq!(by_name(&ev, "end")[0]["reason"], "eos");
    assert!(read_wav(&wav).samples.len() > 44100);
}
