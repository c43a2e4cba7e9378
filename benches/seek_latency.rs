//! Seek latency against `mmsplay serve` on loopback (paced as Windows Media Services did),
//! beside ffmpeg measured in the same run:
//!
//! 1. during playback, per transport: from the seek request to the first audio written at the
//!    new position (the `seek` event), for seeks forward and back in a 60 s WMA v2 stream;
//! 2. from a cold start at a position, over MMSH: `mmsplay --start 30` from spawn to its `seek`
//!    event, and `ffmpeg -ss 30 -i mmsh://...` from spawn to its first decoded byte (ffmpeg's
//!    mmsh client seeks by reconnecting at the position, as we do).
//!
//! Run: `cargo bench --bench seek_latency` (needs ffmpeg). Target: under 300 ms on loopback for
//! every transport.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mmsplay::events::PlayerEvent;
use mmsplay::player::{Events, PlayOptions, Target, play};
use mmsplay_net::{StreamUrl, Transport};

mod common;

use common::{have, median, mmsplay_event_ms};

/// Seeks per transport: forward and back in turn.
const SEEKS: [i64; 6] = [15_000, -10_000, 20_000, -12_000, 8_000, -15_000];

fn make_stream(dir: &Path) -> Option<PathBuf> {
    let stream = dir.join("seek60.wma");
    Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("aevalsrc=0.3*sin(2*PI*440*t)+0.2*sin(2*PI*554*t)|0.3*sin(2*PI*330*t):s=44100:d=60")
        .args(["-c:a", "wmav2", "-b:a", "128k"])
        .arg(&stream)
        .status()
        .is_ok_and(|s| s.success())
        .then_some(stream)
}

/// Waits (10 s at most) for an event `want` accepts; false at the end or the deadline.
async fn next(
    rx: &mut tokio::sync::mpsc::Receiver<PlayerEvent>,
    want: fn(&PlayerEvent) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if want(&e) {
            return true;
        }
        if matches!(e, PlayerEvent::End { .. } | PlayerEvent::Error { .. }) {
            return false;
        }
    }
    false
}

/// Seek latencies (ms) during one playback of `url`.
async fn seeks_during_playback(url: &str) -> Vec<f64> {
    let opts = PlayOptions::default();
    let seek = opts.seek.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let control = Arc::new(mmsplay::audio::AudioControl::default());
    let Ok(url) = StreamUrl::parse(url) else {
        return Vec::new();
    };
    let playing = tokio::spawn(play(
        Target::Url(url),
        opts,
        control,
        Events::new(tx),
        stop_rx,
    ));
    let mut got = Vec::new();
    if next(&mut rx, |e| *e == PlayerEvent::FirstAudio).await {
        // Into the paced part of the stream, past the preroll burst.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for by in SEEKS {
            let t = Instant::now();
            seek.request(by);
            if !next(&mut rx, |e| matches!(e, PlayerEvent::Seek { .. })).await {
                break;
            }
            got.push(t.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), playing).await;
    got
}

fn main() {
    if !have("ffmpeg") {
        println!("ffmpeg is not installed: no figures");
        return;
    }
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let Some(stream) = make_stream(dir.path()) else {
        println!("ffmpeg could not make the test stream: no figures");
        return;
    };
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        return;
    };
    rt.block_on(async {
        let server = match mmsplay_server::launch(
            mmsplay_server::ServerOptions {
                files: vec![stream.clone()],
                bind: "127.0.0.1".into(),
                rtsp_port: 0,
                mms_port: 0,
                http_port: 0,
                ..Default::default()
            },
            Box::new(|_: &str| {}),
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                println!("the server did not start: {e}");
                return;
            }
        };
        let b = server.bound;
        let url = |t: Transport| {
            let port = match t {
                Transport::Rtspu | Transport::Rtspt => b.rtsp.port(),
                Transport::Mmsu | Transport::Mmst => b.mms.port(),
                _ => b.http.port(),
            };
            format!("{}://127.0.0.1:{port}/seek60.wma", t.as_str())
        };
        println!("seek latency during playback, request to first audio at the new position:");
        for t in Transport::LADDER {
            let v = seeks_during_playback(&url(t)).await;
            let worst = v.iter().copied().fold(0.0, f64::max);
            println!(
                "  {:6} median {:4.0} ms, worst {worst:4.0} ms over {} seeks (target < 300 ms)",
                t.as_str(),
                median(v.clone()),
                v.len()
            );
        }
        let mmsh = url(Transport::Mmsh);
        let (ours, ff): (Vec<f64>, Vec<f64>) = tokio::task::spawn_blocking(move || {
            let ours = (0..5)
                .filter_map(|_| {
                    let args = ["--start".to_string(), "30".to_string(), mmsh.clone()];
                    mmsplay_event_ms(&args, "seek")
                })
                .collect();
            let ff = (0..5)
                .filter_map(|_| common::ffmpeg_first_audio_ms(&["-ss", "30", "-i", &mmsh]))
                .collect();
            (ours, ff)
        })
        .await
        .unwrap_or_default();
        let (o, f) = (median(ours), median(ff));
        println!(
            "cold start at 30 s over MMSH, spawn to first audio there: mmsplay --start {o:.0} ms, \
             ffmpeg -ss {f:.0} ms, ratio {:.2}",
            o / f
        );
        server.shutdown(Duration::from_secs(1)).await;
    });
}
