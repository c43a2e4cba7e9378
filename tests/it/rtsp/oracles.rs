//! Independent clients against our server: ffmpeg's RTSP/ASF path and GStreamer's own
//! RTSP + rtspwms + rtpasfdepay + asfdemux stack. Both must decode what ffmpeg decodes from
//! the file itself.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mmsplay_net::Transport;
use mmsplay_server::Faults;

use super::support::*;

/// Runs ffmpeg on our server with `args` before `-i`; returns its decode, ffmpeg's decode of
/// the file, and the transport of the server's `session_end`.
async fn ffmpeg_from_server(faults: Faults, args: &[&str]) -> Option<(Vec<f32>, Vec<f32>, String)> {
    if !have_tool("ffmpeg") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = chirp_asf(dir.path(), "ff.asf", 3)?;
    let reference = ffmpeg_decode(&file, &dir.path().join("ref.f32"));
    let server = Server::start(&file, faults, false, true).await;
    let url = server.url("rtsp", "ff.asf");
    let out = dir.path().join("net.f32");
    let out2 = out.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (ok, log) = tokio::task::spawn_blocking(move || {
        run_with_limit(
            Command::new("ffmpeg")
                .args(["-nostdin", "-loglevel", "error", "-y"])
                .args(&args)
                .args(["-i", &url, "-f", "f32le"])
                .arg(&out2),
            Duration::from_secs(20),
        )
    })
    .await
    .unwrap();
    assert!(ok, "ffmpeg failed: {log}");
    let end = server.session_end().await;
    let t = end["transport"].as_str().unwrap().to_string();
    Some((read_f32(&out), reference, t))
}

/// ffmpeg plays from our server; its decode equals its decode of the file, sample for sample.
async fn ffmpeg_plays(transport: &str) {
    let Some((got, reference, t)) =
        ffmpeg_from_server(Faults::default(), &["-rtsp_transport", transport]).await
    else {
        return;
    };
    assert_eq!(
        got.len(),
        reference.len(),
        "ffmpeg over {transport}: sample count"
    );
    assert!(got == reference, "ffmpeg over {transport}: samples differ");
    assert_eq!(t, if transport == "udp" { "rtspu" } else { "rtspt" });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_over_tcp() {
    ffmpeg_plays("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_over_udp() {
    ffmpeg_plays("udp").await;
}

/// `--refuse rtspu`: ffmpeg gets 461 for UDP and SETUPs TCP on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_falls_back_to_tcp_on_461() {
    let faults = Faults {
        refuse: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let Some((got, reference, t)) = ffmpeg_from_server(faults, &[]).await else {
        return;
    };
    assert!(got == reference, "samples differ after the fallback");
    assert_eq!(t, "rtspt");
}

/// `--blackhole rtspu`: with a UDP timeout ffmpeg PAUSEs, re-SETUPs the stream over TCP in the
/// same session and PLAYs again from the start (protocols.md 6A.4 step 9).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_falls_back_to_tcp_after_silent_udp() {
    let faults = Faults {
        blackhole: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let Some((got, reference, t)) = ffmpeg_from_server(faults, &["-timeout", "1000000"]).await
    else {
        return;
    };
    assert!(got == reference, "samples differ after the fallback");
    assert_eq!(t, "rtspt", "the session ends on TCP");
}

/// `--live`: ffmpeg joins the looping broadcast and plays across the loop point, the timeline
/// moving forward (more audio than the file holds, and no error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_live_across_the_loop() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "live.asf", 3) else {
        return;
    };
    let reference = ffmpeg_decode(&file, &dir.path().join("ref.f32"));
    let server = Server::start(&file, Faults::default(), true, false).await;
    let url = server.url("rtsp", "live.asf");
    let out = dir.path().join("live.f32");
    let out2 = out.clone();
    let (ok, log) = tokio::task::spawn_blocking(move || {
        run_with_limit(
            Command::new("ffmpeg")
                .args([
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-y",
                    "-rtsp_transport",
                    "tcp",
                ])
                .args(["-i", &url, "-t", "5", "-f", "f32le"])
                .arg(&out2),
            Duration::from_secs(20),
        )
    })
    .await
    .unwrap();
    assert!(ok, "ffmpeg on the live stream failed: {log}");
    let got = read_f32(&out);
    // 5 s of stereo at 44.1 kHz: more than the 3 s file holds.
    assert!(got.len() > reference.len() * 3 / 2, "{} samples", got.len());
    assert!(got.len() <= 2 * 44_100 * 5 + 8192, "{} samples", got.len());
}

