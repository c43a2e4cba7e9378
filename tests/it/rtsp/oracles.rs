//! Independent clients against our server: ffmpeg's RTSP/ASF path and GStreamer's own
//! RTSP + rtspwms + rtpasfdepay + asfdemux stack. Both must decode what ffmpeg decodes from
//! the file itself.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mmsplay_server::Faults;

use super::support::*;

/// ffmpeg plays from our server; its decode equals its decode of the file, sample for sample.
async fn ffmpeg_plays(transport: &str) {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = chirp_asf(dir.path(), "ff.asf", 3) else {
        return;
    };
    let reference = ffmpeg_decode(&file, &dir.path().join("ref.f32"));
    let server = Server::start(&file, Faults::default(), false, true).await;
    let url = server.url("rtsp", "ff.asf");
    let out = dir.path().join(format!("{transport}.f32"));
    let out2 = out.clone();
    let transport2 = transport.to_string();
    let (ok, log) = tokio::task::spawn_blocking(move || {
        run_with_limit(
            Command::new("ffmpeg")
                .args([
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-y",
                    "-rtsp_transport",
                    &transport2,
                ])
                .args(["-i", &url, "-f", "f32le"])
                .arg(&out2),
            Duration::from_secs(20),
        )
    })
    .await
    .unwrap();
    assert!(ok, "ffmpeg over {transport} failed: {log}");
    let got = read_f32(&out);
    assert_eq!(
        got.len(),
        reference.len(),
        "ffmpeg over {transport}: sample count"
    );
    assert!(got == reference, "ffmpeg over {transport}: samples differ");
    let end = server.session_end().await;
    let t = if transport == "udp" { "rtspu" } else { "rtspt" };
    assert_eq!(end["transport"], t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_over_tcp() {
    ffmpeg_plays("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_plays_over_udp() {
    ffmpeg_plays("udp").await;
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