fn gst_decode(uri: &str, out: &Path) -> (bool, String) {
    let caps = "audio/x-raw,format=F32LE,layout=interleaved";
    let location = format!("location={}", out.display());
    if uri.starts_with('/') {
        let src = format!("location={uri}");
        run_with_limit(
            Command::new("gst-launch-1.0").args([
                "-q",
                "filesrc",
                &src,
                "!",
                "asfdemux",
                "!",
                "decodebin",
                "!",
                "audioconvert",
                "!",
                caps,
                "!",
                "filesink",
                &location,
            ]),
            Duration::from_secs(20),
        )
    } else {
        let u = format!("uri={uri}");
        run_with_limit(
            Command::new("gst-launch-1.0").args([
                "-q",
                "uridecodebin",
                &u,
                "!",
                "audioconvert",
                "!",
                caps,
                "!",
                "filesink",
                &location,
            ]),
            Duration::from_secs(20),
        )
    }
}

/// GStreamer plays from our server: its output equals its own decode of the file, and that
/// matches ffmpeg's decode of the file after GStreamer's leading 4096 samples (GStreamer also
/// leaves out the very end, the decoder's last frame, locally as over the network).
async fn gstreamer_plays(scheme: &str, secs: u32, fast: bool) {
    if !have_tool("gst-launch-1.0") || !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "gst.asf", secs) else {
        return;
    };
    let reference = ffmpeg_decode(&file, &dir.path().join("ref.f32"));
    let local_out = dir.path().join("local.f32");
    let (ok, log) = gst_decode(file.to_str().unwrap(), &local_out);
    assert!(ok, "GStreamer cannot decode the file itself: {log}");
    let local = read_f32(&local_out);

    let server = Server::start(&file, Faults::default(), false, fast).await;
    let uri = server.url(scheme, "gst.asf");
    let out = dir.path().join("net.f32");
    let out2 = out.clone();
    let (ok, log) = tokio::task::spawn_blocking(move || gst_decode(&uri, &out2))
        .await
        .unwrap();
    assert!(ok, "GStreamer over {scheme} failed: {log}");
    let got = read_f32(&out);
    assert!(!got.is_empty(), "GStreamer over {scheme} produced nothing");
    assert!(
        got == local,
        "GStreamer over {scheme} differs from its decode of the file"
    );

    let (lag, snr, overlap) = align(&got, &reference, 10_000, 2);
    assert_eq!(lag, 8192, "GStreamer leads by 4096 stereo samples");
    assert!(snr >= 90.0, "SNR {snr} dB against ffmpeg's decode");
    assert!(
        overlap * 100 >= reference.len() * 95,
        "overlap {overlap} of {}",
        reference.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gstreamer_plays_over_tcp() {
    gstreamer_plays("rtspt", 5, true).await;
}

/// GStreamer's UDP path needs real-time pacing (no `--fast`) and about two seconds of paced
/// media after the preroll burst before its jitter buffer lets anything through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gstreamer_plays_over_udp() {
    gstreamer_plays("rtsp", 6, false).await;
}

/// `--refuse rtspu`: GStreamer tries UDP, then multicast, then TCP, and plays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gstreamer_falls_back_to_tcp_on_461() {
    if !have_tool("gst-launch-1.0") || !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "g461.asf", 5) else {
        return;
    };
    let local_out = dir.path().join("local.f32");
    let (ok, log) = gst_decode(file.to_str().unwrap(), &local_out);
    assert!(ok, "{log}");
    let faults = Faults {
        refuse: [Transport::Rtspu].into_iter().collect(),
        ..Default::default()
    };
    let server = Server::start(&file, faults, false, true).await;
    let uri = server.url("rtsp", "g461.asf");
    let out = dir.path().join("net.f32");
    let out2 = out.clone();
    let (ok, log) = tokio::task::spawn_blocking(move || gst_decode(&uri, &out2))
        .await
        .unwrap();
    assert!(ok, "GStreamer failed: {log}");
    assert!(read_f32(&out) == read_f32(&local_out));
    assert_eq!(server.session_end().await["transport"], "rtspt");
}
